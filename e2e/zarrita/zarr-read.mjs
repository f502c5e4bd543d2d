// Read every array of a Zarr v3 (or v2) hierarchy on disk with zarrita and
// print its metadata summary plus a checksum of its values in C order.
// gohamt's copy of ../../shared/reference/js/zarr-read.mjs; change: bool
// arrays (zarrita's BoolArray is not a typed array) are hashed as the JSON
// text of their values, e.g. "[true,false]", and so are string arrays
// (a plain Array in zarrita).
//   node zarr-read.mjs DIR [ARRAY_PATH...]     (default: walk DIR for zarr.json)
//   node zarr-read.mjs URL ARRAY_PATH...       (an http(s) Zarr store, read with
//                                               zarrita's FetchStore: HEAD, Range)
// Use it as an oracle on stores written by another implementation.
import * as zarr from 'zarrita'
import FileSystemStore from '@zarrita/storage/fs'
import FetchStore from '@zarrita/storage/fetch'
import { readdirSync, statSync, existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createHash } from 'node:crypto'
import './zarr-codecs.mjs'

const [dir, ...paths] = process.argv.slice(2)
if (!dir) { console.error('usage: node zarr-read.mjs DIR|URL [ARRAY_PATH...]'); process.exit(2) }
const remote = /^https?:\/\//.test(dir)
if (remote && !paths.length) { console.error('zarr-read.mjs: a URL needs the array paths (it cannot be walked)'); process.exit(2) }
const store = remote ? new FetchStore(dir) : new FileSystemStore(dir)
const walk = (d) => readdirSync(d).flatMap(n => statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [])
  .concat(existsSync(join(d, 'zarr.json')) || existsSync(join(d, '.zarray')) ? ['/' + relative(dir, d)] : [])
const targets = paths.length ? paths.map(p => p.startsWith('/') ? p : '/' + p) : [...new Set(walk(dir))].map(p => p === '/' ? '/' : p).sort()
let rc = 0
// zarrita hands int64/uint64 fill values over as BigInt, which JSON.stringify
// cannot print ("Do not know how to serialize a BigInt"), and NaN/Infinity
// would print as null. Spell them as Zarr v3 JSON does.
const jsonScalar = (v) => typeof v === 'bigint' ? v.toString()
  : (typeof v === 'number' && !Number.isFinite(v)) ? (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity') : v
for (const p of targets) {
  try {
    const node = await zarr.open(zarr.root(store).resolve(p.replace(/^\//, '') || '.'))
    if (!(node instanceof zarr.Array)) { console.log(JSON.stringify({ path: p, kind: 'group', attrs: node.attrs })); continue }
    const r = await zarr.get(node)
    const n = r.shape.reduce((a, b) => a * b, 1)
    const typed = ArrayBuffer.isView(r.data)
    const C = typed ? new r.data.constructor(n) : new Array(n) // re-layout to C order using the returned strides
    const at = typeof r.data.get === 'function' ? (o) => r.data.get(o) : (o) => r.data[o] // BoolArray has get; strings are a plain Array
    const idx = new Array(r.shape.length).fill(0)
    for (let k = 0; k < n; k++) {
      let off = 0; for (let d = 0; d < idx.length; d++) off += idx[d] * r.stride[d]
      C[k] = at(off)
      for (let d = idx.length - 1; d >= 0; d--) { if (++idx[d] < r.shape[d]) break; idx[d] = 0 }
    }
    const bytes = ArrayBuffer.isView(C) ? new Uint8Array(C.buffer, C.byteOffset, C.byteLength) : new TextEncoder().encode(JSON.stringify(Array.from(C)))
    console.log(JSON.stringify({
      path: p, kind: 'array', shape: node.shape, chunks: node.chunks, dtype: node.dtype,
      codecs: node.codecs?.map(c => c.name), fill_value: jsonScalar(node.fillValue),
      first: Array.from(C.slice(0, 4), x => typeof x === 'bigint' ? x.toString() : x),
      sha256_c_order_le: createHash('sha256').update(bytes).digest('hex')
    }))
  } catch (e) { rc = 1; console.log(JSON.stringify({ path: p, error: String(e?.cause ?? e) })) }
}
process.exit(rc)
