// Follows an ap ledger log with JavaScript Hypercore over one TCP connection
// and prints one JSON line per publish seen (live), decoding the index record
// independently of the Rust code (layout in crates/hyperlog/src/record.rs).
// Args: MODULE PORT KEY_HEX UNTIL_SEQUENCE
const [mod, port, keyHex, until] = process.argv.slice(1)
const Hypercore = require(mod)
const net = require('net')
const fs = require('fs')
const os = require('os')
const path = require('path')
const crypto = require('crypto')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-follow-'))
const core = new Hypercore(dir, Buffer.from(keyHex, 'hex'))
const timer = setTimeout(() => { console.error('follow.js: timed out at length ' + core.length); process.exit(2) }, 120000)

function record (buf, at) {
  if (buf.subarray(0, 8).toString('ascii') !== 'ap-index') throw new Error('block ' + at + ' is not an index record')
  if (buf.readUInt32LE(8) !== 1) throw new Error('unknown record format')
  const u = (o) => Number(buf.readBigUInt64LE(o))
  const r = { sequence: u(16), deltaVersion: u(24), size: u(32), first: u(40), count: u(48), sha256: buf.subarray(56, 88).toString('hex') }
  if (r.first + r.count !== at) throw new Error('index record misplaced')
  return r
}

async function main () {
  await core.ready()
  const socket = net.connect(Number(port), '127.0.0.1')
  const stream = core.replicate(true)
  stream.pipe(socket).pipe(stream)
  stream.on('error', (e) => console.error('follow.js: stream: ' + e.message))
  socket.on('error', (e) => console.error('follow.js: socket: ' + e.message))
  let last = 0
  for (;;) {
    await core.update({ wait: true })
    if (core.length > 0) {
      const at = core.length - 1
      const r = record(await core.get(at), at)
      if (r.sequence > last) {
        const blocks = []
        for (let i = r.first; i < r.first + r.count; i++) blocks.push(await core.get(i))
        const snap = Buffer.concat(blocks)
        const sha = crypto.createHash('sha256').update(snap).digest('hex')
        console.log(JSON.stringify({ ...r, length: core.length, got: sha, bytes: snap.length, largest: Math.max(...blocks.map((b) => b.length)) }))
        last = r.sequence
        if (last >= Number(until)) break
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  clearTimeout(timer)
  stream.removeAllListeners('error')
  stream.on('error', () => {})
  socket.removeAllListeners('error')
  socket.on('error', () => {})
  socket.destroy()
  await core.close()
  fs.rmSync(dir, { recursive: true, force: true })
  process.exit(0)
}
main().catch((e) => { console.error('follow.js: ' + e.stack); process.exit(1) })
