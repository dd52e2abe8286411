// An OpenID4VP 1.0 wallet written apart from netid, on @openid4vc/openid4vp 0.4.6 and the
// dcql package: it opens a request link (`openid4vp://?client_id=…&request_uri=…`), fetches
// the signed request, checks its signature and its certificate chain up to the trust anchor
// it is given, matches the DCQL query against the Net Certificate it holds, discloses only the
// claims asked, binds the presentation to the verifier's client identifier and nonce (a
// KB-JWT), and posts it to the response URI, encrypted when the request asks for it.
//
// Environment: REQUEST_URL, SD_JWT (an issued Net Certificate, ~-terminated),
// HOLDER_JWK (the private P-256 JWK of its key), TRUST_ANCHOR_PEM (a file of CA certificates).
// Prints one JSON line: {"status": the response URI's status, "mode": …, "disclosed": [names],
// "redirect_uri": where the verifier sends the user next, if it says}.
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Openid4vpClient } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/oauth2'
import { DcqlQuery } from 'dcql'
import * as jose from 'jose'
import { env, say } from './sample-platform.mjs'

// The tests run the platform on plain http on loopback.
setGlobalConfig({ allowInsecureUrls: true })
const b64u = (bytes) => Buffer.from(bytes).toString('base64url')
const sha256 = (data) => createHash('sha256').update(data).digest()

const anchors = (readFileSync(env('TRUST_ANCHOR_PEM'), 'utf8')
  .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [])
  .map((pem) => new X509Certificate(pem))

/** The leaf of an x5c chain that leads, each certificate issued by the next, to an anchor. */
function trustedLeaf(x5c) {
  const chain = x5c.map((der) => new X509Certificate(Buffer.from(der, 'base64')))
  const now = new Date()
  for (const certificate of chain) {
    if (new Date(certificate.validFrom) > now || new Date(certificate.validTo) < now) throw new Error('a certificate of the chain is not valid now')
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) throw new Error(`x5c[${i}] is not issued by x5c[${i + 1}]`)
  }
  const last = chain[chain.length - 1]
  if (!anchors.some((anchor) => anchor.fingerprint256 === last.fingerprint256 || (last.checkIssued(anchor) && last.verify(anchor.publicKey)))) {
    throw new Error('the request is not signed under a trusted CA')
  }
  return chain[0]
}

const client = new Openid4vpClient({
  callbacks: {
    fetch,
    hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
    generateRandom: (length) => randomBytes(length),
    verifyJwt: async (signer, { header, compact }) => {
      if (signer.method !== 'x5c') return { verified: false }
      const key = trustedLeaf(signer.x5c).publicKey
      try {
        await jose.compactVerify(compact, key, { algorithms: [header.alg] })
        return { verified: true, signerJwk: await jose.exportJWK(key) }
      } catch {
        return { verified: false }
      }
    },
    getX509CertificateMetadata: (der) => {
      const names = (new X509Certificate(Buffer.from(der, 'base64')).subjectAltName ?? '').split(/,\s*/)
      return {
        sanDnsNames: names.filter((name) => name.startsWith('DNS:')).map((name) => name.slice(4)),
        sanUriNames: names.filter((name) => name.startsWith('URI:')).map((name) => name.slice(4)),
      }
    },
    encryptJwe: async (encryptor, data) => {
      const header = { alg: encryptor.alg, enc: encryptor.enc, ...(encryptor.publicJwk.kid ? { kid: encryptor.publicJwk.kid } : {}) }
      const jwe = new jose.CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader(header)
      const parties = {}
      if (encryptor.apu) parties.apu = Buffer.from(encryptor.apu, 'base64url')
      if (encryptor.apv) parties.apv = Buffer.from(encryptor.apv, 'base64url')
      jwe.setKeyManagementParameters(parties)
      return { jwe: await jwe.encrypt(await jose.importJWK(encryptor.publicJwk, encryptor.alg)), encryptionJwk: encryptor.publicJwk }
    },
    decryptJwe: async () => ({ decrypted: false }),
    signJwt: async () => { throw new Error('this wallet signs no responses') },
  },
})

try {
  const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: env('REQUEST_URL') })
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params })
  const request = resolved.authorizationRequestPayload

  // The Net Certificate, its claims all disclosed for matching (netid's claims are flat).
  const [issuerJwt, ...encoded] = env('SD_JWT').split('~')
  const disclosures = encoded.filter(Boolean).map((text) => {
    const [, name, value] = JSON.parse(Buffer.from(text, 'base64url').toString())
    return { text, name, value }
  })
  const payload = jose.decodeJwt(issuerJwt)
  const claims = { ...payload, ...Object.fromEntries(disclosures.map(({ name, value }) => [name, value])) }
  const query = DcqlQuery.parse(resolved.dcql.query)
  DcqlQuery.validate(query)
  const matched = DcqlQuery.query(query, [{ credential_format: 'dc+sd-jwt', vct: payload.vct, claims, cryptographic_holder_binding: true }])
  if (!matched.can_be_satisfied) throw new Error('the Net Certificate does not satisfy the query')
  const [asked] = query.credentials
  const names = (asked.claims ?? []).map((claim) => claim.path[0])
  const shown = disclosures.filter(({ name }) => names.includes(name))

  // Bound to the verifier's full client identifier and the request's nonce.
  const presented = `${issuerJwt}~${shown.map(({ text }) => `${text}~`).join('')}`
  const binding = await new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), aud: request.client_id, nonce: request.nonce, sd_hash: b64u(sha256(presented)) })
    .setProtectedHeader({ alg: 'ES256', typ: 'kb+jwt' })
    .sign(await jose.importJWK(JSON.parse(env('HOLDER_JWK')), 'ES256'))
  const encrypted = request.response_mode === 'direct_post.jwt'
  const created = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: { vp_token: { [asked.id]: [presented + binding] } },
    jarm: encrypted
      ? {
          encryption: { nonce: b64u(randomBytes(16)) },
          serverMetadata: {
            authorization_signing_alg_values_supported: ['ES256'],
            authorization_encryption_alg_values_supported: ['ECDH-ES'],
            authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'],
          },
        }
      : undefined,
  })
  const submitted = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: created.authorizationResponsePayload,
    jarm: created.jarm ? { responseJwt: created.jarm.responseJwt } : undefined,
  })
  let redirect = null
  try { redirect = JSON.parse(await submitted.response.text()).redirect_uri ?? null } catch {}
  say({ status: submitted.response.status, mode: submitted.responseMode, client: resolved.client.prefix, disclosed: shown.map(({ name }) => name), redirect_uri: redirect })
} catch (error) {
  process.stderr.write(`wallet: ${error.stack ?? error}\n`)
  say({ refused: String(error.message ?? error) })
}
