//! `videokit demo`: the main job. Starts the local backend in-process on a free loopback
//! port and walks through the SDK's flows with the real engine, printing every state
//! transition with a timestamp, then a summary of checks. Exit 0 only when all hold.

use clap::Args;
use std::sync::atomic::{AtomicBool, Ordering};

/// Under `--json` the running commentary is not printed; one JSON summary is.
static QUIET: AtomicBool = AtomicBool::new(false);

macro_rules! say {
    ($($t:tt)*) => {
        if !QUIET.load(Ordering::Relaxed) {
            outln!($($t)*);
        }
    };
}
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use videokit_core::sources::generic::FixedTokenSource;
use videokit_core::sources::videokit::{ApiTokenSource, BackendSource};
use videokit_core::{Error, ErrorKind, Secret, Session, SessionConfig, SessionState, StateChange, TokenSource};
use videokit_devserver::{DevServer, DevServerConfig, Fault, FaultKind, DEFAULT_APP_TOKEN};

#[derive(Args)]
pub struct DemoArgs {
    /// Lifetime of the short-lived tokens used to show a renewal, in seconds (2 to 300: the
    /// demo waits up to two lifetimes for renewals).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(2..=300))]
    lifetime: u64,
    /// Print only one JSON summary: {"base_url", "checks": [{"name", "ok"}], "passed",
    /// "failed", "requests", "seconds"}.
    #[arg(long)]
    json: bool,
}

struct Demo {
    t0: Instant,
    checks: Vec<(String, bool)>,
}

impl Demo {
    fn check(&mut self, what: impl Into<String>, ok: bool) {
        let what = what.into();
        say!("  {} {what}", if ok { "✔" } else { "✘" });
        self.checks.push((what, ok));
    }
    fn section(&self, title: &str) {
        say!("\n== {title} ==");
    }
}

/// Records transitions and prints them as they happen.
fn watch(session: &Session, t0: Instant) -> Arc<Mutex<Vec<SessionState>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    session.subscribe(Arc::new(move |c: &StateChange| {
        if c.from == c.to {
            return; // the initial "current state" event
        }
        let err = c.error.as_ref().map(|e| format!("  ({e})")).unwrap_or_default();
        say!("  [{:7.3}s] {} → {}{err}", t0.elapsed().as_secs_f64(), c.from, c.to);
        s2.lock().unwrap_or_else(|p| p.into_inner()).push(c.to);
    }));
    seen
}

async fn wait_for(session: &Session, seen: &Arc<Mutex<Vec<SessionState>>>, n: usize, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if seen.lock().unwrap_or_else(|p| p.into_inner()).len() >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = session;
    false
}

fn states(seen: &Arc<Mutex<Vec<SessionState>>>) -> Vec<&'static str> {
    seen.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|s| s.as_str()).collect()
}

fn new_session() -> Result<Session, Error> {
    Session::new(SessionConfig::default(), tokio::runtime::Handle::current())
}

pub async fn run(a: DemoArgs) -> i32 {
    QUIET.store(a.json, Ordering::Relaxed);
    let lifetime = Duration::from_secs(a.lifetime);
    let cfg = DevServerConfig { port: 0, token_lifetime: lifetime, ..Default::default() };
    let server = match DevServer::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("videokit: cannot start the local backend: {e}");
            return 1;
        }
    };
    let base = server.base_url();
    let controls = server.controls();
    let mut d = Demo { t0: Instant::now(), checks: vec![] };
    say!("VideoKit demo: local backend at {base} (tokens live {} s)", lifetime.as_secs());

    match videokit_flows(&mut d, &base, &controls, lifetime).await {
        Ok(()) => {}
        Err(e) => d.check(format!("VideoKit flows ran without an unexpected error ({e})"), false),
    }
    match kaltura_flows(&mut d, &base, &controls).await {
        Ok(()) => {}
        Err(e) => d.check(format!("Kaltura flows ran without an unexpected error ({e})"), false),
    }
    match videosdk_flows(&mut d, &base, &controls).await {
        Ok(()) => {}
        Err(e) => d.check(format!("VideoSDK flows ran without an unexpected error ({e})"), false),
    }

    let counts = controls.request_counts();
    say!("\n== Summary ==");
    say!("  requests served: {}", counts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "));
    let passed = d.checks.iter().filter(|(_, ok)| *ok).count();
    let failed = d.checks.len() - passed;
    say!("  {passed} checks passed, {failed} failed, in {:.1} s", d.t0.elapsed().as_secs_f64());
    if a.json {
        let checks: Vec<serde_json::Value> = d.checks.iter().map(|(name, ok)| serde_json::json!({"name": name, "ok": ok})).collect();
        outln!(
            "{}",
            serde_json::json!({"base_url": base, "checks": checks, "passed": passed, "failed": failed, "requests": counts, "seconds": d.t0.elapsed().as_secs_f64()})
        );
    }
    server.shutdown().await;
    if failed == 0 {
        0
    } else {
        1
    }
}

async fn videokit_flows(d: &mut Demo, base: &str, controls: &videokit_devserver::Controls, lifetime: Duration) -> Result<(), Error> {
    // 1. API token + identity, with a renewal you can watch.
    d.section("VideoKit: API token + identity (development mode), renewal, stop");
    let session = new_session()?;
    let seen = watch(&session, d.t0);
    let src = ApiTokenSource::new(base, Secret::new(DEFAULT_APP_TOKEN), "alice", vec!["videos.read".into()], false)?;
    let data = session.start(Arc::new(src)).await?;
    say!(
        "  signed in as {} ; token {} ; expires {} ; renewal in {:.1} s",
        data.identity.as_deref().unwrap_or("?"),
        data.token.fingerprint(),
        data.expires_at.map(crate::rfc3339).unwrap_or_default(),
        session.renewal_due_in().unwrap_or_default().as_secs_f64()
    );
    let first = data.token.clone();
    let renewed = wait_for(&session, &seen, 4, lifetime * 2).await;
    let second = session.token().await?;
    d.check("the token was renewed before it expired", renewed && second != first);
    session.stop();
    wait_for(&session, &seen, 5, Duration::from_secs(1)).await;
    let s = states(&seen);
    d.check(format!("states: {}", s.join(" → ")), s == ["starting", "active", "refreshing", "active", "stopped"]);
    d.check("token() after stop says not_started", session.token().await.err().map(|e| e.kind()) == Some(ErrorKind::NotStarted));

    // 2. The app's backend hands out session tokens (the production flow).
    d.section("VideoKit: session token from the app's backend (production mode)");
    let session = new_session()?;
    let seen = watch(&session, d.t0);
    let template = format!("{base}/token/{{identity}}");
    say!("  token URL: {template}");
    let src = BackendSource::new(&template, "bob@example.com", vec![], false)?;
    let data = session.start(Arc::new(src)).await?;
    d.check("backend token obtained, identity percent-encoded and echoed", data.identity.as_deref() == Some("bob@example.com"));
    let backend_token = data.token.clone();
    // A transient failure during renewal: the valid token is kept while retrying.
    controls.inject(Fault { route: "token".into(), kind: FaultKind::Status { status: 503, retry_after: Some(1), body: None }, count: 1 });
    let before = controls.request_count("token");
    let refreshed = session.refresh().await;
    d.check(
        "a 503 during renewal is transient (http_status), the old token is still served",
        matches!(&refreshed, Err(e) if e.kind() == ErrorKind::HttpStatus) && session.token().await.ok() == Some(backend_token.clone()),
    );
    wait_for(&session, &seen, 4, Duration::from_secs(5)).await;
    d.check(
        "retried after Retry-After: 1 and renewed",
        controls.request_count("token") == before + 2 && session.state() == SessionState::Active,
    );
    // The renewed token, for step 3: the first one may have lapsed by then on a loaded machine
    // (the demo's tokens can live 2 s, and the retry above waits 1 s).
    let renewed_token = session.token().await?;
    session.stop();
    wait_for(&session, &seen, 5, Duration::from_secs(1)).await;

    // 3. A session token the app already has.
    d.section("VideoKit: a fixed session token");
    let session = new_session()?;
    let seen = watch(&session, d.t0);
    let data = session.start(Arc::new(FixedTokenSource::new(renewed_token)?)).await?;
    d.check("fixed token accepted; expiry read from its JWT exp", data.expiry_known());
    session.stop();
    wait_for(&session, &seen, 3, Duration::from_secs(1)).await;

    // 4. Errors are typed and say what went wrong.
    d.section("VideoKit: errors");
    let session = new_session()?;
    let seen = watch(&session, d.t0);
    let src = ApiTokenSource::new(base, Secret::new("vk_wrong_app_token"), "alice", vec![], false)?;
    let e = session.start(Arc::new(src)).await.err();
    say!("  wrong app token → {}", e.as_ref().map(|e| e.to_string()).unwrap_or_default());
    d.check(
        "a wrong app token is `unauthorized`, and the message has no secret",
        matches!(&e, Some(e) if e.kind() == ErrorKind::Unauthorized && !e.to_string().contains("vk_wrong_app_token")),
    );
    controls.inject(Fault { route: "token".into(), kind: FaultKind::Malformed, count: 1 });
    let src: Arc<dyn TokenSource> = Arc::new(BackendSource::new(&template, "carol", vec![], false)?);
    let t = Instant::now();
    let e = session.start(src).await.err();
    say!("  malformed backend JSON → {} ({} ms)", e.as_ref().map(|e| e.to_string()).unwrap_or_default(), t.elapsed().as_millis());
    d.check(
        "the vendor's malformed JSON is `malformed_response`, at once",
        matches!(&e, Some(e) if e.kind() == ErrorKind::MalformedResponse) && t.elapsed() < Duration::from_secs(2),
    );
    session.stop();
    wait_for(&session, &seen, 5, Duration::from_secs(1)).await;
    Ok(())
}

/// The devserver's default Kaltura partner and app token (see devserver/README.md).
pub const DEMO_PARTNER_ID: i64 = 1851571;
pub const DEMO_APP_TOKEN_ID: &str = "0_xeu31jy5";
pub const DEMO_APP_TOKEN: &str = "c9883312395bf5ed4fd5c9a5d86c985c";

async fn kaltura_flows(d: &mut Demo, base: &str, controls: &videokit_devserver::Controls) -> Result<(), Error> {
    use videokit_core::kaltura_protocol::HashType;
    use videokit_core::sources::kaltura::{KalturaConfig, KalturaSource};
    use videokit_core::TokenDetails;
    d.section("Kaltura: a KS through the appToken flow (widget session → token hash → appToken.startSession)");
    controls.reset();
    let session = new_session()?;
    let seen = watch(&session, d.t0);
    let mut cfg = KalturaConfig::new(DEMO_PARTNER_ID, DEMO_APP_TOKEN_ID, Secret::new(DEMO_APP_TOKEN));
    cfg.service_url = base.to_string();
    cfg.hash_type = HashType::Sha256;
    cfg.user_id = Some("viewer@example.com".into());
    let data = session.start(Arc::new(KalturaSource::new(cfg.clone(), false)?)).await?;
    wait_for(&session, &seen, 2, Duration::from_secs(1)).await;
    if let TokenDetails::Kaltura { partner_id, user_id, session_type, privileges } = &data.details {
        say!(
            "  KS {} for partner {partner_id}, user '{user_id}', type {}, privileges '{privileges}', expires {}",
            data.token.fingerprint(),
            session_type.wire(),
            data.expires_at.map(crate::rfc3339).unwrap_or_default()
        );
    }
    let widget = controls.request_count("kaltura.startWidgetSession");
    let start = controls.request_count("kaltura.appToken.startSession");
    d.check(format!("cold start took 2 requests (startWidgetSession {widget}, appToken.startSession {start})"), widget == 1 && start == 1);
    let renewed = session.refresh().await?;
    let widget2 = controls.request_count("kaltura.startWidgetSession");
    let start2 = controls.request_count("kaltura.appToken.startSession");
    d.check(
        format!("a renewal took 1 request (the widget KS is cached): startWidgetSession {widget2}, appToken.startSession {start2}"),
        widget2 == 1 && start2 == 2 && renewed.token != data.token,
    );
    session.stop();
    wait_for(&session, &seen, 5, Duration::from_secs(1)).await;
    d.check(format!("states: {}", states(&seen).join(" → ")), states(&seen) == ["starting", "active", "refreshing", "active", "stopped"]);

    let session = new_session()?;
    let seen = watch(&session, d.t0);
    let mut wrong = cfg.clone();
    wrong.app_token = Secret::new("0000000000000000deadbeefdeadbeef");
    let e = session.start(Arc::new(KalturaSource::new(wrong, false)?)).await.err();
    say!("  wrong appToken token → {}", e.as_ref().map(|e| e.to_string()).unwrap_or_default());
    d.check(
        "a wrong token hash is `rejected` with code INVALID_APP_TOKEN_HASH",
        matches!(&e, Some(e) if e.kind() == ErrorKind::Rejected && e.code() == Some("INVALID_APP_TOKEN_HASH")),
    );
    wait_for(&session, &seen, 2, Duration::from_secs(1)).await;
    Ok(())
}

async fn videosdk_flows(d: &mut Demo, base: &str, controls: &videokit_devserver::Controls) -> Result<(), Error> {
    use videokit_core::sources::videosdk::VideoSdkSource;
    use videokit_core::TokenDetails;
    d.section("VideoSDK: an access token from the app's token server, checked and renewed");
    controls.reset();
    let session = new_session()?;
    let seen = watch(&session, d.t0);
    let src = VideoSdkSource::new(&format!("{base}/get-token"), Some("2kyv-gzay-64pg".into()), Some("lxvdplwt".into()), 0, false)?;
    let data = session.start(Arc::new(src)).await?;
    wait_for(&session, &seen, 2, Duration::from_secs(1)).await;
    if let TokenDetails::VideoSdk(c) = &data.details {
        say!("  claims: {}", c.to_json());
        say!("  may join: {}, must ask to join: {}, may moderate: {}", c.can_join(), c.must_ask_to_join(), c.can_moderate());
        let life = match (c.iat, c.exp) {
            (Some(i), Some(e)) => e - i,
            _ => 0,
        };
        d.check(
            format!("claims checked: version 2, room and participant set, expiry {life} s after iat"),
            c.version == Some(2) && c.room_id.as_deref() == Some("2kyv-gzay-64pg") && life == 600,
        );
    } else {
        d.check("VideoSDK claims present", false);
    }
    let renewed = session.refresh().await?;
    d.check(
        "renewed through the engine (1 more token-server request)",
        controls.request_count("videosdk.getToken") == 2 && renewed.expiry_known(),
    );
    session.stop();
    wait_for(&session, &seen, 5, Duration::from_secs(1)).await;
    d.check(format!("states: {}", states(&seen).join(" → ")), states(&seen) == ["starting", "active", "refreshing", "active", "stopped"]);
    Ok(())
}
