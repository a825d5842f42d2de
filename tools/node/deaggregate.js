#!/usr/bin/env node
// De-aggregates Kinesis records with awslabs' kinesis-aggregation (npm aws-kinesis-agg, the library
// the seed's Lambda uses), checksums on. An independent check of what our Java aggregator writes.
//
// stdin:  one Kinesis record per line, as a consumer gets it:
//           {"sequenceNumber":"...","partitionKey":"...","explicitHashKey":"...","data":"<base64>"}
// stdout: one line per user record:
//           {"sequenceNumber":"...","subSequenceNumber":0,"partitionKey":"...",
//            "explicitPartitionKey":"...","data":"<base64>"}
//         a line {"error":"...","sequenceNumber":"..."} for every record that fails, and a last line
//           {"event":"done","records":N,"userRecords":M,"errors":E}
'use strict'

const readline = require('readline')
const agg = require('aws-kinesis-agg')

let records = 0
let userRecords = 0
let errors = 0
const out = []

function flush() {
  if (out.length > 0) {
    process.stdout.write(out.join('\n') + '\n')
    out.length = 0
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
  if (line.trim() === '') return
  const record = JSON.parse(line)
  records++
  agg.deaggregateSync({
    sequenceNumber: record.sequenceNumber,
    partitionKey: record.partitionKey,
    explicitPartitionKey: record.explicitHashKey,
    data: record.data,
  }, true, (err, users) => {
    if (err) {
      errors++
      out.push(JSON.stringify({ error: String(err && err.message ? err.message : err), sequenceNumber: record.sequenceNumber }))
      return
    }
    for (const user of users) {
      userRecords++
      out.push(JSON.stringify({
        sequenceNumber: user.sequenceNumber,
        subSequenceNumber: user.subSequenceNumber === undefined ? null : user.subSequenceNumber,
        partitionKey: user.partitionKey,
        explicitPartitionKey: user.explicitPartitionKey === undefined ? null : user.explicitPartitionKey,
        data: user.data,
      }))
    }
  })
  if (out.length > 1000) flush()
})
lines.on('close', () => {
  out.push(JSON.stringify({ event: 'done', records, userRecords, errors }))
  flush()
})
