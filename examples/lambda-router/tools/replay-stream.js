#!/usr/bin/env node
'use strict'
// Runs the handler over a Kinesis stream as Lambda's event source mapping would: per shard, from
// TRIM_HORIZON, GetRecords pages of --batch-size records become Kinesis events; a reported failure
// moves the shard's checkpoint to the failed record and the batch is retried from there (at most
// --max-retries times). For the local run and the end-to-end test (LambdaRouterIT).
//
//   node tools/replay-stream.js --kinesis-endpoint https://127.0.0.1:4567 --insecure --stream local-logs
//        (--s3-endpoint http://127.0.0.1:PORT | --s3rver-dir DIR) [--bucket logs] [--routes routes.json]
//        [--batch-size 100] [--retry-every N] [--passes 1] [--max-retries 3] [--dump FILE]
//
//   --retry-every N  invoke every Nth batch a second time with the same event, as Lambda does after a
//                    timeout or a lost response: the second run must overwrite the first's objects
//   --passes P       read the whole stream P times (a replay from TRIM_HORIZON)
//   --s3rver-dir D   start s3rver here (data in D, the bucket created); else --s3-endpoint is used
//   --dump FILE      write every object of the bucket, one JSON line each: {"key":..,"lines":[..]}
//
// Prints one JSON line when done: {"event":"done","batches":..,"retried":..,"failures":..,"objects":..}
// Exits 1 if a batch still failed after --max-retries.

const fs = require('fs')
const path = require('path')
const local = require('./local')
const { createHandler } = require('../src/handler')
const { compileTable } = require('../src/routes')

function parseArgs(argv) {
  const opts = {
    kinesisEndpoint: null, insecure: false, stream: null, s3Endpoint: null, s3rverDir: null, bucket: 'logs',
    routes: path.join(__dirname, '..', 'routes.json'), batchSize: 100, retryEvery: 0, passes: 1, maxRetries: 3,
    dump: null, region: local.REGION,
  }
  const numbers = { '--batch-size': 'batchSize', '--retry-every': 'retryEvery', '--passes': 'passes', '--max-retries': 'maxRetries' }
  const strings = {
    '--kinesis-endpoint': 'kinesisEndpoint', '--stream': 'stream', '--s3-endpoint': 's3Endpoint',
    '--s3rver-dir': 's3rverDir', '--bucket': 'bucket', '--routes': 'routes', '--dump': 'dump', '--region': 'region',
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--insecure') opts.insecure = true
    else if (numbers[a]) {
      const n = Number(argv[++i])
      if (!Number.isInteger(n) || n < 0) fail(a + ': expected a non-negative integer, got ' + argv[i])
      opts[numbers[a]] = n
    } else if (strings[a]) {
      if (argv[i + 1] === undefined) fail(a + ': value missing')
      opts[strings[a]] = argv[++i]
    } else fail('unknown argument: ' + a + ' (expected: ' + ['--insecure', ...Object.keys(numbers), ...Object.keys(strings)].join(', ') + ')')
  }
  if (!opts.kinesisEndpoint || !opts.stream) fail('--kinesis-endpoint and --stream are required')
  if (!opts.s3Endpoint === !opts.s3rverDir) fail('give exactly one of --s3-endpoint and --s3rver-dir')
  if (opts.batchSize < 1 || opts.batchSize > 10000) fail('--batch-size: 1..10000 (Lambda\'s range)')
  return opts
}

function fail(message) {
  process.stderr.write('replay-stream: ' + message + '\n')
  process.exit(2)
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const s3rver = opts.s3rverDir ? await local.startS3rver(opts.s3rverDir, [opts.bucket]) : null
  const s3 = local.s3Client(s3rver ? s3rver.endpoint : opts.s3Endpoint)
  const kinesis = local.kinesisClient(opts.kinesisEndpoint, { insecure: opts.insecure, region: opts.region })
  const env = { ...process.env, LOG_BUCKET: opts.bucket }
  const handler = createHandler({ table: compileTable(JSON.parse(fs.readFileSync(opts.routes, 'utf8')), env), s3 })
  const arn = await local.streamArn(kinesis, opts.stream)
  const stats = { batches: 0, retried: 0, failures: 0 }
  let gaveUp = false
  try {
    for (let pass = 0; pass < opts.passes; pass++) {
      for (const shardId of await local.shardIds(kinesis, opts.stream)) {
        let position = 'TRIM_HORIZON'
        let attempts = 0
        for (;;) {
          const records = await local.readShard(kinesis, opts.stream, shardId, position, opts.batchSize)
          if (records.length === 0) break
          const event = local.lambdaEvent(records, { arn, shardId, region: opts.region })
          stats.batches++
          let result = await handler(event)
          if (opts.retryEvery > 0 && stats.batches % opts.retryEvery === 0) {
            stats.retried++
            result = await handler(event)
          }
          const failed = (result && result.batchItemFailures) || []
          if (failed.length === 0) {
            position = { after: records[records.length - 1].SequenceNumber }
            attempts = 0
            continue
          }
          stats.failures++
          const seqs = failed.map((f) => f.itemIdentifier).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))
          if (++attempts > opts.maxRetries) {
            process.stderr.write('replay-stream: ' + shardId + ' still fails at ' + seqs[0] + ' after ' + opts.maxRetries + ' retries\n')
            gaveUp = true
            break
          }
          position = { at: seqs[0] }
        }
      }
    }
    const objects = await local.readBucket(s3, opts.bucket)
    if (opts.dump) {
      fs.writeFileSync(opts.dump, objects.map((o) => JSON.stringify({ key: o.key, lines: o.lines })).join('\n') + (objects.length ? '\n' : ''))
    }
    process.stdout.write(JSON.stringify({ event: 'done', ...stats, objects: objects.length }) + '\n')
  } finally {
    kinesis.destroy()
    s3.destroy()
    if (s3rver) await s3rver.close()
  }
  process.exit(gaveUp ? 1 : 0)
}

main().catch((e) => {
  process.stderr.write('replay-stream: ' + (e && e.stack ? e.stack : e) + '\n')
  process.exit(1)
})
