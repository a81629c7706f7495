//! The Kaltura API v3 subset over real HTTP: the appToken flow for every hash type, every
//! error code in the server's exact shape (HTTP 200), the check order, the expiry / user /
//! type / privileges rules, KS strings that decrypt with the partner's admin secret, XML,
//! the request forms the official clients use, and (when Node and the package are installed)
//! the official `kaltura-client` for Node.

mod common;

use common::{now_unix, server};
use serde_json::{json, Value};
use sha1::Digest;
use videokit_devserver::ks::{generate_ks_v2, parse_ks, KsInfo};
use videokit_devserver::{DevServerConfig, Fault, FaultKind, KalturaAppToken, KalturaPartner, DEFAULT_KALTURA_ADMIN_SECRET};

const PID: i64 = 1851571;
const ID: &str = "0_xeu31jy5";
const TOKEN: &str = "c9883312395bf5ed4fd5c9a5d86c985c";

fn app_token(id: &str, hash: &str) -> KalturaAppToken {
    KalturaAppToken {
        id: id.into(),
        token: format!("token-of-{id}"),
        partner_id: PID,
        hash_type: hash.into(),
        status: 2,
        session_duration: 86_400,
        expiry: None,
        session_user_id: None,
        session_type: None,
        session_privileges: None,
    }
}

fn hash(kind: &str, data: &str) -> String {
    match kind {
        "MD5" => hex::encode(md5::Md5::digest(data.as_bytes())),
        "SHA1" => hex::encode(sha1::Sha1::digest(data.as_bytes())),
        "SHA256" => hex::encode(sha2::Sha256::digest(data.as_bytes())),
        "SHA512" => hex::encode(sha2::Sha512::digest(data.as_bytes())),
        _ => unreachable!(),
    }
}

struct K {
    base: String,
    c: reqwest::Client,
}

impl K {
    async fn call(&self, service_action: &str, params: &[(&str, &str)]) -> Value {
        let r = self.c.post(format!("{}/api_v3/service/{service_action}", self.base)).form(params).send().await.unwrap();
        assert_eq!(r.status(), 200, "Kaltura answers everything with HTTP 200");
        assert_eq!(r.headers()["content-type"], "application/json");
        r.json().await.unwrap()
    }
    async fn raw(&self, service_action: &str, params: &[(&str, &str)]) -> String {
        self.c.post(format!("{}/api_v3/service/{service_action}", self.base)).form(params).send().await.unwrap().text().await.unwrap()
    }
    async fn widget(&self) -> String {
        let v = self.call("session/action/startWidgetSession", &[("widgetId", "_1851571"), ("format", "1")]).await;
        v["ks"].as_str().unwrap().to_string()
    }
    async fn start(&self, params: &[(&str, &str)]) -> Value {
        self.call("apptoken/action/startSession", params).await
    }
}

async fn k(cfg: DevServerConfig) -> (videokit_devserver::DevServer, K) {
    let (s, base, c) = server(cfg).await;
    (s, K { base, c })
}

fn read(ks: &str) -> KsInfo {
    parse_ks(ks, DEFAULT_KALTURA_ADMIN_SECRET).expect("a KS of partner 1851571")
}

fn err(code: &str, message: &str, args: Value) -> Value {
    json!({"code": code, "message": message, "objectType": "KalturaAPIException", "args": args})
}

#[tokio::test]
async fn widget_session_as_the_server_answers_it() {
    let (s, k) = k(DevServerConfig::default()).await;
    let raw = k.raw("session/action/startWidgetSession", &[("widgetId", "_1851571")]).await;
    let v: Value = serde_json::from_str(&raw).unwrap();
    let ks = v["ks"].as_str().unwrap();
    assert_eq!(
        raw,
        format!(r#"{{"partnerId":1851571,"ks":"{ks}","userId":0,"objectType":"KalturaStartWidgetSessionResponse"}}"#),
        "declared order, objectType last"
    );
    assert!(ks.starts_with("djJ8MTg1MTU3MX"), "v2|1851571| in URL-safe base64");
    let info = read(ks);
    assert_eq!(
        (info.version, info.partner_id, info.session_type, info.user.as_str(), info.privileges.as_str()),
        (2, PID, 0, "0", "view:*,widget:1")
    );
    assert!((info.expiry - (now_unix() + 86_400)).abs() <= 2);
    let v = k.call("session/action/startWidgetSession", &[("widgetId", "_1851571"), ("expiry", "60")]).await;
    assert!((read(v["ks"].as_str().unwrap()).expiry - (now_unix() + 60)).abs() <= 2);
    assert_eq!(s.controls().request_count("kaltura.startWidgetSession"), 2);
}

#[tokio::test]
async fn a_ks_for_every_hash_type() {
    let mut cfg = DevServerConfig::default();
    for h in ["MD5", "SHA1", "SHA512"] {
        cfg.kaltura.app_tokens.push(app_token(&format!("0_{}", h.to_lowercase()), h));
    }
    let (s, k) = k(cfg).await;
    for (id, token, h) in [
        (ID, TOKEN, "SHA256"),
        ("0_md5", "token-of-0_md5", "MD5"),
        ("0_sha1", "token-of-0_sha1", "SHA1"),
        ("0_sha512", "token-of-0_sha512", "SHA512"),
    ] {
        let w = k.widget().await;
        let th = hash(h, &format!("{w}{token}"));
        let raw = k
            .raw(
                "appToken/action/startSession",
                &[("ks", &w), ("id", id), ("tokenHash", &th), ("userId", "alice@example.com"), ("expiry", "3600"), ("format", "1")],
            )
            .await;
        let v: Value = serde_json::from_str(&raw).unwrap_or_else(|_| panic!("{h}: {raw}"));
        assert_eq!(v["objectType"], "KalturaSessionInfo", "{h}: {v}");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 7);
        assert!(raw.starts_with(r#"{"ks":""#) && raw.ends_with(r#","objectType":"KalturaSessionInfo"}"#), "{raw}");
        let expiry = v["expiry"].as_i64().unwrap();
        assert!((expiry - (now_unix() + 3600)).abs() <= 2);
        let privileges = format!("sessionid:{id},apptoken:{id}");
        assert_eq!(
            (v["sessionType"].as_i64(), v["partnerId"].as_str(), v["userId"].as_str(), v["privileges"].as_str()),
            (Some(0), Some("1851571"), Some("alice@example.com"), Some(privileges.as_str())),
            "partnerId is a string"
        );
        // The KS holds what the response says.
        let info = read(v["ks"].as_str().unwrap());
        assert_eq!(info, KsInfo { version: 2, partner_id: PID, expiry, session_type: 0, user: "alice@example.com".into(), privileges });
    }
    assert_eq!(
        (s.controls().request_count("kaltura.startWidgetSession"), s.controls().request_count("kaltura.appToken.startSession")),
        (4, 4)
    );
}

#[tokio::test]
async fn every_error_code_in_the_servers_shape() {
    let mut cfg = DevServerConfig::default();
    cfg.kaltura.partners.push(KalturaPartner { id: 102, admin_secret: "other-secret".into() });
    cfg.kaltura.app_tokens.push(KalturaAppToken { status: 1, ..app_token("0_disabled", "SHA256") });
    cfg.kaltura.app_tokens.push(KalturaAppToken { status: 3, ..app_token("0_deleted", "SHA256") });
    cfg.kaltura.app_tokens.push(KalturaAppToken { expiry: Some(now_unix() - 10), ..app_token("0_expired", "SHA256") });
    cfg.kaltura.app_tokens.push(KalturaAppToken { partner_id: 102, ..app_token("0_p102", "SHA256") });
    let (_s, k) = k(cfg).await;
    let w = k.widget().await;
    let h = hash("SHA256", &format!("{w}{TOKEN}"));
    let hash_of = |id: &str| hash("SHA256", &format!("{w}token-of-{id}"));

    let data: Value = serde_json::from_str(include_str!("../../core/tests/data/kaltura/api-responses.json")).unwrap();
    let vendor = |code: &str| data["errors"].as_array().unwrap().iter().find(|e| e["code"] == code).unwrap().clone();

    assert_eq!(k.start(&[("ks", &w), ("id", "0_missing"), ("tokenHash", "x")]).await, vendor("APP_TOKEN_ID_NOT_FOUND"));
    assert_eq!(
        k.start(&[("ks", &w), ("id", "0_deleted"), ("tokenHash", &hash_of("0_deleted"))]).await,
        err("APP_TOKEN_ID_NOT_FOUND", "Application token id \"0_deleted\" not found", json!({"ID": "0_deleted"})),
        "deleted = not found"
    );
    assert_eq!(
        k.start(&[("ks", &w), ("id", "0_p102"), ("tokenHash", &hash_of("0_p102"))]).await["code"],
        "APP_TOKEN_ID_NOT_FOUND",
        "another partner's token"
    );
    assert_eq!(
        k.start(&[("ks", &w), ("id", "0_disabled"), ("tokenHash", &hash_of("0_disabled"))]).await,
        err("APP_TOKEN_NOT_ACTIVE", "Application token id \"0_disabled\" not active", json!({"ID": "0_disabled"}))
    );
    assert_eq!(
        k.start(&[("ks", &w), ("id", "0_expired"), ("tokenHash", &hash_of("0_expired"))]).await,
        err("APP_TOKEN_EXPIRED", "Application token id \"0_expired\" expired", json!({"ID": "0_expired"}))
    );
    assert_eq!(
        k.start(&[("ks", &w), ("id", ID), ("tokenHash", &h.to_uppercase())]).await,
        vendor("INVALID_APP_TOKEN_HASH"),
        "compared exactly: upper case fails"
    );
    assert_eq!(
        k.start(&[("ks", &w), ("id", ID), ("tokenHash", &hash("SHA1", &format!("{w}{TOKEN}")))]).await["code"],
        "INVALID_APP_TOKEN_HASH",
        "the token's hash type only"
    );
    assert_eq!(k.start(&[("ks", "bad"), ("id", ID), ("tokenHash", &h)]).await, vendor("INVALID_KS"));
    assert_eq!(k.start(&[("id", ID), ("tokenHash", &h)]).await, vendor("MISSING_KS"));
    assert_eq!(k.start(&[("ks", ""), ("id", ID), ("tokenHash", &h)]).await, vendor("MISSING_KS"), "an empty ks is none");
    assert_eq!(k.start(&[("ks", &w), ("id", ID)]).await, vendor("MISSING_MANDATORY_PARAMETER"));
    assert_eq!(
        k.start(&[("ks", &w), ("tokenHash", &h)]).await,
        err("MISSING_MANDATORY_PARAMETER", "Missing parameter \"id\"", json!({"PARAM_NAME": "id"}))
    );
    assert_eq!(k.call("session/action/startWidgetSession", &[("widgetId", "_999")]).await, vendor("INVALID_WIDGET_ID"));
    assert_eq!(k.call("session/action/startWidgetSession", &[("widgetId", "abc")]).await["code"], "INVALID_WIDGET_ID");
    assert_eq!(
        k.call("session/action/startWidgetSession", &[]).await,
        err("MISSING_MANDATORY_PARAMETER", "Missing parameter \"widgetId\"", json!({"PARAM_NAME": "widgetId"}))
    );

    // INVALID_KS: a KS of a partner we do not know, one encrypted with another secret, a
    // tampered one, and an expired one (-5,EXPIRED).
    let foreign = generate_ks_v2(7777, "s", now_unix() + 600, 0, "0", "view:*,widget:1");
    let wrong_secret = generate_ks_v2(PID, "not-the-secret", now_unix() + 600, 0, "0", "view:*,widget:1");
    let mut tampered = w.clone().into_bytes();
    tampered[40] = if tampered[40] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [&foreign, &wrong_secret, &tampered] {
        let v = k.start(&[("ks", bad), ("id", ID), ("tokenHash", &hash("SHA256", &format!("{bad}{TOKEN}")))]).await;
        assert_eq!(
            v,
            err(
                "INVALID_KS",
                &format!("Invalid KS \"{bad}\", Error \"-1,INVALID_STR\""),
                json!({"KSID": bad, "ERR_CODE": "-1", "ERR_DESC": "INVALID_STR"})
            )
        );
    }
    let old = generate_ks_v2(PID, DEFAULT_KALTURA_ADMIN_SECRET, now_unix() - 1, 0, "0", "view:*,widget:1");
    let v = k.start(&[("ks", &old), ("id", ID), ("tokenHash", &hash("SHA256", &format!("{old}{TOKEN}")))]).await;
    assert_eq!(
        v,
        err(
            "INVALID_KS",
            &format!("Invalid KS \"{old}\", Error \"-5,EXPIRED\""),
            json!({"KSID": old, "ERR_CODE": "-5", "ERR_DESC": "EXPIRED"})
        )
    );
}

#[tokio::test]
async fn check_order() {
    let mut cfg = DevServerConfig::default();
    cfg.kaltura.app_tokens.push(KalturaAppToken { status: 1, ..app_token("0_disabled", "SHA256") });
    cfg.kaltura.app_tokens.push(KalturaAppToken { expiry: Some(now_unix() - 10), ..app_token("0_expired", "SHA256") });
    let (_s, k) = k(cfg).await;
    let w = k.widget().await;
    let old = generate_ks_v2(PID, DEFAULT_KALTURA_ADMIN_SECRET, now_unix() - 1, 0, "0", "view:*,widget:1");
    let code = |v: Value| v["code"].as_str().unwrap_or("").to_string();
    // INVALID_KS, MISSING_MANDATORY_PARAMETER, KS expiry, permissions (MISSING_KS), then
    // APP_TOKEN_ID_NOT_FOUND, APP_TOKEN_NOT_ACTIVE, INVALID_APP_TOKEN_HASH, APP_TOKEN_EXPIRED.
    assert_eq!(code(k.start(&[("ks", "bad")]).await), "INVALID_KS");
    assert_eq!(code(k.start(&[("ks", &old)]).await), "MISSING_MANDATORY_PARAMETER");
    assert_eq!(code(k.start(&[("ks", &old), ("id", "0_missing"), ("tokenHash", "x")]).await), "INVALID_KS");
    assert_eq!(code(k.start(&[]).await), "MISSING_MANDATORY_PARAMETER");
    assert_eq!(code(k.start(&[("id", "0_missing"), ("tokenHash", "x")]).await), "MISSING_KS");
    assert_eq!(code(k.start(&[("ks", &w), ("id", "0_missing"), ("tokenHash", "x")]).await), "APP_TOKEN_ID_NOT_FOUND");
    assert_eq!(code(k.start(&[("ks", &w), ("id", "0_disabled"), ("tokenHash", "x")]).await), "APP_TOKEN_NOT_ACTIVE");
    assert_eq!(code(k.start(&[("ks", &w), ("id", "0_expired"), ("tokenHash", "x")]).await), "INVALID_APP_TOKEN_HASH");
    assert_eq!(
        code(k.start(&[("ks", &w), ("id", "0_expired"), ("tokenHash", &hash("SHA256", &format!("{w}token-of-0_expired")))]).await),
        "APP_TOKEN_EXPIRED"
    );
}

#[tokio::test]
async fn expiry_user_type_and_privileges_rules() {
    let now = now_unix();
    let mut cfg = DevServerConfig::default();
    cfg.kaltura.app_tokens.push(KalturaAppToken {
        session_duration: 600,
        session_user_id: Some("svc-user".into()),
        session_type: Some(2),
        session_privileges: Some("edit:*,list:a/b".into()),
        ..app_token("0_fixed", "SHA1")
    });
    cfg.kaltura.app_tokens.push(KalturaAppToken { expiry: Some(now + 120), ..app_token("0_ending", "SHA1") });
    let (s, k) = k(cfg).await;
    let w = k.widget().await;
    let h = |id: &str, token: &str| hash(if id == ID { "SHA256" } else { "SHA1" }, &format!("{w}{token}"));
    let (h_default, h_fixed, h_ending) = (h(ID, TOKEN), h("0_fixed", "token-of-0_fixed"), h("0_ending", "token-of-0_ending"));
    let near = |v: &Value, secs: i64| (v["expiry"].as_i64().unwrap() - (now_unix() + secs)).abs() <= 2;

    // No userId, type or expiry: user "", USER, sessionDuration.
    let v = k.start(&[("ks", &w), ("id", ID), ("tokenHash", &h_default)]).await;
    assert_eq!((v["userId"].as_str(), v["sessionType"].as_i64()), (Some(""), Some(0)));
    assert!(near(&v, 86_400));
    assert_eq!(read(v["ks"].as_str().unwrap()).user, "");
    // A requested expiry above sessionDuration is capped; ADMIN may be requested when the
    // token sets no type; other types count as not given.
    let v = k.start(&[("ks", &w), ("id", ID), ("tokenHash", &h_default), ("expiry", "999999"), ("type", "2")]).await;
    assert!(near(&v, 86_400));
    assert_eq!(v["sessionType"], 2);
    assert_eq!(read(v["ks"].as_str().unwrap()).session_type, 2);
    assert_eq!(k.start(&[("ks", &w), ("id", ID), ("tokenHash", &h_default), ("type", "1")]).await["sessionType"], 0);
    assert!(near(&k.start(&[("ks", &w), ("id", ID), ("tokenHash", &h_default), ("expiry", "0")]).await, 86_400), "0 = not given");

    // The token's user, type, privileges and duration win; requested privileges are added
    // unless reserved by the server or already set.
    let v = k
        .start(&[
            ("ks", &w),
            ("id", "0_fixed"),
            ("tokenHash", &h_fixed),
            ("userId", "alice"),
            ("type", "0"),
            ("expiry", "86400"),
            ("sessionPrivileges", "edit:x,setrole:1,custom:7,list:c"),
        ])
        .await;
    assert_eq!((v["userId"].as_str(), v["sessionType"].as_i64()), (Some("svc-user"), Some(2)));
    assert_eq!(v["privileges"], "sessionid:0_fixed,apptoken:0_fixed,edit:*,list:a/b,custom:7");
    assert!(near(&v, 600));
    let info = read(v["ks"].as_str().unwrap());
    assert_eq!(
        (info.user.as_str(), info.session_type, info.privileges.as_str()),
        ("svc-user", 2, "sessionid:0_fixed,apptoken:0_fixed,edit:*,list:a/b,custom:7")
    );
    assert!(
        near(&k.start(&[("ks", &w), ("id", "0_fixed"), ("tokenHash", &h_fixed), ("expiry", "60")]).await, 60),
        "a shorter request wins"
    );

    // The token's own expiry caps the KS.
    assert!(near(&k.start(&[("ks", &w), ("id", "0_ending"), ("tokenHash", &h_ending)]).await, 120));
    assert!(near(&k.start(&[("ks", &w), ("id", "0_ending"), ("tokenHash", &h_ending), ("expiry", "30")]).await, 30));

    // Tests shorten KS lifetimes through the controls (in-process and over HTTP).
    s.controls().set_kaltura_session_duration(ID, 3);
    assert!(near(&k.start(&[("ks", &w), ("id", ID), ("tokenHash", &h_default)]).await, 3));
    k.c.post(format!("{}/_control/config", k.base))
        .json(&json!({"kaltura_app_token_id": ID, "kaltura_session_duration_secs": 40}))
        .send()
        .await
        .unwrap();
    assert!(near(&k.start(&[("ks", &w), ("id", ID), ("tokenHash", &h_default), ("expiry", "3600")]).await, 40));
}

#[tokio::test]
async fn the_clock_offset_moves_ks_expiry() {
    let (s, k) = k(DevServerConfig::default()).await;
    let v = k.call("session/action/startWidgetSession", &[("widgetId", "_1851571"), ("expiry", "60")]).await;
    let w = v["ks"].as_str().unwrap().to_string();
    let h = hash("SHA256", &format!("{w}{TOKEN}"));
    s.controls().set_clock_offset(120);
    let v = k.start(&[("ks", &w), ("id", ID), ("tokenHash", &h)]).await;
    assert_eq!((v["code"].as_str(), v["args"]["ERR_CODE"].as_str()), (Some("INVALID_KS"), Some("-5")));
    s.controls().set_clock_offset(0);
    let v = k.start(&[("ks", &w), ("id", ID), ("tokenHash", &h), ("expiry", "100")]).await;
    assert!((v["expiry"].as_i64().unwrap() - (now_unix() + 100)).abs() <= 2);
}

#[tokio::test]
async fn a_v1_ks_signed_with_the_admin_secret_is_accepted() {
    let (_s, k) = k(DevServerConfig::default()).await;
    let info = format!("{PID};{PID};{};0;12345;0;view:*,widget:1", now_unix() + 600);
    let sig = hex::encode(sha1::Sha1::digest(format!("{DEFAULT_KALTURA_ADMIN_SECRET}{info}").as_bytes()));
    let v1 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{sig}|{info}"));
    let v = k.start(&[("ks", &v1), ("id", ID), ("tokenHash", &hash("SHA256", &format!("{v1}{TOKEN}")))]).await;
    assert_eq!(v["objectType"], "KalturaSessionInfo", "{v}");
}

#[tokio::test]
async fn request_forms_the_clients_use() {
    let (s, k) = k(DevServerConfig::default()).await;
    let c = &k.c;
    let base = &k.base;
    let w = k.widget().await;
    let h = hash("SHA256", &format!("{w}{TOKEN}"));
    // The official clients' JSON body: format as a number, clientTag, apiVersion, kalsig...
    let body = json!({"ks": w, "id": ID, "tokenHash": h, "userId": "n", "type": 0, "expiry": 3600, "format": 1, "clientTag": "node:24-01-01", "apiVersion": "20.0.0", "kalsig": "abc", "partnerId": -1});
    let v: Value =
        c.post(format!("{base}/api_v3/service/apptoken/action/startSession")).json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!((v["objectType"].as_str(), v["userId"].as_str()), (Some("KalturaSessionInfo"), Some("n")));
    // Service and action in any case; format in the query; index.php.
    let v: Value = c
        .post(format!("{base}/api_v3/index.php/service/APPTOKEN/action/STARTSESSION?format=1"))
        .form(&[("ks", w.as_str()), ("id", ID), ("tokenHash", h.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["objectType"], "KalturaSessionInfo");
    // ?service=&action= with a form body; everything in a GET query; service/action in the body.
    let v: Value = c
        .post(format!("{base}/api_v3/?service=session&action=startWidgetSession&format=1"))
        .form(&[("widgetId", "_1851571")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["objectType"], "KalturaStartWidgetSessionResponse");
    let v: Value = c
        .get(format!("{base}/api_v3?service=session&action=startwidgetsession&widgetId=_1851571"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["objectType"], "KalturaStartWidgetSessionResponse", "default format is JSON");
    let v: Value = c
        .post(format!("{base}/api_v3/index.php"))
        .form(&[("service", "appToken"), ("action", "startSession"), ("ks", &w), ("id", ID), ("tokenHash", &h)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["objectType"], "KalturaSessionInfo");
    // Parameters as /name/value path pairs.
    let v: Value = c
        .get(format!("{base}/api_v3/service/session/action/startWidgetSession/widgetId/_1851571"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["objectType"], "KalturaStartWidgetSessionResponse");
    // Not in the subset: the server's own errors, not counted.
    let before = s.controls().request_counts();
    let v: Value = c.post(format!("{base}/api_v3/service/media/action/list")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v, err("SERVICE_DOES_NOT_EXISTS", "Service \"media\" does not exist", json!({"SERVICE": "media"})));
    let v: Value = c.post(format!("{base}/api_v3/service/session/action/start")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["code"], "ACTION_DOES_NOT_EXISTS");
    assert_eq!(c.post(format!("{base}/api_v3/")).send().await.unwrap().json::<Value>().await.unwrap()["code"], "SERVICE_DOES_NOT_EXISTS");
    assert_eq!(s.controls().request_counts(), before);
    // Garbage bodies are errors, not panics.
    let r = c
        .post(format!("{base}/api_v3/service/apptoken/action/startSession"))
        .header("content-type", "application/json")
        .body("{\"ks\": [1, {")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.json::<Value>().await.unwrap()["code"].as_str().map(str::to_string)),
        (200, Some("MISSING_MANDATORY_PARAMETER".to_string()))
    );
}

#[tokio::test]
async fn format_2_is_xml_as_the_server_writes_it() {
    let (_s, k) = k(DevServerConfig::default()).await;
    let r =
        k.c.post(format!("{}/api_v3/service/session/action/startWidgetSession", k.base))
            .form(&[("widgetId", "_1851571"), ("format", "2")])
            .send()
            .await
            .unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "text/xml"));
    let x = r.text().await.unwrap();
    let ks = x.split("<ks>").nth(1).and_then(|s| s.split("</ks>").next()).unwrap().to_string();
    assert!(x.starts_with(&format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result><objectType>KalturaStartWidgetSessionResponse</objectType><partnerId>1851571</partnerId><ks>{ks}</ks><userId>0</userId></result><executionTime>"
    )) && x.ends_with("</executionTime></xml>"), "{x}");
    let h = hash("SHA256", &format!("{ks}{TOKEN}"));
    let x = k.raw("apptoken/action/startSession", &[("ks", &ks), ("id", ID), ("tokenHash", &h), ("userId", "a&b"), ("format", "2")]).await;
    assert!(
        x.contains("<result><objectType>KalturaSessionInfo</objectType><ks>")
            && x.contains("<sessionType>0</sessionType><partnerId>1851571</partnerId><userId>a&amp;b</userId><expiry>"),
        "{x}"
    );
    assert!(x.contains("<privileges>sessionid:0_xeu31jy5,apptoken:0_xeu31jy5</privileges></result>"), "{x}");
    let x = k.raw("apptoken/action/startSession", &[("ks", "bad"), ("format", "2")]).await;
    assert!(x.contains("<result><error><code>INVALID_KS</code><message>Invalid KS &quot;bad&quot;, Error &quot;-1,INVALID_STR&quot;</message><objectType>KalturaAPIException</objectType><args><item><objectType>KalturaApiExceptionArg</objectType><name>KSID</name><value>bad</value></item>"), "{x}");
    let x = k.raw("apptoken/action/startSession", &[("ks", &ks), ("id", ID), ("tokenHash", "x"), ("format", "2")]).await;
    assert!(x.contains("<error><code>INVALID_APP_TOKEN_HASH</code><message>Invalid application token hash</message><objectType>KalturaAPIException</objectType><args></args></error>"), "{x}");
}

#[tokio::test]
async fn faults_on_kaltura_routes() {
    let (s, k) = k(DevServerConfig::default()).await;
    s.controls().inject(Fault::once("kaltura.startWidgetSession", FaultKind::Malformed));
    let r = k.raw("session/action/startWidgetSession", &[("widgetId", "_1851571")]).await;
    assert!(serde_json::from_str::<Value>(&r).is_err() && r.contains("\"ks\": abc.def.ghi"), "{r}");
    let w = k.widget().await;
    s.controls().inject(Fault::once("kaltura.appToken.startSession", FaultKind::Status { status: 503, retry_after: Some(1), body: None }));
    let r = k.c.post(format!("{}/api_v3/service/apptoken/action/startSession", k.base)).form(&[("ks", w.as_str())]).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["retry-after"].to_str().unwrap()), (503, "1"));
    s.controls().inject(Fault::once("kaltura.appToken.startSession", FaultKind::Truncated));
    let r = k.raw("apptoken/action/startSession", &[("ks", &w), ("id", ID), ("tokenHash", &hash("SHA256", &format!("{w}{TOKEN}")))]).await;
    assert!(r.starts_with("{\"ks\":\"") && serde_json::from_str::<Value>(&r).is_err());
    assert_eq!(
        (s.controls().request_count("kaltura.startWidgetSession"), s.controls().request_count("kaltura.appToken.startSession")),
        (2, 2)
    );
}

/// The official Kaltura client for Node (`kaltura-client`, format=1) against the devserver,
/// through the project's `scripts/node-kaltura/check.js`. Skipped (with a note) when Node or
/// the installed package is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_node_client_gets_a_ks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/node-kaltura");
    let has_node = std::process::Command::new("node").arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    if !has_node || !dir.join("node_modules/kaltura-client").is_dir() || !dir.join("check.js").is_file() {
        eprintln!("skipped: node or scripts/node-kaltura/node_modules/kaltura-client is not installed");
        return;
    }
    let (s, base, _) = server(DevServerConfig::default()).await;
    let out = node_check(&dir, &base).await;
    assert!(out.0, "node check.js failed:\n{}\n{}", out.1, out.2);
    assert!(out.1.contains("\"partnerId\":1851571") || out.1.contains("\"partnerId\":\"1851571\""), "{}", out.1);
    assert!(out.1.contains("INVALID_APP_TOKEN_HASH"), "{}", out.1);
    assert_eq!(s.controls().request_count("kaltura.startWidgetSession"), 1);
    assert_eq!(s.controls().request_count("kaltura.appToken.startSession"), 2);
}

/// Run `node check.js BASE` in `dir` off the runtime: (success, stdout, stderr).
async fn node_check(dir: &std::path::Path, base: &str) -> (bool, String, String) {
    let (dir, base) = (dir.to_path_buf(), base.to_string());
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("node").arg("check.js").arg(&base).current_dir(&dir).output().expect("run node");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    })
    .await
    .unwrap()
}
