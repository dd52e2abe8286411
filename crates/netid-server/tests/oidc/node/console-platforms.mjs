// The operator console's complaints and platforms pages in a real browser: a system
// administrator signs in with their own key file, upholds a holder's complaint about a
// platform, asks to suspend the platform with a public reason, waits while a
// second system administrator approves (the test, through the API), carries the act out from
// the queue, and sees the platform suspended, in Chinese and in English. Every page is
// screenshotted and audited with axe-core.
//
// Environment: NETID_ISSUER (the administration listener's URL), CONSOLE_KEY_FILE,
// CONSOLE_PLATFORM (the client id), SCREENSHOTS, CHROMIUM.
// Protocol with the test, one JSON line out at each step, one line in:
//   {"event":"upheld","text":...}                 the complaint's words as the page showed them
//   {"event":"asked","request_id":...}            <- "approved" once a second one approved
//   {"event":"suspended","standing":...,"audited":[...],"accessibility":[...]}   then exit 0
import { camera, env, hangUp, launchBrowser, nextLine, phoneTab, say } from './sample-platform.mjs'

const issuer = env('NETID_ISSUER')
const platform = env('CONSOLE_PLATFORM')
const browser = await launchBrowser()
try {
  const tab = await phoneTab(browser)
  const { shot, audited, failures } = camera(tab)
  await tab.goto(`${issuer}/console/`)
  await tab.locator('#key-file').setInputFiles(env('CONSOLE_KEY_FILE'))
  await tab.locator('#operator-id').filter({ hasText: 'op-' }).waitFor()

  // The complaint: its words shown, never who wrote them; upheld, with the action.
  await tab.getByRole('button', { name: '投诉' }).click()
  const complaint = tab.locator('tr[data-complaint][data-status="received"]').first()
  await complaint.waitFor()
  await shot('console-complaints-zh')
  const words = await complaint.locator('td').nth(3).textContent()
  await tab.locator('#complaint-status').selectOption('upheld')
  await tab.locator('#complaint-resolution').fill('投诉成立，已申请暂停该平台（合成测试）')
  await tab.locator('#complaint-action').selectOption('suspension')
  await tab.getByRole('button', { name: '保存' }).click()
  await tab.locator('tr[data-complaint][data-status="upheld"]').waitFor()
  say({ event: 'upheld', text: words })

  await tab.getByRole('button', { name: '平台', exact: true }).click()
  await tab.locator(`tr[data-platform="${platform}"][data-status="active"]`).waitFor()
  await tab.locator('#status-platform').selectOption(platform)
  await tab.locator('#status-new').selectOption('suspended')
  await tab.locator('#status-reason').fill('投诉成立：向已核验用户索要证件号码（合成测试）')
  await shot('console-platforms-zh')
  await tab.getByRole('button', { name: '提出申请' }).click()
  await tab.locator('#status[data-request]').waitFor()
  const requestId = await tab.locator('#status').getAttribute('data-request')
  say({ event: 'asked', request_id: requestId })
  if ((await nextLine()) !== 'approved') throw new Error('the test did not approve')

  await tab.getByRole('button', { name: '待办事项' }).click()
  const row = tab.locator(`tr[data-request="${requestId}"][data-status="approved"]`)
  await row.waitFor()
  await row.getByRole('button', { name: '执行' }).click()
  await tab.locator('#view pre').waitFor()
  const standing = JSON.parse(await tab.locator('#view pre').textContent())

  await tab.locator('#language').click()
  await tab.getByRole('button', { name: 'Platforms' }).click()
  await tab.locator(`tr[data-platform="${platform}"][data-status="suspended"]`).waitFor()
  await shot('console-platforms-en')
  say({ event: 'suspended', standing, audited, accessibility: failures })
} catch (error) {
  const page = browser.contexts()[0]?.pages()[0]
  const shown = await page?.locator('#status').textContent().catch(() => null)
  const view = await page?.locator('#view').textContent().catch(() => null)
  process.stderr.write(`the page's status line: ${shown}; its view: ${view}\n`)
  throw error
} finally {
  await browser.close()
  hangUp()
}
