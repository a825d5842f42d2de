'use strict';
// The local run's demo forwarder: sends a few web-application log events per second over the
// forward protocol with the npm fluent-logger (a real client), asking for acks, until stopped.
//
//   node demo-sender.js [--host 127.0.0.1] [--port 24224] [--rate 5]
//
// Tags follow the seed article's log types: app.access, app.photo, app.user.
const path = require('path');
const logger = require(path.join(__dirname, 'node_modules', 'fluent-logger'));

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf('--' + name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
const host = option('host', '127.0.0.1');
const port = Number(option('port', '24224'));
const rate = Number(option('rate', '5'));

const sender = logger.createFluentSender('app', {
  host, port, requireAckResponse: true, ackResponseTimeout: 10000, reconnectInterval: 1000,
  internalLogger: { info() {}, error(...a) { process.stderr.write(a.join(' ') + '\n'); } }
});
sender.on('error', (e) => process.stderr.write('demo-sender: ' + e.message + '\n'));

const paths = ['/', '/photos/42', '/users/7', '/search?q=kinesis', '/photos/upload'];
let seq = 0;
let acked = 0;
setInterval(() => {
  const type = ['access', 'photo', 'user'][seq % 3];
  const record = type === 'access'
    ? { seq, method: 'GET', path: paths[seq % paths.length], status: seq % 17 === 0 ? 500 : 200 }
    : type === 'photo' ? { seq, photo_id: 1000 + seq, bytes: 20000 + (seq * 7919) % 50000 }
      : { seq, user_id: 100 + (seq % 23), action: seq % 2 ? 'login' : 'logout' };
  sender.emit(type, record, new logger.EventTime(Math.floor(Date.now() / 1000), (Date.now() % 1000) * 1e6), (err) => {
    if (!err) {
      acked++;
    }
  });
  seq++;
}, 1000 / rate);
setInterval(() => process.stderr.write(`demo-sender: ${seq} sent, ${acked} acked\n`), 5000);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => sender.end(null, null, () => process.exit(0)));
}
