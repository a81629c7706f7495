//! The devserver's protocols over real HTTP on 127.0.0.1: the VideoKit gateway, the Kaltura
//! rules and errors (HTTP 200 KalturaAPIException, check order, XML), the VideoSDK meeting
//! API judging the vendor's vectors, faults and the control surface.

use serde_json::{json, Value};
use sha2::Digest;
use videokit_devserver::{DevServer, DevServerConfig, KalturaAppToken};

async fn server(cfg: DevServerConfig) -> (DevServer, String, reqwest::Client) {
    let s = DevServer::start(DevServerConfig { port: 0, ..cfg }).await.unwrap();
    let base = s.base_url();
    (s, base, reqwest::Client::new())
}

#[tokio::test]
async fn gateway_issues_jwts_and_refuses_bad_requests() {
    let (_s, base, c) = server(DevServerConfig::default()).await;
    let r = c.post(format!("{base}/v1/sessions")).bearer_auth("vk_dev_app_token").json(&json!({"identity": "a", "scopes": ["videos.read"]})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("date").is_some());
    let v: Value = r.json().await.unwrap();
    let exp = v["expiresAt"].as_str().unwrap();
    assert!(exp.ends_with(".000Z") && exp.len() == 24, "{exp}");
    assert_eq!(v["identity"], "a");
    let r = c.post(format!("{base}/v1/sessions")).bearer_auth("nope").json(&json!({"identity": "a"})).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"error": "invalid app token"}));
    let r = c.post(format!("{base}/v1/sessions")).bearer_auth("vk_dev_app_token").json(&json!({"scopes": []})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"error": "identity is required"}));
}

const APP_TOKEN: &str = "c9883312395bf5ed4fd5c9a5d86c985c";

async fn widget(c: &reqwest::Client, base: &str) -> String {
    let v: Value = c.post(format!("{base}/api_v3/service/session/action/startWidgetSession")).form(&[("widgetId", "_1851571"), ("format", "1")]).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["objectType"], "KalturaStartWidgetSessionResponse");
    assert_eq!((v["partnerId"].as_i64(), v["userId"].as_i64()), (Some(1851571), Some(0)));
    v["ks"].as_str().unwrap().to_string()
}

async fn start(c: &reqwest::Client, base: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let r = c.post(format!("{base}/api_v3/service/appToken/action/startSession")).form(params).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn sha256(s: &str) -> String {
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

#[tokio::test]
async fn kaltura_app_token_flow_rules_and_errors() {
    let mut cfg = DevServerConfig::default();
    let t = |id: &str, status: i32, expiry: Option<i64>, user: Option<&str>, ty: Option<i32>, privs: Option<&str>, dur: u64| KalturaAppToken {
        id: id.into(),
        token: APP_TOKEN.into(),
        partner_id: 1851571,
        hash_type: "SHA256".into(),
        status,
        session_duration: dur,
        expiry,
        session_user_id: user.map(str::to_string),
        session_type: ty,
        session_privileges: privs.map(str::to_string),
    };
    cfg.kaltura.app_tokens.push(t("0_disabled", 1, None, None, None, None, 86400));
    cfg.kaltura.app_tokens.push(t("0_expired", 2, Some(1_000), None, None, None, 86400));
    cfg.kaltura.app_tokens.push(t("0_fixed", 2, None, Some("svc-user"), Some(2), Some("edit:*"), 600));
    let (_s, base, c) = server(cfg).await;
    let w = widget(&c, &base).await;
    let h = sha256(&format!("{w}{APP_TOKEN}"));

    // Happy path: partnerId as a string, userId as requested, privileges start with sessionid/apptoken.
    let (status, v) = start(&c, &base, &[("ks", &w), ("id", "0_xeu31jy5"), ("tokenHash", &h), ("userId", "alice"), ("expiry", "3600"), ("format", "1")]).await;
    assert_eq!(status, 200);
    assert_eq!(v["objectType"], "KalturaSessionInfo");
    assert_eq!((v["partnerId"].as_str(), v["userId"].as_str(), v["sessionType"].as_i64()), (Some("1851571"), Some("alice"), Some(0)));
    assert_eq!(v["privileges"], "sessionid:0_xeu31jy5,apptoken:0_xeu31jy5");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((v["expiry"].as_i64().unwrap() - (now + 3600)).abs() <= 2);

    // The token's user, type, privileges and sessionDuration win.
    let (_, v) = start(&c, &base, &[("ks", &w), ("id", "0_fixed"), ("tokenHash", &h), ("userId", "alice"), ("type", "0"), ("expiry", "86400")]).await;
    assert_eq!((v["userId"].as_str(), v["sessionType"].as_i64()), (Some("svc-user"), Some(2)));
    assert_eq!(v["privileges"], "sessionid:0_fixed,apptoken:0_fixed,edit:*");
    assert!((v["expiry"].as_i64().unwrap() - (now + 600)).abs() <= 2);

    // Errors, HTTP 200, exact shapes; check order.
    let code = |v: &Value| v["code"].as_str().unwrap_or("").to_string();
    let (status, v) = start(&c, &base, &[("ks", "bad"), ("id", "0_missing")]).await;
    assert_eq!((status, code(&v)), (200, "INVALID_KS".to_string()), "INVALID_KS before MISSING_MANDATORY_PARAMETER");
    assert_eq!(v["message"], "Invalid KS \"bad\", Error \"-1,INVALID_STR\"");
    assert_eq!(v["args"], json!({"KSID": "bad", "ERR_CODE": "-1", "ERR_DESC": "INVALID_STR"}));
    let (_, v) = start(&c, &base, &[("ks", &w), ("id", "0_xeu31jy5")]).await;
    assert_eq!(v, json!({"code": "MISSING_MANDATORY_PARAMETER", "message": "Missing parameter \"tokenHash\"", "objectType": "KalturaAPIException", "args": {"PARAM_NAME": "tokenHash"}}));
    let (_, v) = start(&c, &base, &[("ks", &w), ("id", "0_missing"), ("tokenHash", "x")]).await;
    assert_eq!(v, json!({"code": "APP_TOKEN_ID_NOT_FOUND", "message": "Application token id \"0_missing\" not found", "objectType": "KalturaAPIException", "args": {"ID": "0_missing"}}));
    let (_, v) = start(&c, &base, &[("ks", &w), ("id", "0_disabled"), ("tokenHash", "x")]).await;
    assert_eq!(code(&v), "APP_TOKEN_NOT_ACTIVE", "not active before the hash");
    let (_, v) = start(&c, &base, &[("ks", &w), ("id", "0_xeu31jy5"), ("tokenHash", &h.to_uppercase())]).await;
    assert_eq!(v, json!({"code": "INVALID_APP_TOKEN_HASH", "message": "Invalid application token hash", "objectType": "KalturaAPIException", "args": []}));
    let (_, v) = start(&c, &base, &[("ks", &w), ("id", "0_expired"), ("tokenHash", &h)]).await;
    assert_eq!(code(&v), "APP_TOKEN_EXPIRED");
    let (_, v) = start(&c, &base, &[("id", "0_xeu31jy5"), ("tokenHash", &h)]).await;
    assert_eq!(code(&v), "MISSING_KS");
    let r: Value = c.post(format!("{base}/api_v3/service/session/action/startWidgetSession")).form(&[("widgetId", "_999")]).send().await.unwrap().json().await.unwrap();
    assert_eq!(r, json!({"code": "INVALID_WIDGET_ID", "message": "Unknown widget [_999]", "objectType": "KalturaAPIException", "args": {"WIDGET_ID": "_999"}}));

    // Case-insensitive service/action, JSON bodies, the ?service= form, and format=2 XML.
    let v: Value = c.post(format!("{base}/api_v3/service/APPTOKEN/action/STARTSESSION")).json(&json!({"ks": w, "id": "0_xeu31jy5", "tokenHash": h, "format": 1, "clientTag": "node"})).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["objectType"], "KalturaSessionInfo");
    let v: Value = c.post(format!("{base}/api_v3/?service=session&action=startWidgetSession&format=1")).form(&[("widgetId", "_1851571")]).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["objectType"], "KalturaStartWidgetSessionResponse");
    let x = c.post(format!("{base}/api_v3/service/apptoken/action/startSession")).form(&[("ks", w.as_str()), ("id", "0_xeu31jy5"), ("tokenHash", h.as_str()), ("format", "2")]).send().await.unwrap().text().await.unwrap();
    assert!(x.starts_with("<?xml") && x.contains("<objectType>KalturaSessionInfo</objectType>") && x.contains("<partnerId>1851571</partnerId>"), "{x}");
    let x = c.post(format!("{base}/api_v3/service/apptoken/action/startSession")).form(&[("ks", "bad"), ("format", "2")]).send().await.unwrap().text().await.unwrap();
    assert!(x.contains("<error>") && x.contains("<code>INVALID_KS</code>") && x.contains("<objectType>KalturaAPIException</objectType>"), "{x}");
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../core/tests/data/jwt/videosdk-tokens.json")).unwrap()
}

#[tokio::test]
async fn videosdk_meeting_api_judges_the_vectors() {
    let v = vectors();
    let mut cfg = DevServerConfig::default();
    cfg.videosdk.api_key = v["apikey"].as_str().unwrap().into();
    cfg.videosdk.secret = v["secret"].as_str().unwrap().into();
    let (_s, base, c) = server(cfg).await;
    for case in v["cases"].as_array().unwrap() {
        let tok = case["token"].as_str().unwrap();
        let r = c.post(format!("{base}/v2/rooms")).header("authorization", tok).send().await.unwrap();
        // A tampered signature looks valid to a client (it has no secret); the meeting API,
        // which has it, refuses. v2_crawler cannot join, but its token itself is accepted.
        let valid = case["expect"]["valid"] == true && case["name"] != "tampered_signature";
        assert_eq!(r.status().as_u16(), if valid { 200 } else { 401 }, "{}", case["name"]);
        let body: Value = r.json().await.unwrap();
        if valid {
            let room = body["roomId"].as_str().unwrap().to_string();
            let r = c.get(format!("{base}/v2/rooms/validate/{room}")).header("authorization", tok).send().await.unwrap();
            assert_eq!(r.status(), 200);
        } else {
            assert_eq!(body["message"], "Token is invalid or expired", "{}", case["name"]);
        }
    }
    // Its own /get-token tokens are accepted; 10-minute expiry; v2 with roomId/peerId.
    let t: Value = c.get(format!("{base}/get-token?roomId=abc&peerId=p1")).send().await.unwrap().json().await.unwrap();
    let tok = t["token"].as_str().unwrap();
    let claims: Value = serde_json::from_slice(&base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, tok.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!((claims["version"].as_i64(), claims["roomId"].as_str(), claims["participantId"].as_str()), (Some(2), Some("abc"), Some("p1")));
    assert_eq!(claims["permissions"], json!(["allow_join", "allow_mod"]));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 600);
    assert_eq!(c.post(format!("{base}/v2/rooms")).header("authorization", format!("Bearer {tok}")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn faults_and_controls_over_http() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let post = |path: &str, body: Value| c.post(format!("{base}{path}")).json(&body).send();
    assert_eq!(post("/_control/faults", json!({"route": "token", "kind": "status", "status": 503, "retry_after": 2})).await.unwrap().status(), 200);
    let r = c.get(format!("{base}/token/a")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["retry-after"].to_str().unwrap()), (503, "2"));
    post("/_control/faults", json!({"route": "token", "kind": "drop"})).await.unwrap();
    assert!(c.get(format!("{base}/token/a")).send().await.is_err(), "dropped connection");
    post("/_control/faults", json!({"route": "token", "kind": "malformed"})).await.unwrap();
    assert_eq!(c.get(format!("{base}/token/a")).send().await.unwrap().text().await.unwrap(), "{\"sessionToken\": abc.def.ghi");
    post("/_control/faults", json!({"route": "token", "kind": "oversize", "bytes": 2000000})).await.unwrap();
    assert!(c.get(format!("{base}/token/a")).send().await.unwrap().bytes().await.unwrap().len() >= 1_999_000);
    post("/_control/faults", json!({"route": "*", "kind": "html"})).await.unwrap();
    let r = c.get(format!("{base}/token/a")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (502, "text/html"));
    assert_eq!(post("/_control/faults", json!({"kind": "bogus"})).await.unwrap().status(), 400);
    let counts: Value = c.get(format!("{base}/_control/counts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(counts, json!({"token": 5}));
    post("/_control/config", json!({"clock_offset_secs": 3600, "token_lifetime_secs": 5})).await.unwrap();
    let r = c.get(format!("{base}/token/a")).send().await.unwrap();
    let date = httpdate::parse_http_date(r.headers()["date"].to_str().unwrap()).unwrap();
    let skew = date.duration_since(std::time::SystemTime::now()).unwrap().as_secs();
    assert!((3590..=3601).contains(&skew), "{skew}");
    post("/_control/reset", json!({})).await.unwrap();
    assert_eq!(s.controls().request_counts().len(), 0);
}
