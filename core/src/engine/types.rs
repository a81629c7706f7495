//! The engine's public types: the states, what a session knows, what observers and hooks
//! receive, and the injectable dependencies.

use super::persist::StoreQueue;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::http::Transport;
use crate::secret::Secret;
use crate::source::{SourceKind, TokenDetails};
use crate::store::{MemoryStore, SessionStore};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

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

crate::wire_names::display_as_str!(SessionState);

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
            .field("expires_at", &self.expires_at.map(crate::clock::format_rfc3339))
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
/// Also sees each error a failed, retried attempt records without a transition (`change` is
/// `None` then), so a snapshot's `last_error` is current while a start or renewal retries.
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
pub(super) fn default_transport(config: &crate::http::HttpConfig) -> Result<Arc<dyn Transport>> {
    Ok(Arc::new(crate::http::ReqwestTransport::new(config)?))
}

#[cfg(not(feature = "reqwest-transport"))]
pub(super) fn default_transport(_config: &crate::http::HttpConfig) -> Result<Arc<dyn Transport>> {
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
    /// The queue the store's calls take. Engines that follow one another in one session
    /// object (a `configure`) share one, so the store is still called one call at a time and
    /// a store known to hang is not waited for again. `None`: a queue of its own.
    pub store_queue: Option<StoreQueue>,
}

impl Default for SessionDeps {
    fn default() -> Self {
        SessionDeps {
            clock: Arc::new(SystemClock),
            transport: None,
            store: Arc::new(MemoryStore::new()),
            jitter_seed: None,
            hook: None,
            store_queue: None,
        }
    }
}
