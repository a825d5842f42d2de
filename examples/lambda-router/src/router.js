'use strict'
// One invocation's work: Lambda's Kinesis event → user records (aws-kinesis-agg, checksums on) →
// one gzip'd JSON-lines object per destination and hour → batchItemFailures.
//
// Invariants (docs/pipeline.md, "Retries and duplicates"):
//   - An object's key is a function of the destination, the arrival hour of its Kinesis records,
//     the stream, the shard and the sequence number of the batch's first record of that shard. A
//     retried batch starts at the same record (Lambda re-reads from its checkpoint), so it writes
//     the same keys and overwrites what an earlier attempt wrote: no event twice.
//   - Only a prefix of the batch is ever written: records are decoded in order and the first one
//     that does not decode (corrupt aggregate, checksum mismatch) ends the prefix. It is reported
//     as the batch's only failure, so Lambda checkpoints just before it and retries from it.
//   - If any object cannot be written, the objects this attempt wrote are deleted (best effort) and
//     the whole batch is reported failed: the retry starts at the same record and writes the same keys.
//   - Every event is written somewhere: a tag no route matches, a missing tag or data that is not
//     a JSON object go to the table's "unmatched" destination.

const zlib = require('zlib')
const agg = require('aws-kinesis-agg')
const { PutObjectCommand, DeleteObjectCommand } = require('@aws-sdk/client-s3')

const GZIP_MAGIC_0 = 0x1f
const GZIP_MAGIC_1 = 0x8b

/** aws-kinesis-agg's deaggregateSync as a function: the user records, or a thrown Error. */
function deaggregate(kinesis) {
  let error = null
  let users = null
  agg.deaggregateSync(
    {
      partitionKey: kinesis.partitionKey,
      explicitPartitionKey: kinesis.explicitHashKey,
      sequenceNumber: kinesis.sequenceNumber,
      data: kinesis.data,
    },
    true, // checksums on: a corrupted aggregate fails instead of yielding garbage
    (err, records) => {
      // the library may call back twice (an error for one user record, then the end)
      if (err) error = error || err
      else if (users === null) users = records
    },
  )
  if (error) throw error instanceof Error ? error : new Error(String(error))
  if (users === null) throw new Error('de-aggregation returned no records')
  return users
}

/**
 * The event's JSON line and its tag. Data that is gzip'd (the output's `compression gzip`) is
 * unpacked; a trailing newline (v3 outputs) is dropped; anything that is not a JSON object is
 * wrapped as {"unparsed_data_base64": ...} so that it still reaches S3, unmatched.
 */
function toLine(data, tagKey) {
  let bytes = data
  if (bytes.length > 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1) {
    try {
      bytes = zlib.gunzipSync(bytes)
    } catch (e) {
      return { line: JSON.stringify({ unparsed_data_base64: data.toString('base64') }), tag: undefined }
    }
  }
  const text = bytes.toString('utf8').replace(/\r?\n$/, '')
  let value
  try {
    value = JSON.parse(text)
  } catch (e) {
    value = undefined
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { line: JSON.stringify({ unparsed_data_base64: bytes.toString('base64') }), tag: undefined }
  }
  // keep the producer's bytes (field order, number precision) unless they span lines
  const line = text.includes('\n') ? JSON.stringify(value) : text
  return { line, tag: value[tagKey] }
}

/** "arn:aws:kinesis:REGION:ACCOUNT:stream/NAME" → NAME. */
function streamName(arn) {
  const i = typeof arn === 'string' ? arn.lastIndexOf(':stream/') : -1
  if (i < 0) throw new Error('eventSourceARN: expected a Kinesis stream ARN, got ' + JSON.stringify(arn))
  return arn.slice(i + ':stream/'.length)
}

/** "shardId-000000000001:4959..." → "shardId-000000000001". */
function shardId(eventID) {
  const i = typeof eventID === 'string' ? eventID.indexOf(':') : -1
  if (i <= 0) throw new Error('eventID: expected "shardId-...:SEQUENCE", got ' + JSON.stringify(eventID))
  return eventID.slice(0, i)
}

function pad2(n) {
  return n < 10 ? '0' + n : String(n)
}

/** The time partition of a Kinesis record: its arrival time in the stream, UTC. */
function partitionOf(approximateArrivalTimestamp) {
  const d = new Date(Math.floor(Number(approximateArrivalTimestamp) * 1000))
  if (Number.isNaN(d.getTime())) throw new Error('approximateArrivalTimestamp: not a time: ' + approximateArrivalTimestamp)
  return 'dt=' + d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) +
    '/hour=' + pad2(d.getUTCHours())
}

/** Runs fn over items with at most `limit` in flight; resolves to Promise.allSettled's shape. */
async function settleAll(items, limit, fn) {
  const results = new Array(items.length)
  let next = 0
  async function worker() {
    while (next < items.length) {
      const i = next++
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]) }
      } catch (reason) {
        results[i] = { status: 'rejected', reason }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

function log(level, message, fields) {
  const line = JSON.stringify({ level, message, ...fields })
  if (level === 'error' || level === 'warn') console.error(line)
  else console.log(line)
}

/**
 * Processes one Kinesis event. options: { s3 (an S3Client), table (compileTable's result),
 * maxConcurrentPuts = 8 }. Resolves to { batchItemFailures: [...] } and never rejects for a bad
 * record or a failed write (those are reported as failures); it rejects for an event that is not
 * a Kinesis event.
 */
async function processEvent(event, { s3, table, maxConcurrentPuts = 8 }) {
  const records = (event && event.Records) || []
  if (records.length === 0) return { batchItemFailures: [] }

  const objects = new Map() // key → { bucket, key, lines, first, last, records }
  const firstOfShard = new Map() // stream/shard → sequence number of its first record here
  let failedAt = null
  let kinesisRecords = 0
  let events = 0
  let unmatched = 0

  for (const record of records) {
    const k = record.kinesis
    const stream = streamName(record.eventSourceARN)
    const shard = shardId(record.eventID)
    const shardKey = stream + '/' + shard
    if (!firstOfShard.has(shardKey)) firstOfShard.set(shardKey, k.sequenceNumber)
    let users
    try {
      users = deaggregate(k)
    } catch (e) {
      failedAt = k.sequenceNumber
      log('error', 'Kinesis record does not de-aggregate; reporting it (and the rest of the batch) as failed', {
        stream, shard, sequenceNumber: k.sequenceNumber, error: String(e.message || e),
      })
      break
    }
    kinesisRecords++
    const partition = partitionOf(k.approximateArrivalTimestamp)
    const name = stream + '-' + shard + '-' + firstOfShard.get(shardKey) + '.json.gz'
    for (const user of users) {
      const { line, tag } = toLine(Buffer.from(user.data, 'base64'), table.tagKey)
      const dest = table.route(tag)
      if (dest.match === null) unmatched++
      const key = dest.prefix + partition + '/' + name
      const id = dest.bucket + '/' + key
      let o = objects.get(id)
      if (!o) {
        o = { bucket: dest.bucket, key, lines: [], first: k.sequenceNumber, last: k.sequenceNumber, records: 0 }
        objects.set(id, o)
      }
      if (o.last !== k.sequenceNumber || o.records === 0) o.records++
      o.last = k.sequenceNumber
      o.lines.push(line)
      events++
    }
  }

  const list = [...objects.values()]
  const results = await settleAll(list, maxConcurrentPuts, (o) => s3.send(new PutObjectCommand({
    Bucket: o.bucket,
    Key: o.key,
    Body: zlib.gzipSync(Buffer.from(o.lines.join('\n') + '\n', 'utf8')),
    ContentType: 'application/gzip',
    Metadata: {
      'first-sequence-number': o.first,
      'last-sequence-number': o.last,
      'kinesis-records': String(o.records),
      events: String(o.lines.length),
    },
  })))
  const failed = results.filter((r) => r.status === 'rejected')
  if (failed.length > 0) {
    for (let i = 0; i < list.length; i++) {
      if (results[i].status === 'rejected') {
        log('error', 'S3 PutObject failed; the whole batch will be retried', {
          bucket: list[i].bucket, key: list[i].key, error: String(results[i].reason && (results[i].reason.name || results[i].reason)),
        })
      }
    }
    const written = list.filter((o, i) => results[i].status === 'fulfilled')
    const deletes = await settleAll(written, maxConcurrentPuts, (o) => s3.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: o.key })))
    const kept = deletes.filter((r) => r.status === 'rejected').length
    log('warn', 'batch failed', {
      records: records.length, objectsFailed: failed.length, objectsWritten: written.length, objectsNotDeleted: kept,
    })
    return { batchItemFailures: [{ itemIdentifier: records[0].kinesis.sequenceNumber }] }
  }
  log('info', failedAt === null ? 'batch written' : 'batch written up to the failed record', {
    records: records.length, decoded: kinesisRecords, events, unmatched, objects: list.length,
    failedAt,
  })
  return { batchItemFailures: failedAt === null ? [] : [{ itemIdentifier: failedAt }] }
}

module.exports = { processEvent, deaggregate, toLine, partitionOf, streamName, shardId }
