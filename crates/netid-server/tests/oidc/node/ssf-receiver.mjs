// A platform's Shared Signals receiver, written apart from netid on the `jose` package: it
// reads netid's transmitter metadata, creates a push stream to its own endpoint (with an
// Authorization header netid must send back), asks for a verification event, and checks
// every Security Event Token it gets against netid's published keys (signature, `typ`
// secevent+jwt, issuer, audience). The first event after the verification it refuses (503),
// to see it come again. On "poll" it switches the stream to poll delivery, polls, checks and
// acknowledges what it gets, and polls once more.
//
// Environment: NETID_ISSUER, RP_CLIENT_ID, RP_CREDENTIAL.
// Protocol with the test, one JSON line out at each step, lines in where marked:
//   {"event":"stream","configuration":...}
//   {"event":"verified","state":...}
//   {"event":"refused","jti":...}                   (the first other SET, answered 503)
//   {"event":"set","jti":...,"type":...,"sub_id":...,"payload":...}   each SET taken
//   <- "poll"
//   {"event":"polled","sets":[{jti,type,sub_id,payload}],"after":N}   then exit 0
import { createServer } from 'node:http'
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose'
import { env, hangUp, nextLine, say } from './sample-platform.mjs'

const issuer = env('NETID_ISSUER')
const clientId = env('RP_CLIENT_ID')
const basic = 'Basic ' + Buffer.from(`${clientId}:${env('RP_CREDENTIAL')}`).toString('base64')
const secret = 'Bearer receiver-secret-0001'

const call = async (method, path, body) => {
  const response = await fetch(new URL(path, issuer), {
    method,
    headers: { authorization: basic, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return text ? JSON.parse(text) : null
}

const metadata = await (await fetch(new URL('/.well-known/ssf-configuration', issuer))).json()
if (metadata.spec_version !== '1_0') throw new Error(`spec_version ${metadata.spec_version}`)
const keys = createRemoteJWKSet(new URL(metadata.jwks_uri))

/** A SET checked as RFC 8417 and SSF 1.0 ask: its one event, and whom it is about. */
async function check(token) {
  if (decodeProtectedHeader(token).typ !== 'secevent+jwt') throw new Error('typ is not secevent+jwt')
  const { payload } = await jwtVerify(token, keys, { issuer: metadata.issuer, audience: clientId, typ: 'secevent+jwt' })
  if (payload.sub !== undefined || payload.exp !== undefined) throw new Error('a SET carries no sub or exp')
  const types = Object.keys(payload.events)
  if (types.length !== 1 || !payload.sub_id || !payload.jti || !payload.iat) throw new Error(`malformed SET ${JSON.stringify(payload)}`)
  return { jti: payload.jti, type: types[0], sub_id: payload.sub_id, payload: payload.events[types[0]] }
}

let refusedOne = false
const server = createServer(async (request, response) => {
  const chunks = []
  for await (const chunk of request) chunks.push(chunk)
  try {
    if (request.headers.authorization !== secret) throw new Error('netid did not send our Authorization header')
    if (request.headers['content-type'] !== 'application/secevent+jwt') throw new Error('wrong content type')
    const set = await check(Buffer.concat(chunks).toString())
    if (set.type.endsWith('/verification')) {
      say({ event: 'verified', state: set.payload.state })
    } else if (!refusedOne) {
      refusedOne = true
      say({ event: 'refused', jti: set.jti })
      response.writeHead(503).end()
      return
    } else {
      say({ event: 'set', ...set })
    }
    response.writeHead(202).end()
  } catch (error) {
    process.stderr.write(`receiver: ${error.message}\n`)
    response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ err: 'invalid_request', description: error.message }))
  }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const endpoint = `http://127.0.0.1:${server.address().port}/signals`

const configuration = await call('POST', '/ssf/streams', {
  delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: endpoint, authorization_header: secret },
  events_requested: [
    'https://schemas.openid.net/secevent/risc/event-type/account-purged',
    'urn:netid:secevent:event-type:consent-withdrawn',
    'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
    'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  ],
  description: 'test receiver',
})
say({ event: 'stream', configuration })
await call('POST', '/ssf/verify', { stream_id: configuration.stream_id, state: 'state-0001' })

if ((await nextLine()) !== 'poll') throw new Error('expected "poll"')
await call('PATCH', '/ssf/streams', { stream_id: configuration.stream_id, delivery: { method: 'urn:ietf:rfc:8936' } })
if ((await nextLine()) !== 'deleted') throw new Error('expected "deleted"')
let polled = { sets: {} }
for (let tries = 0; Object.keys(polled.sets).length === 0 && tries < 50; tries++) {
  polled = await call('POST', '/ssf/poll', { returnImmediately: true })
  if (Object.keys(polled.sets).length === 0) await new Promise((resolve) => setTimeout(resolve, 100))
}
const sets = []
for (const [jti, token] of Object.entries(polled.sets)) {
  const set = await check(token)
  if (set.jti !== jti) throw new Error('the map key is not the jti')
  sets.push(set)
}
const after = await call('POST', '/ssf/poll', { ack: Object.keys(polled.sets), returnImmediately: true })
say({ event: 'polled', sets, after: Object.keys(after.sets).length })
server.close()
hangUp()
