// A person who has never seen netid, in a real browser, from the web app alone: they enrol
// with their (synthetic) document, the browser makes their wallet key and a passkey, and
// they sign in at the sample platform, approving on the consent screen without giving a
// plaintext field. Screenshots of the pages in both languages.
//
// Environment: NETID_ISSUER (http://localhost:PORT), DOCUMENT_TYPE, DOCUMENT_NUMBER, NAME,
// CODE, RP_CLIENT_ID, RP_PRIVATE_JWK, RP_PORT, SCREENSHOTS, CHROMIUM.
// Protocol with the test, one JSON line out at each step:
//   {"event":"home","net_id":...}
//   {"event":"signed_in","claims":{...},"audited":[...],"accessibility":[...]}
//                                                   then exit 0; any failure: exit 1
import { camera, claimsOn, env, phoneTab, runInBrowser, say } from './sample-platform.mjs'

const issuer = env('NETID_ISSUER')
await runInBrowser(async (platform, browser) => {
  const tab = await phoneTab(browser, { passkeys: true })
  const { shot, audited, failures } = camera(tab)

  // The web app, first in Chinese: the sign-in page leads a newcomer to enrolment.
  await tab.goto(`${issuer}/app/`)
  await tab.getByRole('link', { name: '第一次使用？注册网号' }).click()
  await tab.getByRole('heading', { name: '注册网号' }).waitFor()
  // The notice comes before the form, under Art. 10's headings, in the page's language.
  await tab.getByRole('heading', { name: '本中心保存什么' }).waitFor()
  await tab.getByRole('heading', { name: '敏感个人信息及其必要性' }).waitFor()
  await shot('webapp-enroll-zh')
  await tab.locator('#language').click()
  await tab.getByRole('heading', { name: 'Get a Net ID' }).waitFor()
  await tab.getByRole('heading', { name: 'What the centre holds' }).waitFor()
  await shot('webapp-enroll-en')

  await tab.getByLabel('Document type').selectOption(env('DOCUMENT_TYPE'))
  await tab.getByLabel('Document number').fill(env('DOCUMENT_NUMBER'))
  await tab.getByLabel('Name (as on the document)').fill(env('NAME'))
  await tab.getByLabel('Enrollment code').fill(env('CODE'))
  // Not sent until the notice is accepted.
  await tab.getByRole('button', { name: 'Enrol and create a passkey' }).click()
  if (!await tab.locator('#enroll-notice').isVisible()) throw new Error('the form was sent without the notice accepted')
  await tab.getByLabel('I have read the notice above').check()
  await tab.getByRole('button', { name: 'Enrol and create a passkey' }).click()
  // Exactly this name: the enrol button's name contains it too.
  await tab.getByRole('button', { name: 'Create a passkey', exact: true }).click()
  await tab.locator('#net-id').waitFor()
  await shot('webapp-enrolled-home-en')
  say({ event: 'home', net_id: (await tab.locator('#net-id').textContent()).trim() })

  // At the platform: approve on the consent screen, giving no plaintext field.
  await tab.goto(`${platform.url}/`)
  await tab.getByRole('link', { name: 'Sign in with netid' }).click()
  await tab.waitForURL(/\/oidc\/authorize\?/)
  await tab.getByRole('link', { name: 'English' }).click()
  await tab.getByRole('button', { name: 'Approve and continue' }).waitFor()
  await shot('consent-newcomer-en')
  await tab.getByRole('button', { name: 'Approve and continue' }).click()
  await tab.waitForURL(`${platform.url}/callback?**`)
  say({ event: 'signed_in', claims: await claimsOn(tab), audited, accessibility: failures })
})
