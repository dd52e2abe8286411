// The web app's log check (src/web/logcheck.js) outside the browser, run by
// tests/it/logcheck.rs:
// 1. the sm-crypto files the server serves (src/web/vendor/) are byte for byte the ones npm
//    installs from package-lock.json (integrity-checked);
// 2. those files give the published SM3 digests (GB/T 32905) and accept the published SM2
//    signature (GM/T 0003.5), from the same vector files as netid-crypto's tests, and refuse
//    it over another message;
// 3. every entry of the histories in $VECTORS verifies, and each tampered copy is refused.
// Prints one JSON line: {"gm": {"verified", "refused"}, "intl": {...}}; exits 1 on any failure.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const vendor = here('../../../src/web/vendor/')
const require = createRequire(import.meta.url)

function check (condition, what) {
  if (!condition) throw new Error(what)
}

// 1. The vendored files are the package's.
for (const file of ['sm2.js', 'sm3.js']) {
  const installed = readFileSync(require.resolve(`sm-crypto/dist/${file}`))
  check(installed.equals(readFileSync(`${vendor}${file}`)), `src/web/vendor/${file} differs from sm-crypto's dist/${file}: see src/web/vendor/README.md`)
}

// 2. As the page loads them: globals from the vendored files.
globalThis.sm3 = require(`${vendor}sm3.js`)
globalThis.sm2 = require(`${vendor}sm2.js`)
const vectors = (name) => JSON.parse(readFileSync(here(`../../../../netid-crypto/tests/vectors/${name}`), 'utf8')).vectors
for (const vector of vectors('sm3.json')) {
  check(globalThis.sm3(vector.message_ascii) === vector.digest, `SM3 ${vector.name}`)
}
for (const vector of vectors('sm2_sign.json')) {
  const publicKey = `04${vector.public_x}${vector.public_y}`
  const signature = vector.r + vector.s
  const options = { der: false, hash: true, userId: vector.distinguishing_id_ascii }
  check(globalThis.sm2.doVerifySignature(vector.message_ascii, signature, publicKey, options), `SM2 ${vector.name}`)
  check(!globalThis.sm2.doVerifySignature(`${vector.message_ascii}!`, signature, publicKey, options), `SM2 ${vector.name} over another message`)
}

// 3. The histories, and tampered copies of them.
const { LogCheckError, checkEntry, verifyCheckpoint } = await import(here('../../../src/web/logcheck.js'))
const all = JSON.parse(readFileSync(process.env.VECTORS, 'utf8'))

/** Each entry of a history with the log key it is checked with. */
function entriesOf (history) {
  return [
    ...history.entries.map((entry) => [entry, history.log_key]),
    ...history.wards.flatMap((ward) => ward.entries.map((entry) => [entry, ward.log_key])),
  ]
}

async function outcomes (vkey, history) {
  const checkpoint = await verifyCheckpoint(history.checkpoint, vkey)
  return Promise.all(entriesOf(history).map(([entry, key]) => checkEntry(checkpoint, entry, key)))
}

const flipHex = (hex) => (hex[0] === '0' ? '1' : '0') + hex.slice(1)
const flipBase64 = (text) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1)
// A signature line with one character of its signature (after the 4-byte key id) changed.
const alterSignature = (line) => line.replace(/ (\S{10})(\S)(\S*)$/, (_, head, c, tail) => ` ${head}${c === 'A' ? 'B' : 'A'}${tail}`)

const report = {}
for (const [suite, { vkey, history }] of Object.entries(all)) {
  const results = await outcomes(vkey, history)
  check(results.length > 0 && results.every((outcome) => outcome === 'verified'), `${suite}: ${results}`)
  let refused = 0

  // An entry altered: each must come out `want`.
  const entryCases = {
    'a proof hash altered': [(entry) => { entry.proof[0] = flipBase64(entry.proof[0]) }, 'not_included'],
    'the proof cut short': [(entry) => { entry.proof.pop() }, 'not_included'],
    'another index': [(entry) => { entry.index += 1 }, 'not_included'],
    'the leaf altered': [(entry) => { entry.leaf = entry.leaf.replace('"minute":', '"minute":1') }, 'not_included'],
    'a proof hash not base64': [(entry) => { entry.proof[0] = '%%%' }, 'not_included'],
    'a proof hash with a space': [(entry) => { entry.proof[0] = ` ${entry.proof[0]}` }, 'not_included'],
    'a proof hash of 33 bytes': [(entry) => { entry.proof[0] = Buffer.concat([Buffer.from(entry.proof[0], 'base64'), Buffer.of(0)]).toString('base64') }, 'not_included'],
    'an extra proof hash': [(entry) => { entry.proof.push(entry.proof[0]) }, 'not_included'],
    'an index beyond the tree': [(entry) => { entry.index += 1_000_000 }, 'not_included'],
    'a leaf that is not JSON': [(entry) => { entry.leaf = `${entry.leaf}}` }, 'not_included'],
  }
  for (const [what, [tamper, want]] of Object.entries(entryCases)) {
    const copy = structuredClone(history)
    const [entry] = entriesOf(copy).find(([candidate]) => candidate.proof.length > 0)
    tamper(entry)
    const outcome = (await outcomes(vkey, copy))[entriesOf(copy).findIndex(([candidate]) => candidate === entry)]
    check(outcome === want, `${suite}: ${what} gave ${outcome}, not ${want}`)
    refused += 1
  }
  {
    const copy = structuredClone(history)
    copy.log_key = flipHex(copy.log_key)
    const mine = (await outcomes(vkey, copy)).slice(0, copy.entries.length)
    check(mine.every((outcome) => outcome === 'not_theirs'), `${suite}: another log key gave ${mine}`)
    refused += 1
  }

  // The checkpoint altered: the whole history is refused.
  const [text, signatures] = history.checkpoint.split('\n\n')
  const lines = text.split('\n')
  const checkpointCases = {
    'another size': [lines[0], String(Number(lines[1]) + 1), ...lines.slice(2)].join('\n') + '\n\n' + signatures,
    'another root': [lines[0], lines[1], flipBase64(lines[2]), ...lines.slice(3)].join('\n') + '\n\n' + signatures,
    'the signature altered': `${text}\n\n${alterSignature(signatures.trimEnd())}\n`,
    'signed by another name': text + '\n\n' + signatures.replace(/^\u2014 \S+/, '\u2014 someone.else/log'),
    'no signature lines': text + '\n\n',
    'a second, bad signature by the log key': `${text}\n\n${signatures}${alterSignature(signatures.trimEnd())}\n`,
  }
  for (const [what, checkpoint] of Object.entries(checkpointCases)) {
    const refusal = await outcomes(vkey, { ...history, checkpoint }).then(() => null, (error) => error)
    const want = what === 'no signature lines' ? 'malformed' : 'bad_signature'
    check(refusal instanceof LogCheckError && refusal.code === want, `${suite}: a checkpoint with ${what} was not refused as ${want} (${refusal?.message})`)
    refused += 1
  }
  report[suite] = { verified: results.length, refused }
}
console.log(JSON.stringify(report))
