//! The public API of a session: start, token, refresh, stop, observe. Every call returns at
//! once or awaits an outcome the driver publishes; none blocks the caller's thread.

use super::dispatch::{dispatch, Event};
use super::driver::drive;
use super::persist::{ClearWait, StoreLane};
use super::state::{cannot_renew, Core, Inner, Outcome};
use super::types::{default_transport, EngineSnapshot, SessionData, SessionDeps, SessionObserver, SessionState, StateChange, TokenLease};
use super::Session;
use crate::clock::ServerTime;
use crate::config::SessionConfig;
use crate::error::{Error, Result};
use crate::http::{Http, Transport};
use crate::secret::Secret;
use crate::source::TokenSource;
use crate::store::NamedStore;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch};

impl Session {
    /// A session with the real clock, the reqwest transport and an in-memory store, whose
    /// tasks run on `runtime`.
    pub fn new(config: SessionConfig, runtime: tokio::runtime::Handle) -> Result<Session> {
        Self::with_deps(config, SessionDeps::default(), runtime)
    }

    /// A session with injected dependencies. `invalid_argument` for a configuration that
    /// breaks a rule ([`SessionConfig::validate`]).
    pub fn with_deps(config: SessionConfig, deps: SessionDeps, runtime: tokio::runtime::Handle) -> Result<Session> {
        config.validate()?;
        let transport: Arc<dyn Transport> = match deps.transport {
            Some(t) => t,
            None => default_transport(&config.http)?,
        };
        let http = Http::new(transport, Arc::new(ServerTime::new()), deps.clock.clone(), config.http.clone());
        let (events, rx) = mpsc::unbounded_channel();
        let (outcomes, _) = watch::channel(Outcome::default());
        let (kick, _) = watch::channel(0u64);
        let rng = deps.jitter_seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        let store: Arc<dyn crate::store::SessionStore> = match &config.name {
            Some(name) => Arc::new(NamedStore::new(deps.store, name)),
            None => deps.store,
        };
        let store = StoreLane::new(store, config.name.as_deref(), &runtime, deps.store_queue);
        let inner = Arc::new(Inner {
            config,
            clock: deps.clock,
            http,
            store,
            runtime: runtime.clone(),
            core: Mutex::new(Core::new()),
            events,
            outcomes,
            kick,
            rng: Mutex::new(rng),
            hook: deps.hook,
        });
        runtime.spawn(dispatch(rx));
        Ok(Session { inner })
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
            drop(inner.stop_locked(&mut core)); // start() returns at once: the clear is not waited for
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
        self.inner.snapshot_locked(&core, None, self.inner.now())
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
                    let now = inner.now();
                    if let Some(cur) = &core.current {
                        match cur.remaining(now) {
                            None => return Ok((cur.data.clone(), core.seq, inner.reuse_for(&core, now))),
                            Some(r) if !r.is_zero() => {
                                if core.state == SessionState::Active && r <= cur.lead {
                                    inner.kick();
                                }
                                return Ok((cur.data.clone(), core.seq, inner.reuse_for(&core, now)));
                            }
                            Some(_) => {}
                        }
                    }
                    if !core.renewable() {
                        return Err(cannot_renew());
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
        let reuse_for = if served { inner.reuse_for(&core, inner.now()) } else { Duration::ZERO };
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
            if !core.renewable() {
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
        // The lock is released before the wait (see `ClearWait`).
        self.stop_without_waiting().wait();
    }

    /// [`stop`](Self::stop), without the wait for the stored session's clear: the caller
    /// waits with [`ClearWait::wait`] once it holds no lock of its own that the SDK's threads
    /// take (the FFI's session object), or drops it not to wait (the clear stays queued, and
    /// until it is done no session of the process resumes the record).
    pub fn stop_without_waiting(&self) -> ClearWait {
        self.inner.stop_locked(&mut self.inner.lock())
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
        core.current.as_ref()?.renewal_due_in(core.renewable(), self.inner.now())
    }

    /// Add an observer. It first receives the current state (from == to), then every
    /// transition in order. Returns an id for [`unsubscribe`](Self::unsubscribe).
    pub fn subscribe(&self, observer: Arc<dyn SessionObserver>) -> u64 {
        let mut core = self.inner.lock();
        let id = core.next_subscriber;
        core.next_subscriber += 1;
        let initial =
            StateChange { seq: core.seq, from: core.state, to: core.state, at: self.inner.clock.wall(), error: core.last_error.clone() };
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
    let got = rx.wait_for(|o| o.first_after(seq0, settled_only).is_some()).await;
    match got {
        Ok(o) => o.first_after(seq0, settled_only).cloned().unwrap_or_else(|| Err(Error::cancelled())),
        Err(_) => Err(Error::cancelled()),
    }
}
