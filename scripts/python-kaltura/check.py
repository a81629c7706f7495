"""The official Kaltura Python client (PyPI KalturaApiClient, format=2 XML, JSON bodies)
against the devserver: session.startWidgetSession, appToken.startSession with the SHA256
token hash, a wrong hash, a KS made by the client's own generateSession, and a multirequest
that uses an earlier call's result ({1:result:ks}).

Usage: python3 check.py http://127.0.0.1:PORT [partnerId appTokenId appToken adminSecret]
Loopback only: nothing is sent anywhere else.
"""
import hashlib
import json
import re
import sys

from KalturaClient import KalturaClient, KalturaConfiguration
from KalturaClient.exceptions import KalturaException
from KalturaClient.Plugins.Core import KalturaSessionType

args = sys.argv[1:]
if not args or not re.match(r"^http://(127\.0\.0\.1|localhost)[:/]", args[0]):
    print("usage: python3 check.py http://127.0.0.1:PORT (loopback only)", file=sys.stderr)
    sys.exit(2)
service_url = args[0]
defaults = ["1851571", "0_xeu31jy5", "c9883312395bf5ed4fd5c9a5d86c985c", "devserver-admin-secret-1851571"]
given = args[1:5]
partner_id, app_token_id, app_token, admin_secret = given + defaults[len(given):]
partner_id = int(partner_id)

failures = []


def check(name, ok, detail=""):
    print(json.dumps({"check": name, "ok": bool(ok), "detail": detail}))
    if not ok:
        failures.append(name)


def client():
    config = KalturaConfiguration(partner_id)
    config.serviceUrl = service_url
    return KalturaClient(config)


def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


# 1. Widget session, then the app token session.
c = client()
widget = c.session.startWidgetSession("_%d" % partner_id)
check("startWidgetSession gives a KS", bool(widget.ks) and widget.partnerId == partner_id, "partnerId=%s" % widget.partnerId)
c.setKs(widget.ks)
info = c.appToken.startSession(app_token_id, sha256(widget.ks + app_token), "py-user", KalturaSessionType.USER, 3600)
check(
    "appToken.startSession gives a user KS",
    bool(info.ks) and info.userId == "py-user" and info.sessionType.getValue() == 0 and info.privileges.startswith("sessionid:%s" % app_token_id),
    "userId=%s type=%s expiry=%s" % (info.userId, info.sessionType.getValue(), info.expiry),
)

# 2. A wrong hash is the server's exception.
try:
    c.appToken.startSession(app_token_id, "deadbeef")
    check("a wrong token hash is refused", False, "accepted")
except KalturaException as e:
    check("a wrong token hash is refused", e.code == "INVALID_APP_TOKEN_HASH", e.code)

# 3. A KS the client made itself (generateSession, v1 signed with the admin secret) is
#    accepted as the app token session's KS.
own = KalturaClient.generateSession(admin_secret, "", KalturaSessionType.USER, partner_id, 3600, "")
own = own.decode() if isinstance(own, bytes) else own
c2 = client()
c2.setKs(own)
info2 = c2.appToken.startSession(app_token_id, sha256(own + app_token))
check("a generateSession KS is accepted", bool(info2.ks), "expiry=%s" % info2.expiry)

# 4. Multirequest: a widget session, an app token session with the first widget KS and its
#    correct hash, and one whose ks is {1:result:ks} with a wrong hash (so the KS is read:
#    INVALID_APP_TOKEN_HASH, not INVALID_KS), and a service outside the subset.
c3 = client()
c3.startMultiRequest()
first = c3.session.startWidgetSession("_%d" % partner_id)
c3.setKs(widget.ks)
c3.appToken.startSession(app_token_id, sha256(widget.ks + app_token), "multi-user")
c3.setKs(first.ks)
c3.appToken.startSession(app_token_id, "deadbeef")
results = c3.doMultiRequest()
check("multirequest answers every call", len(results) == 3, "%d results" % len(results))
if len(results) == 3:
    r0, r1, r2 = results
    check("multirequest: widget session", getattr(r0, "ks", None) and getattr(r0, "partnerId", None) == partner_id)
    check("multirequest: app token session", getattr(r1, "ks", None) and getattr(r1, "userId", None) == "multi-user")
    check("multirequest: {1:result:ks} is substituted", isinstance(r2, KalturaException) and r2.code == "INVALID_APP_TOKEN_HASH", getattr(r2, "code", repr(r2)))

print("%d checks failed: %s" % (len(failures), ", ".join(failures)) if failures else "all checks passed")
sys.exit(1 if failures else 0)
