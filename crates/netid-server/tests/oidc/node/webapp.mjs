// The holder web app in a real browser, with a WebAuthn virtual authenticator: the holder
// opens the link their wallet gave, creates a passkey, signs out and in again with it, signs
// in at the sample platform and approves on the consent screen with the name ticked, sees the
// disclosure in their history, withdraws the consent, and finally deletes their data. Each
// page is screenshotted in Chinese and English.
//
// Environment: NETID_ISSUER (http://localhost:PORT, the service's public URL), LINK_URL,
// RP_CLIENT_ID, RP_PRIVATE_JWK, RP_PORT, SCREENSHOTS, CHROMIUM.
// Protocol with the test, one JSON line out at each step:
//   {"event":"home","net_id":...}
//   {"event":"offer","offer_uri":...,"tx_code":...,"qr_modules":n}   (a credential offer shown)
//   {"event":"signed_in","claims":{...}}
//   {"event":"history","kinds":[...],"proofs":[...],"retention":{"en":...,"zh":...},"kept":[kind...],
//    "tampered":{"proof":...,"checkpoint":...}}
//   {"event":"profile","claims":{...}}              (after the withdrawal)
//   {"event":"security","passkeys":n,"sessions_before":n,"sessions":n,"kinds":[...]}
//                                                   (listed, the other sign-in ended, then the
//                                                   passkey removed; the history's kinds after)
//   {"event":"lock","kinds":[...]}
//   {"event":"deleted","signed_in_after":bool,"references":[...],"audited":[...],"accessibility":[...]}
//                                                   (references: of the platforms' receipts)
//                                                   then exit 0; any failure: exit 1
// Every page is also audited with axe-core (WCAG 2.1 A and AA) in both languages.
import { camera, claimsOn, env, phoneTab, runInBrowser, say } from './sample-platform.mjs'

const issuer = env('NETID_ISSUER')
await runInBrowser(async (platform, browser) => {
  const tab = await phoneTab(browser, { passkeys: true })
  const { shot, audited, failures } = camera(tab)
  // Screenshots of the page in the language it is in, then in the other, and back.
  const bothLanguages = async (name) => {
    const first = (await tab.locator('html').getAttribute('lang')) === 'en' ? 'en' : 'zh'
    const second = first === 'en' ? 'zh' : 'en'
    await shot(`${name}-${first}`)
    await tab.locator('#language').click()
    await tab.waitForFunction((lang) => document.documentElement.lang.startsWith(lang), second)
    await shot(`${name}-${second}`)
    await tab.locator('#language').click()
    await tab.waitForFunction((lang) => document.documentElement.lang.startsWith(lang), first)
  }

  // The link from the wallet; the page is in Chinese by default.
  await tab.goto(env('LINK_URL'))
  await tab.getByRole('button', { name: '创建通行密钥' }).waitFor()
  await bothLanguages('webapp-link')
  await tab.getByRole('button', { name: '创建通行密钥' }).click()
  await tab.locator('#net-id').waitFor()
  await bothLanguages('webapp-home')
  say({ event: 'home', net_id: (await tab.locator('#net-id').textContent()).trim() })

  // Signed out, then in again with the passkey alone.
  await tab.getByRole('button', { name: '退出' }).click()
  await tab.getByRole('button', { name: '用通行密钥登录' }).waitFor()
  await bothLanguages('webapp-sign-in')
  await tab.getByRole('button', { name: '用通行密钥登录' }).click()
  await tab.locator('#net-id').waitFor()
  await tab.locator('#language').click() // English from here on
  await tab.getByRole('heading', { name: 'My Net ID' }).waitFor()
  await tab.getByRole('heading', { name: 'My certificates' }).waitFor()

  // Net Certificates into a wallet app: the offer as a QR code and a link, the code apart.
  await tab.getByRole('button', { name: 'Make an offer' }).click()
  await tab.locator('#tx-code').waitFor()
  await shot('webapp-offer-en')
  say({
    event: 'offer',
    offer_uri: await tab.locator('#offer-link').getAttribute('href'),
    tx_code: (await tab.locator('#tx-code').textContent()).trim(),
    qr_modules: await tab.locator('svg.qr rect').count(),
  })

  // The platform: the consent screen knows the holder is signed in and asks field by field.
  await tab.goto(`${platform.url}/`)
  await tab.getByRole('link', { name: 'Sign in with netid' }).click()
  await tab.waitForURL(/\/oidc\/authorize\?/)
  await shot('consent-signed-in-zh')
  await tab.getByRole('link', { name: 'English' }).click()
  await tab.waitForURL(/lang=en/)
  await shot('consent-signed-in-en')
  const nameBox = tab.getByRole('checkbox', { name: 'Name' })
  if (await nameBox.isChecked()) throw new Error('a plaintext field was ticked by default')
  await nameBox.check()
  await tab.getByRole('button', { name: 'Approve and continue' }).click()
  await tab.waitForURL(`${platform.url}/callback?**`)
  await shot('platform-signed-in-with-passkey')
  say({ event: 'signed_in', claims: await claimsOn(tab) })

  // The history shows the disclosure, each entry with the outcome of its check in the page.
  await tab.goto(`${issuer}/app/#history`)
  await tab.locator('li[data-kind="disclosure"]').first().waitFor()
  await bothLanguages('webapp-history')
  const entries = () => tab.locator('li[data-kind]').evaluateAll((items) => items.map((item) => [item.dataset.kind, item.dataset.proof]))
  const checked = await entries()
  // What the centre keeps, in both languages, and which entries it will forget.
  const retention = { en: await tab.locator('#retention').textContent() }
  await tab.locator('#language').click()
  await tab.waitForFunction(() => document.documentElement.lang.startsWith('zh'))
  retention.zh = await tab.locator('#retention').textContent()
  await tab.locator('#language').click()
  await tab.waitForFunction(() => document.documentElement.lang.startsWith('en'))
  const kept = await tab.locator('li[data-kind]:has(.kept-until)').evaluateAll((items) => items.map((item) => item.dataset.kind))
  // The same history altered on its way to the page: first one proof hash, then the
  // checkpoint's size. The page must say so.
  const tamperWith = (change) => tab.route('**/app/api/history', async (route) => {
    const response = await route.fetch()
    const log = await response.json()
    change(log)
    await route.fulfill({ response, json: log })
  })
  await tamperWith((log) => { log.entries[0].proof[0] = (log.entries[0].proof[0][0] === 'A' ? 'B' : 'A') + log.entries[0].proof[0].slice(1) })
  await tab.reload()
  await tab.locator('li[data-proof="not_included"]').first().waitFor()
  await shot('webapp-history-tampered-proof-en')
  const tamperedProof = (await entries())[0][1]
  await tab.unroute('**/app/api/history')
  await tamperWith((log) => { log.checkpoint = log.checkpoint.replace(/\n(\d+)\n/, (_, size) => `\n${Number(size) + 1}\n`) })
  await tab.reload()
  await tab.locator('#checkpoint-failed').waitFor()
  await shot('webapp-history-tampered-checkpoint-en')
  // The reason the page gives, if it then left every entry unchecked.
  const tamperedCheckpoint = (await entries()).every(([, proof]) => proof === 'unchecked') && await tab.locator('#checkpoint-failed').getAttribute('data-reason')
  await tab.unroute('**/app/api/history')
  say({
    event: 'history',
    kinds: checked.map(([kind]) => kind),
    proofs: checked.map(([, proof]) => proof),
    retention,
    kept,
    tampered: { proof: tamperedProof, checkpoint: tamperedCheckpoint },
  })

  // The notice, and the platform's published profile.
  await tab.goto(`${issuer}/app/#notice`)
  await tab.getByRole('heading', { name: 'Notice' }).waitFor()
  await bothLanguages('webapp-notice')

  // The consent, withdrawn from the home page; the platform's next request has no name.
  await tab.goto(`${issuer}/app/#home`)
  await tab.getByRole('button', { name: /^Withdraw: / }).click()
  await tab.getByText('Withdrawn.').waitFor()
  await tab.getByText('You have no live consent with any platform.').waitFor()
  await bothLanguages('webapp-consent-withdrawn')
  await tab.goto(`${platform.url}/profile`)
  say({ event: 'profile', claims: await claimsOn(tab) })

  // Passkeys and sign-ins: a second sign-in made from this page (as another device would),
  // both listed on the home page, the other one ended, then the passkey removed and the
  // removal in the history.
  await tab.goto(`${issuer}/app/#home`)
  await tab.locator('#security').waitFor()
  const second = await tab.evaluate(async () => {
    const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const post = async (path, body) => (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()
    const { challenge, rp_id } = await post('/app/api/challenge', {})
    const raw = Uint8Array.from(atob(challenge.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
    const credential = await navigator.credentials.get({ publicKey: { challenge: raw, rpId: rp_id, userVerification: 'required' } })
    return await post('/app/api/session', {
      challenge,
      credential_id: b64(credential.rawId),
      client_data_json: b64(credential.response.clientDataJSON),
      authenticator_data: b64(credential.response.authenticatorData),
      signature: b64(credential.response.signature),
    })
  })
  if (!second.signed_in) throw new Error(`the second sign-in failed: ${JSON.stringify(second)}`)
  await tab.reload()
  await tab.locator('#security tr[data-session]').nth(1).waitFor()
  const sessionsBefore = await tab.locator('#security tr[data-session]').count()
  await tab.locator('#security tr[data-session]').filter({ hasNotText: '(this one)' }).getByRole('button', { name: /^End: Sign-in / }).click()
  await tab.getByText('Sign-in ended.').waitFor()
  await tab.locator('#security tr[data-passkey]').first().waitFor()
  const listed = {
    passkeys: await tab.locator('#security tr[data-passkey]').count(),
    sessions_before: sessionsBefore,
    sessions: await tab.locator('#security tr[data-session]').count(),
  }
  await bothLanguages('webapp-security')
  await tab.getByRole('button', { name: /^Remove: Passkey / }).click()
  await tab.getByText('You have no passkey.').waitFor()
  await tab.goto(`${issuer}/app/#history`)
  await tab.locator('li[data-kind="passkey_removed"]').first().waitFor()
  const kindsAfter = await tab.locator('li[data-kind]').evaluateAll((items) => items.map((item) => item.dataset.kind))
  say({ event: 'security', ...listed, kinds: kindsAfter })

  // The record the service holds, opened for the holder when they ask.
  await tab.goto(`${issuer}/app/#home`)
  await tab.getByRole('button', { name: 'Show my record' }).click()
  await tab.locator('#record table').waitFor()
  const recordText = await tab.locator('#record').textContent()
  // A correction asked for, in the holder's words; the record lists it as open.
  await tab.getByLabel('What is wrong, and what is right').fill('My name is written wrongly (synthetic)')
  await tab.getByRole('button', { name: 'Ask the authority to correct it' }).click()
  await tab.locator('#corrections li[data-correction="open"]').waitFor()
  const correction = await tab.locator('#corrections li').first().textContent()

  // The platform's published profile: its commitments, and a complaint about it, sent from
  // the page (issue 25); the record then lists it.
  await tab.goto(`${issuer}/app/#profile=${encodeURIComponent(env('RP_CLIENT_ID'))}`)
  await tab.locator('#commitments').waitFor()
  const commitments = await tab.locator('#commitments').getAttribute('data-declared')
  // (A change of language draws the page anew, so the form is filled after.)
  await bothLanguages('webapp-profile')
  await tab.getByLabel('What the platform did').selectOption('extra_plaintext')
  await tab.getByLabel('What happened').fill('It asked me for a photo of my ID card after the check (synthetic)')
  await tab.getByRole('button', { name: 'Send the complaint' }).click()
  await tab.locator('#status[data-complaint]').waitFor()
  const complaint = await tab.locator('#status').getAttribute('data-complaint')
  await tab.goto(`${issuer}/app/#home`)
  await tab.getByRole('button', { name: 'Show my record' }).click()
  await tab.locator('#complaints li[data-complaint="received"]').waitFor()

  // The lock: stated plainly, one button to lock and one to unlock; both in the history.
  await tab.getByRole('button', { name: 'Lock my Net ID' }).click()
  await tab.locator('#lock[data-locked="true"]').waitFor()
  await tab.getByText('Your Net ID is locked.').waitFor()
  await bothLanguages('webapp-locked')
  await tab.getByRole('button', { name: 'Unlock my Net ID' }).click()
  await tab.locator('#lock[data-locked="false"]').waitFor()
  await tab.goto(`${issuer}/app/#history`)
  await tab.locator('li[data-kind="net_id_unlocked"]').first().waitFor()
  const lockKinds = await tab.locator('li[data-kind]').evaluateAll((items) => items.map((item) => item.dataset.kind))
  say({ event: 'lock', kinds: lockKinds, record: recordText, correction, complaint, commitments })

  // Deletion, with its consequences stated before the holder confirms.
  await tab.goto(`${issuer}/app/#delete`)
  await tab.getByRole('heading', { name: 'Delete my data' }).waitFor()
  await bothLanguages('webapp-delete')
  await tab.getByLabel('Type "delete my data" to confirm').fill('delete my data')
  await tab.getByRole('button', { name: 'Delete for good' }).click()
  await tab.getByRole('heading', { name: 'Your data is deleted.' }).waitFor()
  await shot('webapp-deleted-en')
  const references = await tab.locator('#receipt-references li').allTextContents()
  // The passkey no longer signs anyone in.
  await tab.goto(`${issuer}/app/#home`)
  await tab.getByRole('button', { name: 'Sign in with a passkey' }).click()
  await tab.getByRole('status').filter({ hasText: 'Something went wrong' }).waitFor()
  const signedInAfter = await tab.locator('#net-id').count()
  say({ event: 'deleted', signed_in_after: signedInAfter > 0, references, audited, accessibility: failures })
})
