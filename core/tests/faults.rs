//! The fault suite: for every source (VideoKit gateway, app backend, VideoSDK, Kaltura) and
//! every fault the devserver injects during a renewal, assert the typed error kind, the time
//! to it, whether the still-valid token was kept, and the exact state sequence; then clock
//! skew of ±1 hour for every source. Real HTTP on 127.0.0.1.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use videokit_core::sources::kaltura::{KalturaConfig, KalturaSource};
use videokit_core::sources::videokit::{ApiTokenSource, BackendSource};
use videokit_core::sources::videosdk::VideoSdkSource;
use videokit_core::{ErrorKind, Secret, Session, SessionConfig, SessionState, StateChange, TokenSource};
use videokit_devserver::{DevServer, DevServerConfig, Fault, FaultKind, DEFAULT_APP_TOKEN};

const TIMEOUT: Duration = Duration::from_millis(800);

#[derive(Clone, Copy, Debug)]
enum Src {
    Gateway,
    Backend,
    VideoSdk,
    Kaltura,
}

impl Src {
    fn route(self) -> &'static str {
        match self {
            Src::Gateway => "sessions",
            Src::Backend => "token",
            Src::VideoSdk => "videosdk.getToken",
            // Renewals reuse the cached widget KS: only startSession is called.
            Src::Kaltura => "kaltura.appToken.startSession",
        }
    }
    fn make(self, base: &str) -> Arc<dyn TokenSource> {
        match self {
            Src::Gateway => Arc::new(ApiTokenSource::new(base, Secret::new(DEFAULT_APP_TOKEN), "alice", vec![], false).unwrap()),
            Src::Backend => Arc::new(BackendSource::new(&format!("{base}/token/{{identity}}"), "alice", vec![], false).unwrap()),
            Src::VideoSdk => Arc::new(VideoSdkSource::new(&format!("{base}/get-token"), None, None, 0, false).unwrap()),
            Src::Kaltura => {
                let mut c = KalturaConfig::new(1851571, "0_xeu31jy5", Secret::new("c9883312395bf5ed4fd5c9a5d86c985c"));
                c.service_url = base.to_string();
                Arc::new(KalturaSource::new(c, false).unwrap())
            }
        }
    }
}

const ALL: [Src; 4] = [Src::Gateway, Src::Backend, Src::VideoSdk, Src::Kaltura];

fn config() -> SessionConfig {
    let mut c = SessionConfig::default();
    c.http.request_timeout = TIMEOUT;
    c.http.connect_timeout = TIMEOUT;
    // No jitter and a 300 ms first retry: the token held between the failed attempt and the
    // retry can be observed without racing the retry.
    c.retry.initial_delay = Duration::from_millis(300);
    c.retry.max_delay = Duration::from_millis(600);
    c.retry.jitter = videokit_core::Jitter::None;
    c
}

async fn started(src: Src, srv: &DevServer) -> (Session, mpsc::UnboundedReceiver<StateChange>) {
    let s = Session::new(config(), tokio::runtime::Handle::current()).unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    s.subscribe(Arc::new(move |c: &StateChange| {
        let _ = tx.send(c.clone());
    }));
    s.start(src.make(&srv.base_url())).await.unwrap_or_else(|e| panic!("{src:?} start: {e}"));
    (s, rx)
}

async fn states(rx: &mut mpsc::UnboundedReceiver<StateChange>, n: usize) -> Vec<&'static str> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(c)) if c.from != c.to => out.push(c.to.as_str()),
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    out
}

/// Expected outcome of one fault during a renewal.
struct Expect {
    kind: Option<ErrorKind>,
    /// Upper bound on the time to the first attempt's result.
    within: Duration,
    /// At least this long (Retry-After, timeouts).
    at_least: Duration,
}

fn expectations() -> Vec<(&'static str, FaultKind, Expect)> {
    let quick = Duration::from_millis(600);
    let e = |kind, within, at_least| Expect { kind, within, at_least };
    vec![
        ("500", FaultKind::Status { status: 500, retry_after: None, body: None }, e(Some(ErrorKind::HttpStatus), quick, Duration::ZERO)),
        ("502", FaultKind::Status { status: 502, retry_after: None, body: None }, e(Some(ErrorKind::HttpStatus), quick, Duration::ZERO)),
        ("503", FaultKind::Status { status: 503, retry_after: None, body: None }, e(Some(ErrorKind::HttpStatus), quick, Duration::ZERO)),
        (
            "429 + Retry-After: 1",
            FaultKind::Status { status: 429, retry_after: Some(1), body: None },
            e(Some(ErrorKind::HttpStatus), quick, Duration::ZERO),
        ),
        ("connection reset", FaultKind::Drop, e(Some(ErrorKind::Network), quick, Duration::ZERO)),
        (
            "stall past the timeout",
            FaultKind::Stall,
            e(Some(ErrorKind::Timeout), TIMEOUT + Duration::from_millis(700), TIMEOUT - Duration::from_millis(50)),
        ),
        (
            "slow body, 1 byte/s",
            FaultKind::SlowBody { bytes_per_sec: 1 },
            e(Some(ErrorKind::Timeout), TIMEOUT + Duration::from_millis(700), TIMEOUT - Duration::from_millis(50)),
        ),
        (
            "oversized body",
            FaultKind::Oversize { bytes: 2 * 1024 * 1024 },
            e(Some(ErrorKind::MalformedResponse), Duration::from_secs(2), Duration::ZERO),
        ),
        ("truncated JSON", FaultKind::Truncated, e(Some(ErrorKind::MalformedResponse), quick, Duration::ZERO)),
        ("HTML error page", FaultKind::Html, e(Some(ErrorKind::HttpStatus), quick, Duration::ZERO)),
        ("wrong content type", FaultKind::WrongContentType, e(None, quick, Duration::ZERO)),
        ("invalid UTF-8", FaultKind::InvalidUtf8, e(Some(ErrorKind::MalformedResponse), quick, Duration::ZERO)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_every_source_during_renewal() {
    let srv = DevServer::start(DevServerConfig { port: 0, ..Default::default() }).await.unwrap();
    let mut report = Vec::new();
    for src in ALL {
        for (name, fault, want) in expectations() {
            let (s, mut rx) = started(src, &srv).await;
            let before = s.token().await.unwrap();
            srv.controls().inject(Fault { route: src.route().into(), kind: fault.clone(), count: 1 });
            let t = Instant::now();
            let first = s.refresh().await;
            let took = t.elapsed();
            let label = format!("{src:?} / {name}");
            assert_eq!(first.as_ref().err().map(|e| e.kind()), want.kind, "{label}: {:?}", first.as_ref().err());
            assert!(took <= want.within && took >= want.at_least, "{label}: took {took:?}");
            // Every fault during renewal keeps the still-valid token (served while the retry
            // waits), and the retry renews it. A lenient success renews at once.
            if want.kind.is_some() {
                assert_eq!(s.state(), SessionState::Refreshing, "{label}");
                assert_eq!(s.token().await.unwrap(), before, "{label}: token kept");
            }
            let seq = states(&mut rx, 4).await;
            assert_eq!(seq, ["starting", "active", "refreshing", "active"], "{label}");
            assert_eq!(s.state(), SessionState::Active, "{label}");
            report.push(format!(
                "{label:<40} {:<20} {:>5} ms  {}",
                want.kind.map(|k| k.as_str()).unwrap_or("ok (lenient)"),
                took.as_millis(),
                if want.kind.is_some() { "token kept, retried, active" } else { "renewed" }
            ));
            s.stop();
            srv.controls().reset();
        }
    }
    for line in &report {
        println!("{line}");
    }
    assert_eq!(report.len(), 4 * 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_every_source_at_start() {
    // At start there is no token to keep: transient faults are retried, the rest fail fast.
    let srv = DevServer::start(DevServerConfig { port: 0, ..Default::default() }).await.unwrap();
    for src in ALL {
        for (name, fault, want) in expectations() {
            let s = Session::new(config(), tokio::runtime::Handle::current()).unwrap();
            // Kaltura's cold start calls startWidgetSession first; fault that route instead.
            let route = if matches!(src, Src::Kaltura) { "kaltura.startWidgetSession" } else { src.route() };
            srv.controls().inject(Fault { route: route.into(), kind: fault.clone(), count: 1 });
            let r = s.start(src.make(&srv.base_url())).await;
            let label = format!("{src:?} / {name}");
            match want.kind {
                Some(ErrorKind::MalformedResponse) => {
                    assert_eq!(r.err().map(|e| e.kind()), Some(ErrorKind::MalformedResponse), "{label}");
                    assert_eq!(s.state(), SessionState::Failed, "{label}");
                }
                _ => {
                    assert!(r.is_ok(), "{label}: {:?}", r.err());
                    assert_eq!(s.state(), SessionState::Active, "{label}");
                }
            }
            s.stop();
            srv.controls().reset();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_of_an_hour_either_way_on_every_source() {
    for offset in [3600i64, -3600] {
        let srv = DevServer::start(DevServerConfig { port: 0, ..Default::default() }).await.unwrap();
        srv.controls().set_clock_offset(offset);
        srv.controls().set_videosdk_lifetime(Duration::from_secs(600));
        srv.controls().set_kaltura_session_duration("0_xeu31jy5", 600);
        srv.controls().set_token_lifetime(Duration::from_secs(600));
        for src in ALL {
            // A VideoSDK token issued an hour "in the past" would look expired on the device
            // clock: it is active only because expiry is judged on server time.
            let (s, _rx) = started(src, &srv).await;
            let due = s.renewal_due_in().unwrap();
            assert!(due > Duration::from_secs(530) && due <= Duration::from_secs(541), "{src:?} offset {offset}: {due:?}");
            s.stop();
        }
    }
}
