'use strict'
// `npm run zip` builds a package Lambda can load: an independent zip reader (Python's zipfile)
// checks every entry's CRC and extracts it, and a fresh Node process loads the handler from there.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')
const local = require('../tools/local')

test('npm run zip: src, routes.json and the production dependencies only, loadable', () => {
  const dir = local.tempDir('zip')
  const zip = path.join(dir, 'lambda-router.zip')
  const out = execFileSync(process.execPath, [path.join(__dirname, '..', 'tools', 'build-zip.js'), '--out', zip], { encoding: 'utf8' })
  assert.match(out, /"event":"zip"/)
  execFileSync('python3', ['-m', 'zipfile', '-t', zip])
  const names = execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', zip], { encoding: 'utf8' }).trim().split('\n')
  for (const f of ['package.json', 'routes.json', 'src/handler.js', 'src/router.js', 'src/routes.js']) assert.ok(names.includes(f), f)
  assert.ok(names.some((n) => n.startsWith('node_modules/aws-kinesis-agg/')))
  assert.ok(names.some((n) => n.startsWith('node_modules/@aws-sdk/client-s3/')))
  for (const dev of ['kinesalite', 's3rver', '@aws-sdk/client-kinesis']) {
    assert.ok(!names.some((n) => n.startsWith('node_modules/' + dev + '/')), dev + ' is a dev dependency')
  }
  assert.ok(!names.some((n) => n.startsWith('test/') || n.startsWith('tools/')))
  const extracted = path.join(dir, 'x')
  execFileSync('python3', ['-m', 'zipfile', '-e', zip, extracted])
  const loaded = execFileSync(process.execPath, ['-e', 'const h = require(process.argv[1]); console.log(typeof h.handler)', path.join(extracted, 'src', 'handler.js')], {
    encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH },
  })
  assert.equal(loaded.trim(), 'function')
  fs.rmSync(dir, { recursive: true, force: true })
})
