//! The VideoKit gateway and app backend over real HTTP on 127.0.0.1, every fault kind, the
//! clock, the controls (in-process and over HTTP), shutdown, and the background mode.

mod common;

use common::{date_skew, jwt_part, now_unix, server};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use videokit_devserver::{verify_hs256, DevServer, DevServerConfig, Fault, FaultKind, DEFAULT_APP_TOKEN, DEFAULT_SIGNING_SECRET};

fn status(status: u16, retry_after: Option<u64>) -> FaultKind {
    FaultKind::Status { status, retry_after, body: None }
}

#[tokio::test]
async fn gateway_issues_hs256_session_tokens() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    assert!(s.addr().ip().is_loopback());
    assert_eq!(base, format!("http://127.0.0.1:{}", s.addr().port()));
    let r = c
        .post(format!("{base}/v1/sessions"))
        .bearer_auth(DEFAULT_APP_TOKEN)
        .json(&json!({"identity": "alice", "scopes": ["videos.read", "streams.create"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(date_skew(&r).abs() <= 2);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v.as_object().unwrap().len(), 3, "{v}");
    assert_eq!(v["identity"], "alice");
    let token = v["sessionToken"].as_str().unwrap();
    assert_eq!(jwt_part(token, 0), json!({"alg": "HS256", "typ": "JWT"}));
    let claims = verify_hs256(token, DEFAULT_SIGNING_SECRET.as_bytes()).expect("signed with the signing secret");
    assert_eq!(claims.len(), 4);
    assert_eq!((claims["sub"].as_str(), &claims["scopes"]), (Some("alice"), &json!(["videos.read", "streams.create"])));
    let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
    assert!((iat - now_unix()).abs() <= 2);
    assert_eq!(exp - iat, 3600);
    // expiresAt is exp in RFC 3339 with milliseconds and Z.
    let expires = v["expiresAt"].as_str().unwrap();
    let parsed = time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(parsed.unix_timestamp(), exp);
    assert!(expires.len() == 24 && expires.ends_with(".000Z"), "{expires}");

    // scopes are optional (default []); the scheme is case-insensitive.
    let v: Value = c
        .post(format!("{base}/v1/sessions"))
        .header("authorization", format!("bearer {DEFAULT_APP_TOKEN}"))
        .json(&json!({"identity": "bob"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwt_part(v["sessionToken"].as_str().unwrap(), 1)["scopes"], json!([]));
    assert_eq!(s.controls().request_count("sessions"), 2);
}

#[tokio::test]
async fn gateway_refuses_bad_requests() {
    let mut cfg = DevServerConfig::default();
    cfg.app_tokens.push("vk_second".into());
    let (_s, base, c) = server(cfg).await;
    let post = |auth: Option<&str>, body: &str| {
        let mut r = c.post(format!("{base}/v1/sessions")).header("content-type", "application/json").body(body.to_string());
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        async move {
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let ok = r#"{"identity": "a"}"#;
    let invalid = (401, json!({"error": "invalid app token"}));
    assert_eq!(post(None, ok).await, invalid);
    assert_eq!(post(Some("Bearer nope"), ok).await, invalid);
    assert_eq!(post(Some("Basic dmtfZGV2X2FwcF90b2tlbg=="), ok).await, invalid);
    assert_eq!(post(Some(DEFAULT_APP_TOKEN), ok).await, invalid, "no scheme");
    assert_eq!(post(Some("Bearer nope"), "{garbage").await, invalid, "the app token is checked first");
    assert_eq!(post(Some("Bearer vk_second"), ok).await.0, 200, "a configured second app token");
    let auth = Some("Bearer vk_dev_app_token");
    let required = (400, json!({"error": "identity is required"}));
    assert_eq!(post(auth, r#"{"scopes": []}"#).await, required);
    assert_eq!(post(auth, r#"{"identity": ""}"#).await, required);
    assert_eq!(post(auth, r#"{"identity": "  "}"#).await, required);
    assert_eq!(post(auth, r#"{"identity": null}"#).await, required);
    for bad in ["{garbage", "", "[1]", r#"{"identity": 5}"#, r#"{"identity": "a", "scopes": "x"}"#, r#"{"identity": "a", "scopes": [1]}"#] {
        let (st, v) = post(auth, bad).await;
        assert_eq!(st, 400, "{bad}");
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{bad}: {v}");
    }
}

#[tokio::test]
async fn app_backend_issues_through_the_gateway() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let r = c.get(format!("{base}/token/alice%20smith%2Fx%C3%A9")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("date"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["identity"], "alice smith/xé");
    let claims = verify_hs256(v["sessionToken"].as_str().unwrap(), DEFAULT_SIGNING_SECRET.as_bytes()).unwrap();
    assert_eq!((claims["sub"].as_str(), &claims["scopes"]), (Some("alice smith/xé"), &json!([])));
    assert!(v["expiresAt"].as_str().unwrap().ends_with(".000Z"));
    let r = c.get(format!("{base}/token/%FF")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(s.controls().request_count("token"), 2);
    // With no app token configured, the backend has nothing to call the gateway with.
    let (s2, base2, _) = server(DevServerConfig { app_tokens: vec![], ..Default::default() }).await;
    assert_eq!(c.get(format!("{base2}/token/a")).send().await.unwrap().status(), 500);
    assert_eq!(
        c.post(format!("{base2}/v1/sessions"))
            .bearer_auth(DEFAULT_APP_TOKEN)
            .json(&json!({"identity": "a"}))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    s2.shutdown().await;
}

#[tokio::test]
async fn lifetimes_and_the_clock_offset() {
    let (s, base, c) =
        server(DevServerConfig { token_lifetime: Duration::from_secs(7), clock_offset_secs: 30, ..Default::default() }).await;
    let r = c.get(format!("{base}/token/a")).send().await.unwrap();
    assert!((date_skew(&r) - 30).abs() <= 2);
    let claims = jwt_part(r.json::<Value>().await.unwrap()["sessionToken"].as_str().unwrap(), 1);
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 7);
    assert!((claims["iat"].as_i64().unwrap() - now_unix() - 30).abs() <= 2);

    s.controls().set_token_lifetime(Duration::from_secs(2));
    s.controls().set_clock_offset(-3600);
    let r = c.get(format!("{base}/token/a")).send().await.unwrap();
    assert!((date_skew(&r) + 3600).abs() <= 2, "Date follows the offset");
    let v: Value = r.json().await.unwrap();
    let claims = jwt_part(v["sessionToken"].as_str().unwrap(), 1);
    let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, 2);
    assert!((iat - (now_unix() - 3600)).abs() <= 2);
    let expires = time::OffsetDateTime::parse(v["expiresAt"].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(expires.unix_timestamp(), exp);
    let st = s.controls().server_time().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((st - (now_unix() - 3600)).abs() <= 2);
    assert_eq!(s.controls().config().clock_offset_secs, -3600);
}

#[tokio::test]
async fn every_response_has_a_date_even_404_and_control() {
    let (s, base, c) = server(DevServerConfig { clock_offset_secs: 7200, ..Default::default() }).await;
    for r in [
        c.get(format!("{base}/nope")).send().await.unwrap(),
        c.get(format!("{base}/_control/counts")).send().await.unwrap(),
        c.get(format!("{base}/v1/sessions")).send().await.unwrap(),
    ] {
        assert!((date_skew(&r) - 7200).abs() <= 2, "{}", r.url());
    }
    let r = c.get(format!("{base}/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    assert!(s.controls().request_counts().is_empty(), "404s and control routes are not counted");
}

/// One request to `/token/a` (route `token`).
async fn token(c: &reqwest::Client, base: &str) -> reqwest::Response {
    c.get(format!("{base}/token/a")).send().await.unwrap()
}

#[tokio::test]
async fn status_faults_with_retry_after_count_and_body() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let ctl = s.controls();
    ctl.inject(Fault { route: "token".into(), kind: status(503, Some(2)), count: 2 });
    for _ in 0..2 {
        let r = token(&c, &base).await;
        assert_eq!((r.status().as_u16(), r.headers()["retry-after"].to_str().unwrap()), (503, "2"));
        assert!(r.headers().contains_key("date"));
        assert_eq!(r.json::<Value>().await.unwrap(), json!({"error": "fault injected: status 503"}));
    }
    assert_eq!(token(&c, &base).await.status(), 200, "the fault was for two requests");
    ctl.inject(Fault::once("token", FaultKind::Status { status: 429, retry_after: None, body: Some(r#"{"error": "slow down"}"#.into()) }));
    let r = token(&c, &base).await;
    assert_eq!(
        (r.status().as_u16(), r.headers().get("retry-after").is_none(), r.headers()["content-type"].to_str().unwrap()),
        (429, true, "application/json")
    );
    assert_eq!(r.text().await.unwrap(), r#"{"error": "slow down"}"#);
    ctl.inject(Fault::once("token", FaultKind::Status { status: 500, retry_after: None, body: Some("oops".into()) }));
    let r = token(&c, &base).await;
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (500, "text/plain; charset=utf-8"));
    assert_eq!(r.text().await.unwrap(), "oops");
    // An impossible status from in-process code answers 500 instead of panicking.
    ctl.inject(Fault::once("token", status(42, None)));
    assert_eq!(token(&c, &base).await.status(), 500);
    assert_eq!(ctl.request_count("token"), 6, "faulted requests count");
}

#[tokio::test]
async fn faults_are_fifo_per_matching_route() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let ctl = s.controls();
    ctl.inject(Fault::once("*", status(500, None)));
    ctl.inject(Fault::once("token", status(501, None)));
    ctl.inject(Fault::once("token", status(502, None)));
    ctl.inject(Fault::once("videosdk.getToken", status(503, None)));
    let sessions = || c.post(format!("{base}/v1/sessions")).bearer_auth(DEFAULT_APP_TOKEN).json(&json!({"identity": "a"})).send();
    assert_eq!(sessions().await.unwrap().status(), 500, "the first matching fault is '*'");
    assert_eq!(sessions().await.unwrap().status(), 200, "token faults do not match sessions");
    assert_eq!(token(&c, &base).await.status(), 501);
    assert_eq!(token(&c, &base).await.status(), 502);
    assert_eq!(token(&c, &base).await.status(), 200);
    assert_eq!(ctl.pending_faults(), vec![Fault::once("videosdk.getToken", status(503, None))]);
    assert_eq!(c.get(format!("{base}/get-token")).send().await.unwrap().status(), 503);
    assert!(ctl.pending_faults().is_empty());
    assert_eq!(
        ctl.request_counts().into_iter().collect::<Vec<_>>(),
        vec![("sessions".to_string(), 2), ("token".to_string(), 3), ("videosdk.getToken".to_string(), 1)]
    );
    ctl.inject(Fault::once("token", status(503, None)));
    ctl.reset();
    assert!(ctl.request_counts().is_empty() && ctl.pending_faults().is_empty());
    assert_eq!(token(&c, &base).await.status(), 200);
}

#[tokio::test]
async fn body_faults() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let ctl = s.controls();
    let normal: Value = token(&c, &base).await.json().await.unwrap();
    let normal_len = normal.to_string().len();

    ctl.inject(Fault::once("token", FaultKind::Malformed));
    let r = token(&c, &base).await;
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "application/json"));
    assert_eq!(r.text().await.unwrap(), r#"{"sessionToken": abc.def.ghi"#, "the vendor's own malformed JSON");

    ctl.inject(Fault::once("token", FaultKind::Oversize { bytes: 3 * 1024 * 1024 }));
    let r = token(&c, &base).await;
    assert_eq!(r.status(), 200);
    let b = r.bytes().await.unwrap();
    assert_eq!(b.len(), 3 * 1024 * 1024);
    assert!(serde_json::from_slice::<Value>(&b).unwrap()["sessionToken"].is_string());

    ctl.inject(Fault::once("token", FaultKind::Html));
    let r = token(&c, &base).await;
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (502, "text/html"));
    assert!(r.text().await.unwrap().contains("<title>502 Bad Gateway</title>"));

    ctl.inject(Fault::once("token", FaultKind::WrongContentType));
    let r = token(&c, &base).await;
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "text/plain; charset=utf-8"));
    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(v["sessionToken"].is_string(), "a valid body");

    ctl.inject(Fault::once("token", FaultKind::InvalidUtf8));
    let r = token(&c, &base).await;
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "application/json"));
    let b = r.bytes().await.unwrap();
    assert!(std::str::from_utf8(&b).is_err());
    assert!(b.starts_with(br#"{"sessionToken":""#));

    ctl.inject(Fault::once("token", FaultKind::Truncated));
    let r = token(&c, &base).await;
    assert_eq!(r.status(), 200);
    let t = r.text().await.unwrap();
    assert!(t.starts_with(r#"{"sessionToken":""#) && (t.len() as i64 - (normal_len / 2) as i64).abs() <= 1, "{t}");
    assert!(serde_json::from_str::<Value>(&t).is_err());
    assert_eq!(ctl.request_count("token"), 7);
}

#[tokio::test]
async fn truncated_keeps_an_error_status_as_200_and_wrong_content_type_too() {
    // Faults on a request that would have failed: still 200 (the brief's shapes), the body of
    // the real answer.
    let (s, base, c) = server(DevServerConfig::default()).await;
    s.controls().inject(Fault::once("sessions", FaultKind::WrongContentType));
    let r = c.post(format!("{base}/v1/sessions")).bearer_auth("bad").json(&json!({"identity": "a"})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"{"error":"invalid app token"}"#);
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    assert_eq!(token(&c, &base).await.status(), 200, "a kept-alive connection first");
    s.controls().inject(Fault::once("token", FaultKind::Drop));
    let e = c.get(format!("{base}/token/a")).send().await.expect_err("no response");
    assert!(!e.is_timeout() && e.status().is_none(), "{e:?}");
    // On a fresh connection (no pool) too.
    let fresh = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    s.controls().inject(Fault::once("token", FaultKind::Drop));
    assert!(fresh.get(format!("{base}/token/a")).send().await.is_err());
    // Raw TCP: the request is read, then the socket is closed with nothing written.
    s.controls().inject(Fault::once("token", FaultKind::Drop));
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    sock.write_all(b"GET /token/a HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut buf)).await.expect("closed promptly");
    assert!(n.map(|n| n == 0).unwrap_or(true), "nothing written: {:?}", String::from_utf8_lossy(&buf));
    // The server carries on.
    assert_eq!(token(&c, &base).await.status(), 200);
    assert_eq!(s.controls().request_count("token"), 5);
}

#[tokio::test]
async fn delay_then_a_normal_answer_and_a_client_timeout() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    s.controls().inject(Fault::once("token", FaultKind::Delay { ms: 150 }));
    let t = Instant::now();
    let r = token(&c, &base).await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["sessionToken"].is_string());
    s.controls().inject(Fault::once("token", FaultKind::Delay { ms: 400 }));
    let e = c.get(format!("{base}/token/a")).timeout(Duration::from_millis(100)).send().await.unwrap_err();
    assert!(e.is_timeout());
}

#[tokio::test]
async fn stall_never_answers_and_shutdown_still_ends_promptly() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    s.controls().inject(Fault { route: "token".into(), kind: FaultKind::Stall, count: 2 });
    let e = c.get(format!("{base}/token/a")).timeout(Duration::from_millis(200)).send().await.unwrap_err();
    assert!(e.is_timeout());
    // A second stalled request, still waiting when the server shuts down: its connection is
    // closed and shutdown returns quickly.
    let pending = tokio::spawn({
        let c = c.clone();
        let base = base.clone();
        async move { c.get(format!("{base}/token/a")).send().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    s.shutdown().await;
    assert!(t.elapsed() < Duration::from_millis(900), "{:?}", t.elapsed());
    let r = tokio::time::timeout(Duration::from_secs(2), pending).await.unwrap().unwrap();
    assert!(r.is_err(), "closed without a response");
    assert!(reqwest::Client::new().get(format!("{base}/token/a")).send().await.is_err(), "no longer listening");
}

#[tokio::test]
async fn slow_body_sends_headers_at_once_and_trickles_the_body() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    s.controls().inject(Fault::once("token", FaultKind::SlowBody { bytes_per_sec: 1500 }));
    let t = Instant::now();
    let r = token(&c, &base).await;
    let headers_after = t.elapsed();
    assert_eq!(r.status(), 200);
    let len: usize = r.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert!(headers_after < Duration::from_millis(100), "{headers_after:?}");
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len(), len);
    let secs = len as f64 / 1500.0;
    assert!(t.elapsed().as_secs_f64() >= secs * 0.8, "{:?} for {len} bytes", t.elapsed());
    assert!(serde_json::from_slice::<Value>(&body).unwrap()["sessionToken"].is_string());
    // 1 byte a second: a client with a total timeout gives up.
    s.controls().inject(Fault::once("token", FaultKind::SlowBody { bytes_per_sec: 1 }));
    let r = c.get(format!("{base}/token/a")).timeout(Duration::from_millis(300)).send().await;
    let timed_out = match r {
        Err(e) => e.is_timeout(),
        Ok(r) => r.bytes().await.map_err(|e| e.is_timeout()).err().unwrap_or(false),
    };
    assert!(timed_out);
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    s.controls().inject(Fault::once("token", FaultKind::Delay { ms: 5_000 }));
    let pending = tokio::spawn({
        let c = c.clone();
        let base = base.clone();
        async move { c.get(format!("{base}/token/a")).send().await.map(|r| r.status().as_u16()) }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    s.shutdown().await;
    assert!(t.elapsed() < Duration::from_millis(900));
    // A delay is cut short by shutdown and the request is answered normally.
    assert_eq!(pending.await.unwrap().unwrap(), 200);
}

#[tokio::test]
async fn controls_over_http() {
    let (s, base, c) = server(DevServerConfig::default()).await;
    let post = |path: &str, body: Value| c.post(format!("{base}{path}")).json(&body).send();
    let r =
        post("/_control/faults", json!({"route": "token", "kind": "status", "status": 503, "retry_after": 2, "count": 1})).await.unwrap();
    assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()), (200, json!({"ok": true, "queued": 1})));
    let r = token(&c, &base).await;
    assert_eq!((r.status().as_u16(), r.headers()["retry-after"].to_str().unwrap()), (503, "2"));

    // Every kind by its JSON name, an array at once.
    let kinds = json!([
        {"route": "token", "kind": "malformed"},
        {"route": "token", "kind": "drop"},
        {"route": "token", "kind": "delay", "ms": 10},
        {"route": "token", "kind": "oversize", "bytes": 5000},
        {"route": "token", "kind": "slow_body", "bytes_per_sec": 100000},
        {"route": "token", "kind": "html"},
        {"route": "token", "kind": "wrong_content_type"},
        {"route": "token", "kind": "invalid_utf8"},
        {"route": "token", "kind": "truncated"},
        {"route": "token", "kind": "stall", "ms": 10000}
    ]);
    assert_eq!(post("/_control/faults", kinds).await.unwrap().json::<Value>().await.unwrap()["queued"], 10);
    assert_eq!(
        s.controls().pending_faults().into_iter().map(|f| f.kind).collect::<Vec<_>>(),
        vec![
            FaultKind::Malformed,
            FaultKind::Drop,
            FaultKind::Delay { ms: 10 },
            FaultKind::Oversize { bytes: 5000 },
            FaultKind::SlowBody { bytes_per_sec: 100000 },
            FaultKind::Html,
            FaultKind::WrongContentType,
            FaultKind::InvalidUtf8,
            FaultKind::Truncated,
            FaultKind::Stall
        ]
    );
    assert_eq!(token(&c, &base).await.text().await.unwrap(), r#"{"sessionToken": abc.def.ghi"#);
    assert!(c.get(format!("{base}/token/a")).send().await.is_err());
    assert_eq!(token(&c, &base).await.status(), 200);
    assert_eq!(token(&c, &base).await.bytes().await.unwrap().len(), 5000);

    // Invalid faults are refused, and none of an array is queued.
    assert_eq!(post("/_control/reset", json!({})).await.unwrap().status(), 200);
    for bad in [
        json!({"kind": "bogus"}),
        json!({"kind": "status", "status": 700}),
        json!({"route": "nope", "kind": "drop"}),
        json!([{"kind": "drop"}, {"kind": "bogus"}]),
        json!("drop"),
    ] {
        let r = post("/_control/faults", bad.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert!(r.json::<Value>().await.unwrap()["error"].is_string());
    }
    assert_eq!(c.post(format!("{base}/_control/faults")).body("{oops").send().await.unwrap().status(), 400);
    assert!(s.controls().pending_faults().is_empty());

    // Counts.
    token(&c, &base).await;
    c.get(format!("{base}/get-token")).send().await.unwrap();
    let counts: Value = c.get(format!("{base}/_control/counts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(counts, json!({"token": 1, "videosdk.getToken": 1}));
    assert_eq!(c.post(format!("{base}/_control/reset")).send().await.unwrap().status(), 200, "an empty body is fine");
    assert_eq!(c.get(format!("{base}/_control/counts")).send().await.unwrap().json::<Value>().await.unwrap(), json!({}));

    // Settings.
    let r =
        post("/_control/config", json!({"clock_offset_secs": 3600, "token_lifetime_secs": 5, "videosdk_lifetime_secs": 60})).await.unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"clock_offset_secs": 3600, "token_lifetime_secs": 5, "videosdk_lifetime_secs": 60})
    );
    let r = token(&c, &base).await;
    assert!((date_skew(&r) - 3600).abs() <= 2);
    let claims = jwt_part(r.json::<Value>().await.unwrap()["sessionToken"].as_str().unwrap(), 1);
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 5);
    let claims =
        jwt_part(c.get(format!("{base}/get-token")).send().await.unwrap().json::<Value>().await.unwrap()["token"].as_str().unwrap(), 1);
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 60);
    assert_eq!(c.get(format!("{base}/_control/config")).send().await.unwrap().json::<Value>().await.unwrap()["token_lifetime_secs"], 5);
    assert_eq!(post("/_control/config", json!({"token_lifetime": 5})).await.unwrap().status(), 400, "unknown setting");
    assert_eq!(post("/_control/config", json!({"kaltura_app_token_id": "0_xeu31jy5"})).await.unwrap().status(), 400, "half a pair");
    assert_eq!(
        post("/_control/config", json!({"kaltura_app_token_id": "0_xeu31jy5", "kaltura_session_duration_secs": 3})).await.unwrap().status(),
        200
    );
    assert_eq!(
        c.get(format!("{base}/_control/counts")).send().await.unwrap().json::<Value>().await.unwrap(),
        json!({"token": 1, "videosdk.getToken": 1}),
        "control routes are not counted"
    );
}

#[test]
fn background_server_for_sync_callers() {
    let s = DevServer::start_background(DevServerConfig::default()).unwrap();
    let base = s.base_url();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let status = rt.block_on(async { reqwest::get(format!("{base}/token/a")).await.unwrap().status().as_u16() });
    assert_eq!(status, 200);
    // Controls work from this (non-runtime) thread.
    s.controls().inject(Fault::once("token", status_fault()));
    let st = rt.block_on(async { reqwest::get(format!("{base}/token/a")).await.unwrap().status().as_u16() });
    assert_eq!((st, s.controls().request_count("token")), (418, 2));
    let t = Instant::now();
    drop(s);
    assert!(t.elapsed() < Duration::from_secs(2), "drop joins the server thread promptly");
    assert!(rt.block_on(async { reqwest::get(format!("{base}/token/a")).await }).is_err());
    // The port is free again: bind it (port reuse is how a CLI restarts on the same port).
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let again = DevServer::start_background(DevServerConfig { port, ..Default::default() }).unwrap();
    assert_eq!(again.addr().port(), port);
    // A port in use is an error, not a panic.
    assert!(DevServer::start_background(DevServerConfig { port, ..Default::default() }).is_err());
}

fn status_fault() -> FaultKind {
    status(418, None)
}

#[tokio::test(start_paused = true)]
async fn background_server_serves_a_test_on_paused_time() {
    let s = DevServer::start_background(DevServerConfig::default()).unwrap();
    s.controls().inject(Fault::once("token", FaultKind::Delay { ms: 50 }));
    let v: Value = reqwest::get(format!("{}/token/a", s.base_url())).await.unwrap().json().await.unwrap();
    assert!(v["sessionToken"].is_string());
    s.shutdown().await;
}

#[tokio::test]
async fn start_on_the_current_runtime_then_drop() {
    let s = DevServer::start(DevServerConfig::default()).await.unwrap();
    let base = s.base_url();
    drop(s);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(reqwest::get(format!("{base}/token/a")).await.is_err(), "dropping stops it");
}
