// What the browser tests share: a sample platform (an openid-client relying party on
// node:http, asking for `openid age_over_18 name`), Debian's Chromium under playwright-core,
// and the one-JSON-line-each-way channel with the Rust test that spawned the script.
import * as client from 'openid-client'
import { chromium } from 'playwright-core'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'

export function env(name, fallback) {
  const value = process.env[name] ?? fallback
  if (!value) throw new Error(`environment variable ${name} is not set`)
  return value
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()

/** The next line from the test (it writes one when it has done its part). */
export async function nextLine() {
  const { value, done } = await lines.next()
  if (done) throw new Error('stdin closed')
  return value
}

/** Tells the test something, as one line of JSON. */
export const say = (object) => process.stdout.write(JSON.stringify(object) + '\n')

/** Stops listening to the test, so the process can end. */
export const hangUp = () => process.stdin.pause()

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const page = (title, body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`

/** Starts the sample platform at http://127.0.0.1:`port`; one signed-in visitor at a time. */
export async function startPlatform({ issuer, clientId, privateJwk, port }) {
  const platform = `http://127.0.0.1:${port}`
  const redirectUri = `${platform}/callback`
  const config = await client.discovery(
    new URL(issuer),
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

  async function route(request) {
    const url = new URL(request.url, platform)
    if (url.pathname === '/') {
      return page('Example Platform (sample)', '<p><a href="/login">Sign in with netid</a></p>')
    }
    if (url.pathname === '/login') {
      pending = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce() }
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
        if (result === null) response.writeHead(404).end()
        else if (typeof result === 'object') response.writeHead(302, { location: result.redirect }).end()
        else response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(result)
      },
      (error) => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`platform error: ${error.error ?? error.message}`)
      },
    )
  })
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { url: platform, close: () => server.close() }
}

/**
 * Debian's Chromium as the environment's notes say it runs here: headless, no sandbox as
 * root, no background networking (the machine has no internet).
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: env('CHROMIUM', '/usr/bin/chromium'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** The platform's page of claims, parsed. */
export async function claimsOn(tab) {
  return JSON.parse(await tab.locator('#claims').textContent())
}

/** The sample platform as the test's environment describes it (NETID_ISSUER, RP_*). */
export function platformFromEnv() {
  return startPlatform({
    issuer: env('NETID_ISSUER'),
    clientId: env('RP_CLIENT_ID'),
    privateJwk: JSON.parse(env('RP_PRIVATE_JWK')),
    port: Number(env('RP_PORT')),
  })
}

/**
 * A phone-sized tab whose page errors show in the test's output; with `passkeys`, in a context
 * with a virtual platform authenticator whose PIN or biometric the holder always passes.
 */
export async function phoneTab(browser, { passkeys = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  const tab = await context.newPage()
  tab.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`))
  tab.on('console', (message) => {
    if (message.type() === 'error') process.stderr.write(`page console: ${message.text()}\n`)
  })
  if (passkeys) {
    const cdp = await context.newCDPSession(tab)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    })
  }
  return tab
}

/**
 * Runs `steps` with the sample platform and a browser, then closes both and stops listening to
 * the test. A failing step also reports the page's status line, the best clue to what went wrong.
 */
export async function runInBrowser(steps) {
  const platform = await platformFromEnv()
  const browser = await launchBrowser()
  try {
    await steps(platform, browser)
  } catch (error) {
    const shown = await browser.contexts()[0]?.pages()[0]?.locator('#status').textContent().catch(() => null)
    if (shown) process.stderr.write(`the page's status line: ${shown}\n`)
    throw error
  } finally {
    await browser.close()
    platform.close()
    hangUp()
  }
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/**
 * The WCAG 2.1 A and AA failures axe-core finds on the tab's page, each as
 * `{ page, rule, impact, nodes }`. The script is evaluated through the DevTools protocol, which
 * the page's content security policy does not govern.
 */
async function accessibilityFailures(tab, page) {
  if (!await tab.evaluate(() => 'axe' in window)) await tab.evaluate(`${axeSource};0`)
  const results = await tab.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }))
  return results.violations.map((violation) => ({ page, rule: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => node.target.join(' ')) }))
}

/**
 * `shot(name)` saves a screenshot of the tab's page as $SCREENSHOTS/name.png and, for netid's
 * own pages (under $NETID_ISSUER; the sample platform's are the test's), runs the
 * accessibility audit: `audited` names the pages, `failures` gathers what was found.
 */
export function camera(tab) {
  const issuer = env('NETID_ISSUER')
  const screenshots = env('SCREENSHOTS')
  const audited = []
  const failures = []
  const shot = async (name) => {
    await tab.screenshot({ path: `${screenshots}/${name}.png`, fullPage: true })
    if (!tab.url().startsWith(issuer)) return
    audited.push(name)
    failures.push(...await accessibilityFailures(tab, name))
  }
  return { shot, audited, failures }
}
