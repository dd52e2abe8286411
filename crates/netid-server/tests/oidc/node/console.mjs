// The operator console in a real browser: a data-protection officer signs in with their own
// key file (the key stays in the page), adds a passkey with the enrollment code a security
// administrator gave (a virtual authenticator), finds the read another officer asked for in
// the queue, is told to confirm with the passkey first, confirms and approves it, and is
// refused the security events (an auditor's), in Chinese and in English. Every page is
// screenshotted and audited with axe-core.
//
// Environment: NETID_ISSUER (the administration listener's URL, as http://localhost:PORT),
// CONSOLE_KEY_FILE, CONSOLE_PASSKEY_CODE, SCREENSHOTS, CHROMIUM.
// Protocol with the test, one JSON line out at each step:
//   {"event":"signed_in","operator_id":...,"role":...}
//   {"event":"passkey_added","status":...}
//   {"event":"needs_confirmation","code":...}
//   {"event":"approved","request_id":...,"status":...}
//   {"event":"events","refused":code,"audited":[...],"accessibility":[...]}   then exit 0
import { camera, env, hangUp, launchBrowser, phoneTab, say } from './sample-platform.mjs'

const issuer = env('NETID_ISSUER')
const browser = await launchBrowser()
try {
  const tab = await phoneTab(browser, { passkeys: true })
  const { shot, audited, failures } = camera(tab)
  await tab.goto(`${issuer}/console/`)
  await tab.getByRole('heading', { name: '登录' }).waitFor()
  await shot('console-sign-in-zh')
  await tab.locator('#key-file').setInputFiles(env('CONSOLE_KEY_FILE'))
  await tab.locator('#operator-id').filter({ hasText: 'op-' }).waitFor()
  say({ event: 'signed_in', operator_id: (await tab.locator('#operator-id').textContent()).trim(), role: (await tab.locator('#operator-role').textContent()).trim() })

  // The second factor: a passkey, added with the code another security administrator gave.
  await tab.locator('#enrollment-code').fill(env('CONSOLE_PASSKEY_CODE'))
  await shot('console-passkey-zh')
  await tab.getByRole('button', { name: '添加通行密钥' }).click()
  await tab.locator('#confirm-passkey').waitFor()
  say({ event: 'passkey_added', status: (await tab.locator('#status').textContent()).trim() })

  await tab.getByRole('button', { name: '待办事项' }).click()
  const row = tab.locator('tr[data-status="pending"]').first()
  await row.waitFor()
  await shot('console-queue-zh')
  const requestId = await row.getAttribute('data-request')
  await row.getByRole('button', { name: '批准' }).click()
  await tab.locator('#status[data-code]').waitFor()
  say({ event: 'needs_confirmation', code: await tab.locator('#status').getAttribute('data-code') })
  await tab.locator('#confirm-passkey').click()
  await tab.locator('#factor-state[data-confirmed="true"]').waitFor()
  await tab.locator(`tr[data-request="${requestId}"]`).getByRole('button', { name: '批准' }).click()
  await tab.locator(`tr[data-request="${requestId}"][data-status="approved"]`).waitFor()
  say({ event: 'approved', request_id: requestId, status: (await tab.locator('#status').textContent()).trim() })

  // Security events are the auditors' and security administrators': a data-protection
  // officer is told so.
  await tab.locator('#language').click()
  await tab.getByRole('button', { name: 'Security events' }).click()
  const refused = tab.locator('#view p[data-code]')
  await refused.waitFor()
  await shot('console-events-en')
  const code = await refused.getAttribute('data-code')
  await tab.getByRole('button', { name: 'Queue' }).click()
  await tab.locator('tr[data-request]').first().waitFor()
  await shot('console-queue-en')
  say({ event: 'events', refused: code, audited, accessibility: failures })
} catch (error) {
  // The page's own words are the best clue to what went wrong.
  const page = browser.contexts()[0]?.pages()[0]
  const shown = await page?.locator('#status').textContent().catch(() => null)
  const view = await page?.locator('#view').textContent().catch(() => null)
  process.stderr.write(`the page's status line: ${shown}; its view: ${view}\n`)
  throw error
} finally {
  await browser.close()
  hangUp()
}
