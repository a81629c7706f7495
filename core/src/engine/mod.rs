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
//!
//! The parts, one job each:
//! - [`types`]: the public types (states, session data, observers, hooks, dependencies);
//! - `api`: the methods of [`Session`];
//! - `state`: the locked state and the transitions, with the generation check and the
//!   renewability rule in one place each;
//! - `timing`: pure functions of the held token and one reading of the clocks;
//! - `driver`: the task that fetches, retries and renews;
//! - `persist`: resuming and saving through the [`SessionStore`](crate::store::SessionStore),
//!   whose calls take a per-session lane off the runtime's threads when the store may block;
//! - `dispatch`: the observer task.

mod api;
mod dispatch;
mod driver;
mod persist;
mod state;
mod timing;
pub mod types;

pub use persist::{ClearWait, StoreQueue};
pub use types::{
    EngineSnapshot, SessionData, SessionDeps, SessionObserver, SessionState, StateChange, TokenLease, TransitionHook,
    FIXED_TOKEN_REUSE_MARGIN,
};

use std::fmt;
use std::sync::Arc;

/// A session. Create one per app (the platform layers keep it as `VKSession.current`).
/// Dropping it stops its timers.
pub struct Session {
    inner: Arc<state::Inner>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("state", &self.state()).finish()
    }
}
