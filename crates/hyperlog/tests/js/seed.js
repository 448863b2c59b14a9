// Publishes a file on a JavaScript Hypercore log the way ap does (blocks of
// 64 KiB, then the 88-byte index record, encoded here independently) and
// serves it on 127.0.0.1. Prints {"port":..,"key":..,"sha256":..}; runs until
// standard input closes. Args: MODULE FILE DELTA_VERSION
const [mod, file, deltaVersion] = process.argv.slice(1)
const Hypercore = require(mod)
const net = require('net')
const fs = require('fs')
const os = require('os')
const path = require('path')
const crypto = require('crypto')

async function main () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-seed-'))
  // Hypercore 11 needs compat mode for a key that is the signer's public key.
  const core = new Hypercore(dir, mod === 'hypercore11' ? { compat: true } : {})
  await core.ready()
  const snap = fs.readFileSync(file)
  const blocks = []
  for (let o = 0; o < snap.length; o += 65536) blocks.push(snap.subarray(o, o + 65536))
  const sha = crypto.createHash('sha256').update(snap).digest()
  const rec = Buffer.alloc(88)
  rec.write('ap-index', 0, 'ascii')
  rec.writeUInt32LE(1, 8)
  rec.writeBigUInt64LE(1n, 16)
  rec.writeBigUInt64LE(BigInt(deltaVersion), 24)
  rec.writeBigUInt64LE(BigInt(snap.length), 32)
  rec.writeBigUInt64LE(BigInt(core.length), 40)
  rec.writeBigUInt64LE(BigInt(blocks.length), 48)
  sha.copy(rec, 56)
  await core.append([...blocks, rec])
  const server = net.createServer((socket) => {
    const stream = core.replicate(false)
    stream.pipe(socket).pipe(stream)
    stream.on('error', () => {})
    socket.on('error', () => {})
  })
  server.listen(0, '127.0.0.1', () => {
    console.log(JSON.stringify({ port: server.address().port, key: core.key.toString('hex'), sha256: sha.toString('hex') }))
  })
  process.stdin.on('end', () => process.exit(0))
  process.stdin.resume()
}
main().catch((e) => { console.error('seed.js: ' + e.stack); process.exit(1) })
