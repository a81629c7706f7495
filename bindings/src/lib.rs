//! # videokit-ffi
//!
//! The UniFFI surface of VideoKit, designed for the handwritten Swift and Kotlin layers
//! (`VKSession`), not a dump of the Rust API. It owns no logic: every call is a thin
//! translation onto `videokit-core`.
//!
//! ## Runtime
//! The SDK owns one small tokio runtime for the whole process: **one worker thread**
//! ("videokit-worker") plus a blocking pool capped at **two threads** that exist only while
//! used (DNS lookups) and exit after 10 s idle. A session makes a handful of requests an
//! hour; one worker is plenty, and every extra thread costs memory in someone else's app.
//! Async exports hand their work to this runtime and await a join handle, so they can be
//! polled by any executor (Swift concurrency, Kotlin coroutines) without a tokio context.
//!
//! ## Panics
//! The shipped library is built with `panic = "unwind"`: UniFFI catches a panic at the FFI
//! boundary and turns it into an error on the platform side (`InternalException` /
//! `rustPanic`) instead of killing the app, and the engine's observer delivery catches
//! panics too. `abort` would save a little size (measured in BENCHMARKS.md) at the price of
//! turning any bug into a crash of the host app. Code in `videokit-core` is written so that
//! nothing from outside (network, app, storage) can panic: typed errors everywhere.
//!
//! ## Threads of callbacks
//! Listener, logger and store callbacks arrive on SDK threads; the platform layers hop to
//! the main thread (or the app's executor) before touching UI.

uniffi::setup_scaffolding!("videokit");

mod http;
mod logging;
mod session;
mod store;
mod types;
mod vendors;

pub use http::*;
pub use logging::*;
pub use session::*;
pub use store::*;
pub use types::*;
pub use vendors::*;

use once_cell::sync::Lazy;
use std::sync::Arc;
use std::time::Duration;
use videokit_core::sources::generic::{ProvidedToken, TokenProvider};
use videokit_core::Secret;

/// A current-thread runtime driven by one dedicated thread ("videokit-worker"): the same one
/// worker as a 1-thread multi-thread runtime, without compiling in the work-stealing
/// scheduler (smaller library). Blocking work (DNS, and the calls into an app's session store,
/// one at a time per session) runs on short-lived threads ("videokit-blocking"), made when
/// needed and gone after 10 s idle: up to 32, so that sessions whose stores are slow, or hang
/// for good, do not hold up the others (a hung store keeps one thread).
static RUNTIME: Lazy<Result<tokio::runtime::Handle, String>> = Lazy::new(|| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(32)
        .thread_keep_alive(Duration::from_secs(10))
        .thread_name("videokit-blocking")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let handle = rt.handle().clone();
    std::thread::Builder::new()
        .name("videokit-worker".into())
        .spawn(move || rt.block_on(std::future::pending::<()>()))
        .map_err(|e| e.to_string())?;
    Ok(handle)
});

pub(crate) fn runtime() -> Result<&'static tokio::runtime::Handle, VkError> {
    RUNTIME.as_ref().map_err(|e| VkError::internal(format!("could not start the SDK runtime: {e}")))
}

/// Library version, for logs and support requests.
#[uniffi::export]
pub fn videokit_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The largest stored session record the core reads. The platform layers' store adapters
/// pass at most one byte more across the FFI: an oversized record (a corrupt or planted one)
/// then costs a bounded copy before the core refuses and clears it.
#[uniffi::export]
pub fn max_stored_record_bytes() -> u32 {
    // 64 KiB: fits in a u32.
    videokit_core::store::MAX_RECORD_BYTES as u32
}

/// An app-supplied token provider: the app's own code fetches a token (from its backend,
/// its auth SDK…). Throw `VkError` with kind `unauthorized` or `rejected` to stop the
/// session; any other error, or an unexpected exception, counts as a transient failure
/// and is retried with backoff.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait VkTokenProvider: Send + Sync {
    async fn fetch_token(&self, identity: Option<String>) -> Result<VkProvidedToken, VkError>;
}

/// Receives every state transition, in order, exactly once. Called on an SDK thread.
#[uniffi::export(with_foreign)]
pub trait VkStateListener: Send + Sync {
    fn on_state_change(&self, change: VkStateChange) -> Result<(), VkError>;
}

/// The app's provider, with a deadline: the request timeout, as for a request the SDK makes
/// itself (a provider that never answered held its start, or its renewal, for ever). Past
/// it the attempt is a `timeout`, retried like one; the provider's call is dropped (a
/// Kotlin coroutine is cancelled, a Swift task too).
pub(crate) struct ProviderAdapter {
    pub(crate) provider: Arc<dyn VkTokenProvider>,
    pub(crate) deadline: Duration,
}

#[async_trait::async_trait]
impl TokenProvider for ProviderAdapter {
    async fn fetch_token(&self, identity: Option<String>) -> videokit_core::Result<ProvidedToken> {
        match tokio::time::timeout(self.deadline, self.provider.fetch_token(identity)).await {
            Ok(Ok(t)) => Ok(ProvidedToken { token: Secret::new(t.token), expires_at: t.expires_at }),
            Ok(Err(e)) => Err(e.into_core()),
            Err(_) => Err(videokit_core::Error::new(
                videokit_core::ErrorKind::Timeout,
                format!("the token provider did not answer within {} ms", self.deadline.as_millis()),
            )),
        }
    }
}
