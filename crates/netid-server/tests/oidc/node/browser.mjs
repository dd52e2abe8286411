// The consent screen with the wallet: the holder signs in at the sample platform, reads
// netid's consent screen in both languages, answers with their wallet (the Rust test does
// that), continues in the browser, and the platform shows what it received.
//
// Protocol with the test, one JSON line each way:
//   out {"event":"consent_screen","url":...,"zh_heading":...,"en_heading":...}
//   in  (any line) once the holder answered
//   out {"event":"signed_in","claims":{...}}
//   in  (any line) once the holder withdrew their consent
//   out {"event":"profile","claims":{...},"audited":[...],"accessibility":[...]}
//                                                   then exit 0; any failure: exit 1
import { camera, claimsOn, nextLine, phoneTab, runInBrowser, say } from './sample-platform.mjs'

await runInBrowser(async (platform, browser) => {
  const tab = await phoneTab(browser)
  const { shot, audited, failures } = camera(tab)
  await tab.goto(`${platform.url}/`)
  await tab.getByRole('link', { name: 'Sign in with netid' }).click()
  await tab.waitForURL(/\/oidc\/authorize\?/)
  const zhHeading = await tab.getByRole('heading', { level: 1 }).textContent()
  await shot('consent-zh')
  await tab.getByRole('link', { name: 'English' }).click()
  await tab.waitForURL(/lang=en/)
  const enHeading = await tab.getByRole('heading', { level: 1 }).textContent()
  await shot('consent-en')
  say({ event: 'consent_screen', url: tab.url(), zh_heading: zhHeading, en_heading: enHeading })

  await nextLine()
  // The button is reached and pressed from the keyboard, as a holder without a mouse would.
  await tab.getByRole('button', { name: 'I have answered, continue' }).focus()
  await tab.keyboard.press('Enter')
  await tab.waitForURL(`${platform.url}/callback?**`)
  await shot('platform-signed-in')
  say({ event: 'signed_in', claims: await claimsOn(tab) })

  await nextLine()
  await tab.goto(`${platform.url}/profile`)
  await shot('platform-after-withdrawal')
  say({ event: 'profile', claims: await claimsOn(tab), audited, accessibility: failures })
})
