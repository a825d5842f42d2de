#!/usr/bin/env node
'use strict'
// `npm run zip`: the deployment package, dist/lambda-router.zip: package.json, routes.json, src/ and
// the production dependencies exactly as package-lock.json pins them (npm ci --omit=dev in a staging
// directory, so dev dependencies and this checkout's node_modules never end up in it).
//
//   node tools/build-zip.js [--out FILE]
//
// Handler: src/handler.handler. The zip is written by this script (deflate, CRC-32 from zlib), so
// building needs only Node and npm.

const fs = require('fs')
const path = require('path')
const zlib = require('zlib')
const { execFileSync } = require('child_process')

const root = path.join(__dirname, '..')

function parseArgs(argv) {
  let out = path.join(root, 'dist', 'lambda-router.zip')
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = path.resolve(argv[++i])
    else {
      process.stderr.write('build-zip: unknown argument ' + argv[i] + ' (expected: --out FILE)\n')
      process.exit(2)
    }
  }
  return { out }
}

function walk(dir, base, files) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name)
    const name = base ? base + '/' + entry.name : entry.name
    if (entry.isDirectory()) walk(full, name, files)
    else if (entry.isFile()) files.push({ full, name })
    // symlinks (node_modules/.bin) are left out: the function never runs them
  }
  return files
}

// 1980-01-01 00:00: fixed times, so that the same sources give the same zip
const DOS_TIME = 0
const DOS_DATE = (0 << 9) | (1 << 5) | 1

function zip(files, out) {
  const chunks = []
  const central = []
  let offset = 0
  for (const f of files) {
    const data = fs.readFileSync(f.full)
    const deflated = zlib.deflateRawSync(data, { level: 9 })
    const name = Buffer.from(f.name, 'utf8')
    const crc = zlib.crc32(data)
    const mode = (fs.statSync(f.full).mode & 0o111) ? 0o100755 : 0o100644
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4) // version needed
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(8, 8) // deflate
    local.writeUInt16LE(DOS_TIME, 10)
    local.writeUInt16LE(DOS_DATE, 12)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(deflated.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    chunks.push(local, name, deflated)
    const c = Buffer.alloc(46)
    c.writeUInt32LE(0x02014b50, 0)
    c.writeUInt16LE((3 << 8) | 20, 4) // made by Unix, spec 2.0
    c.writeUInt16LE(20, 6)
    c.writeUInt16LE(0x0800, 8)
    c.writeUInt16LE(8, 10)
    c.writeUInt16LE(DOS_TIME, 12)
    c.writeUInt16LE(DOS_DATE, 14)
    c.writeUInt32LE(crc, 16)
    c.writeUInt32LE(deflated.length, 20)
    c.writeUInt32LE(data.length, 24)
    c.writeUInt16LE(name.length, 28)
    c.writeUInt32LE((mode << 16) >>> 0, 38) // external attributes: Unix mode
    c.writeUInt32LE(offset, 42)
    central.push(c, name)
    offset += local.length + name.length + deflated.length
  }
  const centralSize = central.reduce((n, b) => n + b.length, 0)
  if (files.length > 0xffff || offset > 0xffffffff) throw new Error('too big for a zip without zip64')
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(files.length, 8)
  end.writeUInt16LE(files.length, 10)
  end.writeUInt32LE(centralSize, 12)
  end.writeUInt32LE(offset, 16)
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, Buffer.concat([...chunks, ...central, end]))
}

function main() {
  const { out } = parseArgs(process.argv.slice(2))
  const stage = fs.mkdtempSync(path.join(require('os').tmpdir(), 'lambda-router-zip-'))
  try {
    for (const f of ['package.json', 'package-lock.json', 'routes.json']) fs.copyFileSync(path.join(root, f), path.join(stage, f))
    fs.cpSync(path.join(root, 'src'), path.join(stage, 'src'), { recursive: true })
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: stage, stdio: ['ignore', 'ignore', 'inherit'],
    })
    fs.rmSync(path.join(stage, 'package-lock.json'))
    const files = walk(stage, '', [])
    zip(files, out)
    process.stdout.write(JSON.stringify({ event: 'zip', path: out, files: files.length, bytes: fs.statSync(out).size }) + '\n')
  } finally {
    fs.rmSync(stage, { recursive: true, force: true })
  }
}

main()
