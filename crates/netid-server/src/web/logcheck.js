// Checks the transparency log's answers inside the page, as `netid wallet log` does on a
// device: the checkpoint's signature by the log key (C2SP signed note), each entry's
// inclusion proof against that checkpoint (RFC 9162 §2.1.3.2), and each entry's holder tag.
// A `gm` log hashes with SM3 and signs with SM2, which browsers lack: those come from
// sm-crypto (vendor/, loaded as the globals `sm3` and `sm2`). An `intl` log uses Web Crypto's
// SHA-256, HMAC and ECDSA P-256.

const encoder = new TextEncoder()
const TAG_LABEL = encoder.encode('netid log holder tag v1')
const GM_TYPE = Uint8Array.of(0xff, ...encoder.encode('netid/sm2-sm3'))
// The DER of an SM2 SubjectPublicKeyInfo up to its uncompressed point: id-ecPublicKey with
// the curve sm2p256v1 (1.2.156.10197.1.301), then a BIT STRING of 66 bytes.
const SM2_SPKI_HEAD = hexBytes('3059301306072a8648ce3d020106082a811ccf5501822d034200')

/** Why a check failed; `message` is for people, `code` for the page's words. */
export class LogCheckError extends Error {
  constructor (code, message) {
    super(message)
    this.code = code
  }
}

export function hexBytes (hex) {
  if (typeof hex !== 'string' || !/^([0-9a-f]{2})*$/i.test(hex)) throw new LogCheckError('malformed', 'not hex')
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16))
}

function bytesHex (bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

// Standard base64 with its padding, nothing else (atob alone would pass spaces and a missing pad).
function base64Bytes (text) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new LogCheckError('malformed', 'not base64')
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}

const HASH_LEN = 32

function hashBytes (text) {
  const bytes = base64Bytes(text)
  if (bytes.length !== HASH_LEN) throw new LogCheckError('malformed', 'a hash is not 32 bytes')
  return bytes
}

function concat (...parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.length }
  return out
}

function equal (a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

function startsWith (bytes, prefix) {
  return bytes.length >= prefix.length && equal(bytes.subarray(0, prefix.length), prefix)
}

function sm (name) {
  const lib = globalThis[name]
  if (!lib) throw new LogCheckError('unavailable', `${name} from sm-crypto is not loaded`)
  return lib
}

/** The log's hash, HMAC and signature check for its suite. */
function suiteOf (gm) {
  if (gm) {
    return {
      hash: async (bytes) => hexBytes(sm('sm3')(bytes)),
      mac: async (key, bytes) => hexBytes(sm('sm3')(bytes, { key: bytesHex(key), mode: 'hmac' })),
    }
  }
  return {
    hash: async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)),
    mac: async (key, bytes) => {
      const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      return new Uint8Array(await crypto.subtle.sign('HMAC', hmac, bytes))
    },
  }
}

/** An ECDSA signature's DER `SEQUENCE { r INTEGER, s INTEGER }` as Web Crypto's r || s. */
function derToRaw (der) {
  const fail = () => { throw new LogCheckError('bad_signature', 'the signature is not DER') }
  if (der[0] !== 0x30 || der[1] !== der.length - 2) fail()
  let at = 2
  const integer = () => {
    if (der[at] !== 0x02) fail()
    const length = der[at + 1]
    let value = der.subarray(at + 2, at + 2 + length)
    if (length === 0 || value.length !== length || length > 33) fail()
    at += 2 + length
    while (value.length > 32 && value[0] === 0) value = value.subarray(1)
    if (value.length > 32) fail()
    return concat(new Uint8Array(32 - value.length), value)
  }
  const raw = concat(integer(), integer())
  if (at !== der.length) fail()
  return raw
}

/**
 * Parses a verifier key, `<name>+<key id hex>+<base64 of type || SubjectPublicKeyInfo>`.
 * Returns `{ name, id, gm, spki }`.
 */
export function parseVerifierKey (vkey) {
  // The key's base64 may hold '+' too: only the first two separate.
  const match = /^([^+\s]+)\+([^+]*)\+(.*)$/s.exec(vkey.trim())
  if (!match) throw new LogCheckError('malformed', 'the log key is not <name>+<id>+<key>')
  const [, name, idHex, blobText] = match
  const id = hexBytes(idHex)
  const blob = base64Bytes(blobText)
  if (id.length !== 4) throw new LogCheckError('malformed', 'the log key id is not 4 bytes')
  if (startsWith(blob, GM_TYPE)) return { name, id, gm: true, spki: blob.subarray(GM_TYPE.length) }
  if (blob[0] === 0x02) return { name, id, gm: false, spki: blob.subarray(1) }
  throw new LogCheckError('malformed', 'the log key has an unknown signature type')
}

async function signatureHolds (key, text, signature) {
  if (key.gm) {
    if (key.spki.length !== SM2_SPKI_HEAD.length + 65 || !startsWith(key.spki, SM2_SPKI_HEAD)) {
      throw new LogCheckError('malformed', 'the log key is not an SM2 public key')
    }
    // sm-crypto hashes with the standard distinguishing ID, 1234567812345678, as netid signs.
    return sm('sm2').doVerifySignature(text, bytesHex(signature), bytesHex(key.spki.subarray(SM2_SPKI_HEAD.length)), { der: true, hash: true })
  }
  const publicKey = await crypto.subtle.importKey('spki', key.spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
  return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, derToRaw(signature), text)
}

/**
 * Checks a signed checkpoint note against the verifier key and returns what it signs:
 * `{ origin, size, root, gm }`. Signatures by other keys are skipped, as the spec says.
 */
export async function verifyCheckpoint (note, vkey) {
  const key = parseVerifierKey(vkey)
  const split = note.lastIndexOf('\n\n')
  if (split < 0 || !note.endsWith('\n')) throw new LogCheckError('malformed', 'the checkpoint is not a signed note')
  const text = note.slice(0, split + 1)
  let signed = false
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line)
    if (!match) throw new LogCheckError('malformed', 'a checkpoint signature line is malformed')
    const blob = base64Bytes(match[2])
    if (match[1] !== key.name || blob.length < 5 || !equal(blob.subarray(0, 4), key.id)) continue
    if (!await signatureHolds(key, encoder.encode(text), blob.subarray(4))) {
      throw new LogCheckError('bad_signature', 'the checkpoint signature does not verify')
    }
    signed = true
  }
  if (!signed) throw new LogCheckError('bad_signature', 'the checkpoint has no signature by the log key')
  const [origin, sizeLine, rootLine] = text.slice(0, -1).split('\n')
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine ?? '') || !Number.isSafeInteger(Number(sizeLine)) || !rootLine) {
    throw new LogCheckError('malformed', 'the checkpoint text is malformed')
  }
  return { origin, size: Number(sizeLine), root: hashBytes(rootLine), gm: key.gm }
}

/** Whether `leaf` is entry `index` of the checkpoint's tree, by its audit path (base64 hashes). */
export async function verifyInclusion (checkpoint, index, leaf, proof) {
  const { hash } = suiteOf(checkpoint.gm)
  if (!Number.isSafeInteger(index) || index < 0 || index >= checkpoint.size) return false
  let r = await hash(concat(Uint8Array.of(0x00), encoder.encode(leaf)))
  let fn = index
  let sn = checkpoint.size - 1
  for (const encoded of proof) {
    const p = hashBytes(encoded)
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = await hash(concat(Uint8Array.of(0x01), p, r))
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      r = await hash(concat(Uint8Array.of(0x01), r, p))
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && equal(r, checkpoint.root)
}

/** Whether the entry's holder tag was made with `keyHex` (the holder's log key, or the entry's one-off key). */
export async function taggedFor (checkpoint, leaf, keyHex) {
  const entry = JSON.parse(leaf)
  if (typeof entry.holder_tag !== 'string') return false
  const tag = await suiteOf(checkpoint.gm).mac(hexBytes(keyHex), concat(TAG_LABEL, hexBytes(entry.nonce)))
  return bytesHex(tag) === entry.holder_tag.toLowerCase()
}

/**
 * Checks one entry of a holder's history: `'verified'`, `'not_included'` (its proof does not
 * lead to the checkpoint's root) or `'not_theirs'` (its tag is not the holder's).
 */
export async function checkEntry (checkpoint, entry, logKeyHex) {
  try {
    if (!await verifyInclusion(checkpoint, entry.index, entry.leaf, entry.proof)) return 'not_included'
    if (!await taggedFor(checkpoint, entry.leaf, entry.tag_key ?? logKeyHex)) return 'not_theirs'
    return 'verified'
  } catch {
    // A proof hash that is not base64, a leaf that is not JSON, a key that is not hex: an
    // entry that cannot be checked does not check out.
    return 'not_included'
  }
}
