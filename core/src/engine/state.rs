//! The engine's shared state ([`Inner`], its locked [`Core`]) and the transitions every other
//! part goes through: the generation check, the renewability rule, publishing an outcome,
//! and the moves to `active`, `failed`, `expired` and `stopped`.

use super::dispatch::Event;
use super::persist::{ClearWait, StoreLane};
use super::timing::{self, Current, Now};
use super::types::{EngineSnapshot, SessionData, SessionState, StateChange, TransitionHook};
use crate::clock::Clock;
use crate::config::SessionConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::http::Http;
use crate::source::{FetchedToken, SourceKind, TokenSource};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

/// What `start()`, `token()` and `refresh()` wait for, published by the driver.
#[derive(Clone, Default)]
pub(super) struct Outcome {
    /// The number of the newest outcome published (0: none yet).
    pub seq: u64,
    /// The newest outcomes, oldest first: `(number, settled, result)`. Settled: success,
    /// terminal failure, start giving up, or a failed attempt while no valid token exists
    /// (what `start()` waits for; `token()` and `refresh()` take any). A waiter takes the
    /// first one after the number it began at, not the newest: a start that succeeded and was
    /// stopped at once succeeded for its caller, though the `cancelled` came before it looked.
    pub recent: std::collections::VecDeque<(u64, bool, Result<SessionData>)>,
}

/// How many outcomes [`Outcome::recent`] keeps: a waiter that looks only after more than this
/// many were published gets the oldest one kept that it would take.
pub(super) const RECENT_OUTCOMES: usize = 32;

impl Outcome {
    /// The first outcome after `seq0` that a waiter takes (`settled_only`: a start's).
    pub fn first_after(&self, seq0: u64, settled_only: bool) -> Option<&Result<SessionData>> {
        self.recent.iter().find(|(n, settled, _)| *n > seq0 && (*settled || !settled_only)).map(|(_, _, r)| r)
    }
}

/// What the engine's lock guards.
pub(super) struct Core {
    pub state: SessionState,
    /// Bumped by every `start` and `stop`: a driver whose generation is no longer current
    /// must not touch the state (see [`Inner::lock_gen`]).
    pub generation: u64,
    pub seq: u64,
    pub source: Option<Arc<dyn TokenSource>>,
    pub current: Option<Current>,
    pub last_error: Option<Error>,
    pub driver: Option<AbortHandle>,
    pub force_refresh: bool,
    pub next_subscriber: u64,
}

impl Core {
    pub fn new() -> Core {
        Core {
            state: SessionState::Idle,
            generation: 0,
            seq: 0,
            source: None,
            current: None,
            last_error: None,
            driver: None,
            force_refresh: false,
            next_subscriber: 1,
        }
    }

    /// Whether asking the source again can give a new token: the one renewability rule.
    pub fn renewable(&self) -> bool {
        self.source.as_ref().is_some_and(|s| s.info().renewable)
    }
}

pub(super) struct Inner {
    pub config: SessionConfig,
    pub clock: Arc<dyn Clock>,
    pub http: Http,
    pub store: StoreLane,
    pub runtime: tokio::runtime::Handle,
    pub core: Mutex<Core>,
    pub events: mpsc::UnboundedSender<Event>,
    pub outcomes: watch::Sender<Outcome>,
    pub kick: watch::Sender<u64>,
    pub rng: Mutex<fastrand::Rng>,
    pub hook: Option<Arc<dyn TransitionHook>>,
}

/// The error of a token that lapsed and whose source cannot renew it.
pub(super) fn cannot_renew() -> Error {
    Error::new(ErrorKind::Expired, "the session token has expired and cannot be renewed; start again with a new token")
}

impl Inner {
    pub fn lock(&self) -> MutexGuard<'_, Core> {
        // A poisoned lock means a panic elsewhere while holding it; the state is still a
        // valid value (every write is a single assignment), so carry on.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The lock, if generation `gen` is still the current one: the one generation check.
    pub fn lock_gen(&self, gen: u64) -> Option<MutexGuard<'_, Core>> {
        let core = self.lock();
        (core.generation == gen).then_some(core)
    }

    /// One reading of the clocks.
    pub fn now(&self) -> Now {
        Now { mono: self.clock.monotonic(), server: self.http.server_now() }
    }

    pub fn kick(&self) {
        self.kick.send_modify(|k| *k = k.wrapping_add(1));
    }

    pub fn publish(&self, settled: bool, result: Result<SessionData>) {
        self.outcomes.send_modify(|o| {
            o.seq += 1;
            o.recent.push_back((o.seq, settled, result));
            if o.recent.len() > RECENT_OUTCOMES {
                o.recent.pop_front();
            }
        });
    }

    pub fn transition(&self, core: &mut Core, to: SessionState, error: Option<Error>) {
        if core.state == to {
            return;
        }
        core.seq += 1;
        let change = StateChange { seq: core.seq, from: core.state, to, at: self.clock.wall(), error };
        log::debug!(target: "videokit", "session {} -> {}", change.from, change.to);
        core.state = to;
        if let Some(hook) = &self.hook {
            hook.on_transition(self.snapshot_locked(core, Some(change.clone()), self.now()));
        }
        let _ = self.events.send(Event::Change(change));
    }

    /// Records the error of a failed attempt that is retried (no transition): the hook sees
    /// it too, so a platform's `lastError` shows why a start or renewal is taking long.
    pub fn note_error(&self, core: &mut Core, e: Error) {
        core.last_error = Some(e);
        if let Some(hook) = &self.hook {
            hook.on_transition(self.snapshot_locked(core, None, self.now()));
        }
    }

    pub fn snapshot_locked(&self, core: &Core, change: Option<StateChange>, now: Now) -> EngineSnapshot {
        EngineSnapshot {
            seq: core.seq,
            state: core.state,
            data: core.current.as_ref().map(|c| c.data.clone()),
            last_error: core.last_error.clone(),
            reuse_for: self.reuse_for(core, now),
            change,
        }
    }

    pub fn reuse_for(&self, core: &Core, now: Now) -> Duration {
        timing::reuse_for(core.state, core.force_refresh, core.current.as_ref(), core.renewable(), now)
    }

    /// Stops the session and queues the clear of its stored record (behind any save still
    /// queued, which must not bring the record back). Returns the clear, for `stop()` to wait
    /// for once the lock is released (never under it: see [`ClearWait`]); a start that
    /// replaces a running session drops it (the pending clear keeps the record from being
    /// resumed).
    #[must_use = "wait for the clear once the lock is released, or drop it to not wait"]
    pub fn stop_locked(&self, core: &mut Core) -> ClearWait {
        core.generation += 1;
        if let Some(d) = core.driver.take() {
            d.abort();
        }
        core.current = None;
        core.force_refresh = false;
        let clear = core.source.take().map_or_else(ClearWait::none, |src| self.store.clear_queued(src.info().store_key.clone()));
        if core.state != SessionState::Stopped {
            self.transition(core, SessionState::Stopped, None);
            log::info!(target: "videokit", "session stopped");
        }
        self.publish(true, Err(Error::cancelled()));
        clear
    }

    /// A new token from the source: `active`. Returns whether the driver goes on, or the
    /// error of a token that arrived already expired, for the driver to judge as a failed
    /// attempt (the end of a start; at renewal, retried while the held token is served).
    pub async fn activate(&self, gen: u64, source: &dyn TokenSource, tok: FetchedToken) -> Result<bool> {
        let now = self.now();
        let cur = Current::new(tok, source.info().kind, false, &self.config.renewal, now);
        if cur.lapsed(now) {
            // Said of whoever made the token: the app's own provider is not "the backend".
            let msg = match source.info().kind {
                SourceKind::Custom => {
                    "the token provider returned a token that is already expired (check the expiry it gives, the token's own exp and the device's clock)"
                }
                _ => "the backend issued a token that is already expired (check the backend's clock and token lifetime)",
            };
            return Err(Error::new(ErrorKind::Expired, msg));
        }
        let data = cur.data.clone();
        // Persist before publishing: once callers see the new token, a stop() they make must
        // find (and clear) the record, never have it written after the clear.
        self.save(source, &data).await;
        {
            let Some(mut core) = self.lock_gen(gen) else {
                // Stopped or restarted while we were saving: undo the write.
                self.store.clear_later(source.info().store_key.clone());
                return Ok(false);
            };
            core.current = Some(cur.clone());
            core.last_error = None;
            self.transition(&mut core, SessionState::Active, None);
            self.publish(true, Ok(data.clone()));
        }
        match cur.remaining(now) {
            Some(r) => {
                log::info!(target: "videokit", "session active; token {} expires in {} s, renewal in {} s", data.token.fingerprint(), r.as_secs(), r.saturating_sub(cur.lead).as_secs())
            }
            None => {
                log::info!(target: "videokit", "session active; token {} has no known expiry, so no renewal is scheduled", data.token.fingerprint())
            }
        }
        Ok(true)
    }

    pub async fn fail(&self, gen: u64, e: Error) {
        // A failed session is not resumed: its record is cleared first, on the store lane, so
        // that a start made once `failed` is seen loads after the clear.
        let Some(key) = self.lock_gen(gen).map(|core| core.source.as_ref().map(|s| s.info().store_key.clone())) else { return };
        if let Some(key) = key {
            self.store.clear(key).await;
        }
        let Some(mut core) = self.lock_gen(gen) else { return };
        log::warn!(target: "videokit", "session failed: {e}");
        core.current = None;
        core.last_error = Some(e.clone());
        self.transition(&mut core, SessionState::Failed, Some(e.clone()));
        self.publish(true, Err(e));
    }

    /// The token lapsed without renewal: `expired`. Returns whether it has lapsed.
    pub fn expire_if_lapsed(&self, gen: u64, cause: Option<&Error>) -> bool {
        let Some(mut core) = self.lock_gen(gen) else { return false };
        let lapsed = core.current.as_ref().is_none_or(|cur| cur.lapsed(self.now()));
        if lapsed && core.state != SessionState::Expired {
            let e = cause.cloned().unwrap_or_else(|| Error::new(ErrorKind::Expired, "the session token expired"));
            log::warn!(target: "videokit", "session expired before it could be renewed");
            core.last_error = Some(e.clone());
            self.transition(&mut core, SessionState::Expired, Some(e));
        }
        lapsed
    }
}
