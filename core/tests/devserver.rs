//! Integration tests: the real engine, the real reqwest transport, the devserver on
//! 127.0.0.1:0. Every VideoKit source and every fault the devserver can inject.
//! Waiting is event-driven (state-change channels with generous upper bounds), never
//! sleep-and-hope.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use videokit_core::sources::generic::{CustomSource, FixedTokenSource, ProvidedToken, TokenProvider};
use videokit_core::sources::videokit::{ApiTokenSource, BackendSource};
use videokit_core::{jwt, ErrorKind, Secret, Session, SessionConfig, SessionState, StateChange, TokenSource};
use videokit_devserver::{DevServer, DevServerConfig, Fault, FaultKind, DEFAULT_APP_TOKEN};

async fn server(lifetime_secs: u64) -> DevServer {
    let cfg = DevServerConfig { port: 0, token_lifetime: Duration::from_secs(lifetime_secs), ..Default::default() };
    DevServer::start(cfg).await.expect("devserver starts on loopback")
}

fn quick_config() -> SessionConfig {
    let mut c = SessionConfig::default();
    c.http.request_timeout = Duration::from_millis(800);
    c.http.connect_timeout = Duration::from_millis(800);
    c.retry.initial_delay = Duration::from_millis(50);
    c.retry.max_delay = Duration::from_millis(200);
    c.retry.start_attempts = 1;
    c
}

fn session(cfg: SessionConfig) -> (Session, mpsc::UnboundedReceiver<StateChange>) {
    let s = Session::new(cfg, tokio::runtime::Handle::current()).unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    s.subscribe(Arc::new(move |c: &StateChange| {
        let _ = tx.send(c.clone());
    }));
    (s, rx)
}

/// Collect transitions (skipping the initial event) until `n` are seen or `within` passes.
async fn transitions(rx: &mut mpsc::UnboundedReceiver<StateChange>, n: usize, within: Duration) -> Vec<String> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    while out.len() < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(c)) if c.from != c.to => out.push(c.to.as_str().to_string()),
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    out
}

fn api(base: &str, identity: &str) -> Arc<dyn TokenSource> {
    Arc::new(ApiTokenSource::new(base, Secret::new(DEFAULT_APP_TOKEN), identity, vec!["videos.read".into()], false).unwrap())
}

fn backend(base: &str, identity: &str) -> Arc<dyn TokenSource> {
    Arc::new(BackendSource::new(&format!("{base}/token/{{identity}}"), identity, vec![], false).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_token_flow_starts_renews_and_stops() {
    let srv = server(2).await;
    let (s, mut rx) = session(quick_config());
    let d = s.start(api(&srv.base_url(), "alice")).await.unwrap();
    assert_eq!(d.identity.as_deref(), Some("alice"));
    assert_eq!(d.scopes, vec!["videos.read".to_string()]);
    // The session token is the devserver's HS256 JWT; expiresAt agrees with its exp.
    let j = jwt::decode(d.token.expose()).unwrap();
    assert_eq!(j.claims["sub"], "alice");
    assert_eq!(j.claims["scopes"], serde_json::json!(["videos.read"]));
    assert_eq!(j.exp(), d.expires_at.map(videokit_core::clock::unix_secs));
    // Lifetime 2 s → renewal at ~1.8 s; wait for it by events.
    let seen = transitions(&mut rx, 4, Duration::from_secs(10)).await;
    assert_eq!(seen, ["starting", "active", "refreshing", "active"]);
    assert_eq!(srv.controls().request_count("sessions"), 2);
    s.stop();
    assert_eq!(transitions(&mut rx, 1, Duration::from_secs(2)).await, ["stopped"]);
    assert_eq!(s.token().await.unwrap_err().kind(), ErrorKind::NotStarted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_flow_percent_encodes_the_identity() {
    let srv = server(3600).await;
    let (s, _rx) = session(quick_config());
    let d = s.start(backend(&srv.base_url(), "bob smith/ü?x")).await.unwrap();
    assert_eq!(d.identity.as_deref(), Some("bob smith/ü?x"));
    assert_eq!(jwt::decode(d.token.expose()).unwrap().claims["sub"], "bob smith/ü?x");
    assert!(d.expiry_known());
    assert_eq!(srv.controls().request_count("token"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_token_from_the_backend_needs_no_request() {
    let srv = server(3600).await;
    let (s, _rx) = session(quick_config());
    let tok = s.start(backend(&srv.base_url(), "carol")).await.unwrap().token;
    s.stop();
    srv.controls().reset();
    let d = s.start(Arc::new(FixedTokenSource::new(tok.clone()).unwrap())).await.unwrap();
    assert_eq!(d.token, tok);
    assert_eq!(d.identity.as_deref(), Some("carol"));
    assert_eq!(srv.controls().request_counts().values().sum::<u64>(), 0);
}

struct CountingProvider(std::sync::atomic::AtomicU32);

#[async_trait::async_trait]
impl TokenProvider for CountingProvider {
    async fn fetch_token(&self, identity: Option<String>) -> videokit_core::Result<ProvidedToken> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(ProvidedToken { token: Secret::new(format!("custom-{}-{n}", identity.unwrap_or_default())), expires_at: None })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_provider_tokens_are_used_as_given() {
    let (s, _rx) = session(quick_config());
    let p = Arc::new(CountingProvider(Default::default()));
    let d = s.start(Arc::new(CustomSource::new(p.clone(), Some("dave".into())).unwrap())).await.unwrap();
    assert_eq!(d.token.expose(), "custom-dave-0");
    assert!(!d.expiry_known());
    assert_eq!(s.refresh().await.unwrap().token.expose(), "custom-dave-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_share_one_request() {
    let srv = server(3600).await;
    let (s, _rx) = session(quick_config());
    let s = Arc::new(s);
    s.start(api(&srv.base_url(), "erin")).await.unwrap();
    srv.controls().inject(Fault { route: "sessions".into(), kind: FaultKind::Delay { ms: 300 }, count: 1 });
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.refresh().await })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for c in calls {
        tokens.insert(c.await.unwrap().unwrap().token.expose().to_string());
    }
    assert_eq!(tokens.len(), 1, "all callers got the same new token");
    assert_eq!(srv.controls().request_count("sessions"), 2);
}

/// Start once against a fault; return the error kind, how long it took, and the request count.
async fn start_against(srv: &DevServer, fault: FaultKind, cfg: SessionConfig) -> (Option<ErrorKind>, Duration, u64) {
    srv.controls().reset();
    srv.controls().inject(Fault { route: "token".into(), kind: fault, count: 1 });
    let (s, _rx) = session(cfg);
    let t = Instant::now();
    let r = s.start(backend(&srv.base_url(), "faulty")).await;
    let took = t.elapsed();
    s.stop();
    (r.err().map(|e| e.kind()), took, srv.controls().request_count("token"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_gives_its_typed_error() {
    let srv = server(3600).await;
    let cases: Vec<(&str, FaultKind, Option<ErrorKind>)> = vec![
        ("503", FaultKind::Status { status: 503, retry_after: None, body: None }, Some(ErrorKind::HttpStatus)),
        ("500", FaultKind::Status { status: 500, retry_after: None, body: None }, Some(ErrorKind::HttpStatus)),
        ("429", FaultKind::Status { status: 429, retry_after: Some(1), body: None }, Some(ErrorKind::HttpStatus)),
        (
            "401",
            FaultKind::Status { status: 401, retry_after: None, body: Some(r#"{"error":"nope"}"#.into()) },
            Some(ErrorKind::Unauthorized),
        ),
        ("403", FaultKind::Status { status: 403, retry_after: None, body: None }, Some(ErrorKind::Unauthorized)),
        ("404 with an error body", FaultKind::Status { status: 404, retry_after: None, body: None }, Some(ErrorKind::Rejected)),
        ("404 plain", FaultKind::Status { status: 404, retry_after: None, body: Some("Not Found".into()) }, Some(ErrorKind::HttpStatus)),
        ("malformed", FaultKind::Malformed, Some(ErrorKind::MalformedResponse)),
        ("drop", FaultKind::Drop, Some(ErrorKind::Network)),
        ("delay past timeout", FaultKind::Delay { ms: 3000 }, Some(ErrorKind::Timeout)),
        ("stall", FaultKind::Stall, Some(ErrorKind::Timeout)),
        ("oversize", FaultKind::Oversize { bytes: 2 * 1024 * 1024 }, Some(ErrorKind::MalformedResponse)),
        ("slow body", FaultKind::SlowBody { bytes_per_sec: 1 }, Some(ErrorKind::Timeout)),
        ("html 502", FaultKind::Html, Some(ErrorKind::HttpStatus)),
        ("wrong content type", FaultKind::WrongContentType, None),
        ("invalid utf-8", FaultKind::InvalidUtf8, Some(ErrorKind::MalformedResponse)),
        ("truncated", FaultKind::Truncated, Some(ErrorKind::MalformedResponse)),
    ];
    for (name, fault, want) in cases {
        let (kind, took, count) = start_against(&srv, fault, quick_config()).await;
        assert_eq!(kind, want, "{name}");
        assert_eq!(count, 1, "{name}: one attempt with start_attempts = 1");
        assert!(took < Duration::from_secs(3), "{name} took {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_faults_are_retried_and_retry_after_is_honoured() {
    let srv = server(3600).await;
    let mut cfg = quick_config();
    cfg.retry.start_attempts = 4;
    srv.controls().inject(Fault {
        route: "token".into(),
        kind: FaultKind::Status { status: 503, retry_after: Some(1), body: None },
        count: 1,
    });
    srv.controls().inject(Fault { route: "token".into(), kind: FaultKind::Drop, count: 1 });
    let (s, _rx) = session(cfg);
    let t = Instant::now();
    let d = s.start(backend(&srv.base_url(), "frank")).await.unwrap();
    assert!(d.expiry_known());
    assert_eq!(srv.controls().request_count("token"), 3);
    assert!(t.elapsed() >= Duration::from_secs(1), "waited for Retry-After: 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vendors_malformed_backend_json_fails_fast() {
    let srv = server(3600).await;
    srv.controls().inject(Fault { route: "token".into(), kind: FaultKind::Malformed, count: 1 });
    let (s, _rx) = session(SessionConfig::default());
    let t = Instant::now();
    let e = s.start(backend(&srv.base_url(), "gina")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedResponse);
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(s.state(), SessionState::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_rejections_are_typed_and_secret_free() {
    let srv = server(3600).await;
    let (s, _rx) = session(quick_config());
    let src = ApiTokenSource::new(&srv.base_url(), Secret::new("vk_wrong_but_secret"), "h", vec![], false).unwrap();
    let e = s.start(Arc::new(src)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(e.status(), Some(401));
    assert!(e.message().contains("invalid app token"), "{e}");
    assert!(!format!("{e} {e:?}").contains("vk_wrong_but_secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_clock_skew_is_corrected() {
    for offset in [3600i64, -3600] {
        let srv = server(600).await;
        srv.controls().set_clock_offset(offset);
        let (s, _rx) = session(quick_config());
        let d = s.start(api(&srv.base_url(), "ivan")).await.unwrap();
        // The token's expiry is 600 s of server time from now, whatever the device clock says.
        let due = s.renewal_due_in().unwrap();
        assert!(due > Duration::from_secs(535) && due <= Duration::from_secs(541), "offset {offset}: renewal due in {due:?}");
        let skew_ms = videokit_core::clock::diff_ms(s.server_time(), std::time::SystemTime::now());
        assert!((skew_ms - offset * 1000).abs() < 2000, "offset {offset}: skew {skew_ms} ms");
        assert!(d.expires_at.is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_transport_is_refused_before_any_request() {
    let e = BackendSource::new("http://videokit.example/token/{identity}", "a", vec![], false).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::InsecureTransport);
    let e = ApiTokenSource::new("http://10.0.0.1:8080", Secret::new("x"), "a", vec![], false).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::InsecureTransport);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kaltura_renewals_cost_one_request_each_against_the_devserver() {
    use videokit_core::sources::kaltura::{KalturaConfig, KalturaSource};
    let srv = server(3600).await;
    srv.controls().set_kaltura_session_duration("0_xeu31jy5", 3);
    let (s, mut rx) = session(quick_config());
    let mut cfg = KalturaConfig::new(1851571, "0_xeu31jy5", Secret::new("c9883312395bf5ed4fd5c9a5d86c985c"));
    cfg.service_url = srv.base_url();
    cfg.user_id = Some("k-user".into());
    let d = s.start(Arc::new(KalturaSource::new(cfg, false).unwrap())).await.unwrap();
    assert!(matches!(&d.details, videokit_core::TokenDetails::Kaltura { partner_id: 1851571, user_id, .. } if user_id == "k-user"));
    assert_eq!(
        (srv.controls().request_count("kaltura.startWidgetSession"), srv.controls().request_count("kaltura.appToken.startSession")),
        (1, 1)
    );
    // KS lives 3 s → lead 0.3 s → renewal ~2.7 s; two renewals.
    let seen = transitions(&mut rx, 6, Duration::from_secs(15)).await;
    assert_eq!(seen, ["starting", "active", "refreshing", "active", "refreshing", "active"]);
    assert_eq!(
        (srv.controls().request_count("kaltura.startWidgetSession"), srv.controls().request_count("kaltura.appToken.startSession")),
        (1, 3)
    );
    s.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn videosdk_tokens_from_the_devserver_are_checked_and_renewed() {
    use videokit_core::sources::videosdk::VideoSdkSource;
    let srv = server(3600).await;
    srv.controls().set_videosdk_lifetime(Duration::from_secs(2));
    let (s, mut rx) = session(quick_config());
    let src =
        VideoSdkSource::new(&format!("{}/get-token", srv.base_url()), Some("room-1".into()), Some("peer-1".into()), 0, false).unwrap();
    let d = s.start(Arc::new(src)).await.unwrap();
    match &d.details {
        videokit_core::TokenDetails::VideoSdk(c) => {
            assert_eq!((c.version, c.room_id.as_deref(), c.participant_id.as_deref()), (Some(2), Some("room-1"), Some("peer-1")));
            assert!(c.can_moderate());
        }
        other => panic!("{other:?}"),
    }
    let seen = transitions(&mut rx, 4, Duration::from_secs(10)).await;
    assert_eq!(seen, ["starting", "active", "refreshing", "active"]);
    assert_eq!(srv.controls().request_count("videosdk.getToken"), 2);
}
