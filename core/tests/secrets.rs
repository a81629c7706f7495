//! No secret in any log line at the most verbose level, nor in any error's text or Debug.
//! Runs every flow (VideoKit gateway, app backend, fixed token, Kaltura, VideoSDK; success
//! and failure) against the devserver with a capturing `log` logger at Trace, then searches
//! everything captured for every secret seen: app tokens, session tokens, header secrets,
//! appToken tokens, KS (widget and user), VideoSDK JWTs and the API secret.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use videokit_core::sources::generic::FixedTokenSource;
use videokit_core::sources::videokit::{ApiTokenSource, BackendSource};
use videokit_core::{Error, Secret, Session, SessionConfig, TokenSource};
use videokit_devserver::{DevServer, DevServerConfig, Fault, FaultKind, DEFAULT_APP_TOKEN};

static CAPTURED: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;
impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        // Everything the SDK's process logs (the SDK and its dependencies), except the test
        // backend's own lines: the devserver is the other side, not the SDK.
        if r.target().starts_with("videokit_devserver") {
            return;
        }
        CAPTURED.lock().unwrap().push(format!("{} {} {}", r.level(), r.target(), r.args()));
    }
    fn flush(&self) {}
}
static LOGGER: Capture = Capture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_or_errors() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let srv = DevServer::start(DevServerConfig { port: 0, token_lifetime: Duration::from_secs(2), ..Default::default() }).await.unwrap();
    let base = srv.base_url();
    let mut secrets: Vec<String> = vec![DEFAULT_APP_TOKEN.to_string()];
    let mut errors: Vec<Error> = Vec::new();
    let mut cfg = SessionConfig::default();
    cfg.retry.start_attempts = 1;
    cfg.http.request_timeout = Duration::from_millis(500);

    // Success paths, including a renewal.
    let s = Session::new(cfg.clone(), tokio::runtime::Handle::current()).unwrap();
    let d = s.start(Arc::new(ApiTokenSource::new(&base, Secret::new(DEFAULT_APP_TOKEN), "alice", vec![], false).unwrap())).await.unwrap();
    secrets.push(d.token.expose().to_string());
    secrets.push(s.refresh().await.unwrap().token.expose().to_string());
    let backend_header = "Bearer app-user-cookie-secret-123";
    let src = BackendSource::new(
        &format!("{base}/token/{{identity}}"),
        "bob",
        vec![("authorization".into(), Secret::new(backend_header))],
        false,
    )
    .unwrap();
    let d = s.start(Arc::new(src)).await.unwrap();
    secrets.push(backend_header.to_string());
    secrets.push(d.token.expose().to_string());
    let fixed = d.token.clone();
    s.start(Arc::new(FixedTokenSource::new(fixed).unwrap())).await.unwrap();
    s.stop();

    // Failure paths.
    let wrong = "vk_wrong_app_token_shh";
    secrets.push(wrong.to_string());
    let src = ApiTokenSource::new(&base, Secret::new(wrong), "carol", vec![], false).unwrap();
    errors.push(s.start(Arc::new(src)).await.unwrap_err());
    for fault in [
        FaultKind::Malformed,
        FaultKind::Truncated,
        FaultKind::Html,
        FaultKind::Status { status: 400, retry_after: None, body: Some(format!(r#"{{"error":"bad header {backend_header}"}}"#)) },
    ] {
        srv.controls().inject(Fault { route: "token".into(), kind: fault, count: 1 });
        let src: Arc<dyn TokenSource> = Arc::new(
            BackendSource::new(
                &format!("{base}/token/{{identity}}"),
                "dan",
                vec![("authorization".into(), Secret::new(backend_header))],
                false,
            )
            .unwrap(),
        );
        errors.push(s.start(src).await.unwrap_err());
    }
    s.stop();

    // Kaltura: appToken token, widget KS, user KS; errors that echo a KS.
    {
        use videokit_core::sources::kaltura::{KalturaConfig, KalturaSource};
        let app_token = "c9883312395bf5ed4fd5c9a5d86c985c";
        secrets.push(app_token.to_string());
        let mut cfg = KalturaConfig::new(1851571, "0_xeu31jy5", Secret::new(app_token));
        cfg.service_url = base.clone();
        let d = s.start(Arc::new(KalturaSource::new(cfg.clone(), false).unwrap())).await.unwrap();
        secrets.push(d.token.expose().to_string());
        secrets.push(s.refresh().await.unwrap().token.expose().to_string());
        let invalid_ks = r#"{"code":"INVALID_KS","message":"Invalid KS \"djJ8MTg1MTU3MXxleHBvc2VkLWtzLXNlY3JldC12YWx1ZQ==\", Error \"-1,INVALID_STR\"","objectType":"KalturaAPIException","args":{"KSID":"djJ8MTg1MTU3MXxleHBvc2VkLWtzLXNlY3JldC12YWx1ZQ=="}}"#;
        secrets.push("djJ8MTg1MTU3MXxleHBvc2VkLWtzLXNlY3JldC12YWx1ZQ==".to_string());
        srv.controls().inject(Fault {
            route: "kaltura.appToken.startSession".into(),
            kind: FaultKind::Status { status: 200, retry_after: None, body: Some(invalid_ks.to_string()) },
            count: 2,
        });
        errors.push(s.start(Arc::new(KalturaSource::new(cfg.clone(), false).unwrap())).await.unwrap_err());
        let mut wrong = cfg;
        wrong.app_token = Secret::new("kaltura-wrong-app-token-secret");
        secrets.push("kaltura-wrong-app-token-secret".to_string());
        errors.push(s.start(Arc::new(KalturaSource::new(wrong, false).unwrap())).await.unwrap_err());
    }
    // VideoSDK: the JWT from the token server, and a refused one.
    {
        use videokit_core::sources::videosdk::VideoSdkSource;
        let d = s
            .start(Arc::new(VideoSdkSource::new(&format!("{base}/get-token"), Some("r".into()), Some("p".into()), 0, false).unwrap()))
            .await
            .unwrap();
        secrets.push(d.token.expose().to_string());
        secrets.push(DevServerConfig::default().videosdk.secret);
        let none = "eyJhbGciOiJub25lIn0.eyJhcGlrZXkiOiJzZWNyZXQta2V5IiwicGVybWlzc2lvbnMiOlsiYWxsb3dfam9pbiJdfQ.";
        secrets.push(none.to_string());
        srv.controls().inject(Fault {
            route: "videosdk.getToken".into(),
            kind: FaultKind::Status { status: 200, retry_after: None, body: Some(format!(r#"{{"token":"{none}"}}"#)) },
            count: 1,
        });
        errors.push(s.start(Arc::new(VideoSdkSource::new(&format!("{base}/get-token"), None, None, 0, false).unwrap())).await.unwrap_err());
    }
    s.stop();
    srv.shutdown().await;

    let logs = CAPTURED.lock().unwrap().clone();
    assert!(logs.len() > 10, "the run logged ({} lines)", logs.len());
    assert!(logs.iter().any(|l| l.starts_with("DEBUG")), "debug level was captured");
    for secret in &secrets {
        for line in &logs {
            assert!(!line.contains(secret.as_str()), "secret found in log line: {line}");
        }
        for e in &errors {
            assert!(!e.to_string().contains(secret.as_str()) && !format!("{e:?}").contains(secret.as_str()), "secret in error {e}");
        }
    }
    assert!(errors.iter().any(|e| e.code() == Some("INVALID_KS")), "{errors:?}");
    assert!(errors.iter().any(|e| e.code() == Some("unsupported_algorithm")), "{errors:?}");
    // The echoed header in the 400 body was scrubbed, not dropped silently.
    assert!(errors.iter().any(|e| e.message().contains("***")), "{errors:?}");
}
