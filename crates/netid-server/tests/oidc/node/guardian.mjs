// A guardian in the web app: they open the link their wallet gave, create a passkey, and read
// their history, where their minor ward's entries and platforms are shown and checked in the
// page. Screenshots and accessibility audits in both languages.
//
// Environment: NETID_ISSUER, LINK_URL, RP_CLIENT_ID, RP_PRIVATE_JWK, RP_PORT, SCREENSHOTS,
// CHROMIUM.
// Protocol with the test, one JSON line out:
//   {"event":"history","own":[[kind, proof]...],"wards":[{"platforms":[...],"entries":[[kind, proof]...]}],
//    "audited":[...],"accessibility":[...]}
//   {"event":"approved","approved":[client_id...]}  then exit 0; any failure: exit 1
import { camera, env, phoneTab, runInBrowser, say } from './sample-platform.mjs'

const issuer = env('NETID_ISSUER')
await runInBrowser(async (_platform, browser) => {
  const tab = await phoneTab(browser, { passkeys: true })
  const { shot, audited, failures } = camera(tab)
  await tab.goto(env('LINK_URL'))
  await tab.getByRole('button', { name: '创建通行密钥' }).click()
  await tab.locator('#net-id').waitFor()

  await tab.goto(`${issuer}/app/#history`)
  await tab.getByRole('heading', { name: '我监护的未成年人' }).waitFor()
  await shot('webapp-guardian-history-zh')
  await tab.locator('#language').click()
  await tab.getByRole('heading', { name: 'Minors in my care' }).waitFor()
  await shot('webapp-guardian-history-en')

  const entries = (list) => list.locator(':scope > li[data-kind]').evaluateAll((items) => items.map((item) => [item.dataset.kind, item.dataset.proof]))
  const wards = []
  for (const ward of await tab.locator('section.ward').all()) {
    wards.push({
      platforms: await ward.locator('ul.platforms > li').allTextContents(),
      entries: await entries(ward.locator('ul.entries')),
    })
  }
  const own = await entries(tab.locator('main > ul.entries'))
  say({ event: 'history', own, wards, audited, accessibility: failures })

  // The guardian approves another platform for the child, in the child's section.
  const second = env('SECOND_CLIENT_ID')
  await tab.locator('section.ward').first().getByLabel("Approve a platform for this child").fill(second)
  await tab.locator('section.ward').first().getByRole('button', { name: 'Approve', exact: true }).click()
  await tab.locator('section.ward ul.approved > li', { hasText: second }).waitFor()
  say({ event: 'approved', approved: await tab.locator('section.ward ul.approved > li').allTextContents() })
})
