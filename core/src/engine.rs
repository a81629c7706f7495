//! The session engine: one state machine that owns the current token and keeps it valid.
//!
//! ```text
//!   idle ──start──▶ starting ──ok──▶ active ◀──ok── refreshing
//!                      │               │  └──renewal due──▶ │
//!                      │ terminal      │ token lapsed       │ token lapsed while retrying
//!                      ▼               ▼                    ▼
//!                    failed          expired ◀──────────────┘   (retries go on; ok → active)
//!   any ──stop()──▶ stopped;   start() again from stopped | failed | expired
//!   (start() while starting/active/refreshing stops the old session first)
//! ```
//!
//! One *driver* task per started session does all fetching, so any number of concurrent
//! `token()` / `refresh()` calls share one in-flight request (single-flight). Callers never
//! block: they await the driver's published outcome. Every transition is delivered to
//! observers in order, exactly once, by one dispatcher task; a late subscriber first gets
//! the current state.

use crate::clock::{diff_ms, Clock, ServerTime, SystemClock};
use crate::config::SessionConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Http, Transport};
use crate::secret::Secret;
use crate::source::{FetchContext, FetchedToken, SourceKind, TokenDetails, TokenSource};
use crate::store::{MemoryStore, SessionStore, StoredSession, RECORD_VERSION};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// The session's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionState {
    Idle,
    Starting,
    Active,
    Refreshing,
    Expired,
    Failed,
    Stopped,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Idle => "idle",
            SessionState::Starting => "starting",
            SessionState::Active => "active",
            SessionState::Refreshing => "refreshing",
            SessionState::Expired => "expired",
            SessionState::Failed => "failed",
            SessionState::Stopped => "stopped",
        }
    }
    /// States from which `start()` runs without stopping a running session first.
    pub fn is_running(self) -> bool {
        matches!(self, SessionState::Starting | SessionState::Active | SessionState::Refreshing)
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the app gets to know about the current session.
#[derive(Clone, PartialEq)]
pub struct SessionData {
    pub identity: Option<String>,
    pub token: Secret,
    /// Expiry in server time; `None` when neither the backend nor the token said (then no
    /// renewal is scheduled).
    pub expires_at: Option<SystemTime>,
    pub issued_at: Option<SystemTime>,
    pub source: SourceKind,
    pub scopes: Vec<String>,
    pub details: TokenDetails,
    /// True when the session was resumed from the store without a request.
    pub resumed: bool,
}

impl SessionData {
    pub fn expiry_known(&self) -> bool {
        self.expires_at.is_some()
    }
}

impl fmt::Debug for SessionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionData")
            .field("identity", &self.identity)
            .field("token", &self.token)
            .field("expires_at", &self.expires_at.map(crate::source::format_rfc3339))
            .field("source", &self.source.as_str())
            .field("scopes", &self.scopes)
            .field("resumed", &self.resumed)
            .finish()
    }
}

/// One transition, as observers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    /// 1, 2, 3… per session object; the initial event of a late subscriber repeats the
    /// sequence number of the last transition (0 before any).
    pub seq: u64,
    pub from: SessionState,
    pub to: SessionState,
    /// Local wall time of the transition.
    pub at: SystemTime,
    /// The error that caused it (`failed`, `expired`, a retry), if any.
    pub error: Option<Error>,
}

/// A token from [`Session::token_lease`], with how long a platform layer may hand the same
/// token out again from its own cache, without asking the engine.
#[derive(Debug, Clone)]
pub struct TokenLease {
    pub token: Secret,
    /// The sequence number of the last transition when the token was handed out: a cache
    /// is only good while no later transition has been seen.
    pub seq: u64,
    /// How long from now the engine would go on returning this token *and* stay `active`
    /// without an API call (`start`, `stop`, `refresh`, `check_now`, a new configuration)
    /// or a wall-clock jump: zero unless `active` with a known expiry and no forced refresh
    /// pending; the time until the renewal is due ([`Session::renewal_due_in`]) for a
    /// renewable source; the time until expiry minus [`FIXED_TOKEN_REUSE_MARGIN`] for a
    /// fixed token (it goes `expired` at its expiry). Measure it from a clock reading taken
    /// *before* the call, on both a monotonic and the wall clock (a device's monotonic
    /// clock may stop while it sleeps; the engine judges expiry by both).
    pub reuse_for: Duration,
}

/// A fixed (non-renewable) token is handed out from a platform cache until this long before
/// its expiry, then only by the engine (which returns it until it lapses).
pub const FIXED_TOKEN_REUSE_MARGIN: Duration = Duration::from_secs(1);

/// The engine's state as one value, read under its lock: what a platform layer caches.
#[derive(Debug, Clone)]
pub struct EngineSnapshot {
    /// The sequence number of the last transition (0 before any).
    pub seq: u64,
    pub state: SessionState,
    /// The current session (also while `expired`), if any.
    pub data: Option<SessionData>,
    pub last_error: Option<Error>,
    /// [`TokenLease::reuse_for`] of `data`'s token at this moment.
    pub reuse_for: Duration,
    /// The transition that made this snapshot; `None` for one read by [`Session::snapshot`].
    pub change: Option<StateChange>,
}

/// Sees every transition as it happens, under the engine's lock, before any observer hears of
/// it: so the order of calls across several sessions is the order the transitions happened.
/// It must not block or call into the session (push the snapshot to a queue and return).
pub trait TransitionHook: Send + Sync + 'static {
    fn on_transition(&self, snapshot: EngineSnapshot);
}

/// Receives transitions. Called on the SDK's dispatcher task, in order; keep it short (hop
/// to your own thread for UI work).
pub trait SessionObserver: Send + Sync + 'static {
    fn on_state_change(&self, change: &StateChange);
}

impl<F: Fn(&StateChange) + Send + Sync + 'static> SessionObserver for F {
    fn on_state_change(&self, change: &StateChange) {
        self(change)
    }
}

#[cfg(feature = "reqwest-transport")]
fn default_transport(config: &crate::http::HttpConfig) -> Result<Arc<dyn Transport>> {
    Ok(Arc::new(crate::http::ReqwestTransport::new(config)?))
}

#[cfg(not(feature = "reqwest-transport"))]
fn default_transport(_config: &crate::http::HttpConfig) -> Result<Arc<dyn Transport>> {
    Err(Error::invalid_argument(
        "this build has no built-in HTTP transport (feature reqwest-transport is off): pass one in SessionDeps::transport",
    ))
}

/// Injectable dependencies. `Default` gives the real clock, no transport (the session then
/// builds the reqwest one from the config, with feature `reqwest-transport`) and an in-memory store.
#[derive(Clone)]
pub struct SessionDeps {
    pub clock: Arc<dyn Clock>,
    pub transport: Option<Arc<dyn Transport>>,
    pub store: Arc<dyn SessionStore>,
    /// Seed for the retry jitter (tests); `None` = random.
    pub jitter_seed: Option<u64>,
    /// Called at every transition under the engine's lock (see [`TransitionHook`]).
    pub hook: Option<Arc<dyn TransitionHook>>,
}

impl Default for SessionDeps {
    fn default() -> Self {
        SessionDeps { clock: Arc::new(SystemClock), transport: None, store: Arc::new(MemoryStore::new()), jitter_seed: None, hook: None }
    }
}

#[derive(Clone)]
struct Current {
    data: SessionData,
    expires_mono: Option<Instant>,
    lead: Duration,
}

#[derive(Clone)]
struct Outcome {
    seq: u64,
    /// Success, terminal failure, start giving up, or a failed attempt while no valid token
    /// exists: what `start()` and `token()` wait for.
    settled: bool,
    result: Option<Result<SessionData>>,
}

enum Event {
    Change(StateChange),
    Subscribe(u64, Arc<dyn SessionObserver>, StateChange),
    Unsubscribe(u64),
}

struct Core {
    state: SessionState,
    generation: u64,
    seq: u64,
    source: Option<Arc<dyn TokenSource>>,
    current: Option<Current>,
    last_error: Option<Error>,
    driver: Option<AbortHandle>,
    force_refresh: bool,
    next_subscriber: u64,
}

struct Inner {
    config: SessionConfig,
    clock: Arc<dyn Clock>,
    http: Http,
    store: Arc<dyn SessionStore>,
    runtime: tokio::runtime::Handle,
    core: Mutex<Core>,
    events: mpsc::UnboundedSender<Event>,
    outcomes: watch::Sender<Outcome>,
    kick: watch::Sender<u64>,
    rng: Mutex<fastrand::Rng>,
    hook: Option<Arc<dyn TransitionHook>>,
}

/// A session. Create one per app (the platform layers keep it as `VKSession.current`).
/// Dropping it stops its timers.
pub struct Session {
    inner: Arc<Inner>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("state", &self.state()).finish()
    }
}

enum Phase {
    Start,
    Renew,
}

enum Plan {
    RenewNow,
    ExpireNow,
    WaitUntil(Instant),
    WaitForKick,
}

impl Session {
    /// A session with the real clock, the reqwest transport and an in-memory store, whose
    /// tasks run on `runtime`.
    pub fn new(config: SessionConfig, runtime: tokio::runtime::Handle) -> Result<Session> {
        Self::with_deps(config, SessionDeps::default(), runtime)
    }

    /// A session with injected dependencies.
    pub fn with_deps(config: SessionConfig, deps: SessionDeps, runtime: tokio::runtime::Handle) -> Result<Session> {
        let transport: Arc<dyn Transport> = match deps.transport {
            Some(t) => t,
            None => default_transport(&config.http)?,
        };
        let http = Http::new(transport, Arc::new(ServerTime::new()), deps.clock.clone(), config.http.clone());
        let (events, rx) = mpsc::unbounded_channel();
        let (outcomes, _) = watch::channel(Outcome { seq: 0, settled: false, result: None });
        let (kick, _) = watch::channel(0u64);
        let rng = match deps.jitter_seed {
            Some(s) => fastrand::Rng::with_seed(s),
            None => fastrand::Rng::new(),
        };
        let inner = Arc::new(Inner {
            config,
            clock: deps.clock,
            http,
            store: deps.store,
            runtime: runtime.clone(),
            core: Mutex::new(Core {
                state: SessionState::Idle,
                generation: 0,
                seq: 0,
                source: None,
                current: None,
                last_error: None,
                driver: None,
                force_refresh: false,
                next_subscriber: 1,
            }),
            events,
            outcomes,
            kick,
            rng: Mutex::new(rng),
            hook: deps.hook,
        });
        runtime.spawn(dispatch(rx));
        Ok(Session { inner })
    }

    /// The HTTP layer (for building sources that need the session's settings).
    pub fn http(&self) -> &Http {
        &self.inner.http
    }

    pub fn config(&self) -> &SessionConfig {
        &self.inner.config
    }

    /// Start (or restart) the session with `source` and wait for the first token. Returns
    /// without a request when the store holds a still-valid session for the same source.
    /// A running session is stopped first. Cancelled by `stop()` or a newer `start()`.
    pub async fn start(&self, source: Arc<dyn TokenSource>) -> Result<SessionData> {
        let (mut rx, seq0) = self.begin(source);
        wait_outcome(&mut rx, seq0, true).await
    }

    /// Like [`start`](Self::start) but returns at once; `done` is called with the result on
    /// the SDK's runtime.
    pub fn start_with_callback<F>(&self, source: Arc<dyn TokenSource>, done: F)
    where
        F: FnOnce(Result<SessionData>) + Send + 'static,
    {
        let (mut rx, seq0) = self.begin(source);
        self.inner.runtime.spawn(async move { done(wait_outcome(&mut rx, seq0, true).await) });
    }

    fn begin(&self, source: Arc<dyn TokenSource>) -> (watch::Receiver<Outcome>, u64) {
        let inner = &self.inner;
        let mut core = inner.lock();
        if core.state.is_running() {
            log::info!(target: "videokit", "start() while {}: stopping the running session first", core.state);
            inner.stop_locked(&mut core);
        } else if let Some(d) = core.driver.take() {
            d.abort(); // an expired session's driver may still be retrying
        }
        core.generation += 1;
        core.last_error = None;
        core.current = None;
        core.force_refresh = false;
        core.source = Some(source.clone());
        let rx = inner.outcomes.subscribe();
        let seq0 = rx.borrow().seq;
        inner.transition(&mut core, SessionState::Starting, None);
        log::info!(target: "videokit", "starting a {} session{}", source.kind(), source.identity().map(|i| format!(" for '{i}'")).unwrap_or_default());
        let gen = core.generation;
        let task = inner.runtime.spawn(drive(inner.clone(), gen, source));
        core.driver = Some(task.abort_handle());
        (rx, seq0)
    }

    /// A valid token: at once when the current one is valid (a due renewal then runs in the
    /// background), otherwise after the in-flight fetch, which all callers share.
    pub async fn token(&self) -> Result<Secret> {
        Ok(self.valid_data().await?.token)
    }

    /// Like [`token`](Self::token), with everything known about the session.
    pub async fn valid_data(&self) -> Result<SessionData> {
        Ok(self.leased_data().await?.0)
    }

    /// Like [`token`](Self::token), plus what a platform layer needs to hand the same token
    /// out again without asking: the sequence number of the last transition when the token
    /// was handed out, and how long the engine itself would keep returning it and stay
    /// `active` (see [`TokenLease::reuse_for`]).
    pub async fn token_lease(&self) -> Result<TokenLease> {
        let (data, seq, reuse_for) = self.leased_data().await?;
        Ok(TokenLease { token: data.token, seq, reuse_for })
    }

    /// State, session, last error and token reuse time, read together under the engine's lock.
    pub fn snapshot(&self) -> EngineSnapshot {
        let core = self.inner.lock();
        self.inner.snapshot_locked(&core, None)
    }

    /// The current state and the sequence number of the transition that entered it (0
    /// before any), read together under the engine's lock.
    pub fn state_snapshot(&self) -> (u64, SessionState) {
        let core = self.inner.lock();
        (core.seq, core.state)
    }

    /// [`valid_data`](Self::valid_data) with the seq and the reuse time read under the same
    /// lock as the data was taken.
    async fn leased_data(&self) -> Result<(SessionData, u64, Duration)> {
        let inner = &self.inner;
        let (mut rx, seq0) = {
            let core = inner.lock();
            match core.state {
                SessionState::Idle | SessionState::Stopped => return Err(Error::not_started()),
                SessionState::Failed => return Err(core.last_error.clone().unwrap_or_else(Error::not_started)),
                SessionState::Starting => {}
                SessionState::Active | SessionState::Refreshing | SessionState::Expired => {
                    if let Some(cur) = &core.current {
                        match inner.remaining(cur) {
                            None => return Ok((cur.data.clone(), core.seq, inner.reuse_for(&core))),
                            Some(r) if !r.is_zero() => {
                                if core.state == SessionState::Active && r <= cur.lead {
                                    inner.kick();
                                }
                                return Ok((cur.data.clone(), core.seq, inner.reuse_for(&core)));
                            }
                            Some(_) => {}
                        }
                    }
                    let renewable = core.source.as_ref().map(|s| s.can_renew()).unwrap_or(false);
                    if !renewable {
                        return Err(Error::new(ErrorKind::Expired, "the session token has expired and cannot be renewed; start again with a new token"));
                    }
                    inner.kick();
                }
            }
            let rx = inner.outcomes.subscribe();
            let seq0 = rx.borrow().seq;
            (rx, seq0)
        };
        let data = wait_outcome(&mut rx, seq0, true).await?;
        // Handed out by the driver: a lease only while it is still the token the engine
        // would hand out now (same lock as the seq and the reuse time).
        let core = inner.lock();
        let served = core.current.as_ref().is_some_and(|c| c.data.token == data.token);
        let reuse_for = if served { inner.reuse_for(&core) } else { Duration::ZERO };
        Ok((data, core.seq, reuse_for))
    }

    /// Renew now, whatever the expiry, sharing any fetch already in flight. Returns the
    /// result of the next attempt.
    pub async fn refresh(&self) -> Result<SessionData> {
        let inner = &self.inner;
        let (mut rx, seq0, settled_only) = {
            let mut core = inner.lock();
            match core.state {
                SessionState::Idle | SessionState::Stopped => return Err(Error::not_started()),
                SessionState::Failed => return Err(core.last_error.clone().unwrap_or_else(Error::not_started)),
                _ => {}
            }
            if !core.source.as_ref().map(|s| s.can_renew()).unwrap_or(false) {
                return Err(Error::invalid_argument("a fixed session token cannot be refreshed; start again with a new token"));
            }
            if core.state == SessionState::Active {
                core.force_refresh = true;
            }
            inner.kick();
            let rx = inner.outcomes.subscribe();
            let seq0 = rx.borrow().seq;
            (rx, seq0, core.state == SessionState::Starting)
        };
        wait_outcome(&mut rx, seq0, settled_only).await
    }

    /// Stop: cancel timers and in-flight requests, clear the token (and the stored
    /// session). Waiting `start`/`token` calls get `cancelled`.
    pub fn stop(&self) {
        let mut core = self.inner.lock();
        self.inner.stop_locked(&mut core);
    }

    /// Re-check expiry now (call when the app returns to the foreground: monotonic clocks
    /// may not have advanced while the device slept). Renews if due.
    pub fn check_now(&self) {
        self.inner.kick();
    }

    pub fn state(&self) -> SessionState {
        self.inner.lock().state
    }

    /// The current session, if any (also while `expired`, for inspection).
    pub fn session_data(&self) -> Option<SessionData> {
        self.inner.lock().current.as_ref().map(|c| c.data.clone())
    }

    /// The error behind the last `failed` / `expired` / retry, if any.
    pub fn last_error(&self) -> Option<Error> {
        self.inner.lock().last_error.clone()
    }

    /// The server's time by the current skew estimate.
    pub fn server_time(&self) -> SystemTime {
        self.inner.http.server_now()
    }

    /// When the current token will be renewed (local monotonic instant), if scheduled.
    pub fn renewal_due_in(&self) -> Option<Duration> {
        let core = self.inner.lock();
        self.inner.renewal_due_in(&core)
    }

    /// Add an observer. It first receives the current state (from == to), then every
    /// transition in order. Returns an id for [`unsubscribe`](Self::unsubscribe).
    pub fn subscribe(&self, observer: Arc<dyn SessionObserver>) -> u64 {
        let mut core = self.inner.lock();
        let id = core.next_subscriber;
        core.next_subscriber += 1;
        let initial = StateChange { seq: core.seq, from: core.state, to: core.state, at: self.inner.clock.wall(), error: core.last_error.clone() };
        let _ = self.inner.events.send(Event::Subscribe(id, observer, initial));
        id
    }

    pub fn unsubscribe(&self, id: u64) {
        let _guard = self.inner.lock(); // keeps the event order consistent with transitions
        let _ = self.inner.events.send(Event::Unsubscribe(id));
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let mut core = self.inner.lock();
        if let Some(d) = core.driver.take() {
            d.abort();
        }
    }
}

async fn wait_outcome(rx: &mut watch::Receiver<Outcome>, seq0: u64, settled_only: bool) -> Result<SessionData> {
    let got = rx.wait_for(|o| o.seq > seq0 && (o.settled || !settled_only) && o.result.is_some()).await;
    match got {
        Ok(o) => o.result.clone().unwrap_or_else(|| Err(Error::cancelled())),
        Err(_) => Err(Error::cancelled()),
    }
}

async fn dispatch(mut rx: mpsc::UnboundedReceiver<Event>) {
    let mut observers: Vec<(u64, Arc<dyn SessionObserver>)> = Vec::new();
    while let Some(ev) = rx.recv().await {
        match ev {
            Event::Change(c) => {
                for (_, o) in &observers {
                    deliver(o, &c);
                }
            }
            Event::Subscribe(id, o, initial) => {
                deliver(&o, &initial);
                observers.push((id, o));
            }
            Event::Unsubscribe(id) => observers.retain(|(i, _)| *i != id),
        }
    }
}

fn deliver(o: &Arc<dyn SessionObserver>, c: &StateChange) {
    // An observer's panic must not stop the delivery to the others, nor later transitions.
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| o.on_state_change(c))).is_err() {
        log::error!(target: "videokit", "a session observer panicked on {} -> {}", c.from, c.to);
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Core> {
        // A poisoned lock means a panic elsewhere while holding it; the state is still a
        // valid value (every write is a single assignment), so carry on.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn kick(&self) {
        self.kick.send_modify(|k| *k = k.wrapping_add(1));
    }

    fn publish(&self, settled: bool, result: Result<SessionData>) {
        self.outcomes.send_modify(|o| {
            o.seq += 1;
            o.settled = settled;
            o.result = Some(result);
        });
    }

    fn transition(&self, core: &mut Core, to: SessionState, error: Option<Error>) {
        if core.state == to {
            return;
        }
        core.seq += 1;
        let change = StateChange { seq: core.seq, from: core.state, to, at: self.clock.wall(), error };
        log::debug!(target: "videokit", "session {} -> {}", change.from, change.to);
        core.state = to;
        if let Some(hook) = &self.hook {
            hook.on_transition(self.snapshot_locked(core, Some(change.clone())));
        }
        let _ = self.events.send(Event::Change(change));
    }

    fn snapshot_locked(&self, core: &Core, change: Option<StateChange>) -> EngineSnapshot {
        EngineSnapshot {
            seq: core.seq,
            state: core.state,
            data: core.current.as_ref().map(|c| c.data.clone()),
            last_error: core.last_error.clone(),
            reuse_for: self.reuse_for(core),
            change,
        }
    }

    fn stop_locked(&self, core: &mut Core) {
        core.generation += 1;
        if let Some(d) = core.driver.take() {
            d.abort();
        }
        core.current = None;
        core.force_refresh = false;
        if let Some(src) = core.source.take() {
            if let Err(e) = self.store.clear(&src.store_key()) {
                log::warn!(target: "videokit", "could not clear the stored session: {e}");
            }
        }
        if core.state != SessionState::Stopped {
            self.transition(core, SessionState::Stopped, None);
            log::info!(target: "videokit", "session stopped");
        }
        self.publish(true, Err(Error::cancelled()));
    }

    /// [`TokenLease::reuse_for`] of the current token. While `active`, the engine leaves
    /// `active` or changes the token on its own only when its driver's timer fires: at the
    /// renewal point (expiry − lead, → `refreshing`) for a renewable source, at the expiry
    /// (→ `expired`) for a fixed token; with an unknown expiry never. Every other way out
    /// is an API call (`start` → `stopped`/`starting`, `stop`, `refresh` through
    /// `force_refresh`, `check_now` and a `token()` past the renewal point through a kick
    /// that re-plans) or a clock that moved: a wall-clock jump forward, or a device sleep
    /// during which the monotonic clock stood still (then `remaining` falls by the wall
    /// clock). No request runs while `active`, so the server-time skew cannot change.
    fn reuse_for(&self, core: &Core) -> Duration {
        if core.state != SessionState::Active || core.force_refresh {
            return Duration::ZERO;
        }
        let Some(cur) = core.current.as_ref() else { return Duration::ZERO };
        let renewable = core.source.as_ref().is_some_and(|s| s.can_renew());
        if renewable {
            return self.renewal_due_in(core).unwrap_or(Duration::ZERO);
        }
        self.remaining(cur).map_or(Duration::ZERO, |r| r.saturating_sub(FIXED_TOKEN_REUSE_MARGIN))
    }

    /// Time until the renewal of the current token is due (expiry − lead); `None` without a
    /// current token, a renewable source or a known expiry.
    fn renewal_due_in(&self, core: &Core) -> Option<Duration> {
        let cur = core.current.as_ref()?;
        if !core.source.as_ref()?.can_renew() {
            return None;
        }
        Some(self.remaining(cur)?.saturating_sub(cur.lead))
    }

    /// Time left on the token: the smaller of the monotonic deadline and the server-time
    /// expiry judged by the (skew-corrected) wall clock. `None` = unknown expiry.
    fn remaining(&self, cur: &Current) -> Option<Duration> {
        let mono = cur.expires_mono?.saturating_duration_since(self.clock.monotonic());
        let wall = match cur.data.expires_at {
            Some(e) => e.duration_since(self.http.server_now()).unwrap_or(Duration::ZERO),
            None => mono,
        };
        Some(mono.min(wall))
    }

    fn is_current(&self, gen: u64) -> bool {
        self.lock().generation == gen
    }

    fn make_current(&self, tok: FetchedToken, source: SourceKind, resumed: bool) -> Current {
        let server_now = self.http.server_now();
        let remaining = tok.expires_at.map(|e| e.duration_since(server_now).unwrap_or(Duration::ZERO));
        let lifetime = match (tok.expires_at, tok.issued_at) {
            (Some(e), Some(i)) if e > i => e.duration_since(i).ok(),
            _ => remaining,
        };
        let lead = self.config.renewal.lead_for(lifetime);
        Current {
            expires_mono: remaining.map(|r| self.clock.monotonic() + r),
            lead,
            data: SessionData {
                identity: tok.identity,
                token: tok.token,
                expires_at: tok.expires_at,
                issued_at: tok.issued_at,
                source,
                scopes: tok.scopes,
                details: tok.details,
                resumed,
            },
        }
    }

    /// Resume a stored, still-valid session for this source, without a request.
    fn try_resume(&self, gen: u64, source: &dyn TokenSource) -> bool {
        let key = source.store_key();
        let bytes = match self.store.load(&key) {
            Ok(Some(b)) => b,
            Ok(None) => return false,
            Err(e) => {
                log::warn!(target: "videokit", "could not read the stored session, fetching a new one: {e}");
                return false;
            }
        };
        let rec = match StoredSession::decode(&bytes, &key) {
            Ok(r) => r,
            Err(e) => {
                log::warn!(target: "videokit", "discarding the stored session: {}", e.message());
                let _ = self.store.clear(&key);
                return false;
            }
        };
        let Some(exp_ms) = rec.expires_at_ms else { return false };
        let details = match (source.kind(), &rec.kaltura) {
            (SourceKind::Kaltura, Some(k)) => TokenDetails::Kaltura { partner_id: k.partner_id, user_id: k.user_id.clone(), session_type: k.session_type, privileges: k.privileges.clone() },
            (SourceKind::VideoSdk, _) => match crate::videosdk::decode_unchecked_time(&rec.token) {
                Ok(c) => TokenDetails::VideoSdk(c),
                Err(_) => return false,
            },
            _ => TokenDetails::None,
        };
        let tok = FetchedToken {
            token: Secret::new(rec.token),
            expires_at: Some(crate::clock::add_ms(std::time::UNIX_EPOCH, exp_ms)),
            issued_at: rec.issued_at_ms.map(|ms| crate::clock::add_ms(std::time::UNIX_EPOCH, ms)),
            identity: rec.identity,
            scopes: rec.scopes,
            details,
        };
        let cur = self.make_current(tok, source.kind(), true);
        match self.remaining(&cur) {
            Some(r) if r > cur.lead => {}
            _ => {
                log::info!(target: "videokit", "the stored session is due for renewal; fetching a new one");
                return false;
            }
        }
        let mut core = self.lock();
        if core.generation != gen {
            return false;
        }
        log::info!(target: "videokit", "resumed the stored session (expires in {} s)", self.remaining(&cur).map(|d| d.as_secs()).unwrap_or(0));
        let data = cur.data.clone();
        core.current = Some(cur);
        self.transition(&mut core, SessionState::Active, None);
        self.publish(true, Ok(data));
        true
    }

    fn save(&self, source: &dyn TokenSource, data: &SessionData) {
        let rec = StoredSession {
            v: RECORD_VERSION,
            key: source.store_key(),
            source: data.source.as_str().to_string(),
            token: data.token.expose().to_string(),
            expires_at_ms: data.expires_at.map(|t| diff_ms(t, std::time::UNIX_EPOCH)),
            issued_at_ms: data.issued_at.map(|t| diff_ms(t, std::time::UNIX_EPOCH)),
            identity: data.identity.clone(),
            scopes: data.scopes.clone(),
            kaltura: match &data.details {
                TokenDetails::Kaltura { partner_id, user_id, session_type, privileges } => Some(crate::store::StoredKaltura {
                    partner_id: *partner_id,
                    user_id: user_id.clone(),
                    session_type: *session_type,
                    privileges: privileges.clone(),
                }),
                _ => None,
            },
        };
        if data.expires_at.is_none() {
            return; // nothing to resume safely without an expiry
        }
        if let Err(e) = self.store.save(&rec.key, &rec.encode()) {
            log::warn!(target: "videokit", "could not save the session: {e}");
        }
    }

    fn activate(&self, gen: u64, source: &dyn TokenSource, tok: FetchedToken) -> bool {
        let cur = self.make_current(tok, source.kind(), false);
        if matches!(self.remaining(&cur), Some(r) if r.is_zero()) {
            let e = Error::new(ErrorKind::Expired, "the backend issued a token that is already expired (check the backend's clock and token lifetime)");
            self.fail(gen, e);
            return false;
        }
        let data = cur.data.clone();
        // Persist before publishing: once callers see the new token, a stop() they make must
        // find (and clear) the record, never have it written after the clear.
        self.save(source, &data);
        {
            let mut core = self.lock();
            if core.generation != gen {
                drop(core);
                // Stopped or restarted while we were saving: undo the write.
                let _ = self.store.clear(&source.store_key());
                return false;
            }
            core.current = Some(cur.clone());
            core.last_error = None;
            self.transition(&mut core, SessionState::Active, None);
            self.publish(true, Ok(data.clone()));
        }
        match self.remaining(&cur) {
            Some(r) => log::info!(target: "videokit", "session active; token {} expires in {} s, renewal in {} s", data.token.fingerprint(), r.as_secs(), r.saturating_sub(cur.lead).as_secs()),
            None => log::info!(target: "videokit", "session active; token {} has no known expiry, so no renewal is scheduled", data.token.fingerprint()),
        }
        true
    }

    fn fail(&self, gen: u64, e: Error) {
        let mut core = self.lock();
        if core.generation != gen {
            return;
        }
        log::warn!(target: "videokit", "session failed: {e}");
        core.current = None;
        core.last_error = Some(e.clone());
        if let Some(src) = &core.source {
            let _ = self.store.clear(&src.store_key());
        }
        self.transition(&mut core, SessionState::Failed, Some(e.clone()));
        self.publish(true, Err(e));
    }

    /// The token lapsed without renewal: `expired`. Returns whether it has lapsed.
    fn expire_if_lapsed(&self, gen: u64, cause: Option<&Error>) -> bool {
        let mut core = self.lock();
        if core.generation != gen {
            return false;
        }
        let lapsed = match &core.current {
            Some(cur) => matches!(self.remaining(cur), Some(r) if r.is_zero()),
            None => true,
        };
        if lapsed && core.state != SessionState::Expired {
            let e = cause.cloned().unwrap_or_else(|| Error::new(ErrorKind::Expired, "the session token expired"));
            log::warn!(target: "videokit", "session expired before it could be renewed");
            core.last_error = Some(e.clone());
            self.transition(&mut core, SessionState::Expired, Some(e));
        }
        lapsed
    }

    fn plan(&self, gen: u64) -> Option<Plan> {
        let mut core = self.lock();
        if core.generation != gen {
            return None;
        }
        let renewable = core.source.as_ref().map(|s| s.can_renew()).unwrap_or(false);
        if core.force_refresh && renewable {
            core.force_refresh = false;
            return Some(Plan::RenewNow);
        }
        let Some(cur) = core.current.as_ref() else { return Some(Plan::WaitForKick) };
        let now = self.clock.monotonic();
        Some(match self.remaining(cur) {
            None => Plan::WaitForKick,
            Some(r) if r.is_zero() => {
                if renewable {
                    Plan::RenewNow
                } else {
                    Plan::ExpireNow
                }
            }
            Some(r) if renewable && r <= cur.lead => Plan::RenewNow,
            Some(r) if renewable => Plan::WaitUntil(now + (r - cur.lead)),
            Some(r) => Plan::WaitUntil(now + r),
        })
    }

    /// The monotonic instant the held token lapses, if it is still valid.
    fn lapse_deadline(&self, gen: u64) -> Option<Instant> {
        let core = self.lock();
        if core.generation != gen || core.state == SessionState::Expired {
            return None;
        }
        let cur = core.current.as_ref()?;
        let r = self.remaining(cur)?;
        Some(self.clock.monotonic() + r)
    }

    /// Fetch until success (→ active), terminal failure (→ failed), or, when starting,
    /// the attempts run out (→ failed). Returns whether the driver should go on.
    async fn fetch_cycle(&self, gen: u64, source: &Arc<dyn TokenSource>, phase: Phase, kick: &mut watch::Receiver<u64>) -> bool {
        let mut attempt: u32 = 0;
        loop {
            if !self.is_current(gen) {
                return false;
            }
            attempt += 1;
            let result = source.fetch(&FetchContext { http: &self.http }).await;
            let e = match result {
                Ok(tok) => return self.activate(gen, source.as_ref(), tok),
                Err(e) => e,
            };
            // A garbled body while a valid token is still held is more likely a proxy or
            // backend hiccup than a permanent fault: renewal retries it (with backoff) and
            // keeps serving the token; at start it fails at once.
            let retry = e.is_transient() || (matches!(phase, Phase::Renew) && e.kind() == ErrorKind::MalformedResponse);
            if !retry {
                self.fail(gen, e);
                return false;
            }
            if matches!(phase, Phase::Start) && attempt >= self.config.retry.start_attempts.max(1) {
                log::warn!(target: "videokit", "giving up after {attempt} attempts");
                self.fail(gen, e);
                return false;
            }
            let delay = match e.retry_after() {
                Some(ra) => ra.min(self.config.retry.max_retry_after),
                None => {
                    let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                    self.config.retry.delay(attempt, &mut rng)
                }
            };
            let honour_retry_after = e.retry_after().is_some();
            log::warn!(target: "videokit", "attempt {attempt} failed ({e}); retrying in {} ms", delay.as_millis());
            {
                let mut core = self.lock();
                if core.generation != gen {
                    return false;
                }
                core.last_error = Some(e.clone());
            }
            if matches!(phase, Phase::Renew) {
                if self.expire_if_lapsed(gen, Some(&e)) {
                    // No valid token: callers waiting in token() get this attempt's error.
                    self.publish(true, Err(e.clone()));
                } else {
                    self.publish(false, Err(e.clone()));
                }
            }
            kick.borrow_and_update();
            let wake_at = self.clock.monotonic() + delay;
            loop {
                let lapse = self.lapse_deadline(gen);
                tokio::select! {
                    _ = tokio::time::sleep_until(wake_at) => break,
                    _ = sleep_until_opt(lapse), if lapse.is_some() => {
                        self.expire_if_lapsed(gen, Some(&e));
                    }
                    changed = kick.changed() => {
                        if changed.is_err() {
                            return false;
                        }
                        let expired = self.lock().state == SessionState::Expired;
                        if expired && !honour_retry_after {
                            break; // someone needs a token now: try at once
                        }
                    }
                }
            }
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// The driver of one started session (one generation).
async fn drive(inner: Arc<Inner>, gen: u64, source: Arc<dyn TokenSource>) {
    let mut kick = inner.kick.subscribe();
    if !inner.try_resume(gen, source.as_ref()) && !inner.fetch_cycle(gen, &source, Phase::Start, &mut kick).await {
        return;
    }
    loop {
        kick.borrow_and_update();
        let Some(plan) = inner.plan(gen) else { return };
        match plan {
            Plan::RenewNow => {
                {
                    let mut core = inner.lock();
                    if core.generation != gen {
                        return;
                    }
                    if core.state == SessionState::Active {
                        inner.transition(&mut core, SessionState::Refreshing, None);
                    }
                }
                if !inner.fetch_cycle(gen, &source, Phase::Renew, &mut kick).await {
                    return;
                }
            }
            Plan::ExpireNow => {
                inner.expire_if_lapsed(gen, None);
                let e = Error::new(ErrorKind::Expired, "the session token has expired and cannot be renewed; start again with a new token");
                inner.publish(true, Err(e));
                return;
            }
            Plan::WaitUntil(at) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    changed = kick.changed() => if changed.is_err() { return },
                }
            }
            Plan::WaitForKick => {
                if kick.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}
