'use strict'
// The handler against real local parts: kinesalite holds the records (KPL aggregates made by
// awslabs' aws-kinesis-agg), GetRecords output is shaped as Lambda's Kinesis event, and s3rver
// stores the objects, read back through the S3 API.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('fs')
const zlib = require('zlib')
const { RecordAggregator } = require('aws-kinesis-agg')
const { PutRecordCommand } = require('@aws-sdk/client-kinesis')
const local = require('../tools/local')
const { createHandler } = require('../src/handler')
const { compileTable } = require('../src/routes')

const TABLE = {
  tagKey: 'tag',
  routes: [
    { match: 'app.access', bucket: 'logs', prefix: 'access/' },
    { match: 'app.photo', bucket: 'logs', prefix: 'photo/' },
    { match: 'app.user.**', bucket: 'logs', prefix: 'user/' },
  ],
  unmatched: { bucket: 'logs', prefix: 'unmatched/' },
}
const KEY = /^(access|photo|user|unmatched)\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/([^/]+)-(shardId-\d+)-(\d+)\.json\.gz$/

let kinesalite
let s3rver
let kinesis
let s3
let streams = 0
let s3dir

test.before(async () => {
  kinesalite = await local.startKinesalite()
  s3dir = local.tempDir('s3rver')
  s3rver = await local.startS3rver(s3dir, [])
  kinesis = local.kinesisClient(kinesalite.endpoint)
  s3 = local.s3Client(s3rver.endpoint)
})

test.after(async () => {
  kinesis.destroy()
  s3.destroy()
  await s3rver.close()
  await kinesalite.close()
  fs.rmSync(s3dir, { recursive: true, force: true })
})

/** A fresh stream (1 shard) and bucket for one test. */
async function fresh() {
  const n = ++streams
  const stream = 'router-test-' + n
  const bucket = 'logs-' + n
  const d = await local.createStream(kinesis, stream, 1)
  await local.createBucket(s3, bucket)
  const table = JSON.parse(JSON.stringify(TABLE))
  for (const r of [...table.routes, table.unmatched]) r.bucket = bucket
  return { stream, bucket, arn: d.StreamARN, shardId: d.Shards[0].ShardId, table }
}

/** One KPL aggregate of these events (objects → JSON; strings and Buffers as they are). */
function aggregate(events) {
  const a = new RecordAggregator()
  events.forEach((e, i) => {
    const data = Buffer.isBuffer(e) ? e : Buffer.from(typeof e === 'string' ? e : JSON.stringify(e) + '\n')
    a.addUserRecord({ partitionKey: 'pk-' + i, data })
  })
  return a.build().data
}

async function put(stream, data) {
  const out = await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: data }))
  return out.SequenceNumber
}

async function eventFrom(s, position = 'TRIM_HORIZON', limit = 100) {
  const records = await local.readShard(kinesis, s.stream, s.shardId, position, limit)
  return { records, event: local.lambdaEvent(records, { arn: s.arn, shardId: s.shardId }) }
}

function handlerFor(s, options = {}) {
  return createHandler({ table: compileTable(s.table, {}), s3, ...options })
}

/** prefix → sorted list of the events' "n" fields, from every object of the bucket. */
function byPrefix(objects) {
  const out = {}
  for (const o of objects) {
    const prefix = o.key.split('/')[0]
    out[prefix] = out[prefix] || []
    for (const line of o.lines) out[prefix].push(JSON.parse(line))
  }
  return out
}

function ns(events) {
  return events.map((e) => e.n).sort((a, b) => a - b)
}

function partitionOf(date) {
  const iso = date.toISOString()
  return 'dt=' + iso.slice(0, 10) + '/hour=' + iso.slice(11, 13)
}

test('every event of real GetRecords output lands once, by tag, in its hour partition', async () => {
  const s = await fresh()
  const tags = ['app.access', 'app.photo', 'app.user.login', 'app.user', 'app.debug', undefined]
  const expected = { access: [], photo: [], user: [], unmatched: [] }
  let n = 0
  for (let r = 0; r < 4; r++) {
    const events = []
    for (let i = 0; i < 30; i++, n++) {
      const tag = tags[n % tags.length]
      events.push(tag === undefined ? { n } : { n, tag, path: '/p/' + n + '?q="x"', time: '2026-01-01T00:00:00.000000000+0000' })
      const prefix = tag === 'app.access' ? 'access' : tag === 'app.photo' ? 'photo' : tag && tag.startsWith('app.user') ? 'user' : 'unmatched'
      expected[prefix].push(n)
    }
    await put(s.stream, aggregate(events))
  }
  // a plain record (not aggregated), a gzip'd one (compression gzip), one that is not JSON
  await put(s.stream, Buffer.from(JSON.stringify({ n: n, tag: 'app.photo' }) + '\n'))
  expected.photo.push(n++)
  await put(s.stream, zlib.gzipSync(Buffer.from(JSON.stringify({ n: n, tag: 'app.access' }))))
  expected.access.push(n++)
  await put(s.stream, Buffer.from('not json \x00\xff'))

  const { records, event } = await eventFrom(s)
  assert.equal(records.length, 7)
  const result = await handlerFor(s)(event)
  assert.deepEqual(result, { batchItemFailures: [] })

  const objects = await local.readBucket(s3, s.bucket)
  const got = byPrefix(objects)
  for (const prefix of ['access', 'photo', 'user']) assert.deepEqual(ns(got[prefix]), expected[prefix], prefix)
  const unmatched = got.unmatched
  assert.deepEqual(ns(unmatched.filter((e) => e.n !== undefined)), expected.unmatched)
  assert.deepEqual(unmatched.filter((e) => e.n === undefined), [{ unparsed_data_base64: Buffer.from('not json \x00\xff').toString('base64') }])
  for (const e of got.access) if (e.path) assert.equal(e.path, '/p/' + e.n + '?q="x"')

  const partitions = new Set(records.map((r) => partitionOf(r.ApproximateArrivalTimestamp)))
  for (const o of objects) {
    const m = KEY.exec(o.key)
    assert.ok(m, o.key)
    assert.ok(partitions.has('dt=' + m[2] + '/hour=' + m[3]), o.key)
    assert.equal(m[4], s.stream)
    assert.equal(m[5], s.shardId)
    assert.equal(m[6], records[0].SequenceNumber, 'named after the batch\'s first record')
    assert.ok(BigInt(o.metadata['first-sequence-number']) <= BigInt(o.metadata['last-sequence-number']))
    assert.equal(o.metadata.events, String(o.lines.length))
  }
})

test('a retried batch overwrites its own objects, also when the retry brings more records', async () => {
  const s = await fresh()
  const tags = ['app.access', 'app.photo', 'app.user']
  let n = 0
  const batch = (count) => Array.from({ length: count }, () => ({ n: n, tag: tags[n++ % 3] }))
  await put(s.stream, aggregate(batch(50)))
  await put(s.stream, aggregate(batch(50)))
  const handler = handlerFor(s)
  const first = await eventFrom(s)
  assert.deepEqual(await handler(first.event), { batchItemFailures: [] })
  const once = await local.readBucket(s3, s.bucket)

  // the same event again (a timeout after the writes, a lost response)
  assert.deepEqual(await handler(first.event), { batchItemFailures: [] })
  assert.deepEqual(await local.readBucket(s3, s.bucket), once)

  // a retry from the same checkpoint that finds more records in the shard
  await put(s.stream, aggregate(batch(50)))
  const grown = await eventFrom(s)
  assert.equal(grown.records.length, 3)
  assert.deepEqual(await handler(grown.event), { batchItemFailures: [] })
  const after = await local.readBucket(s3, s.bucket)
  const got = byPrefix(after)
  const all = [...got.access, ...got.photo, ...got.user]
  assert.deepEqual(ns(all), Array.from({ length: 150 }, (_, i) => i), 'every event exactly once')
  // the same keys, overwritten; a new key only for an arrival hour the first attempt did not have
  const hourOf = (key) => key.split('/').slice(1, 3).join('/')
  const onceKeys = new Set(once.map((o) => o.key))
  for (const k of onceKeys) assert.ok(after.some((o) => o.key === k), k)
  for (const o of after.filter((o) => !onceKeys.has(o.key))) {
    assert.ok(!once.some((p) => hourOf(p.key) === hourOf(o.key)), 'a second object in one hour: ' + o.key)
  }
})

test('a corrupt aggregate is reported from its sequence number on; the records before it are written', async () => {
  const s = await fresh()
  let n = 0
  const events = () => Array.from({ length: 10 }, () => ({ n: n++, tag: 'app.access' }))
  const good1 = await put(s.stream, aggregate(events())) // 0..9
  await put(s.stream, aggregate(events())) // 10..19
  const flipped = aggregate(events()) // 20..29, never readable
  flipped[flipped.length - 20] ^= 0x01 // inside the protobuf message: the MD5 no longer matches
  const bad1 = await put(s.stream, flipped)
  await put(s.stream, aggregate(events())) // 30..39
  const truncated = aggregate(events()) // 40..49, never readable
  const bad2 = await put(s.stream, truncated.subarray(0, Math.floor(truncated.length / 2)))
  await put(s.stream, aggregate(events())) // 50..59
  const handler = handlerFor(s)

  const first = await eventFrom(s)
  assert.equal(first.records[0].SequenceNumber, good1)
  assert.deepEqual(await handler(first.event), { batchItemFailures: [{ itemIdentifier: bad1 }] })
  assert.deepEqual(ns(byPrefix(await local.readBucket(s3, s.bucket)).access), [...Array(20).keys()])

  // Lambda retries from the reported record: it fails again and writes nothing more
  const retry = await eventFrom(s, { at: bad1 })
  assert.deepEqual(await handler(retry.event), { batchItemFailures: [{ itemIdentifier: bad1 }] })
  assert.deepEqual(ns(byPrefix(await local.readBucket(s3, s.bucket)).access), [...Array(20).keys()])

  // once Lambda has set it aside (retries exhausted, bisected to itself, sent to the on-failure
  // destination), the shard moves on: the next batch stops at the truncated aggregate
  const next = await eventFrom(s, { after: bad1 })
  assert.deepEqual(await handler(next.event), { batchItemFailures: [{ itemIdentifier: bad2 }] })
  const last = await eventFrom(s, { after: bad2 })
  assert.deepEqual(await handler(last.event), { batchItemFailures: [] })
  const expected = [...Array(20).keys(), ...Array.from({ length: 10 }, (_, i) => 30 + i), ...Array.from({ length: 10 }, (_, i) => 50 + i)]
  assert.deepEqual(ns(byPrefix(await local.readBucket(s3, s.bucket)).access), expected)
})

test('a failed write fails the whole batch and leaves no object behind; the retry writes everything once', async () => {
  const s = await fresh()
  const missing = s.bucket + '-photos'
  s.table.routes[1].bucket = missing // app.photo → a bucket that does not exist (yet)
  let n = 0
  const events = Array.from({ length: 60 }, () => ({ n: n, tag: ['app.access', 'app.photo', 'app.user'][n++ % 3] }))
  const seq = await put(s.stream, aggregate(events.slice(0, 30)))
  await put(s.stream, aggregate(events.slice(30)))
  const handler = handlerFor(s)
  const { event } = await eventFrom(s)
  assert.deepEqual(await handler(event), { batchItemFailures: [{ itemIdentifier: seq }] })
  assert.deepEqual(await local.readBucket(s3, s.bucket), [], 'the objects of the failed attempt were deleted')

  await local.createBucket(s3, missing)
  assert.deepEqual(await handler(event), { batchItemFailures: [] })
  const got = byPrefix([...await local.readBucket(s3, s.bucket), ...await local.readBucket(s3, missing)])
  assert.deepEqual(ns([...got.access, ...got.photo, ...got.user]), [...Array(60).keys()])
  assert.equal(got.photo.length, 20)
})

test('the Lambda entry point reads its table and S3 endpoint from the environment', async () => {
  const s = await fresh()
  await put(s.stream, aggregate([{ n: 1, tag: 'app.user' }, { n: 2, tag: 'other' }]))
  const saved = { ...process.env }
  Object.assign(process.env, {
    ROUTES: JSON.stringify({ ...TABLE, unmatched: { bucket: '${LOG_BUCKET}', prefix: 'unmatched/' } }).replaceAll('"logs"', '"${LOG_BUCKET}"'),
    LOG_BUCKET: s.bucket,
    S3_ENDPOINT: s3rver.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: local.REGION,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  })
  try {
    delete require.cache[require.resolve('../src/handler')]
    const { handler } = require('../src/handler')
    const { event } = await eventFrom(s)
    assert.deepEqual(await handler(event), { batchItemFailures: [] })
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
  const got = byPrefix(await local.readBucket(s3, s.bucket))
  assert.deepEqual(ns(got.user), [1])
  assert.deepEqual(ns(got.unmatched), [2])
})

test('the routing table shipped in the zip is the one in routes.json', () => {
  const table = JSON.parse(fs.readFileSync(require.resolve('../routes.json'), 'utf8'))
  assert.ok(compileTable(table, { LOG_BUCKET: 'x' }).routes.length >= 3)
})
