'use strict'
// template.yaml agrees with the code: the handler it names exists in the zip's layout, the
// event source mapping hands partial failures back (ReportBatchItemFailures) and bisects, and the
// role allows exactly the S3 calls the router makes.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('fs')
const path = require('path')
const yaml = require('js-yaml')

const root = path.join(__dirname, '..')
const template = yaml.load(fs.readFileSync(path.join(root, 'template.yaml'), 'utf8'))
const fn = template.Resources.RouterFunction.Properties

test('the handler and runtime the template names are the code\'s', () => {
  const [file, exported] = fn.Handler.split('.')
  assert.equal(typeof require(path.join(root, file + '.js'))[exported], 'function')
  assert.equal(fn.Runtime, 'nodejs20.x')
  assert.equal(fn.CodeUri, 'dist/lambda-router.zip')
  assert.match(fs.readFileSync(path.join(root, 'tools', 'build-zip.js'), 'utf8'), /'dist', 'lambda-router\.zip'/)
  // every ${VAR} of routes.json is set by the template
  for (const [, name] of fs.readFileSync(path.join(root, 'routes.json'), 'utf8').matchAll(/\$\{([A-Za-z_0-9]+)\}/g)) {
    assert.ok(fn.Environment.Variables[name], name + ' set in the template')
  }
})

test('the event source mapping reports partial failures, bisects and sets failing batches aside', () => {
  const e = fn.Events.Stream
  assert.equal(e.Type, 'Kinesis')
  assert.deepEqual(e.Properties.FunctionResponseTypes, ['ReportBatchItemFailures'])
  assert.equal(e.Properties.BisectBatchOnFunctionError, true)
  assert.equal(e.Properties.DestinationConfig.OnFailure.Type, 'SQS')
  assert.ok(e.Properties.MaximumRetryAttempts)
})

test('the role allows the S3 calls the router makes', () => {
  const actions = fn.Policies.flatMap((p) => p.Statement).flatMap((s) => s.Action)
  const source = fs.readFileSync(path.join(root, 'src', 'router.js'), 'utf8')
  const used = [...source.matchAll(/new (\w+)Command\(/g)].map((m) => 's3:' + m[1])
  assert.deepEqual([...new Set(used)].sort(), ['s3:DeleteObject', 's3:PutObject'])
  for (const a of used) assert.ok(actions.includes(a), a)
  for (const a of ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream', 'kinesis:ListShards']) {
    assert.ok(actions.includes(a), a)
  }
})
