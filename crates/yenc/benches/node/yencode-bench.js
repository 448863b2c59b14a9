// The peer side of `cargo xtask bench yenc`: node `yencode` on the same file,
// same operations, same JSON line as crates/yenc/examples/ybench.rs.
//   NODE_PATH=.peers/node/node_modules node yencode-bench.js FILE encode|decode|crc [RUNS]
// `bytes` is the raw size in every mode; decode strips dots, as ours does.
'use strict';
const y = require('yencode');
const fs = require('fs');
const [file, op, runsArg] = process.argv.slice(2);
if (!file || !op) {
  console.error('usage: yencode-bench.js FILE encode|decode|crc [RUNS]');
  process.exit(2);
}
const runs = Math.max(1, parseInt(runsArg || '5', 10));
const data = fs.readFileSync(file);
const enc = Buffer.alloc(y.maxSize(data.length, 128));
const encLen = y.encodeTo(data, enc, 128);
const encoded = enc.subarray(0, encLen);
const dec = Buffer.alloc(encLen);
let check = 0;
let fn;
if (op === 'encode') fn = () => { check += y.encodeTo(data, enc, 128); };
else if (op === 'decode') fn = () => { check += y.decodeTo(encoded, dec, true); };
else if (op === 'crc') fn = () => { check ^= y.crc32(data)[0]; };
else { console.error('unknown mode ' + op); process.exit(2); }
fn(); // untimed: page faults
const t0 = process.hrtime.bigint();
for (let i = 0; i < runs; i++) fn();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9 / runs;
if (op === 'decode' && !dec.subarray(0, data.length).equals(data)) {
  console.error('yencode decode did not give the input back');
  process.exit(1);
}
console.log(JSON.stringify({ tool: 'yencode', op, bytes: data.length, seconds: +seconds.toFixed(6),
  mb_per_s: +(data.length / seconds / 1e6).toFixed(1), check }));
