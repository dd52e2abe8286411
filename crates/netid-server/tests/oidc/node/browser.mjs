// A sample platform (an openid-client relying party on node:http) and a real browser
// (Debian's Chromium, driven by playwright-core), spawned by netid-server's browser test.
// The holder signs in at the platform, reads netid's consent screen in both languages,
// answers with their wallet (the Rust test does that), continues in the browser, and the
// platform shows what it received. Screenshots of each page go to SCREENSHOTS.
//
// Protocol with the test, one JSON line each way:
//   out {"event":"consent_screen","url":...,"zh_heading":...,"en_heading":...}
//   in  (any line) once the holder answered
//   out {"event":"signed_in","claims":{...}}
//   in  (any line) once the holder withdrew their consent
//   out {"event":"profile","claims":{...}}          then exit 0; any failure: exit 1
import * as client from 'openid-client'
import { chromium } from 'playwright-core'
import { createServer } from 'node:http'
import { createInterface } from 'node:readline'

function env(name, fallback) {
  const value = process.env[name] ?? fallback
  if (!value) throw new Error(`environment variable ${name} is not set`)
  return value
}

const issuer = new URL(env('NETID_ISSUER'))
const clientId = env('RP_CLIENT_ID')
const privateJwk = JSON.parse(env('RP_PRIVATE_JWK'))
const port = Number(env('RP_PORT'))
const screenshots = env('SCREENSHOTS')
const platform = `http://127.0.0.1:${port}`
const redirectUri = `${platform}/callback`

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
async function nextLine() {
  const { value, done } = await lines.next()
  if (done) throw new Error('stdin closed')
  return value
}
const say = (object) => process.stdout.write(JSON.stringify(object) + '\n')

// The platform: one signed-in visitor at a time is enough for a sample.
const config = await client.discovery(
  issuer,
  clientId,
  { id_token_signed_response_alg: 'ES256' },
  client.PrivateKeyJwt({
    key: await crypto.subtle.importKey('jwk', privateJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']),
    kid: privateJwk.kid,
  }),
  { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
)
const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
let pending = null
let session = null

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const page = (title, body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`

async function route(request) {
  const url = new URL(request.url, platform)
  if (url.pathname === '/') {
    return page('Example Platform (sample)', '<p><a href="/login">Sign in with netid</a></p>')
  }
  if (url.pathname === '/login') {
    pending = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
    }
    const target = await client.buildAuthorizationUrlWithPAR(
      config,
      {
        redirect_uri: redirectUri,
        scope: 'openid age_over_18 name',
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
      },
      { DPoP: dpop },
    )
    return { redirect: target.href }
  }
  if (url.pathname === '/callback') {
    const tokens = await client.authorizationCodeGrant(
      config,
      url,
      { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce },
      undefined,
      { DPoP: dpop },
    )
    const claims = tokens.claims()
    session = { token: tokens.access_token, sub: claims.sub }
    return page('Signed in with netid', `<pre id="claims">${escape(JSON.stringify(claims, null, 1))}</pre>`)
  }
  if (url.pathname === '/profile') {
    const claims = await client.fetchUserInfo(config, session.token, session.sub, { DPoP: dpop })
    return page('What netid tells us now', `<pre id="claims">${escape(JSON.stringify(claims, null, 1))}</pre>`)
  }
  return null
}

const server = createServer((request, response) => {
  route(request).then(
    (result) => {
      if (result === null) {
        response.writeHead(404).end()
      } else if (typeof result === 'object') {
        response.writeHead(302, { location: result.redirect }).end()
      } else {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(result)
      }
    },
    (error) => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`platform error: ${error.error ?? error.message}`)
    },
  )
})
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))

// The browser, as the environment's notes say Chromium runs here: headless, no sandbox as
// root, and no background networking (the machine has no internet).
const browser = await chromium.launch({
  executablePath: env('CHROMIUM', '/usr/bin/chromium'),
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
try {
  const tab = await browser.newPage({ viewport: { width: 390, height: 844 } }) // a phone-sized screen
  await tab.goto(`${platform}/`)
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
  await tab.waitForURL(`${platform}/callback?**`)
  await tab.screenshot({ path: `${screenshots}/platform-signed-in.png`, fullPage: true })
  say({ event: 'signed_in', claims: JSON.parse(await tab.locator('#claims').textContent()) })

  await nextLine()
  await tab.goto(`${platform}/profile`)
  await tab.screenshot({ path: `${screenshots}/platform-after-withdrawal.png`, fullPage: true })
  say({ event: 'profile', claims: JSON.parse(await tab.locator('#claims').textContent()) })
} finally {
  await browser.close()
  server.close()
  process.stdin.pause()
}
