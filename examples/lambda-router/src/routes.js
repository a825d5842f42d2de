'use strict'
// The routing table: tag pattern → S3 bucket and key prefix, first match wins, and the
// "unmatched" destination for every tag no route matches (and every record with no tag).
//
// Patterns use Fluentd's <match> syntax, as the aggregator's own routing does:
//   a.b      the tag a.b            a.*      a.b, not a or a.b.c
//   a.**     a, a.b, a.b.c          **       every tag
//   {a,b}.x  a.x and b.x            **.x     x, a.x, a.b.x
//
// Table (routes.json, or the ROUTES environment variable as JSON):
//   {
//     "tagKey": "tag",                          the field of each event holding its tag
//     "routes": [ { "match": "app.access", "bucket": "my-logs", "prefix": "access/" }, ... ],
//     "unmatched": { "bucket": "my-logs", "prefix": "unmatched/" }
//   }
// String values may name environment variables as ${NAME} (the template passes the bucket so).

/** Compiles a Fluentd match pattern to an anchored RegExp. */
function compilePattern(pattern) {
  if (typeof pattern !== 'string' || pattern === '') {
    throw new Error('route "match": expected a non-empty tag pattern, got ' + JSON.stringify(pattern))
  }
  return new RegExp('^' + patternSource(pattern, pattern) + '$')
}

function patternSource(p, whole) {
  let out = ''
  for (let i = 0; i < p.length; i++) {
    const c = p[i]
    if (c === '*' && p[i + 1] === '*') {
      const dotBefore = out.endsWith('\\.')
      const dotAfter = p[i + 2] === '.'
      if (dotBefore) {
        // "a.**": a, or a. followed by anything
        out = out.slice(0, -2) + '(?:\\..*)?'
        i += 1
      } else if (dotAfter) {
        // "**.x": x, or anything followed by .x
        out += '(?:.*\\.)?'
        i += 2
      } else {
        out += '.*'
        i += 1
      }
    } else if (c === '*') {
      out += '[^.]*'
    } else if (c === '{') {
      const end = closingBrace(p, i, whole)
      const alternatives = splitTopLevel(p.slice(i + 1, end))
      out += '(?:' + alternatives.map((a) => patternSource(a, whole)).join('|') + ')'
      i = end
    } else if (c === '}' || c === ',') {
      throw new Error('route "match": unbalanced "' + c + '" in ' + JSON.stringify(whole))
    } else {
      out += c.replace(/[\\^$.|?+()[\]]/g, '\\$&')
    }
  }
  return out
}

function closingBrace(p, open, whole) {
  let depth = 0
  for (let i = open; i < p.length; i++) {
    if (p[i] === '{') depth++
    else if (p[i] === '}' && --depth === 0) return i
  }
  throw new Error('route "match": unclosed "{" in ' + JSON.stringify(whole))
}

function splitTopLevel(s) {
  const parts = []
  let depth = 0
  let start = 0
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '{') depth++
    else if (s[i] === '}') depth--
    else if (s[i] === ',' && depth === 0) {
      parts.push(s.slice(start, i))
      start = i + 1
    }
  }
  parts.push(s.slice(start))
  return parts
}

function substitute(value, env, where) {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => {
    if (env[name] === undefined || env[name] === '') {
      throw new Error(where + ': environment variable ' + name + ' is not set')
    }
    return env[name]
  })
}

function destination(d, where, env) {
  if (d === null || typeof d !== 'object') throw new Error(where + ': expected an object with "bucket" and "prefix"')
  for (const field of ['bucket', 'prefix']) {
    if (typeof d[field] !== 'string') throw new Error(where + ': "' + field + '" must be a string')
  }
  const bucket = substitute(d.bucket, env, where + ' "bucket"')
  let prefix = substitute(d.prefix, env, where + ' "prefix"')
  if (bucket === '') throw new Error(where + ': "bucket" is empty')
  if (prefix.startsWith('/')) throw new Error(where + ': "prefix" must not start with "/": ' + JSON.stringify(prefix))
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/'
  return { bucket, prefix }
}

/**
 * Validates a table (the parsed JSON) and returns { tagKey, route(tag) → {bucket, prefix, name} }.
 * Errors name the entry (routes[2] "prefix": ...), so a bad deployment fails at its first invocation.
 */
function compileTable(table, env = process.env) {
  if (table === null || typeof table !== 'object') throw new Error('routing table: expected a JSON object')
  const tagKey = table.tagKey === undefined ? 'tag' : table.tagKey
  if (typeof tagKey !== 'string' || tagKey === '') throw new Error('routing table "tagKey": expected a field name')
  if (!Array.isArray(table.routes)) throw new Error('routing table "routes": expected an array')
  const routes = table.routes.map((r, i) => {
    const where = 'routes[' + i + ']'
    if (r === null || typeof r !== 'object') throw new Error(where + ': expected an object')
    let regex
    try {
      regex = compilePattern(r.match)
    } catch (e) {
      throw new Error(where + ' ' + e.message)
    }
    return { regex, match: r.match, ...destination(r, where, env) }
  })
  if (table.unmatched === undefined) throw new Error('routing table "unmatched": required (unroutable events are never dropped)')
  const unmatched = { match: null, ...destination(table.unmatched, 'unmatched', env) }
  return {
    tagKey,
    routes,
    unmatched,
    /** The destination of a tag (undefined or not a string: unmatched). */
    route(tag) {
      if (typeof tag === 'string') {
        for (const r of routes) if (r.regex.test(tag)) return r
      }
      return unmatched
    },
  }
}

module.exports = { compilePattern, compileTable }
