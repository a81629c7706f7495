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
mod store;
mod types;
mod vendors;

pub use http::*;
pub use logging::*;
pub use store::*;
pub use types::*;
pub use vendors::*;

use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use videokit_core::sources::kaltura::KalturaSource;
use videokit_core::sources::videosdk::VideoSdkSource;
use videokit_core::sources::videokit::{ApiTokenSource, BackendSource, CustomSource, FixedTokenSource, ProvidedToken, TokenProvider};
use videokit_core::{Secret, Session, SessionConfig, SessionDeps, SessionObserver, StateChange, TokenSource};

/// A current-thread runtime driven by one dedicated thread ("videokit-worker"): the same one
/// worker as a 1-thread multi-thread runtime, without compiling in the work-stealing
/// scheduler (smaller library). Blocking work (DNS) uses at most 2 short-lived threads.
static RUNTIME: Lazy<Result<tokio::runtime::Handle, String>> = Lazy::new(|| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(2)
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

fn runtime() -> Result<&'static tokio::runtime::Handle, VkError> {
    RUNTIME.as_ref().map_err(|e| VkError::internal(format!("could not start the SDK runtime: {e}")))
}

/// Run `fut` on the SDK runtime and await it from whatever executor polls us.
async fn on_runtime<T, F>(fut: F) -> Result<T, VkError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, videokit_core::Error>> + Send + 'static,
{
    let rt = runtime()?;
    match rt.spawn(fut).await {
        Ok(r) => r.map_err(VkError::from),
        Err(e) if e.is_cancelled() => Err(VkError::from(videokit_core::Error::cancelled())),
        Err(_) => Err(VkError::internal("an SDK task failed unexpectedly")),
    }
}

/// Library version, for logs and support requests.
#[uniffi::export]
pub fn videokit_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The default configuration (the same values the record's defaults give).
#[uniffi::export]
pub fn default_config() -> VkConfig {
    VkConfig::default()
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

struct ProviderAdapter(Arc<dyn VkTokenProvider>);

#[async_trait::async_trait]
impl TokenProvider for ProviderAdapter {
    async fn fetch_token(&self, identity: Option<String>) -> videokit_core::Result<ProvidedToken> {
        match self.0.fetch_token(identity).await {
            Ok(t) => Ok(ProvidedToken { token: Secret::new(t.token), expires_at: t.expires_at }),
            Err(e) => Err(e.into_core()),
        }
    }
}

struct ListenerAdapter(Arc<dyn VkStateListener>);

impl SessionObserver for ListenerAdapter {
    fn on_state_change(&self, change: &StateChange) {
        if let Err(e) = self.0.on_state_change(VkStateChange::from(change)) {
            log::warn!(target: "videokit", "a state listener threw: {e}");
        }
    }
}

/// One session: the object behind `VKSession.current` on both platforms.
#[derive(uniffi::Object)]
pub struct VkSessionCore {
    session: Arc<Session>,
    allow_insecure_http: bool,
    gateway_url: String,
}

impl VkSessionCore {
    async fn start_source(&self, source: videokit_core::Result<Arc<dyn TokenSource>>) -> Result<VkSessionData, VkError> {
        let source = source.map_err(VkError::from)?;
        runtime()?;
        // The engine's start (stop the running session, go `starting`) happens right here, in
        // the first poll, not later on the SDK runtime: the platform layers poll once before
        // `start` returns, so a `stop()` or `token()` made just after `start()` sees the new
        // session instead of racing it (a `start(); stop()` could leave it running).
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.session.start_with_callback(source, move |r| {
            let _ = tx.send(r);
        });
        match rx.await {
            Ok(r) => r.map(|d| VkSessionData::from(&d)).map_err(VkError::from),
            Err(_) => Err(VkError::from(videokit_core::Error::cancelled())),
        }
    }
}

#[uniffi::export]
impl VkSessionCore {
    /// A session with `config`, `store` for persistence (in memory when `None`), and
    /// `http_client`, the platform's HTTP stack the SDK sends its requests through. `None`
    /// uses the built-in Rust client, which only builds with feature `rust-transport` (the
    /// shipped mobile library has none: the platform layers always pass theirs).
    #[uniffi::constructor]
    pub fn new(config: VkConfig, store: Option<Arc<dyn VkSessionStore>>, http_client: Option<Arc<dyn VkHttpClient>>) -> Result<Arc<Self>, VkError> {
        let rt = runtime()?;
        let core_config: SessionConfig = config.to_core()?;
        let mut deps = SessionDeps::default();
        if let Some(s) = store {
            deps.store = Arc::new(StoreAdapter(s));
        }
        if let Some(c) = http_client {
            deps.transport = Some(Arc::new(PlatformTransport::new(c, core_config.http.clone())));
        }
        // A built-in reqwest client must be built inside the runtime it will run on.
        let _guard = rt.enter();
        let session = Session::with_deps(core_config, deps, rt.clone()).map_err(VkError::from)?;
        Ok(Arc::new(VkSessionCore { session: Arc::new(session), allow_insecure_http: config.allow_insecure_http, gateway_url: config.gateway_url }))
    }

    /// VideoKit API-token mode (development only): `POST {gateway}/v1/sessions`.
    pub async fn start_api_token(&self, app_token: String, identity: String, scopes: Vec<String>) -> Result<VkSessionData, VkError> {
        let src = ApiTokenSource::new(&self.gateway_url, Secret::new(app_token), &identity, scopes, self.allow_insecure_http).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.start_source(src).await
    }

    /// A session token the app already has (cannot be renewed).
    pub async fn start_session_token(&self, session_token: String) -> Result<VkSessionData, VkError> {
        let src = FixedTokenSource::new(Secret::new(session_token)).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.start_source(src).await
    }

    /// The app's backend: `GET` the URL template with `{identity}` filled in, sending
    /// `headers` (treated as secrets) with every request.
    pub async fn start_token_url(&self, url_template: String, identity: String, headers: HashMap<String, String>) -> Result<VkSessionData, VkError> {
        let headers = headers.into_iter().map(|(k, v)| (k, Secret::new(v))).collect();
        let src = BackendSource::new(&url_template, &identity, headers, self.allow_insecure_http).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.start_source(src).await
    }

    /// The app's own provider.
    pub async fn start_provider(&self, provider: Arc<dyn VkTokenProvider>, identity: Option<String>) -> Result<VkSessionData, VkError> {
        let src = CustomSource::new(Arc::new(ProviderAdapter(provider)), identity).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.start_source(src).await
    }

    /// A Kaltura session (KS) through the appToken flow: widget session → token hash →
    /// `appToken.startSession`; renewed before the KS expires (one request per renewal).
    pub async fn start_kaltura(&self, config: VkKalturaConfig) -> Result<VkSessionData, VkError> {
        let src = KalturaSource::new(config.to_core(), self.allow_insecure_http).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.start_source(src).await
    }

    /// A VideoSDK access token from the app's token server (`GET url[?roomId&participantId]`
    /// → `{"token"}`), checked against VideoSDK's claim rules and renewed before `exp`.
    pub async fn start_videosdk(&self, token_server_url: String, room_id: Option<String>, participant_id: Option<String>) -> Result<VkSessionData, VkError> {
        let src = VideoSdkSource::new(&token_server_url, room_id, participant_id, 0, self.allow_insecure_http).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.start_source(src).await
    }

    /// A valid token, renewed when due; concurrent callers share one request.
    pub async fn token(&self) -> Result<String, VkError> {
        let session = self.session.clone();
        let t = on_runtime(async move { session.token().await }).await?;
        Ok(t.expose().to_string())
    }

    /// Renew now (shares any request in flight).
    pub async fn refresh(&self) -> Result<VkSessionData, VkError> {
        let session = self.session.clone();
        let d = on_runtime(async move { session.refresh().await }).await?;
        Ok(VkSessionData::from(&d))
    }

    /// The current state. Never blocks on I/O.
    pub fn state(&self) -> VkSessionState {
        self.session.state().into()
    }

    /// The current session, if any.
    pub fn session_data(&self) -> Option<VkSessionData> {
        self.session.session_data().as_ref().map(VkSessionData::from)
    }

    /// The error behind the last failure, expiry or retry.
    pub fn last_error(&self) -> Option<VkErrorInfo> {
        self.session.last_error().as_ref().map(VkErrorInfo::from)
    }

    /// Stop: cancel timers and requests, clear the token and the stored session.
    pub fn stop(&self) {
        self.session.stop();
    }

    /// Re-check expiry now; call when the app comes to the foreground.
    pub fn check_now(&self) {
        self.session.check_now();
    }

    /// Add a listener; it gets the current state first, then every transition.
    pub fn add_listener(&self, listener: Arc<dyn VkStateListener>) -> u64 {
        self.session.subscribe(Arc::new(ListenerAdapter(listener)))
    }

    pub fn remove_listener(&self, id: u64) {
        self.session.unsubscribe(id);
    }

    /// The current state and the sequence number of the transition that entered it (0
    /// before any), read together. The platform layers read it right after their own calls
    /// that change the state, so their cached `state` reflects those at once.
    pub fn state_snapshot(&self) -> VkStateSnapshot {
        let (seq, state) = self.session.state_snapshot();
        VkStateSnapshot { seq, state: state.into() }
    }

    /// Like `token()`, plus the state's `seq` when the token was handed out and
    /// `reuse_for_ms`: how long the platform layers may hand out the same token again
    /// without asking (see `VkTokenLease`).
    pub async fn token_lease(&self) -> Result<VkTokenLease, VkError> {
        let session = self.session.clone();
        let lease = on_runtime(async move { session.token_lease().await }).await?;
        Ok(VkTokenLease::from(&lease))
    }
}
