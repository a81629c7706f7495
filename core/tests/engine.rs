//! State-machine tests on a paused tokio clock with a scripted transport: every transition,
//! renewal timing, single-flight, backoff, Retry-After, terminal vs transient, stop during
//! refresh, clock skew, expiry, store resume. No real time passes and no socket is opened.

use async_trait::async_trait;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;
use videokit_core::http::{HttpRequest, HttpResponse, Transport};
use videokit_core::sources::generic::{CustomSource, FixedTokenSource, ProvidedToken, TokenProvider};
use videokit_core::sources::videokit::{ApiTokenSource, BackendSource};
use videokit_core::store::MemoryStore;
use videokit_core::{
    Clock, EngineSnapshot, ErrorKind, FakeClock, Jitter, RetryPolicy, Secret, Session, SessionConfig, SessionDeps, SessionState,
    SessionStore, StateChange, TransitionHook,
};

const T0: u64 = 1_795_305_600; // 2026-11-22T00:00:00Z

type Responder = dyn Fn(usize, &HttpRequest, SystemTime) -> Result<HttpResponse, videokit_core::Error> + Send + Sync;

/// A transport that answers with a closure of (request number, request, server time).
struct Script {
    clock: Arc<FakeClock>,
    skew: Duration,
    skew_ahead: bool,
    delay: Mutex<Duration>,
    count: AtomicUsize,
    at: Mutex<Vec<Instant>>,
    respond: Box<Responder>,
}

impl Script {
    fn new(
        clock: Arc<FakeClock>,
        respond: impl Fn(usize, &HttpRequest, SystemTime) -> Result<HttpResponse, videokit_core::Error> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Script {
            clock,
            skew: Duration::ZERO,
            skew_ahead: true,
            delay: Mutex::new(Duration::ZERO),
            count: AtomicUsize::new(0),
            at: Mutex::new(vec![]),
            respond: Box::new(respond),
        })
    }
    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
    fn set_delay(&self, d: Duration) {
        *self.delay.lock().unwrap() = d;
    }
    fn gaps_ms(&self) -> Vec<u128> {
        let at = self.at.lock().unwrap();
        at.windows(2).map(|w| (w[1] - w[0]).as_millis()).collect()
    }
    fn server_now(&self) -> SystemTime {
        let w = self.clock.wall();
        if self.skew_ahead {
            w + self.skew
        } else {
            w - self.skew
        }
    }
}

#[async_trait]
impl Transport for Script {
    async fn send(&self, req: HttpRequest, _max: usize) -> Result<HttpResponse, videokit_core::Error> {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        self.at.lock().unwrap().push(Instant::now());
        let d = *self.delay.lock().unwrap();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
        let now = self.server_now();
        let mut r = (self.respond)(n, &req, now)?;
        r.headers.push(("date".into(), httpdate::fmt_http_date(now)));
        Ok(r)
    }
}

fn ok_session(n: usize, now: SystemTime, lifetime_secs: u64) -> HttpResponse {
    let exp = videokit_core::clock::format_rfc3339(now + Duration::from_secs(lifetime_secs));
    json(200, &format!(r#"{{"sessionToken":"tok-{n}","expiresAt":"{exp}","identity":"alice"}}"#))
}

/// A session whose token expired 10 s before it was issued (a backend's clock or cache).
fn expired_session(n: usize, now: SystemTime) -> HttpResponse {
    let exp = videokit_core::clock::format_rfc3339(now - Duration::from_secs(10));
    json(200, &format!(r#"{{"sessionToken":"tok-{n}","expiresAt":"{exp}"}}"#))
}

fn json(status: u16, body: &str) -> HttpResponse {
    HttpResponse { status, headers: vec![("content-type".into(), "application/json".into())], body: body.as_bytes().to_vec() }
}

fn status(s: u16, retry_after: Option<u64>) -> HttpResponse {
    let mut r = json(s, "{}");
    if let Some(ra) = retry_after {
        r.headers.push(("retry-after".into(), ra.to_string()));
    }
    r
}

struct Rig {
    session: Session,
    changes: Arc<Mutex<Vec<StateChange>>>,
}

impl Rig {
    fn states(&self) -> Vec<String> {
        self.changes.lock().unwrap().iter().map(|c| format!("{}>{}", c.from, c.to)).collect()
    }
}

fn config() -> SessionConfig {
    SessionConfig { retry: RetryPolicy { jitter: Jitter::None, ..Default::default() }, ..Default::default() }
}

fn rig_with(cfg: SessionConfig, clock: Arc<FakeClock>, transport: Arc<Script>, store: Arc<dyn SessionStore>) -> Rig {
    let deps = SessionDeps { clock: clock.clone(), transport: Some(transport), store, jitter_seed: Some(7), hook: None, store_queue: None };
    let session = Session::with_deps(cfg, deps, tokio::runtime::Handle::current()).unwrap();
    let changes = Arc::new(Mutex::new(Vec::new()));
    let c2 = changes.clone();
    session.subscribe(Arc::new(move |c: &StateChange| c2.lock().unwrap().push(c.clone())));
    Rig { session, changes }
}

fn clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::at_unix(T0))
}

fn api_source() -> Arc<ApiTokenSource> {
    Arc::new(
        ApiTokenSource::new("https://gateway.video.io", Secret::new("vk_app_test"), "alice", vec!["videos.read".into()], false).unwrap(),
    )
}

/// Let spawned tasks run without moving the clock.
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

/// From the outside test (issue 11): a start that succeeded, stopped at once (a listener that
/// saw `active` signs out; another start), completed as `cancelled`, 103-170 times in 200: its
/// waiter read only the newest outcome. A waiter takes the first outcome after it began.
#[tokio::test(start_paused = true)]
async fn a_start_that_succeeded_is_a_success_for_its_caller_though_stopped_before_it_looked() {
    use std::future::Future as _;
    use std::task::Poll;
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 3600)));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let mut start = Box::pin(rig.session.start(api_source()));
    // The start begins (and waits); the session goes active and is stopped before it looks.
    let first = std::future::poll_fn(|cx| Poll::Ready(start.as_mut().poll(cx))).await;
    assert!(first.is_pending());
    settle().await;
    assert_eq!(rig.session.state(), SessionState::Active);
    rig.session.stop();
    let d = start.await.expect("the start succeeded");
    assert_eq!(d.token.expose(), "tok-1");
    // A start stopped before it succeeded is still cancelled, and so is one replaced by another.
    let mut start = Box::pin(rig.session.start(api_source()));
    assert!(std::future::poll_fn(|cx| Poll::Ready(start.as_mut().poll(cx))).await.is_pending());
    rig.session.stop();
    settle().await;
    assert_eq!(start.await.unwrap_err().kind(), ErrorKind::Cancelled);
    let mut first = Box::pin(rig.session.start(api_source()));
    assert!(std::future::poll_fn(|cx| Poll::Ready(first.as_mut().poll(cx))).await.is_pending());
    let second = rig.session.start(api_source()).await.unwrap();
    assert_eq!(second.token.expose(), "tok-2");
    assert_eq!(first.await.unwrap_err().kind(), ErrorKind::Cancelled);
    assert_eq!(t.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn start_gives_active_with_exact_transitions_and_data() {
    let c = clock();
    let t = Script::new(c.clone(), |n, req, now| {
        assert_eq!(req.url.as_str(), "https://gateway.video.io/v1/sessions");
        let auth = req.headers.iter().find(|(k, _)| k == "authorization").unwrap();
        assert_eq!(auth.1.as_str(), "Bearer vk_app_test");
        let body: serde_json::Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
        assert_eq!(body, serde_json::json!({"identity": "alice", "scopes": ["videos.read"]}));
        Ok(ok_session(n, now, 3600))
    });
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let data = rig.session.start(api_source()).await.unwrap();
    settle().await;
    assert_eq!(data.token.expose(), "tok-1");
    assert_eq!(data.identity.as_deref(), Some("alice"));
    assert_eq!(data.scopes, vec!["videos.read".to_string()]);
    assert_eq!(data.expires_at, Some(UNIX_EPOCH + Duration::from_secs(T0 + 3600)));
    assert_eq!(data.source.as_str(), "api_token");
    assert!(!data.resumed);
    assert_eq!(rig.session.state(), SessionState::Active);
    assert_eq!(rig.states(), ["idle>idle", "idle>starting", "starting>active"]);
    let seqs: Vec<u64> = rig.changes.lock().unwrap().iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [0, 1, 2]);
    assert_eq!(t.count(), 1);
    assert_eq!(rig.session.renewal_due_in(), Some(Duration::from_secs(3300)));
}

#[tokio::test(start_paused = true)]
async fn renews_at_expiry_minus_lead_and_observers_see_each_transition_once() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 600)));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    rig.session.start(api_source()).await.unwrap();
    // Lifetime 600 s → lead min(300, 60) = 60 → renewal at 540 s.
    tokio::time::sleep(Duration::from_millis(539_900)).await;
    assert_eq!(t.count(), 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    settle().await;
    assert_eq!(t.count(), 2);
    assert_eq!(rig.session.token().await.unwrap().expose(), "tok-2");
    // And again 540 s after the second token.
    tokio::time::sleep(Duration::from_secs(540)).await;
    settle().await;
    assert_eq!(t.count(), 3);
    assert_eq!(
        rig.states(),
        [
            "idle>idle",
            "idle>starting",
            "starting>active",
            "active>refreshing",
            "refreshing>active",
            "active>refreshing",
            "refreshing>active"
        ]
    );
    rig.session.stop();
    settle().await;
    assert_eq!(rig.states().last().unwrap(), "active>stopped");
    assert_eq!(rig.session.token().await.unwrap_err().kind(), ErrorKind::NotStarted);
}

#[tokio::test(start_paused = true)]
async fn a_thousand_concurrent_token_calls_share_one_request() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 600)));
    t.set_delay(Duration::from_secs(1));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let session = Arc::new(rig.session);
    // (a) During start.
    let s2 = session.clone();
    let starter = tokio::spawn(async move { s2.start(api_source()).await });
    settle().await;
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let s = session.clone();
            tokio::spawn(async move { s.token().await })
        })
        .collect();
    for h in calls {
        assert_eq!(h.await.unwrap().unwrap().expose(), "tok-1");
    }
    starter.await.unwrap().unwrap();
    assert_eq!(t.count(), 1);
    // (b) After the device slept past expiry (wall clock moved, monotonic did not).
    c.jump_wall(700_000);
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let s = session.clone();
            tokio::spawn(async move { s.token().await })
        })
        .collect();
    for h in calls {
        assert_eq!(h.await.unwrap().unwrap().expose(), "tok-2");
    }
    assert_eq!(t.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn transient_failures_back_off_exponentially_then_succeed() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| if n <= 5 { Ok(status(503, None)) } else { Ok(ok_session(n, now, 600)) });
    let mut cfg = config();
    cfg.retry.start_attempts = 10;
    let rig = rig_with(cfg, c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let started = Instant::now();
    let data = rig.session.start(api_source()).await.unwrap();
    assert_eq!(data.token.expose(), "tok-6");
    assert_eq!(t.gaps_ms(), [500, 1000, 2000, 4000, 8000]);
    assert_eq!(started.elapsed(), Duration::from_millis(15_500));
    settle().await;
    assert_eq!(rig.states(), ["idle>idle", "idle>starting", "starting>active"]);
}

/// One snapshot as a [`TransitionHook`] sees it: state, the last error (kind, message), and
/// whether a transition made it.
type SeenSnapshot = (SessionState, Option<(ErrorKind, String)>, bool);

struct Seen(Mutex<Vec<SeenSnapshot>>);

impl TransitionHook for Seen {
    fn on_transition(&self, s: EngineSnapshot) {
        self.0.lock().unwrap().push((s.state, s.last_error.map(|e| (e.kind(), e.message().to_string())), s.change.is_some()));
    }
}

#[tokio::test(start_paused = true)]
async fn a_retried_start_shows_each_failed_attempts_error_while_starting() {
    // From the outside test: `lastError` stayed null on both platforms while a start retried,
    // and the error of a start that ran out of attempts said "will retry".
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| match n {
        1 => Ok(json(503, r#"{"error":"down for maintenance"}"#)),
        2 => Ok(status(502, None)),
        _ => Ok(ok_session(n, now, 600)),
    });
    let seen = Arc::new(Seen(Mutex::new(vec![])));
    let deps = SessionDeps {
        clock: c.clone(),
        transport: Some(t.clone()),
        store: Arc::new(MemoryStore::new()),
        jitter_seed: Some(7),
        hook: Some(seen.clone()),
        store_queue: None,
    };
    let session = Session::with_deps(config(), deps, tokio::runtime::Handle::current()).unwrap();
    session.start(api_source()).await.unwrap();
    let seen = seen.0.lock().unwrap().clone();
    let summary: Vec<_> = seen.iter().map(|(state, e, by_change)| (*state, e.as_ref().map(|(k, _)| *k), *by_change)).collect();
    assert_eq!(
        summary,
        [
            (SessionState::Starting, None, true),
            (SessionState::Starting, Some(ErrorKind::HttpStatus), false),
            (SessionState::Starting, Some(ErrorKind::HttpStatus), false),
            (SessionState::Active, None, true),
        ]
    );
    let message = |i: usize| seen[i].1.as_ref().map(|(_, m)| m.clone()).unwrap_or_default();
    assert!(message(1).ends_with("answered HTTP 503: down for maintenance"), "{}", message(1));
    assert!(message(2).ends_with("answered HTTP 502"), "{}", message(2));
}

#[tokio::test(start_paused = true)]
async fn start_gives_up_after_its_attempts_with_the_last_transient_error() {
    let c = clock();
    let t = Script::new(c.clone(), |_, _, _| Err(videokit_core::Error::new(ErrorKind::Network, "could not connect to gateway.video.io")));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let e = rig.session.start(api_source()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert_eq!(t.count(), 4);
    assert_eq!(t.gaps_ms(), [500, 1000, 2000]);
    settle().await;
    assert_eq!(rig.session.state(), SessionState::Failed);
    assert_eq!(rig.states(), ["idle>idle", "idle>starting", "starting>failed"]);
    assert_eq!(rig.changes.lock().unwrap()[2].error.as_ref().unwrap().kind(), ErrorKind::Network);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_exactly() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| match n {
        1 => Ok(status(429, Some(7))),
        2 => Ok(status(503, Some(2))),
        _ => Ok(ok_session(n, now, 600)),
    });
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    rig.session.start(api_source()).await.unwrap();
    assert_eq!(t.gaps_ms(), [7000, 2000]);
}

/// From the outside test (issue 11): `Retry-After: 0` (or an HTTP date already past) was taken
/// as the delay, so a renewal against a backend answering 503 with it retried as fast as the
/// backend answered: 20 requests a second, for as long as the session ran. It lengthens the
/// backoff; it never shortens it.
#[tokio::test(start_paused = true)]
async fn retry_after_zero_or_past_does_not_shorten_the_backoff() {
    let c = clock();
    let past = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(T0 - 60));
    let t = Script::new(c.clone(), move |n, _, now| match n {
        1 => Ok(ok_session(n, now, 600)),
        2..=4 => Ok(status(503, Some(0))),
        5 | 6 => {
            let mut r = status(503, None);
            r.headers.push(("retry-after".into(), past.clone()));
            Ok(r)
        }
        _ => Ok(ok_session(n, now, 600)),
    });
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    rig.session.start(api_source()).await.unwrap();
    // Renewal at 540 s; its retries after 0.5, 1, 2, 4 and 8 s, as without Retry-After.
    tokio::time::sleep(Duration::from_secs(560)).await;
    settle().await;
    assert_eq!(t.count(), 7);
    assert_eq!(t.gaps_ms()[1..], [500, 1000, 2000, 4000, 8000]);
    assert_eq!(rig.session.state(), SessionState::Active);
}

#[tokio::test(start_paused = true)]
async fn a_start_does_not_wait_longer_than_the_longest_retry_delay_for_retry_after() {
    // From the outside test: `Retry-After: 999999999` held a start for an hour per attempt.
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| match n {
        1 => Ok(status(503, Some(3600))),
        _ => Ok(ok_session(n, now, 600)),
    });
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let e = rig.session.start(api_source()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpStatus);
    assert_eq!(e.status(), Some(503));
    assert_eq!(t.count(), 1);
    assert_eq!(rig.session.state(), SessionState::Failed);
}

#[tokio::test(start_paused = true)]
async fn terminal_errors_stop_at_once() {
    for (resp, kind, code) in [
        (json(401, r#"{"error":"invalid app token"}"#), ErrorKind::Unauthorized, None),
        (json(403, "{}"), ErrorKind::Unauthorized, None),
        (json(400, r#"{"error":"identity is required"}"#), ErrorKind::Rejected, None),
        (json(200, r#"{"error":"app disabled"}"#), ErrorKind::Rejected, Some("app disabled")),
        (json(404, "not found"), ErrorKind::HttpStatus, None),
        (json(200, r#"{"sessionToken": abc.def.ghi"#), ErrorKind::MalformedResponse, None),
        (json(200, r#"{"expiresAt":"2026-11-23T08:00:00.000Z"}"#), ErrorKind::MalformedResponse, None),
        (json(200, r#"{"sessionToken":"t","expiresAt":"tomorrow"}"#), ErrorKind::MalformedResponse, None),
    ] {
        let c = clock();
        let t = Script::new(c.clone(), move |_, _, _| Ok(resp.clone()));
        let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
        let e = rig.session.start(api_source()).await.unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
        assert_eq!(e.code(), code);
        assert!(!e.to_string().contains("vk_app_test"));
        assert_eq!(t.count(), 1, "{e}");
        assert_eq!(rig.session.state(), SessionState::Failed);
        assert_eq!(rig.session.token().await.unwrap_err().kind(), kind);
    }
}

#[tokio::test(start_paused = true)]
async fn renewal_failures_keep_serving_the_valid_token_then_expire_then_recover() {
    let c = clock();
    let fail = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f2 = fail.clone();
    let t = Script::new(
        c.clone(),
        move |n, _, now| if f2.load(Ordering::SeqCst) { Ok(status(502, None)) } else { Ok(ok_session(n, now, 600)) },
    );
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    rig.session.start(api_source()).await.unwrap();
    fail.store(true, Ordering::SeqCst);
    // Renewal at 540 s fails; retries at +0.5, +1, +2, +4, +8, +16, +32 ... the token stays.
    tokio::time::sleep(Duration::from_secs(545)).await;
    settle().await;
    assert_eq!(rig.session.state(), SessionState::Refreshing);
    assert_eq!(rig.session.token().await.unwrap().expose(), "tok-1");
    // Past expiry (600 s): expired.
    tokio::time::sleep(Duration::from_secs(60)).await;
    settle().await;
    assert_eq!(rig.session.state(), SessionState::Expired);
    assert_eq!(rig.session.last_error().unwrap().kind(), ErrorKind::HttpStatus);
    // token() now tries at once (no Retry-After in force) and reports that attempt's error.
    let before = t.count();
    let e = rig.session.token().await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::HttpStatus, Some(502)));
    assert_eq!(t.count(), before + 1);
    // The backend recovers: the next retry brings the session back.
    fail.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(61)).await;
    settle().await;
    assert_eq!(rig.session.state(), SessionState::Active);
    assert!(rig.session.token().await.unwrap().expose().starts_with("tok-"));
    assert_eq!(
        rig.states(),
        ["idle>idle", "idle>starting", "starting>active", "active>refreshing", "refreshing>expired", "expired>active"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_terminal_error_during_renewal_fails_the_session() {
    let c = clock();
    let t = Script::new(
        c.clone(),
        |n, _, now| if n == 1 { Ok(ok_session(n, now, 600)) } else { Ok(json(401, r#"{"error":"invalid app token"}"#)) },
    );
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    rig.session.start(api_source()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(541)).await;
    settle().await;
    assert_eq!(rig.session.state(), SessionState::Failed);
    assert_eq!(t.count(), 2);
    assert_eq!(rig.session.token().await.unwrap_err().kind(), ErrorKind::Unauthorized);
    assert!(rig.session.session_data().is_none());
    assert_eq!(rig.states(), ["idle>idle", "idle>starting", "starting>active", "active>refreshing", "refreshing>failed"]);
}

#[tokio::test(start_paused = true)]
async fn stop_during_refresh_cancels_the_request_and_waiters() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 600)));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let session = Arc::new(rig.session);
    session.start(api_source()).await.unwrap();
    t.set_delay(Duration::from_secs(30));
    c.jump_wall(601_000); // token lapsed: token() must wait for the renewal
    let s2 = session.clone();
    let waiter = tokio::spawn(async move { s2.token().await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(session.state(), SessionState::Refreshing);
    assert_eq!(t.count(), 2);
    session.stop();
    assert_eq!(waiter.await.unwrap().unwrap_err().kind(), ErrorKind::Cancelled);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    settle().await;
    assert_eq!(t.count(), 2, "no request after stop");
    assert_eq!(session.state(), SessionState::Stopped);
    assert!(session.session_data().is_none());
    let states: Vec<String> = rig.changes.lock().unwrap().iter().map(|c| format!("{}>{}", c.from, c.to)).collect();
    assert_eq!(states, ["idle>idle", "idle>starting", "starting>active", "active>refreshing", "refreshing>stopped"]);
}

#[tokio::test(start_paused = true)]
async fn expiry_is_judged_on_server_time_from_the_date_header() {
    for ahead in [true, false] {
        let c = clock();
        let mut script = Script {
            clock: c.clone(),
            skew: Duration::from_secs(3600),
            skew_ahead: ahead,
            delay: Mutex::new(Duration::ZERO),
            count: AtomicUsize::new(0),
            at: Mutex::new(vec![]),
            respond: Box::new(|n, _, now| Ok(ok_session(n, now, 600))),
        };
        script.skew_ahead = ahead;
        let t = Arc::new(script);
        let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
        rig.session.start(api_source()).await.unwrap();
        // Server clock is an hour off; the token lives 600 s of *server* time.
        let due = rig.session.renewal_due_in().unwrap();
        assert!(due >= Duration::from_millis(539_000) && due <= Duration::from_millis(540_500), "{due:?}");
        tokio::time::sleep(Duration::from_secs(541)).await;
        settle().await;
        assert_eq!(t.count(), 2, "renewed on server time (ahead={ahead})");
    }
}

#[tokio::test(start_paused = true)]
async fn an_error_page_with_a_skewed_date_does_not_expire_a_valid_token() {
    // From the outside test: a proxy's 503 dated 3 h ahead expired a token with 595 s left.
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| match n {
        1 => Ok(ok_session(n, now, 600)),
        2 => {
            let mut r = status(503, Some(5));
            r.headers.push(("date".into(), httpdate::fmt_http_date(now + Duration::from_secs(3 * 3600))));
            Ok(r)
        }
        _ => Ok(ok_session(n, now, 600)),
    });
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    rig.session.start(api_source()).await.unwrap();
    let _ = rig.session.refresh().await;
    settle().await;
    assert_ne!(rig.session.state(), SessionState::Expired, "{:?}", rig.states());
    assert!(!rig.states().contains(&"refreshing>expired".to_string()), "{:?}", rig.states());
}

#[tokio::test(start_paused = true)]
async fn a_stored_valid_session_resumes_without_a_request() {
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 3600)));
    {
        let rig = rig_with(config(), c.clone(), t.clone(), store.clone());
        rig.session.start(api_source()).await.unwrap();
        // Dropped without stop (the app was killed): the record stays.
    }
    let rig = rig_with(config(), c.clone(), t.clone(), store.clone());
    let data = rig.session.start(api_source()).await.unwrap();
    assert!(data.resumed);
    assert_eq!(data.token.expose(), "tok-1");
    assert_eq!(t.count(), 1);
    // stop() clears the record: the next start fetches.
    rig.session.stop();
    let rig = rig_with(config(), c.clone(), t.clone(), store.clone());
    assert!(!rig.session.start(api_source()).await.unwrap().resumed);
    assert_eq!(t.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_stored_record_is_discarded_and_fetched_anew() {
    let store = Arc::new(MemoryStore::new());
    let key = api_source().store_key_for_test();
    store.save(&key, b"{not json").unwrap();
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 3600)));
    let rig = rig_with(config(), c.clone(), t.clone(), store.clone());
    let d = rig.session.start(api_source()).await.unwrap();
    assert!(!d.resumed);
    assert_eq!(t.count(), 1);
    // The bad record was replaced by the new session.
    assert!(String::from_utf8(store.load(&key).unwrap().unwrap()).unwrap().contains("tok-1"));
}

/// Records of format version 1 (before 2026-12; they carried a Kaltura field of their own)
/// are not resumed: discarded and replaced by a new session's version-2 record.
#[tokio::test(start_paused = true)]
async fn a_version_1_record_is_discarded_and_fetched_anew() {
    let store = Arc::new(MemoryStore::new());
    let key = api_source().store_key_for_test();
    let v1 = format!(
        r#"{{"v":1,"key":"{key}","source":"api_token","token":"old-token","expires_at_ms":{},"issued_at_ms":null,"identity":"alice","scopes":[],"kaltura":{{"partner_id":1,"user_id":"u","session_type":0,"privileges":""}}}}"#,
        (T0 + 3600) * 1000
    );
    store.save(&key, v1.as_bytes()).unwrap();
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 3600)));
    let rig = rig_with(config(), c.clone(), t.clone(), store.clone());
    let d = rig.session.start(api_source()).await.unwrap();
    assert_eq!((d.resumed, d.token.expose(), t.count()), (false, "tok-1", 1));
    let saved = String::from_utf8(store.load(&key).unwrap().unwrap()).unwrap();
    assert!(saved.starts_with(r#"{"v":2,"#) && saved.contains("tok-1") && !saved.contains("kaltura"), "{saved}");
}

/// Records planted in an app's store (the outside tests'): one that claims a year-9999
/// expiry, one whose token has a line break, one issued after it expires, one for another
/// identity or kind of sign-in under this one's key. None is resumed;
/// each start fetches a new token, which replaces the record. A record valid for 300 days
/// still resumes.
#[tokio::test(start_paused = true)]
async fn implausible_stored_records_are_not_resumed() {
    let key = api_source().store_key_for_test();
    let rec = |token: &str, expires_s: i64, issued_s: Option<i64>| {
        let issued = issued_s.map_or("null".to_string(), |s| (s * 1000).to_string());
        format!(
            r#"{{"v":2,"key":"{key}","source":"api_token","token":"{token}","expires_at_ms":{},"issued_at_ms":{issued},"identity":"alice","scopes":[]}}"#,
            expires_s * 1000
        )
    };
    let valid = rec("planted", T0 as i64 + 3600, None);
    let t0 = T0 as i64;
    let cases = [
        (rec("planted", 253_402_300_799, None), false), // 9999-12-31
        (rec("planted", 253_402_300_799, Some(253_402_300_000)), false),
        (rec("planted", t0 + 367 * 86_400, Some(t0)), false),
        (rec("planted\r\nX-Injected: 1", t0 + 3600, None), false),
        (rec("planted", t0 + 3600, Some(t0 + 3600)), false),
        // Under alice's key, but for another identity, or none (the gateway never answers
        // for another identity than the one asked), or from another kind of sign-in.
        (valid.replace(r#""identity":"alice""#, r#""identity":"bob""#), false),
        (valid.replace(r#""identity":"alice""#, r#""identity":null"#), false),
        (valid.replace(r#","identity":"alice""#, ""), false),
        (valid.replace(r#""source":"api_token""#, r#""source":"kaltura""#), false),
        (
            valid.replace(
                r#""scopes":[]"#,
                r#""scopes":["a
b"]"#,
            ),
            false,
        ),
        (valid.clone(), true),
        (rec("planted", t0 + 300 * 86_400, Some(t0)), true),
    ];
    for (record, resumes) in cases {
        let store = Arc::new(MemoryStore::new());
        store.save(&key, record.as_bytes()).unwrap();
        let c = clock();
        let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 3600)));
        let rig = rig_with(config(), c.clone(), t.clone(), store.clone());
        let d = rig.session.start(api_source()).await.unwrap();
        if resumes {
            assert_eq!((d.resumed, d.token.expose(), t.count()), (true, "planted", 0), "{record}");
        } else {
            assert_eq!((d.resumed, d.token.expose(), t.count()), (false, "tok-1", 1), "{record}");
            let saved = String::from_utf8(store.load(&key).unwrap().unwrap()).unwrap();
            assert!(saved.contains("tok-1") && !saved.contains("planted"), "{saved}");
        }
    }
}

trait KeyForTest {
    fn store_key_for_test(&self) -> String;
}
impl<S: videokit_core::TokenSource> KeyForTest for S {
    fn store_key_for_test(&self) -> String {
        videokit_core::TokenSource::store_key(self)
    }
}

#[tokio::test(start_paused = true)]
async fn a_late_subscriber_gets_the_current_state_first() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 600)));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    rig.session.start(api_source()).await.unwrap();
    let late = Arc::new(Mutex::new(Vec::new()));
    let l2 = late.clone();
    let id = rig.session.subscribe(Arc::new(move |c: &StateChange| l2.lock().unwrap().push(format!("{}>{}#{}", c.from, c.to, c.seq))));
    rig.session.refresh().await.unwrap();
    settle().await;
    assert_eq!(*late.lock().unwrap(), ["active>active#2", "active>refreshing#3", "refreshing>active#4"]);
    rig.session.unsubscribe(id);
    rig.session.refresh().await.unwrap();
    settle().await;
    assert_eq!(late.lock().unwrap().len(), 3);
    assert_eq!(t.count(), 3);
}

fn jwt_with_exp(exp: u64) -> String {
    use base64::Engine;
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.{}", e(r#"{"alg":"HS256","typ":"JWT"}"#), e(&format!(r#"{{"sub":"bob","exp":{exp},"iat":{T0}}}"#)), e("sig"))
}

#[tokio::test(start_paused = true)]
async fn a_fixed_jwt_session_token_expires_and_cannot_renew() {
    let c = clock();
    let t = Script::new(c.clone(), |_, _, _| panic!("a fixed token needs no request"));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let tok = jwt_with_exp(T0 + 100);
    let d = rig.session.start(Arc::new(FixedTokenSource::new(Secret::new(tok.clone())).unwrap())).await.unwrap();
    assert_eq!(d.identity.as_deref(), Some("bob"));
    assert_eq!(d.expires_at, Some(UNIX_EPOCH + Duration::from_secs(T0 + 100)));
    assert_eq!(rig.session.refresh().await.unwrap_err().kind(), ErrorKind::InvalidArgument);
    tokio::time::sleep(Duration::from_secs(101)).await;
    settle().await;
    assert_eq!(rig.session.state(), SessionState::Expired);
    assert_eq!(rig.session.token().await.unwrap_err().kind(), ErrorKind::Expired);
    assert_eq!(t.count(), 0);
    // An already-expired token fails the start with `expired`.
    let e = rig.session.start(Arc::new(FixedTokenSource::new(Secret::new(jwt_with_exp(T0))).unwrap())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
    settle().await;
    assert_eq!(rig.states(), ["idle>idle", "idle>starting", "starting>active", "active>expired", "expired>starting", "starting>failed"]);
}

#[tokio::test(start_paused = true)]
async fn an_opaque_token_without_expiry_is_active_without_renewal() {
    let c = clock();
    let t = Script::new(c.clone(), |_, _, _| Ok(json(200, r#"{"sessionToken":"opaque-token-value"}"#)));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let src = BackendSource::new("http://127.0.0.1:9/token/{identity}", "a b", vec![], false).unwrap();
    let d = rig.session.start(Arc::new(src)).await.unwrap();
    assert!(!d.expiry_known());
    assert_eq!(rig.session.renewal_due_in(), None);
    tokio::time::sleep(Duration::from_secs(30 * 24 * 3600)).await;
    assert_eq!(t.count(), 1);
    assert_eq!(rig.session.token().await.unwrap().expose(), "opaque-token-value");
}

#[tokio::test(start_paused = true)]
async fn start_while_running_stops_the_old_session_first() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 600)));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    rig.session.start(api_source()).await.unwrap();
    rig.session.start(api_source()).await.unwrap();
    settle().await;
    assert_eq!(rig.states(), ["idle>idle", "idle>starting", "starting>active", "active>stopped", "stopped>starting", "starting>active"]);
    assert_eq!(t.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn start_with_callback_returns_at_once() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 600)));
    t.set_delay(Duration::from_secs(10));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let before = Instant::now();
    rig.session.start_with_callback(api_source(), move |r| {
        let _ = tx.send(r.map(|d| d.token.expose().to_string()));
    });
    assert_eq!(before.elapsed(), Duration::ZERO);
    assert_eq!(rig.session.state(), SessionState::Starting);
    assert_eq!(rx.await.unwrap().unwrap(), "tok-1");
    assert_eq!(before.elapsed(), Duration::from_secs(10));
}

// ---- token_lease / state_snapshot: what the platform layers cache (issue 6) ----

/// Polls `fut` exactly once (it must not finish): its synchronous part runs, nothing else.
async fn poll_once<F: std::future::Future + Unpin>(fut: &mut F) {
    std::future::poll_fn(|cx| {
        assert!(std::pin::Pin::new(&mut *fut).poll(cx).is_pending(), "finished on the first poll");
        std::task::Poll::Ready(())
    })
    .await
}

fn last_seq(rig: &Rig) -> u64 {
    rig.changes.lock().unwrap().last().unwrap().seq
}

#[tokio::test(start_paused = true)]
async fn token_lease_reuse_is_the_renewal_due_time_and_seq_the_last_transition() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| Ok(ok_session(n, now, 600)));
    t.set_delay(Duration::from_secs(1));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    assert_eq!(rig.session.state_snapshot(), (0, SessionState::Idle));
    // Asked while starting: handed out by the driver, then leased (still the engine's token).
    let (tx, rx) = tokio::sync::oneshot::channel();
    rig.session.start_with_callback(api_source(), move |r| {
        let _ = tx.send(r.is_ok());
    });
    assert_eq!(rig.session.state_snapshot(), (1, SessionState::Starting));
    let l = rig.session.token_lease().await.unwrap();
    assert!(rx.await.unwrap());
    settle().await;
    assert_eq!(l.token.expose(), "tok-1");
    assert_eq!(l.seq, 2);
    assert_eq!(last_seq(&rig), 2);
    assert_eq!(rig.session.state_snapshot(), (2, SessionState::Active));
    // Lifetime 600 s from the response (the scripted server's clock), lead 60 s: due in 540 s.
    assert_eq!(l.reuse_for, Duration::from_secs(540));
    assert_eq!(Some(l.reuse_for), rig.session.renewal_due_in());
    // The fast path: same token, same seq, the due time counting down with the clock.
    tokio::time::sleep(Duration::from_millis(100_250)).await;
    let l = rig.session.token_lease().await.unwrap();
    assert_eq!((l.token.expose(), l.seq), ("tok-1", 2));
    assert_eq!(l.reuse_for, Duration::from_millis(439_750));
    assert_eq!(Some(l.reuse_for), rig.session.renewal_due_in());
    // A wall-clock jump forward shortens it by as much (the engine judges by both clocks).
    c.jump_wall(200_000);
    let l = rig.session.token_lease().await.unwrap();
    assert_eq!(l.reuse_for, Duration::from_millis(239_750));
    assert_eq!(Some(l.reuse_for), rig.session.renewal_due_in());
    c.jump_wall(-200_000);
    assert_eq!(t.count(), 1);
    // At the due time the engine goes refreshing: the old token, still valid, is served with no lease.
    tokio::time::sleep(Duration::from_millis(439_750)).await;
    settle().await;
    assert_eq!(rig.session.state_snapshot(), (3, SessionState::Refreshing));
    let l = rig.session.token_lease().await.unwrap();
    assert_eq!((l.token.expose(), l.seq, l.reuse_for), ("tok-1", 3, Duration::ZERO));
    tokio::time::sleep(Duration::from_secs(1)).await;
    settle().await;
    assert_eq!(rig.session.state_snapshot(), (4, SessionState::Active));
    let l = rig.session.token_lease().await.unwrap();
    assert_eq!((l.token.expose(), l.seq), ("tok-2", 4));
    assert_eq!(l.reuse_for, Duration::from_secs(540));
    assert_eq!(last_seq(&rig), 4);
    // A refresh asked for but not begun yet (the driver has not run): still active, no lease.
    let mut refresh = Box::pin(rig.session.refresh());
    poll_once(&mut refresh).await;
    assert_eq!(rig.session.state_snapshot(), (4, SessionState::Active));
    let l = rig.session.token_lease().await.unwrap();
    assert_eq!((l.token.expose(), l.seq, l.reuse_for), ("tok-2", 4, Duration::ZERO));
    assert_eq!(refresh.await.unwrap().token.expose(), "tok-3");
    settle().await;
    assert_eq!(rig.session.state_snapshot(), (6, SessionState::Active));
    let l = rig.session.token_lease().await.unwrap();
    assert_eq!((l.token.expose(), l.seq, l.reuse_for), ("tok-3", 6, Duration::from_secs(540)));
    // Stopped: no token; the snapshot has the stop's seq.
    rig.session.stop();
    assert_eq!(rig.session.state_snapshot(), (7, SessionState::Stopped));
    assert_eq!(rig.session.token_lease().await.unwrap_err().kind(), ErrorKind::NotStarted);
    settle().await;
    assert_eq!(last_seq(&rig), 7);
}

#[tokio::test(start_paused = true)]
async fn token_lease_of_a_fixed_token_runs_to_its_expiry_minus_the_margin() {
    let c = clock();
    let t = Script::new(c.clone(), |_, _, _| panic!("a fixed token needs no request"));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let tok = jwt_with_exp(T0 + 100);
    rig.session.start(Arc::new(FixedTokenSource::new(Secret::new(tok.clone())).unwrap())).await.unwrap();
    assert_eq!(rig.session.renewal_due_in(), None);
    let l = rig.session.token_lease().await.unwrap();
    assert_eq!((l.token.expose(), l.seq), (tok.as_str(), 2));
    assert_eq!(l.reuse_for, Duration::from_secs(100) - videokit_core::FIXED_TOKEN_REUSE_MARGIN);
    // In the last second the engine still hands it out, but leases none.
    tokio::time::sleep(Duration::from_millis(99_500)).await;
    let l = rig.session.token_lease().await.unwrap();
    assert_eq!((l.token.expose(), l.reuse_for), (tok.as_str(), Duration::ZERO));
    tokio::time::sleep(Duration::from_millis(600)).await;
    settle().await;
    assert_eq!(rig.session.state_snapshot(), (3, SessionState::Expired));
    assert_eq!(rig.session.token_lease().await.unwrap_err().kind(), ErrorKind::Expired);
}

#[tokio::test(start_paused = true)]
async fn token_lease_of_a_token_without_expiry_is_zero() {
    let c = clock();
    let t = Script::new(c.clone(), |_, _, _| Ok(json(200, r#"{"sessionToken":"opaque-token-value"}"#)));
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let src = BackendSource::new("http://127.0.0.1:9/token/{identity}", "a", vec![], false).unwrap();
    rig.session.start(Arc::new(src)).await.unwrap();
    let l = rig.session.token_lease().await.unwrap();
    assert_eq!((l.token.expose(), l.seq, l.reuse_for), ("opaque-token-value", 2, Duration::ZERO));
}

/// An app's token provider that hands out `token` (valid an hour) and counts its calls.
struct Provider {
    token: &'static str,
    clock: Arc<FakeClock>,
    calls: AtomicUsize,
}

#[async_trait]
impl TokenProvider for Provider {
    async fn fetch_token(&self, _identity: Option<String>) -> videokit_core::Result<ProvidedToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(ProvidedToken { token: Secret::new(self.token), expires_at: Some(self.clock.wall() + Duration::from_secs(3600)) })
    }
}

/// Two token-provider sessions without an identity have the same source key. Sharing one
/// store under different names, neither resumes, overwrites or clears the other's record.
#[tokio::test(start_paused = true)]
async fn named_sessions_sharing_a_store_keep_their_own_records() {
    let store = Arc::new(MemoryStore::new());
    let c = clock();
    let t = Script::new(c.clone(), |_, _, _| panic!("a provider session makes no request"));
    let named = |name: &str| SessionConfig { name: Some(name.into()), ..config() };
    let provider = |token| Arc::new(Provider { token, clock: c.clone(), calls: AtomicUsize::new(0) });
    let (ks, vsdk) = (provider("ks-token"), provider("videosdk-token"));
    let source = |p: &Arc<Provider>| Arc::new(CustomSource::new(p.clone(), None).unwrap());
    let key = source(&ks).store_key_for_test();
    {
        let a = rig_with(named("kaltura"), c.clone(), t.clone(), store.clone());
        let b = rig_with(named("videosdk"), c.clone(), t.clone(), store.clone());
        assert_eq!(a.session.start(source(&ks)).await.unwrap().token.expose(), "ks-token");
        let d = b.session.start(source(&vsdk)).await.unwrap();
        assert_eq!((d.resumed, d.token.expose()), (false, "videosdk-token"));
        // Dropped without stop (the app was killed): both records stay, each under its name.
    }
    assert!(store.load(&key).unwrap().is_none());
    for (name, token) in [("kaltura", "ks-token"), ("videosdk", "videosdk-token")] {
        let rec = store.load_record(&format!("{name}.{key}")).unwrap().unwrap().unwrap();
        assert_eq!((rec.key.as_str(), rec.token.as_str()), (format!("{name}.{key}").as_str(), token));
    }
    // The next launch resumes each session's own token, and stopping one leaves the other.
    let a = rig_with(named("kaltura"), c.clone(), t.clone(), store.clone());
    let b = rig_with(named("videosdk"), c.clone(), t.clone(), store.clone());
    let d = a.session.start(source(&ks)).await.unwrap();
    assert_eq!((d.resumed, d.token.expose()), (true, "ks-token"));
    a.session.stop();
    let d = b.session.start(source(&vsdk)).await.unwrap();
    assert_eq!((d.resumed, d.token.expose()), (true, "videosdk-token"));
    assert_eq!((ks.calls.load(Ordering::SeqCst), vsdk.calls.load(Ordering::SeqCst)), (1, 1));
    // Unnamed, the same store key is the default session's: it does not see a named record.
    let unnamed = rig_with(config(), c.clone(), t.clone(), store.clone());
    assert!(!unnamed.session.start(source(&vsdk)).await.unwrap().resumed);
    assert_eq!(vsdk.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_bad_session_name_is_refused_when_the_session_is_made() {
    let c = clock();
    let t = Script::new(c.clone(), |_, _, _| panic!("no request"));
    let cfg = SessionConfig { name: Some("kaltura.ks".into()), ..config() };
    let deps =
        SessionDeps { clock: c, transport: Some(t), store: Arc::new(MemoryStore::new()), jitter_seed: None, hook: None, store_queue: None };
    let e = Session::with_deps(cfg, deps, tokio::runtime::Handle::current()).err().unwrap();
    assert_eq!((e.kind(), e.message()), (ErrorKind::InvalidArgument, "a session name must be 1 to 64 letters, digits, '_' or '-'"));
}

/// A renewal that brings a token already expired (a backend's clock or cache) is retried
/// while the held token is served, as a garbled body is; at start it still fails at once.
#[tokio::test(start_paused = true)]
async fn a_renewed_token_that_arrives_expired_is_retried_while_the_held_one_serves() {
    let c = clock();
    let t = Script::new(c.clone(), |n, _, now| match n {
        1 | 3 => Ok(ok_session(n, now, 600)),
        _ => Ok(expired_session(n, now)),
    });
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    rig.session.start(api_source()).await.unwrap();
    // Renewal at 540 s brings tok-2, expired; the retry (1 s backoff, no jitter) brings tok-3.
    tokio::time::sleep(Duration::from_millis(540_100)).await;
    settle().await;
    assert_eq!(t.count(), 2);
    assert_eq!(rig.session.state(), SessionState::Refreshing);
    assert_eq!(rig.session.snapshot().last_error.map(|e| e.kind()), Some(ErrorKind::Expired));
    assert_eq!(rig.session.token().await.unwrap().expose(), "tok-1", "the held token is served");
    tokio::time::sleep(Duration::from_secs(5)).await;
    settle().await;
    assert_eq!(t.count(), 3);
    assert_eq!(rig.session.token().await.unwrap().expose(), "tok-3");
    assert_eq!(rig.states(), ["idle>idle", "idle>starting", "starting>active", "active>refreshing", "refreshing>active"]);

    // At start: failed, with the reason.
    let t = Script::new(c.clone(), |n, _, now| match n {
        1 => Ok(expired_session(1, now)),
        _ => panic!("a start is not retried for an expired token"),
    });
    let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
    let e = rig.session.start(api_source()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Expired);
    assert!(e.message().contains("already expired"), "{e}");
    assert_eq!(rig.states(), ["idle>idle", "idle>starting", "starting>failed"]);
}

/// A cached answer (a token URL behind a CDN or a caching proxy) carries its origin's `Date`
/// and the `Age` the cache adds. Taken alone, that `Date` set the server's clock back by the
/// age, and the token, made that long ago, was judged to live that much longer: here 3 h
/// instead of the 1 h it had left, served for 2 h after it expired. The `Age` is added.
#[tokio::test(start_paused = true)]
async fn a_cached_answer_is_dated_by_its_date_plus_its_age() {
    for (age, due_secs) in [(Some(7200), 3600 - 300), (None, 3 * 3600 - 300)] {
        let c = clock();
        let t = Script::new(c.clone(), move |n, _, now| {
            // Made by the origin 2 h ago, for 3 h; kept by a cache since.
            let made = now - Duration::from_secs(7200);
            let mut r = ok_session(n, made, 3 * 3600);
            r.headers.push(("date".into(), httpdate::fmt_http_date(made)));
            if let Some(a) = age {
                r.headers.push(("age".into(), a.to_string()));
            }
            Ok(r)
        });
        let rig = rig_with(config(), c.clone(), t.clone(), Arc::new(MemoryStore::new()));
        rig.session.start(api_source()).await.unwrap();
        // Renewed 5 min before the expiry the server's clock gives it.
        let due = rig.session.renewal_due_in().unwrap().as_secs_f64();
        assert!((due - due_secs as f64).abs() <= 1.0, "age {age:?}: renewal due in {due} s, want {due_secs}");
    }
}
