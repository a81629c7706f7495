#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from the conformance vectors (core/tests/data).
Writes fuzz/seeds/<target>/<name>; run again when the vectors change."""
import json, os, struct
root = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(root, "..", "core", "tests", "data")
def load(p): return json.load(open(os.path.join(data, p)))
def put(target, name, content):
    d = os.path.join(root, "seeds", target); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(content if isinstance(content, bytes) else content.encode())
now = struct.pack("<q", 1795305600)
for c in load("jwt/videosdk-tokens.json")["cases"]:
    put("jwt", c["name"], c["token"]); put("videosdk", c["name"], now + c["token"].encode())
    put("videosdk_server", c["name"], now + json.dumps({"token": c["token"]}).encode())
for c in load("kaltura/ks.json")["cases"]:
    put("ks", c["name"], c["ks"])
api = load("kaltura/api-responses.json")
put("kaltura_api", "widget", json.dumps(api["start_widget_session"]))
put("kaltura_api", "session_info", json.dumps(api["app_token_start_session"]))
for e in api["errors"]:
    put("kaltura_api", e["code"], json.dumps(e))
gw = load("videokit/gateway.json")
put("session_response", "ok", json.dumps(gw["response_ok"]))
put("session_response", "error", json.dumps(gw["response_error"]))
put("session_response", "wild", gw["app_backend_token_endpoint"]["response_seen_in_the_wild"])
put("url_template", "backend", "http://127.0.0.1:8787/token/{identity}\nbob smith/ü")
put("url_template", "retry_after_date", "Sun, 22 Nov 2026 10:00:00 GMT")
put("url_template", "rfc3339", "2026-11-23T08:00:00.000Z")
print("seeds written to", os.path.join(root, "seeds"))
