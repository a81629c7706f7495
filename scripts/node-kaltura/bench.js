// Times the official Kaltura Node client doing the SDK's cold start: startWidgetSession +
// appToken.startSession, N times, against the devserver. Prints {"n","p50_ms","p99_ms"}.
// Usage: node bench.js http://127.0.0.1:PORT [N]
'use strict';
const crypto = require('crypto');
const kaltura = require('kaltura-client');
const [serviceUrl, nArg = '300'] = process.argv.slice(2);
if (!serviceUrl || !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(serviceUrl)) process.exit(2);
const appToken = 'c9883312395bf5ed4fd5c9a5d86c985c';
const config = new kaltura.Configuration();
config.serviceUrl = serviceUrl;
const client = new kaltura.Client(config);
client.shouldLog = false;
const call = (r) => new Promise((res, rej) => r.completion((ok, v) => (ok ? res(v) : rej(v))).execute(client));
(async () => {
  const n = parseInt(nArg, 10);
  const times = [];
  for (let i = 0; i < n + 20; i++) {
    const t = process.hrtime.bigint();
    client.setKs(null);
    const w = await call(kaltura.services.session.startWidgetSession('_1851571'));
    client.setKs(w.ks);
    const h = crypto.createHash('sha256').update(w.ks + appToken).digest('hex');
    const s = await call(kaltura.services.appToken.startSession('0_xeu31jy5', h));
    if (!s.ks) throw new Error('no KS');
    if (i >= 20) times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.round((times.length - 1) * q)];
  console.log(JSON.stringify({ n: times.length, p50_ms: at(0.5), p99_ms: at(0.99) }));
})().catch((e) => { console.error(e); process.exit(1); });
