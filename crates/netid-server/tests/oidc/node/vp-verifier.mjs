// An OpenID4VP 1.0 verifier written apart from netid, on @openid4vc/openid4vp 0.4.6, the dcql
// package and jose: it signs a request object under its X.509 certificate (client identifier
// `x509_hash:…`), asking by DCQL for a Net Certificate and the claims it is given, serves it
// by reference, takes the wallet's one answer (encrypted to a fresh key for direct_post.jwt),
// lets the library check state and the vp_token's shape, and checks the SD-JWT VC itself:
// the issuer's signature under netid's published keys, every disclosure, exactly the claims
// asked, and the key binding to its client identifier and nonce.
//
// Environment: ISSUER (netid), CERT_PEM (leaf first, then its CA chain), KEY_PEM (the leaf's
// PKCS#8 P-256 key), MODE (direct_post | direct_post.jwt), CLAIMS (comma-separated, may be empty).
// Prints one JSON line per step, then exits 0 (non-zero only on a fault of its own):
//   {"event":"request","link":"openid4vp://?client_id=…&request_uri=…","client_id":…}
//   {"event":"verified","claims":{name: value}} | {"event":"refused","reason":…} | {"event":"timeout"}
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { Openid4vpVerifier, calculateX509HashClientIdPrefixValue } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/oauth2'
import { DcqlPresentationResult, DcqlQuery } from 'dcql'
import * as jose from 'jose'
import { env, say } from './sample-platform.mjs'

// The tests run netid and this verifier on plain http on loopback.
setGlobalConfig({ allowInsecureUrls: true })
const b64u = (bytes) => Buffer.from(bytes).toString('base64url')
const sha256 = (data) => createHash('sha256').update(data).digest()

const issuer = env('ISSUER')
const mode = env('MODE')
if (mode !== 'direct_post' && mode !== 'direct_post.jwt') throw new Error(`MODE ${mode}`)
const asked = (process.env.CLAIMS ?? '').split(',').map((name) => name.trim()).filter(Boolean)
const VCT = 'urn:netid:vct:net-certificate:1'
const QUERY_ID = 'net_certificate'

const chain = (readFileSync(env('CERT_PEM'), 'utf8')
  .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [])
  .map((pem) => new X509Certificate(pem))
if (chain.length === 0) throw new Error('CERT_PEM holds no certificate')
const signingKey = await jose.importPKCS8(readFileSync(env('KEY_PEM'), 'utf8'), 'ES256', { extractable: true })
const leafJwk = await jose.exportJWK(chain[0].publicKey)
// A key that is not the leaf's would only show up as a wallet refusing the request.
const { x, y } = await jose.exportJWK(signingKey)
if (leafJwk.x !== x || leafJwk.y !== y) throw new Error('KEY_PEM is not the key of the first certificate in CERT_PEM')

// The ephemeral key the wallet encrypts its answer to (direct_post.jwt only).
const encryption = mode === 'direct_post.jwt' ? await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true }) : null
const encryptionJwk = encryption
  ? { ...(await jose.exportJWK(encryption.publicKey)), use: 'enc', alg: 'ECDH-ES', kid: `enc-${b64u(randomBytes(8))}` }
  : null
const encValues = ['A128GCM', 'A256GCM']

/** A check the wallet's answer failed: the wallet's fault, answered 400. */
class Refusal extends Error {}
const refuse = (reason) => { throw new Refusal(reason) }
/** Runs a check on what the wallet sent: whatever it throws counts against the wallet. */
async function checked(what, run) {
  try {
    return await run()
  } catch (error) {
    throw error instanceof Refusal ? error : new Refusal(`${what}: ${String(error.message).split('\n')[0]}`)
  }
}

const callbacks = {
  fetch,
  hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
  signJwt: async (signer, { header, payload }) => {
    if (signer.method !== 'x5c' || header.alg !== 'ES256') throw new Error(`cannot sign as ${signer.method} ${header.alg}`)
    const jwt = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(signingKey)
    return { jwt, signerJwk: leafJwk }
  },
  decryptJwe: async (jwe) => {
    // Only our one key, named by its kid (OpenID4VP 1.0 §8.3), only the algorithms we announced;
    // the library hands over no key when the kid is not ours, so this is checked here.
    if (!encryption) return { decrypted: false }
    const header = await checked('JWE header', () => jose.decodeProtectedHeader(jwe))
    if (header.kid !== encryptionJwk.kid) refuse(`JWE kid ${header.kid} is not our key's`)
    const { plaintext } = await checked('JWE', () => jose.compactDecrypt(jwe, encryption.privateKey, {
      keyManagementAlgorithms: ['ECDH-ES'],
      contentEncryptionAlgorithms: encValues,
    }))
    return { decrypted: true, decryptionJwk: encryptionJwk, payload: new TextDecoder().decode(plaintext) }
  },
  // OpenID4VP 1.0 answers are encrypted, not signed: a signed JARM response is refused.
  verifyJwt: async () => ({ verified: false }),
  encryptJwe: async () => { throw new Error('this verifier encrypts no requests') },
}
const verifier = new Openid4vpVerifier({ callbacks })

const server = createServer()
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${server.address().port}`

const clientId = `x509_hash:${await calculateX509HashClientIdPrefixValue({ x509Certificate: chain[0].raw, hash: callbacks.hash })}`
const query = {
  credentials: [{
    id: QUERY_ID,
    format: 'dc+sd-jwt',
    meta: { vct_values: [VCT] },
    ...(asked.length ? { claims: asked.map((name) => ({ path: [name] })) } : {}),
  }],
}
// Parsing fills in defaults (multiple, require_cryptographic_holder_binding); the wire keeps the query as written.
const dcqlQuery = DcqlQuery.parse(query)
DcqlQuery.validate(dcqlQuery)
const created = await verifier.createOpenId4vpAuthorizationRequest({
  authorizationRequestPayload: {
    client_id: clientId,
    response_type: 'vp_token',
    response_mode: mode,
    response_uri: `${base}/response`,
    nonce: b64u(randomBytes(16)),
    state: b64u(randomBytes(16)),
    dcql_query: query,
    client_metadata: {
      vp_formats_supported: { 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] } },
      ...(encryption ? { jwks: { keys: [encryptionJwk] }, encrypted_response_enc_values_supported: encValues } : {}),
    },
  },
  jar: {
    requestUri: `${base}/request`,
    jwtSigner: { method: 'x5c', alg: 'ES256', x5c: chain.map((certificate) => certificate.raw.toString('base64')) },
    additionalJwtPayload: { aud: 'https://self-issued.me/v2' },
    expiresInSeconds: 300,
  },
})
const request = created.authorizationRequestPayload
const requestJwt = created.jar.authorizationRequestJwt

/** netid's published keys; a fault of ours or netid's if they cannot be had. */
async function issuerKeys() {
  const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/jwt-vc-issuer`)
  if (!response.ok) throw new Error(`jwt-vc-issuer metadata: HTTP ${response.status}`)
  const metadata = await response.json()
  if (metadata.issuer !== issuer) refuse(`jwt-vc-issuer metadata names issuer ${metadata.issuer}`)
  if (!Array.isArray(metadata.jwks?.keys)) refuse('jwt-vc-issuer metadata has no jwks.keys')
  return metadata.jwks.keys
}

/** One SD-JWT VC presentation, checked; its vct and the claims it discloses. */
async function verifyPresentation(presentation) {
  if (typeof presentation !== 'string') refuse('a dc+sd-jwt presentation is a string')
  const cut = presentation.lastIndexOf('~')
  const presented = presentation.slice(0, cut + 1)
  const kbJwt = presentation.slice(cut + 1)
  if (cut < 0 || !kbJwt) refuse('the presentation carries no KB-JWT')
  const [issuerJwt, ...disclosures] = presented.slice(0, -1).split('~')

  const { kid } = await checked('issuer JWT header', () => jose.decodeProtectedHeader(issuerJwt))
  const jwk = (await issuerKeys()).find((key) => key.kid === kid && key.kty === 'EC' && key.crv === 'P-256' && (key.alg ?? 'ES256') === 'ES256' && key.use !== 'enc')
  if (!kid || !jwk) refuse(`no ES256 P-256 key of the issuer has kid ${kid}`)
  const { payload } = await checked('issuer JWT', async () => jose.jwtVerify(issuerJwt, await jose.importJWK(jwk, 'ES256'), {
    algorithms: ['ES256'], typ: 'dc+sd-jwt', issuer, requiredClaims: ['vct', 'cnf'],
  }))
  if (payload.vct !== VCT) refuse(`vct ${payload.vct}`)
  if ((payload._sd_alg ?? 'sha-256') !== 'sha-256') refuse(`_sd_alg ${payload._sd_alg}`)
  const digests = Array.isArray(payload._sd) ? payload._sd : []

  // netid's claims are flat: each disclosure is [salt, name, value], its digest in the top _sd.
  const claims = new Map()
  const seen = new Set()
  for (const disclosure of disclosures) {
    const digest = b64u(sha256(disclosure))
    if (!digests.includes(digest)) refuse('a disclosure is not in the issuer JWT')
    if (seen.has(digest)) refuse('a disclosure is sent twice')
    seen.add(digest)
    const decoded = await checked('disclosure', () => JSON.parse(Buffer.from(disclosure, 'base64url').toString()))
    if (!Array.isArray(decoded) || decoded.length !== 3 || typeof decoded[1] !== 'string') refuse('a disclosure is not [salt, name, value]')
    const [, name, value] = decoded
    if (name === '_sd' || name === '...' || Object.hasOwn(payload, name) || claims.has(name)) refuse(`disclosed claim ${name} clashes`)
    claims.set(name, value)
  }

  // Bound to this request: our full client identifier, our nonce, these disclosures.
  const holderKey = await checked('cnf.jwk', () => jose.importJWK(payload.cnf?.jwk, 'ES256'))
  const binding = await checked('KB-JWT', () => jose.jwtVerify(kbJwt, holderKey, { algorithms: ['ES256'], typ: 'kb+jwt', requiredClaims: ['iat', 'nonce', 'sd_hash'] }))
  const kb = binding.payload
  if (kb.aud !== clientId) refuse(`KB-JWT aud ${JSON.stringify(kb.aud)} is not ${clientId}`)
  if (kb.nonce !== request.nonce) refuse('KB-JWT nonce is not the request nonce')
  if (Math.abs(Math.floor(Date.now() / 1000) - kb.iat) > 300) refuse(`KB-JWT iat ${kb.iat} is not within 300 s`)
  if (kb.sd_hash !== b64u(sha256(presented))) refuse('KB-JWT sd_hash does not match the presentation')
  return { vct: payload.vct, claims: Object.fromEntries(claims) }
}

async function answer(body, contentType) {
  if (!/^application\/x-www-form-urlencoded\b/.test(contentType ?? '')) refuse(`content-type ${contentType}`)
  const form = Object.fromEntries(new URLSearchParams(body))
  // Decrypts a direct_post.jwt answer, then checks state and the vp_token's shape
  // (validateOpenid4vpAuthorizationResponsePayload runs inside).
  const parsed = await checked('authorization response', () => verifier.parseOpenid4vpAuthorizationResponse({
    authorizationResponse: form, authorizationRequestPayload: request, callbacks,
  }))
  if (parsed.type !== 'dcql') refuse(`a ${parsed.type} response to a DCQL query`)
  if (mode === 'direct_post.jwt' && parsed.jarm?.type !== 'Encrypted') refuse(`response is ${parsed.jarm?.type}, not Encrypted`)

  const verified = {}
  for (const [id, presentations] of Object.entries(parsed.dcql.presentations)) {
    verified[id] = []
    for (const presentation of presentations) verified[id].push(await verifyPresentation(presentation))
  }
  if (!verified[QUERY_ID]) refuse(`no presentation for ${QUERY_ID}`)
  const [{ claims }] = verified[QUERY_ID]
  const shown = Object.keys(claims)
  const extra = shown.filter((name) => !asked.includes(name))
  const missing = asked.filter((name) => !shown.includes(name))
  if (extra.length || missing.length) refuse(`disclosed claims differ from those asked: extra [${extra}] missing [${missing}]`)
  // What was shown, matched against the query as a whole: only its ids, one each, the vct and claims asked.
  await checked('DCQL', () => DcqlPresentationResult.validate(DcqlPresentationResult.fromDcqlPresentation(
    Object.fromEntries(Object.entries(verified).map(([id, list]) => [id, list.map(({ vct, claims }) => ({
      credential_format: 'dc+sd-jwt', vct, claims, cryptographic_holder_binding: true,
    }))])),
    { dcqlQuery },
  )))
  return claims
}

const finish = (code) => {
  server.close()
  server.closeAllConnections()
  process.exit(code)
}
const timer = setTimeout(() => {
  say({ event: 'timeout' })
  finish(0)
}, 60_000)

let answered = false
server.on('request', async (incoming, response) => {
  const url = new URL(incoming.url, base)
  if (incoming.method === 'GET' && url.pathname === '/request') {
    response.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' }).end(requestJwt)
    return
  }
  if (incoming.method !== 'POST' || url.pathname !== '/response' || answered) {
    response.writeHead(404).end()
    return
  }
  // One answer per run.
  answered = true
  clearTimeout(timer)
  const chunks = []
  for await (const chunk of incoming) chunks.push(chunk)
  const json = (status, object) => new Promise((resolve) =>
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(object), resolve))
  try {
    const claims = await answer(Buffer.concat(chunks).toString(), incoming.headers['content-type'])
    await json(200, { redirect_uri: `${base}/done` })
    say({ event: 'verified', claims })
    finish(0)
  } catch (error) {
    if (!(error instanceof Refusal)) {
      process.stderr.write(`verifier: ${error.stack ?? error}\n`)
      await json(500, { error: 'server_error' })
      return finish(1)
    }
    process.stderr.write(`verifier: refused: ${error.message}\n`)
    await json(400, { error: 'invalid_request', error_description: error.message })
    say({ event: 'refused', reason: error.message })
    finish(0)
  }
})

say({ event: 'request', link: created.authorizationRequest, client_id: clientId })
