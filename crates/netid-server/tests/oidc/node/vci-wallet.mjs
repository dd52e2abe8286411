// An OpenID4VCI 1.0 wallet written apart from netid, on @openid4vc/openid4vci and
// @openid4vc/oauth2 (0.4.6): it opens a credential offer, resolves the issuer's and the
// authorization server's metadata, redeems the pre-authorized code with the transaction code
// and a DPoP proof, asks the nonce endpoint for a c_nonce, and asks for a batch of Net
// Certificates, one fresh P-256 key (ES256 key proof) per credential. jose has no SM2, so this
// wallet takes the ES256 configuration only.
//
// Environment: OFFER_URL, TX_CODE, BATCH (default 2).
// Prints one JSON line: {"credentials":[...],"keys":[public JWK per credential]}, or
// {"error":...,"status":...} when the issuer refused (exit 0 either way; exit 1 on a fault).
import { createHash, randomBytes } from 'node:crypto'
import { Openid4vciClient, Openid4vciRetrieveCredentialsError, setGlobalConfig } from '@openid4vc/openid4vci'
import { Oauth2ClientErrorResponseError, clientAuthenticationAnonymous } from '@openid4vc/oauth2'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { env, say } from './sample-platform.mjs'

// The tests run the service on plain http on loopback.
setGlobalConfig({ allowInsecureUrls: true })

const privateKeys = new Map()
async function newSigner() {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const { kty, crv, x, y } = await exportJWK(publicKey)
  const publicJwk = { kty, crv, x, y }
  privateKeys.set(await calculateJwkThumbprint(publicJwk), privateKey)
  return { method: 'jwk', alg: 'ES256', publicJwk }
}

const client = new Openid4vciClient({
  callbacks: {
    fetch,
    hash: (data, alg) => new Uint8Array(createHash(alg.replace('-', '')).update(data).digest()),
    generateRandom: (length) => new Uint8Array(randomBytes(length)),
    signJwt: async (signer, { header, payload }) => {
      const key = privateKeys.get(await calculateJwkThumbprint(signer.publicJwk))
      const jwt = await new SignJWT(payload).setProtectedHeader(header).sign(key)
      return { jwt, signerJwk: signer.publicJwk }
    },
    clientAuthentication: clientAuthenticationAnonymous(),
  },
})

try {
  const offer = await client.resolveCredentialOffer(env('OFFER_URL'))
  const configuration = 'net_certificate_es256'
  if (!offer.credential_configuration_ids.includes(configuration)) throw new Error(`the offer has no ${configuration}`)
  const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer)
  const dpopSigner = await newSigner()
  const { accessTokenResponse, dpop } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer, issuerMetadata, txCode: env('TX_CODE'), dpop: { signer: dpopSigner },
  })
  const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata })
  const proofs = []
  const keys = []
  for (let i = 0; i < Number(process.env.BATCH ?? 2); i++) {
    const signer = await newSigner()
    keys.push(signer.publicJwk)
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata, credentialConfigurationId: configuration, signer, nonce,
    })
    proofs.push(jwt)
  }
  const { credentialResponse } = await client.retrieveCredentials({
    issuerMetadata, credentialConfigurationId: configuration, accessToken: accessTokenResponse.access_token,
    dpop: dpop ?? { signer: dpopSigner }, proofs: { jwt: proofs },
  })
  say({ credentials: credentialResponse.credentials.map((entry) => entry.credential), keys, version: issuerMetadata.originalDraftVersion })
} catch (error) {
  if (error instanceof Oauth2ClientErrorResponseError) {
    say({ error: error.errorResponse.error, description: error.errorResponse.error_description, status: error.response.status })
  } else if (error instanceof Openid4vciRetrieveCredentialsError) {
    say({ error: 'credential', status: error.response.response.status, body: await error.response.response.clone().text() })
  } else {
    process.stderr.write(`wallet: ${error.stack ?? error}\n`)
    process.exit(1)
  }
}
