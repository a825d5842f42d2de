#!/usr/bin/env node
// Local Kinesis for tests and local runs: kinesalite over TLS, bound to 127.0.0.1 only (its own CLI
// listens on every interface), with a certificate we pass in (the bundled one expired in 2018) and
// stream state changes that take no time.
//
//   node kinesalite-server.js --key KEY.pem --cert CERT.pem [--port 0] [--path DIR]
//                             [--fail-share 0.25] [--fail-seed 42] [--shard-limit 100]
//
//   --port 0        pick a free port (default 0)
//   --path DIR      keep data in LevelDB under DIR, so it survives a restart (default: in memory)
//   --fail-share F  fail this share (0..1) of PutRecords entries with
//                   ProvisionedThroughputExceededException; failed entries are not stored, as
//                   Kinesis does. Deterministic for a given --fail-seed.
//
// Prints exactly one line on stdout once listening, e.g.
//   {"event":"listening","host":"127.0.0.1","port":40123}
// and, on SIGTERM/SIGINT, closes the store (flushing LevelDB) and exits 0.
'use strict'

const fs = require('fs')
const { PassThrough } = require('stream')
const kinesalite = require('kinesalite')

function parseArgs(argv) {
  const opts = { port: 0, path: null, key: null, cert: null, failShare: 0, failSeed: 1, shardLimit: 100 }
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]
    const value = argv[i + 1]
    switch (name) {
      case '--port': opts.port = Number(value); i++; break
      case '--path': opts.path = value; i++; break
      case '--key': opts.key = value; i++; break
      case '--cert': opts.cert = value; i++; break
      case '--fail-share': opts.failShare = Number(value); i++; break
      case '--fail-seed': opts.failSeed = Number(value); i++; break
      case '--shard-limit': opts.shardLimit = Number(value); i++; break
      default:
        fail('unknown argument: ' + name + ' (expected: --port, --path, --key, --cert, --fail-share, --fail-seed, --shard-limit)')
    }
  }
  if (!opts.key || !opts.cert) fail('--key and --cert are required (PEM files)')
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) fail('--port: ' + opts.port + ' (expected: 0..65535)')
  if (!(opts.failShare >= 0 && opts.failShare <= 1)) fail('--fail-share: ' + opts.failShare + ' (expected: 0..1)')
  return opts
}

function fail(message) {
  process.stderr.write('kinesalite-server: ' + message + '\n')
  process.exit(2)
}

// mulberry32: a small seeded generator, so a throttling test can be replayed from its seed.
function seededRandom(seed) {
  let a = seed >>> 0
  return function () {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const opts = parseArgs(process.argv.slice(2))
const random = seededRandom(opts.failSeed)

const server = kinesalite({
  ssl: true,
  key: fs.readFileSync(opts.key),
  cert: fs.readFileSync(opts.cert),
  ca: fs.readFileSync(opts.cert),
  path: opts.path || undefined,
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: opts.shardLimit,
})

if (opts.failShare > 0) {
  // Sit in front of kinesalite's own request handler: PutRecords entries drawn for failure are taken
  // out of the request, and put back into the answer as ProvisionedThroughputExceededException.
  const kinesaliteHandler = server.listeners('request')[0]
  server.removeAllListeners('request')
  server.on('request', (req, res) => {
    const isPutRecords = (req.headers['x-amz-target'] || '') === 'Kinesis_20131202.PutRecords'
    const isJson = (req.headers['content-type'] || '').startsWith('application/x-amz-json')
    if (!isPutRecords || !isJson) return kinesaliteHandler(req, res)
    const parts = []
    req.on('data', (d) => parts.push(d))
    req.on('end', () => throttleShare(Buffer.concat(parts), req, res, kinesaliteHandler))
  })
}

function throttleShare(body, req, res, handler) {
  let request
  try {
    request = JSON.parse(body.toString('utf8'))
  } catch (e) {
    return replay(body, req, res, handler)
  }
  const records = Array.isArray(request.Records) ? request.Records : []
  const failed = records.map(() => random() < opts.failShare)
  const kept = records.filter((_, i) => !failed[i])
  if (kept.length === records.length) return replay(body, req, res, handler)
  if (kept.length === 0) {
    return sendJson(res, 200, {
      FailedRecordCount: records.length,
      Records: records.map(() => throttled()),
    })
  }
  request.Records = kept
  const capture = captureResponse(res, (status, headers, answer) => {
    if (status !== 200) return forward(res, status, headers, answer)
    const parsed = JSON.parse(answer.toString('utf8'))
    let next = 0
    const merged = failed.map((isFailed) => (isFailed ? throttled() : parsed.Records[next++]))
    sendJson(res, 200, {
      FailedRecordCount: (parsed.FailedRecordCount || 0) + failed.filter(Boolean).length,
      Records: merged,
    })
  })
  replay(Buffer.from(JSON.stringify(request), 'utf8'), req, capture, handler)
}

function throttled() {
  return {
    ErrorCode: 'ProvisionedThroughputExceededException',
    ErrorMessage: 'Rate exceeded for shard (injected by kinesalite-server --fail-share)',
  }
}

// Hands kinesalite a request object carrying `body` instead of the consumed original.
function replay(body, req, res, handler) {
  const fake = new PassThrough()
  fake.headers = Object.assign({}, req.headers, { 'content-length': String(body.length) })
  fake.method = req.method
  fake.url = req.url
  fake.httpVersion = req.httpVersion
  fake.socket = req.socket
  fake.connection = req.socket
  handler(fake, res)
  fake.end(body)
}

// A response stand-in that collects what kinesalite answers, then calls done(status, headers, body).
function captureResponse(res, done) {
  const headers = {}
  return {
    statusCode: 200,
    setHeader(name, value) { headers[name.toLowerCase()] = value },
    getHeader(name) { return headers[name.toLowerCase()] },
    removeHeader(name) { delete headers[name.toLowerCase()] },
    end(body) { done(this.statusCode, headers, Buffer.isBuffer(body) ? body : Buffer.from(body || '', 'utf8')) },
  }
}

function forward(res, status, headers, body) {
  for (const [name, value] of Object.entries(headers)) {
    if (name !== 'content-length') res.setHeader(name, value)
  }
  res.statusCode = status
  res.setHeader('Content-Length', body.length)
  res.end(body)
}

function sendJson(res, status, data) {
  const body = Buffer.from(JSON.stringify(data), 'utf8')
  res.statusCode = status
  res.setHeader('Content-Type', 'application/x-amz-json-1.1')
  res.setHeader('Content-Length', body.length)
  res.end(body)
}

server.listen(opts.port, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(JSON.stringify({ event: 'listening', host: address.address, port: address.port }) + '\n')
})

server.on('error', (err) => fail('cannot listen on 127.0.0.1:' + opts.port + ': ' + err.message))

let closing = false
function shutdown() {
  if (closing) return
  closing = true
  server.close(() => process.exit(0))
  // Keep-alive connections (KPL keeps several) would hold close() open: end them.
  if (typeof server.closeAllConnections === 'function') server.closeAllConnections()
  setTimeout(() => process.exit(0), 5000).unref()
}
// kinesalite throws from a request's 'error' handler when a client aborts a request mid-body (the
// KPL daemon closing a connection it gave up on): an uncaught exception that killed the emulator in
// the middle of a test run. A real Kinesis endpoint just drops that request; so do we, and go on.
process.on('uncaughtException', (err) => {
  if (err && (err.message === 'aborted' || err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
    process.stderr.write('kinesalite-server: a client aborted a request (' + (err.code || err.message) + '); dropped\n')
    return
  }
  process.stderr.write('kinesalite-server: ' + (err && err.stack ? err.stack : err) + '\n')
  process.exit(1)
})
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
