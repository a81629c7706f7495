//! What testing from outside found in the devserver (issue 12, items 8 and 10): read timeouts
//! and a connection cap, the SDK's identity rules, validated lifetimes and secrets, dates
//! never past year 9999, and Kaltura multirequest. Real HTTP on 127.0.0.1 only.

mod common;

use common::{jwt_part, server};
use serde_json::{json, Value};
use sha2::Digest;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use videokit_devserver::{DevServer, DevServerConfig};

/// Waits (at most `within`) until the server closes `s`: true when it did.
async fn closed_by_server(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a 408 or similar before the close
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_are_closed_and_do_not_starve_a_normal_request() {
    let cfg = DevServerConfig { header_read_timeout: Duration::from_millis(300), max_connections: 16, ..Default::default() };
    let (s, base, c) = server(cfg).await;
    // 64 half-sent requests (four times the cap) and 16 connections that send nothing.
    let mut half = Vec::new();
    for i in 0..80 {
        let mut t = TcpStream::connect(s.addr()).await.unwrap();
        if i < 64 {
            t.write_all(b"GET /token/alice HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ").await.unwrap();
        }
        half.push(t);
    }
    // A normal request still gets its answer (the stuck ones time out and free their slots).
    let r = tokio::time::timeout(Duration::from_secs(20), c.get(format!("{base}/token/bob")).send())
        .await
        .expect("served despite 80 stuck connections")
        .unwrap();
    assert_eq!(r.status(), 200);
    // And every stuck connection is closed by the server.
    for (i, t) in half.iter_mut().enumerate() {
        assert!(closed_by_server(t, Duration::from_secs(20)).await, "connection {i} still open");
    }
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_arrives_is_408() {
    let cfg = DevServerConfig { body_read_timeout: Duration::from_millis(300), ..Default::default() };
    let (s, _base, _c) = server(cfg).await;
    let mut t = TcpStream::connect(s.addr()).await.unwrap();
    t.write_all(b"POST /v1/sessions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer vk_dev_app_token\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"identity\"").await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout_at(deadline, t.read(&mut buf)).await.expect("answered within 10 s") {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 408"), "{}", String::from_utf8_lossy(&got));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_follow_the_sdk_rules() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let long = "a".repeat(513);
    for (path, why) in
        [(long.clone(), "longer than 512"), ("a%07b".into(), "control"), ("%20%20".into(), "required"), ("a%0Ab".into(), "control")]
    {
        let r = c.get(format!("{base}/token/{path}")).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains(why), "{v}");
    }
    for id in [json!(long), json!("tab\there"), json!("  ")] {
        let r = c.post(format!("{base}/v1/sessions")).bearer_auth("vk_dev_app_token").json(&json!({"identity": id})).send().await.unwrap();
        assert_eq!(r.status(), 400, "{id}");
    }
    // 512 bytes, and surrounding spaces trimmed as the SDK trims them.
    let v: Value = c.get(format!("{base}/token/{}", "a".repeat(512))).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["identity"].as_str().unwrap().len(), 512);
    let v: Value = c.get(format!("{base}/token/%20bob%20")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["identity"], "bob");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifetimes_and_secrets_are_validated() {
    for bad in [
        DevServerConfig { signing_secret: String::new(), ..Default::default() },
        DevServerConfig { token_lifetime: Duration::ZERO, ..Default::default() },
        DevServerConfig { token_lifetime: Duration::from_secs(u64::MAX), ..Default::default() },
        DevServerConfig { app_tokens: vec![" ".into()], ..Default::default() },
        DevServerConfig { max_connections: 0, ..Default::default() },
    ] {
        assert_eq!(DevServer::start(bad.clone()).await.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(DevServer::start_background(bad).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    }
    let mut v = DevServerConfig::default();
    v.videosdk.secret = String::new();
    assert!(DevServer::start(v).await.is_err());
    let mut v = DevServerConfig::default();
    v.videosdk.token_lifetime_secs = 0;
    assert!(DevServer::start(v).await.is_err());
    for text in [
        r#"{"signingSecret": ""}"#,
        r#"{"tokenLifetimeSecs": 0}"#,
        r#"{"tokenLifetimeSecs": 18446744073709551615}"#,
        r#"{"videosdk": {"secret": ""}}"#,
        r#"{"videosdk": {"tokenLifetimeSecs": 0}}"#,
    ] {
        assert!(DevServerConfig::from_json_str(text).is_err(), "{text}");
    }
    // Over HTTP too: nothing is changed.
    let (s, base, c) = server(DevServerConfig::default()).await;
    for body in [
        json!({"token_lifetime_secs": 0}),
        json!({"videosdk_lifetime_secs": 18446744073709551615u64}),
        json!({"kaltura_app_token_id": "0_xeu31jy5", "kaltura_session_duration_secs": 0}),
    ] {
        let r = c.post(format!("{base}/_control/config")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
    }
    assert_eq!(s.controls().config().token_lifetime, Duration::from_secs(3600));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_times_never_pass_year_9999() {
    // The clock a day before the end of 9999, tokens for ten years.
    let end = 253_402_300_799i64;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let cfg = DevServerConfig {
        clock_offset_secs: end - 86_400 - now,
        token_lifetime: Duration::from_secs(10 * 365 * 86_400),
        ..Default::default()
    };
    let (s, base, c) = server(cfg).await;
    let v: Value = c.get(format!("{base}/token/alice")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["expiresAt"], "9999-12-31T23:59:59.000Z");
    assert_eq!(jwt_part(v["sessionToken"].as_str().unwrap(), 1)["exp"], end);
    s.controls().set_videosdk_lifetime(Duration::from_secs(u64::MAX));
    let v: Value = c.get(format!("{base}/get-token")).send().await.unwrap().json().await.unwrap();
    assert_eq!(jwt_part(v["token"].as_str().unwrap(), 1)["exp"], end);
    s.shutdown().await;
}

fn sha256(s: &str) -> String {
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kaltura_multirequest_in_json_and_form_with_earlier_results() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let token = videokit_devserver::DEFAULT_KALTURA_APP_TOKEN;
    let id = videokit_devserver::DEFAULT_KALTURA_APP_TOKEN_ID;
    // A widget KS to hash with.
    let w: Value = c
        .post(format!("{base}/api_v3/service/session/action/startWidgetSession"))
        .form(&[("widgetId", "_1851571"), ("format", "1")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let wks = w["ks"].as_str().unwrap().to_string();
    // JSON, as the Python and Node clients send it (0-based keys; {1:result:ks} is the first).
    let body = json!({
        "format": 1, "clientTag": "test",
        "0": {"service": "session", "action": "startWidgetSession", "widgetId": "_1851571"},
        "1": {"service": "appToken", "action": "startSession", "ks": wks, "id": id, "tokenHash": sha256(&format!("{wks}{token}")), "userId": "m"},
        "2": {"service": "appToken", "action": "startSession", "ks": "{1:result:ks}", "id": id, "tokenHash": "deadbeef"},
        "3": {"service": "media", "action": "list"}
    });
    let r = c.post(format!("{base}/api_v3/service/multirequest")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let a = v.as_array().expect("an array of results");
    assert_eq!(a.len(), 4);
    assert_eq!(a[0]["objectType"], "KalturaStartWidgetSessionResponse");
    assert_eq!((a[1]["objectType"].as_str(), a[1]["userId"].as_str()), (Some("KalturaSessionInfo"), Some("m")));
    assert_eq!(a[2]["code"], "INVALID_APP_TOKEN_HASH", "the KS of result 1 was substituted and read");
    assert_eq!(a[3]["code"], "SERVICE_DOES_NOT_EXISTS");
    assert_eq!(s.controls().request_count("kaltura.startWidgetSession"), 2);
    assert_eq!(s.controls().request_count("kaltura.appToken.startSession"), 2);
    // Form, 1-based, XML answer.
    let r = c
        .post(format!("{base}/api_v3/?service=multirequest&format=2"))
        .form(&[
            ("1:service", "session"),
            ("1:action", "startWidgetSession"),
            ("1:widgetId", "_1851571"),
            ("2:service", "session"),
            ("2:action", "startWidgetSession"),
            ("2:widgetId", "_9"),
        ])
        .send()
        .await
        .unwrap();
    let x = r.text().await.unwrap();
    assert!(x.contains("<result><item><objectType>KalturaStartWidgetSessionResponse</objectType>"), "{x}");
    assert!(x.contains("<item><error><code>INVALID_WIDGET_ID</code>"), "{x}");
    s.shutdown().await;
}

/// The first line of the answer to one raw request.
async fn status_line(addr: std::net::SocketAddr, request: &str) -> String {
    let mut t = TcpStream::connect(addr).await.unwrap();
    t.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), t.read_to_end(&mut got)).await.expect("answered within 10 s").unwrap();
    String::from_utf8_lossy(&got).lines().next().unwrap_or("").to_string()
}

/// From the outside test (issue 11): a web page could drive the control endpoints: a
/// cross-origin "simple" POST (`text/plain`, no preflight) changed the configuration, and a
/// page rebinding its own name to 127.0.0.1 could read it. They answer local tools only now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_endpoints_refuse_what_a_web_page_sends() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let before: Value = c.get(format!("{base}/_control/config")).send().await.unwrap().json().await.unwrap();
    let body = r#"{"token_lifetime_secs": 7}"#;
    let post = |host: &str, origin: Option<&str>| {
        let origin = origin.map(|o| format!("origin: {o}\r\n")).unwrap_or_default();
        format!(
            "POST /_control/config HTTP/1.1\r\nhost: {host}\r\n{origin}content-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    for (host, origin) in [
        ("evil.example:8787", None),
        ("127.0.0.1", Some("http://evil.example")),
        ("127.0.0.1", Some("null")),
        ("localhost.evil.example", Some("http://localhost.evil.example")),
    ] {
        assert!(status_line(s.addr(), &post(host, origin)).await.starts_with("HTTP/1.1 403"), "{host} {origin:?}");
    }
    let get = "GET /_control/config HTTP/1.1\r\nhost: rebound.evil.example\r\nconnection: close\r\n\r\n";
    assert!(status_line(s.addr(), get).await.starts_with("HTTP/1.1 403"));
    let after: Value = c.get(format!("{base}/_control/config")).send().await.unwrap().json().await.unwrap();
    assert_eq!(after, before, "nothing changed");
    // Local tools: a loopback Host, with no Origin or a loopback one.
    for origin in [None, Some("http://localhost:3000"), Some("http://127.0.0.1:8787")] {
        assert!(status_line(s.addr(), &post(&s.addr().to_string(), origin)).await.starts_with("HTTP/1.1 200"), "{origin:?}");
    }
    let after: Value = c.get(format!("{base}/_control/config")).send().await.unwrap().json().await.unwrap();
    assert_eq!(after["token_lifetime_secs"], 7);
    s.shutdown().await;
}
