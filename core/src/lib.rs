//! # videokit-core
//!
//! The session engine of the VideoKit SDK: one state machine ([`Session`]) that gets a token
//! from a pluggable [`TokenSource`] and keeps it valid: renewal before expiry judged on server
//! time, single-flight fetches, retries with backoff and full jitter, typed errors, and
//! secrets that never reach logs. Pure Rust; the FFI lives in `videokit-ffi`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use videokit_core::{Session, SessionConfig, Secret, sources::videokit::BackendSource};
//! # async fn demo() -> Result<(), videokit_core::Error> {
//! let session = Session::new(SessionConfig::default(), tokio::runtime::Handle::current())?;
//! let source = BackendSource::new("https://api.example.com/token/{identity}", "alice", vec![], false)?;
//! let data = session.start(Arc::new(source)).await?;
//! println!("signed in as {:?} until {:?}", data.identity, data.expires_at);
//! let token: Secret = session.token().await?; // always valid, renewed in the background
//! session.stop();
//! # Ok(()) }
//! ```

pub mod clock;
pub mod config;
pub mod engine;
pub mod error;
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub mod fuzz_targets;
pub mod http;
pub mod inspect;
pub mod jwt;
pub mod kaltura_protocol;
pub mod secret;
pub mod source;
pub mod sources;
pub mod store;
pub mod videosdk_claims;
mod wire_names;

#[cfg(feature = "test-support")]
pub use clock::FakeClock;
pub use clock::{Clock, SystemClock};
pub use config::{Jitter, RenewalPolicy, RetryPolicy, SessionConfig};
pub use engine::{
    ClearWait, EngineSnapshot, Session, SessionData, SessionDeps, SessionObserver, SessionState, StateChange, StoreQueue, TokenLease,
    TransitionHook, FIXED_TOKEN_REUSE_MARGIN,
};
pub use error::{Error, ErrorKind, Result};
pub use http::HttpConfig;
pub use secret::Secret;
pub use source::{FetchedToken, SourceKind, TokenDetails, TokenSource, MAX_SCOPES_BYTES, MAX_TOKEN_BYTES};
pub use store::{FileStore, MemoryStore, SessionStore};
