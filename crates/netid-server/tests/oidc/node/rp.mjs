// A relying party built on openid-client (panva), spawned by netid-server's
// integration tests. The protocol with the test is in ../README.md:
//   stdout line 1: {"authorization_url": ...}
//   stdin  line 1: the callback URL the holder's approval produced
//   stdout line 2: {"token_type", "id_token_claims", "userinfo"}   exit 0
//   refusal (error=... in the callback): {"error", "error_description"}  exit 2
//   any other failure: a message on stderr                          exit 1
import * as client from 'openid-client'
import { createInterface } from 'node:readline'

function env(name) {
  const value = process.env[name]
  if (!value) throw new Error(`environment variable ${name} is not set`)
  return value
}

function printLine(object) {
  // On Linux, writes to a pipe are synchronous in Node, so the line is out
  // (flushed) before we go on to wait for stdin.
  process.stdout.write(JSON.stringify(object) + '\n')
}

function readLine() {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin })
    let done = false
    rl.once('line', (line) => {
      done = true
      rl.close()
      // Stop reading stdin, so that it does not keep the process alive once the flow ends.
      process.stdin.pause()
      resolve(line.trim())
    })
    rl.once('close', () => {
      if (!done) reject(new Error('stdin closed before a callback URL was given'))
    })
  })
}

async function main() {
  const issuer = new URL(env('NETID_ISSUER'))
  const clientId = env('RP_CLIENT_ID')
  let privateJwk
  try {
    privateJwk = JSON.parse(env('RP_PRIVATE_JWK'))
  } catch {
    // JSON.parse's message quotes the input, which is a private key here.
    throw new Error('RP_PRIVATE_JWK is not valid JSON')
  }
  const redirectUri = env('RP_REDIRECT_URI')
  const scope = env('RP_SCOPE')

  // The client's registered P-256 key, for private_key_jwt. The library signs
  // the client assertion (ES256, kid in the header, aud = the issuer).
  const clientKey = {
    key: await crypto.subtle.importKey(
      'jwk',
      privateJwk,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    ),
    kid: privateJwk.kid,
  }

  // Discovery at {issuer}/.well-known/openid-configuration, with the issuer
  // checked against the document.
  //  - allowInsecureRequests: the tests run netid on plain-HTTP loopback.
  //  - enableNonRepudiationChecks: also verify the ID token's signature
  //    against jwks_uri (by default openid-client trusts the TLS channel to
  //    the token endpoint instead, as OIDC Core 3.1.3.7 allows).
  const config = await client.discovery(
    issuer,
    clientId,
    { id_token_signed_response_alg: 'ES256' },
    client.PrivateKeyJwt(clientKey),
    { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
  )

  const codeVerifier = client.randomPKCECodeVerifier()
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier)
  const state = client.randomState()
  const nonce = client.randomNonce()
  // A fresh DPoP key for this flow. The same handle proves possession at
  // PAR, at the token endpoint and at userinfo, and retries once with a
  // server-provided DPoP-Nonce if asked to (use_dpop_nonce).
  const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))

  // PAR: the library POSTs these (plus client_id, response_type=code and the
  // client assertion) to pushed_authorization_request_endpoint with a DPoP
  // proof header (RFC 9449 section 10.1; it does not send dpop_jkt), then
  // returns authorization_endpoint?client_id=...&request_uri=...
  const authorizationUrl = await client.buildAuthorizationUrlWithPAR(
    config,
    {
      redirect_uri: redirectUri,
      scope,
      state,
      nonce,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    },
    { DPoP: dpop },
  )
  printLine({ authorization_url: authorizationUrl.href })

  const callback = new URL(await readLine())

  // Validates the callback (iss per RFC 9207, which the metadata makes
  // mandatory; state), redeems the code with the PKCE verifier, a client
  // assertion and a DPoP proof, then validates the ID token (signature, iss,
  // aud, exp, iat, nonce). redirect_uri is the callback URL without its query.
  let tokens
  try {
    tokens = await client.authorizationCodeGrant(
      config,
      callback,
      {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      },
      undefined,
      { DPoP: dpop },
    )
  } catch (err) {
    // error=... in an otherwise valid callback (iss and state checked): a refusal.
    if (err instanceof client.AuthorizationResponseError) {
      printLine({ error: err.error, error_description: err.error_description ?? null })
      return 2
    }
    throw err
  }

  const idTokenClaims = tokens.claims()
  // UserInfo: GET with "Authorization: DPoP <token>" and a proof carrying ath;
  // the library checks that its sub equals the ID token's.
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, idTokenClaims.sub, {
    DPoP: dpop,
  })

  // Note: openid-client lowercases token_type ("dpop"); compare case-insensitively.
  printLine({ token_type: tokens.token_type, id_token_claims: idTokenClaims, userinfo })
  return 0
}

// A failure's description for stderr: messages, OAuth error codes and HTTP
// statuses only; never response bodies, tokens or keys.
function describe(err) {
  const parts = []
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    let part = `${e.name}: ${e.message}`
    if (e.code) part += ` [${e.code}]`
    if (e.status) part += ` (HTTP ${e.status})`
    if (e.cause instanceof Response) part += ` (HTTP ${e.cause.status})`
    if (e.error) part += ` error=${e.error}`
    if (e.error_description) part += ` error_description=${JSON.stringify(e.error_description)}`
    if (e instanceof client.WWWAuthenticateChallengeError) {
      for (const c of e.cause) part += ` challenge=${c.scheme} error=${c.parameters.error ?? ''}`
    }
    parts.push(part)
  }
  return parts.join('\n  caused by ')
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    process.stderr.write(`rp (openid-client): ${describe(err)}\n`)
    process.exitCode = 1
  },
)
