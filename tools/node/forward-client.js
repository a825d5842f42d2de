'use strict';
// A forward-protocol client for tests: sends events with the npm fluent-logger (the real client,
// not our own encoder) and reports on stdout.
//
//   node forward-client.js CONFIG.json
//
// CONFIG: {"host", "port", "tagPrefix", "eventMode": "Message"|"PackedForward"|"CompressedPackedForward",
//          "requireAckResponse", "security": {"clientHostname", "sharedKey", "username", "password"},
//          "tls": {"ca", "cert", "key"} (PEM file paths),
//          "events": [{"label", "record", "time": integer seconds | {"epoch", "nano"}}]}
// Prints {"sent": N} and exits 0 once every event's callback fired without error (with
// requireAckResponse: once every ack arrived); prints {"error": "..."} and exits 1 otherwise.
const fs = require('fs');
const path = require('path');
const logger = require(path.join(__dirname, 'node_modules', 'fluent-logger'));

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const quiet = { info() {}, error(...args) { process.stderr.write(args.join(' ') + '\n'); } };

function fail(message) {
  process.stdout.write(JSON.stringify({ error: String(message) }) + '\n');
  process.exit(1);
}

const watchdog = setTimeout(() => fail('timed out'), config.timeoutMillis || 30000);

const options = {
  host: config.host,
  port: config.port,
  eventMode: config.eventMode || 'Message',
  requireAckResponse: !!config.requireAckResponse,
  ackResponseTimeout: 10000,
  enableReconnect: false,
  flushInterval: 50,
  internalLogger: quiet
};
if (config.security) {
  options.security = config.security;
}
if (config.tls) {
  options.tls = true;
  options.tlsOptions = {
    ca: fs.readFileSync(config.tls.ca),
    cert: config.tls.cert ? fs.readFileSync(config.tls.cert) : undefined,
    key: config.tls.key ? fs.readFileSync(config.tls.key) : undefined
  };
}

const sender = logger.createFluentSender(config.tagPrefix, options);
sender.on('error', (err) => fail(err && err.message ? err.message : err));

const events = config.events;
let sent = 0;

function timeOf(event) {
  if (event.time === undefined || event.time === null) {
    return undefined;
  }
  if (typeof event.time === 'number') {
    return event.time;
  }
  return new logger.EventTime(event.time.epoch, event.time.nano);
}

function next() {
  if (sent === events.length) {
    clearTimeout(watchdog);
    process.stdout.write(JSON.stringify({ sent }) + '\n');
    sender.end(null, null, () => process.exit(0));
    return;
  }
  const event = events[sent];
  const callback = (err) => {
    if (err) {
      fail(err.message || err);
      return;
    }
    sent++;
    next();
  };
  const time = timeOf(event);
  if (time === undefined) {
    sender.emit(event.label, event.record, callback);
  } else {
    sender.emit(event.label, event.record, time, callback);
  }
}

if (options.eventMode === 'Message') {
  next();
} else {
  // packed modes batch every event of a flush interval into one message: emit them all at once
  let done = 0;
  events.forEach((event) => {
    const time = timeOf(event);
    const callback = (err) => {
      if (err) {
        fail(err.message || err);
        return;
      }
      done++;
      if (done === events.length) {
        clearTimeout(watchdog);
        process.stdout.write(JSON.stringify({ sent: done }) + '\n');
        sender.end(null, null, () => process.exit(0));
      }
    };
    if (time === undefined) {
      sender.emit(event.label, event.record, callback);
    } else {
      sender.emit(event.label, event.record, time, callback);
    }
  });
}
