// Time zarrita reading one array of a Zarr store over HTTP (FetchStore):
// the whole array, then single chunks at random along the first
// dimension, one after another. Prints one JSON line:
//   {"bytes", "whole_s", "sha256", "chunks", "chunk_bytes", "chunks_s"}
//   node zarr-bench.mjs URL ARRAY_PATH [RANDOM_CHUNK_READS [SEED]]
// internal/gateway's BenchmarkZarrita runs it against `gohamt serve
// --gateway`'s /zarr/ and Kubo's /ipfs/ in turn.
import * as zarr from 'zarrita'
import FetchStore from '@zarrita/storage/fetch'
import { createHash } from 'node:crypto'
import './zarr-codecs.mjs'

const [url, path, nRandom = '16', seedArg = '1'] = process.argv.slice(2)
if (!url || !path) { console.error('usage: node zarr-bench.mjs URL ARRAY_PATH [RANDOM_CHUNK_READS [SEED]]'); process.exit(2) }
const arr = await zarr.open(zarr.root(new FetchStore(url)).resolve(path), { kind: 'array' })
let t = performance.now()
const whole = await zarr.get(arr)
const wholeS = (performance.now() - t) / 1000
const bytes = new Uint8Array(whole.data.buffer, whole.data.byteOffset, whole.data.byteLength)
const sha256 = createHash('sha256').update(bytes).digest('hex')
// A small LCG: the same chunks on both servers for one seed.
let s = BigInt(seedArg)
const next = (n) => { s = (s * 6364136223846793005n + 1442695040888963407n) % (1n << 64n); return Number((s >> 33n) % BigInt(n)) }
const n = Number(nRandom)
const step = arr.chunks[0]
let chunkBytes = 0
t = performance.now()
for (let i = 0; i < n; i++) {
  const c = next(Math.ceil(arr.shape[0] / step))
  const r = await zarr.get(arr, [zarr.slice(c * step, Math.min((c + 1) * step, arr.shape[0])), ...arr.shape.slice(1).map(() => null)])
  chunkBytes += r.data.byteLength
}
const chunksS = (performance.now() - t) / 1000
console.log(JSON.stringify({ bytes: bytes.byteLength, whole_s: wholeS, sha256, chunks: n, chunk_bytes: chunkBytes, chunks_s: chunksS }))
