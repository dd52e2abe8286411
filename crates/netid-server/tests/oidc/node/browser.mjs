// The consent screen with the wallet: the holder signs in at the sample platform, reads
// netid's consent screen in both languages, answers with their wallet (the Rust test does
// that), continues in the browser, and the platform shows what it received.
//
// Protocol with the test, one JSON line each way:
//   out {"event":"consent_screen","url":...,"zh_heading":...,"en_heading":...}
//   in  (any line) once the holder answered
//   out {"event":"signed_in","claims":{...}}
//   in  (any line) once the holder withdrew their consent
//   out {"event":"profile","claims":{...}}          then exit 0; any failure: exit 1
import { claimsOn, env, nextLine, phoneTab, runInBrowser, say } from './sample-platform.mjs'

const screenshots = env('SCREENSHOTS')
await runInBrowser(async (platform, browser) => {
  const tab = await phoneTab(browser)
  await tab.goto(`${platform.url}/`)
  await tab.getByRole('link', { name: 'Sign in with netid' }).click()
  await tab.waitForURL(/\/oidc\/authorize\?/)
  const zhHeading = await tab.getByRole('heading', { level: 1 }).textContent()
  await tab.screenshot({ path: `${screenshots}/consent-zh.png`, fullPage: true })
  await tab.getByRole('link', { name: 'English' }).click()
  await tab.waitForURL(/lang=en/)
  const enHeading = await tab.getByRole('heading', { level: 1 }).textContent()
  await tab.screenshot({ path: `${screenshots}/consent-en.png`, fullPage: true })
  say({ event: 'consent_screen', url: tab.url(), zh_heading: zhHeading, en_heading: enHeading })

  await nextLine()
  // The button is reached and pressed from the keyboard, as a holder without a mouse would.
  await tab.getByRole('button', { name: 'I have answered, continue' }).focus()
  await tab.keyboard.press('Enter')
  await tab.waitForURL(`${platform.url}/callback?**`)
  await tab.screenshot({ path: `${screenshots}/platform-signed-in.png`, fullPage: true })
  say({ event: 'signed_in', claims: await claimsOn(tab) })

  await nextLine()
  await tab.goto(`${platform.url}/profile`)
  await tab.screenshot({ path: `${screenshots}/platform-after-withdrawal.png`, fullPage: true })
  say({ event: 'profile', claims: await claimsOn(tab) })
})
