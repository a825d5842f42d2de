'use strict'
// Local stand-ins for the AWS parts, for the tests and tools/replay-stream.js: kinesalite (the
// Kinesis emulator), s3rver (a local S3), and what Lambda's poller does between them: GetRecords
// pages turned into Lambda's Kinesis events. Loopback only.

const fs = require('fs')
const https = require('https')
const os = require('os')
const path = require('path')
const zlib = require('zlib')
const {
  KinesisClient, CreateStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand,
  ListShardsCommand,
} = require('@aws-sdk/client-kinesis')
const { NodeHttpHandler } = require('@smithy/node-http-handler')
const {
  S3Client, CreateBucketCommand, ListObjectsV2Command, GetObjectCommand,
} = require('@aws-sdk/client-s3')

const REGION = 'us-east-1'
const FAKE_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } // s3rver's; kinesalite takes any

/** kinesalite in this process on 127.0.0.1, in memory. Resolves to { endpoint, close() }. */
async function startKinesalite() {
  const kinesalite = require('kinesalite')
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  return {
    endpoint: 'http://127.0.0.1:' + server.address().port,
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

/** s3rver in this process on 127.0.0.1, storing under `directory`, with `buckets` created. */
async function startS3rver(directory, buckets = []) {
  const S3rver = require('s3rver')
  const server = new S3rver({
    address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })),
  })
  const { port } = await server.run()
  return { endpoint: 'http://127.0.0.1:' + port, close: () => server.close() }
}

function tempDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), name + '-'))
}

/**
 * An SDK Kinesis client over HTTP/1.1 (the SDK's default for Kinesis is HTTP/2, which kinesalite
 * does not speak); `insecure` accepts a self-signed certificate (the project's TLS kinesalite).
 */
function kinesisClient(endpoint, { insecure = false, region = REGION } = {}) {
  const requestHandler = new NodeHttpHandler(insecure ? { httpsAgent: new https.Agent({ rejectUnauthorized: false }) } : {})
  return new KinesisClient({ endpoint, region, credentials: FAKE_CREDENTIALS, maxAttempts: 3, requestHandler })
}

function s3Client(endpoint) {
  return new S3Client({ endpoint, region: REGION, credentials: FAKE_CREDENTIALS, forcePathStyle: true, maxAttempts: 1 })
}

async function createStream(kinesis, name, shards) {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }))
  for (let i = 0; i < 100; i++) {
    const d = await kinesis.send(new DescribeStreamCommand({ StreamName: name }))
    if (d.StreamDescription.StreamStatus === 'ACTIVE') return d.StreamDescription
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('stream ' + name + ' not ACTIVE')
}

async function shardIds(kinesis, stream) {
  const out = await kinesis.send(new ListShardsCommand({ StreamName: stream }))
  return out.Shards.map((s) => s.ShardId)
}

async function streamArn(kinesis, stream) {
  const d = await kinesis.send(new DescribeStreamCommand({ StreamName: stream }))
  return d.StreamDescription.StreamARN
}

/** A GetRecords page as Lambda's poller hands it to the function (its Kinesis event). */
function lambdaEvent(records, { arn, shardId, region = REGION }) {
  return {
    Records: records.map((r) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey,
        sequenceNumber: r.SequenceNumber,
        data: Buffer.from(r.Data).toString('base64'),
        approximateArrivalTimestamp: r.ApproximateArrivalTimestamp.getTime() / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: shardId + ':' + r.SequenceNumber,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/lambda-router',
      awsRegion: region,
      eventSourceARN: arn,
    })),
  }
}

/** Up to `limit` records of a shard from `position` (TRIM_HORIZON, or {at: SEQUENCE} / {after: SEQUENCE}). */
async function readShard(kinesis, stream, shardId, position, limit) {
  const request = { StreamName: stream, ShardId: shardId }
  if (position === 'TRIM_HORIZON') request.ShardIteratorType = 'TRIM_HORIZON'
  else if (position.at) Object.assign(request, { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: position.at })
  else Object.assign(request, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: position.after })
  const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand(request))
  const out = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: limit }))
  return out.Records
}

/** Every object of a bucket: [{ key, lines (JSON text, gunzip'd), metadata }], sorted by key. */
async function readBucket(s3, bucket) {
  const objects = []
  let token
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }))
    for (const o of page.Contents || []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }))
      const body = Buffer.from(await got.Body.transformToByteArray())
      const text = zlib.gunzipSync(body).toString('utf8')
      objects.push({ key: o.Key, lines: text.split('\n').filter((l) => l !== ''), metadata: got.Metadata || {} })
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

async function createBucket(s3, bucket) {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
}

module.exports = {
  REGION, startKinesalite, startS3rver, tempDir, kinesisClient, s3Client, createStream, shardIds, streamArn,
  lambdaEvent, readShard, readBucket, createBucket,
}
