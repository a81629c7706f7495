// The official Kaltura Node client (kaltura-client, format=1) against the devserver:
// session.startWidgetSession, then appToken.startSession with the SHA256 token hash.
// Usage: node check.js <serviceUrl> [partnerId appTokenId appToken]
'use strict';
const crypto = require('crypto');
const kaltura = require('kaltura-client');

const [serviceUrl, partnerId = '1851571', appTokenId = '0_xeu31jy5', appToken = 'c9883312395bf5ed4fd5c9a5d86c985c'] = process.argv.slice(2);
if (!serviceUrl || !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(serviceUrl)) {
  console.error('usage: node check.js http://127.0.0.1:PORT (loopback only)');
  process.exit(2);
}
const config = new kaltura.Configuration();
config.serviceUrl = serviceUrl;
const client = new kaltura.Client(config);
client.shouldLog = false; // its debug log prints every request body, KS included

function call(request) {
  return new Promise((resolve, reject) => {
    request.completion((success, result) => (success ? resolve(result) : reject(result))).execute(client);
  });
}

(async () => {
  const widget = await call(kaltura.services.session.startWidgetSession('_' + partnerId));
  if (!widget.ks) throw new Error('no widget KS');
  client.setKs(widget.ks);
  const tokenHash = crypto.createHash('sha256').update(widget.ks + appToken).digest('hex');
  const info = await call(kaltura.services.appToken.startSession(appTokenId, tokenHash, 'node-user', kaltura.enums.SessionType.USER, 3600));
  if (!info.ks) throw new Error('no KS');
  const out = { widgetPartnerId: widget.partnerId, ks: info.ks.slice(0, 8) + '…', partnerId: info.partnerId, userId: info.userId, sessionType: info.sessionType, expiry: info.expiry, privileges: info.privileges, objectType: info.constructor.name };
  console.log(JSON.stringify(out));
  // A wrong hash must come back as the server's exception.
  try {
    await call(kaltura.services.appToken.startSession(appTokenId, 'deadbeef'));
    throw new Error('a wrong token hash was accepted');
  } catch (e) {
    if (!e || e.code !== 'INVALID_APP_TOKEN_HASH') throw e;
    console.log(JSON.stringify({ wrongHash: e.code }));
  }
  console.log('1 passed, 0 failed');
})().catch((e) => {
  console.error('kaltura-client check failed:', e && (e.message || e.code || e));
  console.log('0 passed, 1 failed');
  process.exit(1);
});
