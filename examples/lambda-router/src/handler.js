'use strict'
// The Lambda entry point (runtime nodejs20.x, handler src/handler.handler), for an event source
// mapping on the aggregator's Kinesis stream with FunctionResponseTypes [ReportBatchItemFailures].
//
// Environment:
//   ROUTES               the routing table as JSON (overrides ROUTES_FILE)
//   ROUTES_FILE          path of the table (default: routes.json beside package.json)
//   LOG_BUCKET ...       whatever the table names as ${VAR}
//   S3_ENDPOINT          another S3 endpoint (a local S3 in tests); unset on AWS
//   S3_FORCE_PATH_STYLE  "true" for path-style requests (local S3s need it)
//   MAX_CONCURRENT_PUTS  PutObject calls in flight per invocation (default 8)
// The table is read once per execution environment: a bad table fails every invocation with
// a message naming the entry, and the stream waits (nothing is checkpointed) until it is fixed.

const fs = require('fs')
const path = require('path')
const { S3Client } = require('@aws-sdk/client-s3')
const { compileTable } = require('./routes')
const { processEvent } = require('./router')

function loadTable(env) {
  if (env.ROUTES) return compileTable(JSON.parse(env.ROUTES), env)
  const file = env.ROUTES_FILE || path.join(__dirname, '..', 'routes.json')
  return compileTable(JSON.parse(fs.readFileSync(file, 'utf8')), env)
}

function s3Client(env) {
  const config = {}
  if (env.S3_ENDPOINT) config.endpoint = env.S3_ENDPOINT
  if (env.S3_FORCE_PATH_STYLE === 'true') config.forcePathStyle = true
  return new S3Client(config)
}

/** A handler bound to a table and a client (tests and tools build their own). */
function createHandler({ table, s3, maxConcurrentPuts }) {
  return (event) => processEvent(event, { table, s3, maxConcurrentPuts })
}

let bound = null
exports.handler = async (event) => {
  if (bound === null) {
    const env = process.env
    const max = env.MAX_CONCURRENT_PUTS ? Number(env.MAX_CONCURRENT_PUTS) : 8
    if (!Number.isInteger(max) || max < 1) throw new Error('MAX_CONCURRENT_PUTS: expected a positive integer, got ' + env.MAX_CONCURRENT_PUTS)
    bound = createHandler({ table: loadTable(env), s3: s3Client(env), maxConcurrentPuts: max })
  }
  return bound(event)
}
exports.createHandler = createHandler
exports.loadTable = loadTable
exports.s3Client = s3Client
