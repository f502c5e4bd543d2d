// Loopback-only Helia bitswap peer for gohamt's end-to-end tests (node >= 20).
// Adapted from the project's reference script (shared/reference/js).
//
//   node helia-peer.mjs serve FILE...
//       Starts a node on /ip4/127.0.0.1/tcp/0 and stores each FILE as a raw
//       block (CIDv1, raw, blake3; files up to 2 MiB) and as a blake3 UnixFS
//       file built the way Kubo builds it (1 MiB raw leaves, one dag-pb
//       root, at most 174 chunks), plus one dag-cbor block linking to all of
//       them. Prints one JSON line {"peerId","multiaddrs","files":[...],
//       "dagCbor"} and serves until SIGINT/SIGTERM.
//
//   node helia-peer.mjs fetch MULTIADDR ROOT
//       Starts a node, dials MULTIADDR (…/p2p/<peerId>) and fetches the
//       whole DAG under ROOT by bitswap (dag-cbor, dag-pb and raw blocks,
//       blake3 verified), 8 blocks at a time. Prints one JSON line
//       {"root","blocks","bytes","ms"}; exits 0 on success.
//
// No bootstrap, DHT, mDNS, relay or HTTP routing; a connection gater
// refuses any dial outside 127.0.0.0/8.
import './polyfills.mjs' // first: Promise.withResolvers on node 20
import { createHeliaLight } from 'helia'
import { withLibp2pLight } from '@helia/libp2p'
import { withBitswap } from '@helia/bitswap'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import { from as hasherFrom } from 'multiformats/hashes/hasher'
import { blake3 } from '@noble/hashes/blake3.js'
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

const blake3Hasher = hasherFrom({ name: 'blake3', code: 0x1e, encode: (b) => blake3(b) })
const CHUNK = 1048576

const isLoopback = (ma) => ma.toString().startsWith('/ip4/127.')

async function makeNode () {
  const helia = withBitswap(withLibp2pLight(createHeliaLight({
    blockstore: new MemoryBlockstore(),
    datastore: new MemoryDatastore(),
    hashers: [blake3Hasher],
    codecs: [dagCbor],
    routers: [],
    blockBrokers: []
  }), {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: { identify: identify() },
    connectionGater: { denyDialMultiaddr: async (ma) => !isLoopback(ma) }
  }))
  await helia.start()
  return helia
}

const rawCid = async (b) => CID.createV1(raw.code, await blake3Hasher.digest(b))

// Kubo's layout for files of at most 174 chunks: raw leaves under one
// dag-pb root (a file of one chunk is the raw leaf itself).
async function unixfsBlake3 (bytes, put) {
  if (bytes.length <= CHUNK) { const c = await rawCid(bytes); await put(c, bytes); return c }
  const n = Math.ceil(bytes.length / CHUNK)
  if (n > 174) throw new Error('unixfsBlake3: files over 174 MiB need a second level')
  const Links = []; const blockSizes = []
  for (let i = 0; i < n; i++) {
    const chunk = bytes.subarray(i * CHUNK, Math.min((i + 1) * CHUNK, bytes.length))
    const c = await rawCid(chunk); await put(c, chunk)
    Links.push({ Hash: c, Name: '', Tsize: chunk.length }); blockSizes.push(BigInt(chunk.length))
  }
  const Data = new UnixFS({ type: 'file', blockSizes }).marshal()
  const root = dagPb.encode(dagPb.prepare({ Data, Links }))
  const c = CID.createV1(dagPb.code, await blake3Hasher.digest(root)); await put(c, root)
  return c
}

async function serve (files) {
  const helia = await makeNode()
  const put = (c, b) => helia.blockstore.put(c, b)
  const out = []; const links = {}
  for (const f of files) {
    const bytes = readFileSync(f)
    const rec = { file: f, size: bytes.length }
    if (bytes.length <= 2 * CHUNK) { const c = await rawCid(bytes); await put(c, bytes); rec.rawBlock = c.toString() }
    const u = await unixfsBlake3(bytes, put)
    rec.unixfsBlake3 = u.toString()
    links[basename(f)] = u
    out.push(rec)
  }
  const nodeBytes = dagCbor.encode({ made_by: 'helia-peer.mjs', files: links })
  const nodeCid = CID.createV1(dagCbor.code, await blake3Hasher.digest(nodeBytes))
  await put(nodeCid, nodeBytes)
  console.log(JSON.stringify({
    peerId: helia.libp2p.peerId.toString(),
    multiaddrs: helia.libp2p.getMultiaddrs().map(String),
    files: out,
    dagCbor: nodeCid.toString()
  }))
  const stop = async () => { await helia.stop(); process.exit(0) }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

// Every CID inside a decoded dag-cbor value.
function cborLinks (v, acc = []) {
  const c = CID.asCID(v)
  if (c != null) acc.push(c)
  else if (Array.isArray(v)) v.forEach(x => cborLinks(x, acc))
  else if (v != null && typeof v === 'object' && !(v instanceof Uint8Array)) Object.values(v).forEach(x => cborLinks(x, acc))
  return acc
}

async function getBytes (helia, cid) {
  let bytes = await helia.blockstore.get(cid, { signal: AbortSignal.timeout(30000) })
  if (bytes != null && typeof bytes[Symbol.asyncIterator] === 'function') {
    const parts = []; for await (const p of bytes) parts.push(p); bytes = Buffer.concat(parts)
  }
  return bytes
}

async function fetch ([addr, rootStr]) {
  const helia = await makeNode()
  let ok = true
  try {
    await helia.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(10000) })
    const t0 = Date.now()
    const root = CID.parse(rootStr)
    const seen = new Set([root.toString()])
    let frontier = [root]; let blocks = 0; let bytesN = 0
    while (frontier.length > 0) {
      const next = []
      for (let i = 0; i < frontier.length; i += 8) {
        await Promise.all(frontier.slice(i, i + 8).map(async (cid) => {
          const b = await getBytes(helia, cid)
          const d = await blake3Hasher.digest(b)
          if (cid.multihash.code === 0x1e && Buffer.compare(Buffer.from(d.digest), Buffer.from(cid.multihash.digest)) !== 0) throw new Error(`${cid}: hash mismatch`)
          blocks++; bytesN += b.length
          const links = cid.code === dagCbor.code ? cborLinks(dagCbor.decode(b)) : cid.code === dagPb.code ? dagPb.decode(b).Links.map(l => l.Hash) : []
          for (const l of links) if (!seen.has(l.toString())) { seen.add(l.toString()); next.push(l) }
        }))
      }
      frontier = next
    }
    console.log(JSON.stringify({ root: rootStr, blocks, bytes: bytesN, ms: Date.now() - t0 }))
  } catch (err) {
    ok = false
    console.error('fetch failed:', err)
  }
  await helia.stop()
  process.exit(ok ? 0 : 1)
}

const [mode, ...args] = process.argv.slice(2)
if (mode === 'serve') await serve(args)
else if (mode === 'fetch') await fetch(args)
else { console.error('usage: helia-peer.mjs serve FILE... | fetch MULTIADDR ROOT'); process.exit(2) }
