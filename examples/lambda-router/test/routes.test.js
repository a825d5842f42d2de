'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { compilePattern, compileTable } = require('../src/routes')

test('patterns follow Fluentd <match> syntax', () => {
  const cases = [
    ['app.access', ['app.access'], ['app', 'app.access.x', 'app.accessx', 'xapp.access']],
    ['app.*', ['app.access', 'app.user'], ['app', 'app.user.x']],
    ['app.**', ['app', 'app.user', 'app.user.x'], ['apps', 'other.app']],
    ['**', ['a', 'a.b.c'], []],
    ['**.user', ['user', 'app.user', 'a.b.user'], ['app.users', 'app.user.x']],
    ['{app,web}.access', ['app.access', 'web.access'], ['api.access', 'app.web.access']],
    ['app.{photo,user.**}', ['app.photo', 'app.user', 'app.user.login'], ['app.photos', 'app.access']],
    ['a+b.(c)', ['a+b.(c)'], ['aab.c']],
  ]
  for (const [pattern, yes, no] of cases) {
    const re = compilePattern(pattern)
    for (const tag of yes) assert.ok(re.test(tag), pattern + ' should match ' + tag)
    for (const tag of no) assert.ok(!re.test(tag), pattern + ' should not match ' + tag)
  }
})

test('bad patterns are refused with the pattern in the message', () => {
  assert.throws(() => compilePattern('{a,b'), /unclosed "\{" in "\{a,b"/)
  assert.throws(() => compilePattern('a}'), /unbalanced "\}"/)
  assert.throws(() => compilePattern(''), /non-empty tag pattern/)
})

test('the table routes first match first, everything else to unmatched', () => {
  const t = compileTable({
    routes: [
      { match: 'app.user.admin', bucket: 'b', prefix: 'admin' },
      { match: 'app.user.**', bucket: '${BUCKET}', prefix: 'user/' },
    ],
    unmatched: { bucket: 'b', prefix: 'unmatched/' },
  }, { BUCKET: 'from-env' })
  assert.equal(t.tagKey, 'tag')
  assert.deepEqual({ ...t.route('app.user.admin'), regex: undefined }, { regex: undefined, match: 'app.user.admin', bucket: 'b', prefix: 'admin/' })
  assert.equal(t.route('app.user.login').bucket, 'from-env')
  assert.equal(t.route('app.photo').prefix, 'unmatched/')
  assert.equal(t.route(undefined).prefix, 'unmatched/')
  assert.equal(t.route(42).prefix, 'unmatched/')
})

test('table errors name the entry', () => {
  const unmatched = { bucket: 'b', prefix: 'u/' }
  assert.throws(() => compileTable({ routes: [] }), /"unmatched": required/)
  assert.throws(() => compileTable({ routes: [{ match: 'a', prefix: 'p/' }], unmatched }), /routes\[0\]: "bucket" must be a string/)
  assert.throws(() => compileTable({ routes: [{ match: 'a{', bucket: 'b', prefix: 'p/' }], unmatched }), /routes\[0\] route "match": unclosed/)
  assert.throws(() => compileTable({ routes: [{ match: 'a', bucket: '${NOPE}', prefix: 'p/' }], unmatched }, {}), /routes\[0\] "bucket": environment variable NOPE is not set/)
  assert.throws(() => compileTable({ routes: [], unmatched: { bucket: 'b', prefix: '/abs' } }), /must not start with "\/"/)
})

test('the shipped routes.json compiles', () => {
  const t = compileTable(require('../routes.json'), { LOG_BUCKET: 'logs' })
  assert.equal(t.route('app.access').prefix, 'access/')
  assert.equal(t.route('app.user').prefix, 'user/')
  assert.equal(t.route('app.debug').prefix, 'unmatched/')
})
