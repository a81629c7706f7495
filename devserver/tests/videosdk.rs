//! VideoSDK over real HTTP: the example token server's tokens, and the meeting API judging
//! the vendor's vectors (jwt/videosdk-tokens.json) with their secret and API key.

mod common;

use base64::Engine as _;
use common::{jwt_part, now_unix, server};
use serde_json::{json, Value};
use std::time::Duration;
use videokit_devserver::{sign_hs256, verify_hs256, DevServerConfig, Fault, FaultKind, DEFAULT_VIDEOSDK_API_KEY, DEFAULT_VIDEOSDK_SECRET};

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../core/tests/data/jwt/videosdk-tokens.json")).unwrap()
}

fn vector_config() -> DevServerConfig {
    let v = vectors();
    let mut cfg = DevServerConfig::default();
    cfg.videosdk.api_key = v["apikey"].as_str().unwrap().into();
    cfg.videosdk.secret = v["secret"].as_str().unwrap().into();
    cfg
}

fn refused() -> Value {
    json!({"message": "Token is invalid or expired", "statusCode": 401})
}

#[tokio::test]
async fn the_meeting_api_judges_every_vector() {
    let (s, base, c) = server(vector_config()).await;
    let mut accepted = Vec::new();
    for case in vectors()["cases"].as_array().unwrap() {
        let (name, tok) = (case["name"].as_str().unwrap(), case["token"].as_str().unwrap());
        // A tampered signature looks valid to a client without the secret; the meeting API,
        // which has it, refuses it.
        let valid = case["expect"]["valid"] == true && case["expect"]["verify_with_secret"] != false;
        let r = c.post(format!("{base}/v2/rooms")).header("authorization", tok).send().await.unwrap();
        assert_eq!(r.status().as_u16(), if valid { 200 } else { 401 }, "{name}");
        let body: Value = r.json().await.unwrap();
        if valid {
            accepted.push(name.to_string());
            let room = body["roomId"].as_str().unwrap().to_string();
            assert!(room.len() == 14 && room.split('-').all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_lowercase())), "{room}");
            let r = c.get(format!("{base}/v2/rooms/validate/{room}")).header("authorization", tok).send().await.unwrap();
            assert_eq!(r.status(), 200, "{name}");
            assert_eq!(r.json::<Value>().await.unwrap()["roomId"], room);
        } else {
            assert_eq!(body, refused(), "{name}");
            let r = c.get(format!("{base}/v2/rooms/validate/abcd-efgh-ijkl")).header("authorization", tok).send().await.unwrap();
            assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()), (401, refused()), "{name}");
        }
    }
    assert_eq!(
        accepted,
        ["v1_allow_join", "v1_ask_join", "v1_join_and_mod", "v2_room_participant_rtc", "v2_crawler", "with_jti", "no_exp"]
    );
    let n = vectors()["cases"].as_array().unwrap().len() as u64;
    assert_eq!(s.controls().request_count("videosdk.createRoom"), n);
    assert_eq!(s.controls().request_count("videosdk.validateRoom"), n);
}

#[tokio::test]
async fn alg_none_tampered_and_expired_are_refused() {
    let (_s, base, c) = server(vector_config()).await;
    let v = vectors();
    let case = |n: &str| v["cases"].as_array().unwrap().iter().find(|c| c["name"] == n).unwrap()["token"].as_str().unwrap().to_string();
    for name in ["alg_none", "tampered_signature", "expired"] {
        let r = c.post(format!("{base}/v2/rooms")).header("authorization", case(name)).send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()), (401, refused()), "{name}");
    }
    // alg none with good claims and an empty or copied signature; a token signed with
    // another secret; one for another API key; no token at all.
    let claims = json!({"apikey": v["apikey"], "permissions": ["allow_join"], "exp": now_unix() + 600});
    let b64 = |x: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(x.to_string());
    let good = sign_hs256(&claims, v["secret"].as_str().unwrap().as_bytes());
    let sig = good.rsplit('.').next().unwrap();
    for bad in [
        format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims)),
        format!("{}.{}.{sig}", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims)),
        format!("{}.{}.{sig}", b64(&json!({"alg": "HS512", "typ": "JWT"})), b64(&claims)),
        format!("{}.{}.{sig}", b64(&json!({"typ": "JWT"})), b64(&claims)),
        sign_hs256(&claims, b"another-secret"),
        sign_hs256(&json!({"apikey": "someone-else", "permissions": ["allow_join"]}), v["secret"].as_str().unwrap().as_bytes()),
        String::new(),
        "Bearer".into(),
        "a.b.c.d".into(),
    ] {
        let r = c.post(format!("{base}/v2/rooms")).header("authorization", bad.clone()).send().await.unwrap();
        assert_eq!(r.status(), 401, "{bad}");
    }
    assert_eq!(c.post(format!("{base}/v2/rooms")).send().await.unwrap().status(), 401, "no Authorization");
    for auth in [good.clone(), format!("Bearer {good}"), format!("bearer {good}")] {
        assert_eq!(c.post(format!("{base}/v2/rooms")).header("authorization", auth.clone()).send().await.unwrap().status(), 200, "{auth}");
    }
}

#[tokio::test]
async fn get_token_as_the_example_token_server() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let get = |q: &'static str| {
        let c = c.clone();
        let base = base.clone();
        async move { c.get(format!("{base}/get-token{q}")).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let v = get("").await;
    assert_eq!(v.as_object().unwrap().len(), 1);
    let tok = v["token"].as_str().unwrap();
    assert_eq!(jwt_part(tok, 0), json!({"alg": "HS256", "typ": "JWT"}));
    let claims = verify_hs256(tok, DEFAULT_VIDEOSDK_SECRET.as_bytes()).expect("signed with the configured secret");
    let iat = claims["iat"].as_i64().unwrap();
    assert!((iat - now_unix()).abs() <= 2);
    assert_eq!(
        Value::Object(claims),
        json!({"apikey": DEFAULT_VIDEOSDK_API_KEY, "permissions": ["allow_join", "allow_mod"], "iat": iat, "exp": iat + 600})
    );

    let claims = jwt_part(get("?roomId=2kyv-gzay-64pg&peerId=lxvdplwt").await["token"].as_str().unwrap(), 1);
    assert_eq!((claims["version"].as_i64(), claims["roles"].clone()), (Some(2), json!(["rtc"])));
    assert_eq!((claims["roomId"].as_str(), claims["participantId"].as_str()), (Some("2kyv-gzay-64pg"), Some("lxvdplwt")));
    let claims = jwt_part(get("?roomId=r1").await["token"].as_str().unwrap(), 1);
    assert_eq!((claims["version"].as_i64(), claims.get("participantId").is_none()), (Some(2), true));
    let claims = jwt_part(get("?peerId=p1").await["token"].as_str().unwrap(), 1);
    assert_eq!((claims["participantId"].as_str(), claims.get("roomId").is_none()), (Some("p1"), true));
    let claims = jwt_part(get("?roomId=").await["token"].as_str().unwrap(), 1);
    assert!(claims.get("version").is_none(), "empty parameters are not given");
    // A JSON body (the example's POST form) works too.
    let v: Value =
        c.post(format!("{base}/get-token")).json(&json!({"roomId": "r2", "peerId": "p2"})).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwt_part(v["token"].as_str().unwrap(), 1)["roomId"], "r2");

    // Its tokens pass the meeting API; the lifetime is configurable.
    let tok = get("?roomId=r&peerId=p").await["token"].as_str().unwrap().to_string();
    assert_eq!(c.post(format!("{base}/v2/rooms")).header("authorization", &tok).send().await.unwrap().status(), 200);
    s.controls().set_videosdk_lifetime(Duration::from_secs(30));
    let claims = jwt_part(get("").await["token"].as_str().unwrap(), 1);
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 30);
    assert_eq!(s.controls().request_count("videosdk.getToken"), 8);
}

#[tokio::test]
async fn expiry_is_judged_on_the_server_clock() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let tok =
        c.get(format!("{base}/get-token")).send().await.unwrap().json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let create = || c.post(format!("{base}/v2/rooms")).header("authorization", &tok).send();
    assert_eq!(create().await.unwrap().status(), 200);
    s.controls().set_clock_offset(601);
    assert_eq!(create().await.unwrap().status(), 401, "expired by the server's clock");
    // A token issued under the offset carries the shifted iat/exp.
    let shifted =
        c.get(format!("{base}/get-token")).send().await.unwrap().json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    assert!((jwt_part(&shifted, 1)["iat"].as_i64().unwrap() - (now_unix() + 601)).abs() <= 2);
    // nbf in the future is refused.
    s.controls().set_clock_offset(0);
    let nbf = sign_hs256(
        &json!({"apikey": DEFAULT_VIDEOSDK_API_KEY, "permissions": ["allow_join"], "nbf": now_unix() + 60}),
        DEFAULT_VIDEOSDK_SECRET.as_bytes(),
    );
    assert_eq!(c.post(format!("{base}/v2/rooms")).header("authorization", nbf).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn rooms_and_faults() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let tok =
        c.get(format!("{base}/get-token")).send().await.unwrap().json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let r = c.get(format!("{base}/v2/rooms/validate/zzzz-zzzz-zzzz")).header("authorization", &tok).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()), (400, json!({"message": "Invalid room id", "statusCode": 400})));
    let room: Value = c.post(format!("{base}/v2/rooms")).header("authorization", &tok).send().await.unwrap().json().await.unwrap();
    assert_eq!(room["disabled"], false);
    assert!(room["createdAt"].as_str().unwrap().ends_with('Z'));
    s.controls().inject(Fault::once("videosdk.getToken", FaultKind::Malformed));
    assert_eq!(c.get(format!("{base}/get-token")).send().await.unwrap().text().await.unwrap(), "{\"token\": abc.def.ghi");
    s.controls().inject(Fault::once("videosdk.createRoom", FaultKind::InvalidUtf8));
    assert!(std::str::from_utf8(
        &c.post(format!("{base}/v2/rooms")).header("authorization", &tok).send().await.unwrap().bytes().await.unwrap()
    )
    .is_err());
    s.controls().inject(Fault::once("videosdk.validateRoom", FaultKind::Html));
    let id = room["roomId"].as_str().unwrap();
    assert_eq!(c.get(format!("{base}/v2/rooms/validate/{id}")).header("authorization", &tok).send().await.unwrap().status(), 502);
    assert_eq!(c.get(format!("{base}/v2/rooms/validate/{id}")).header("authorization", &tok).send().await.unwrap().status(), 200);
}
