//! The session manager: one `VkSession` per app-visible session (`VKSession.current`, or one
//! an app makes). Everything the platform layers used to do by hand lives here, once:
//!
//! - **Configuration.** `configure` stops the running session (its listeners see `stopped`),
//!   and the next calls use a new engine; an invalid configuration is kept as the error every
//!   `start` fails with (and `last_error` shows) until a valid one comes.
//! - **Start ordering.** Every `start_*` call begins the engine's start before it returns (the
//!   returned call's snapshot says `starting`); a later `stop` or `start` wins, and the earlier
//!   start's waiter gets `cancelled`.
//! - **One ordered stream of changes.** Each engine reports its transitions through a
//!   [`TransitionHook`] under its lock, so transitions of an old and a new engine (across
//!   `configure`) are numbered in the order they happened. One dispatcher task turns each into a
//!   [`VkSnapshot`] (version, state, session, last error, token lease) for the platform's single
//!   [`VkSessionSink`], a [`VkStateChange`] for every state listener, and a [`VkTokenEvent`]
//!   for every token listener when the token is new. Listeners survive `configure`; a new one
//!   first gets the current state.
//! - **Calls that can be abandoned.** `start_*`, `token_call` and `refresh_call` return a
//!   [`VkCall`]: `wait()` for the result, `cancel()` to make that waiter return `cancelled` at
//!   once. Cancelling a start that is still starting also stops it; cancelling a `token` or
//!   `refresh` waiter leaves the shared renewal running for everyone else.
//!
//! The platform layers keep the newest snapshot (the highest `version`) and answer `state`,
//! `sessionData`, `lastError` and a cached `token()` from it without an FFI call.

use crate::types::millis;
use crate::{
    runtime, PlatformTransport, StoreAdapter, VkConfig, VkError, VkErrorInfo, VkHttpClient, VkKalturaConfig, VkSessionData, VkSessionState,
    VkSessionStore, VkStateChange, VkStateListener, VkTokenProvider,
};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, oneshot};
use videokit_core::sources::generic::{CustomSource, FixedTokenSource};
use videokit_core::sources::kaltura::KalturaSource;
use videokit_core::sources::videokit::{ApiTokenSource, BackendSource};
use videokit_core::sources::videosdk::VideoSdkSource;
use videokit_core::{
    EngineSnapshot, Error, Secret, Session, SessionData, SessionDeps, SessionState, StateChange, StoreQueue, TokenSource, TransitionHook,
};

/// Everything the platform layers cache, as of one point in the session's history.
#[derive(Clone, PartialEq, uniffi::Record)]
pub struct VkSnapshot {
    /// Grows by one with every transition of this session object (across `configure`); a
    /// snapshot read on demand carries the version of the last transition before it. Keep the
    /// snapshot with the highest version (equal versions: the later one).
    pub version: u64,
    pub state: VkSessionState,
    /// The current session (also while `expired`), if any.
    pub data: Option<VkSessionData>,
    /// The error behind the last failure, expiry or retry, or the invalid configuration.
    pub last_error: Option<VkErrorInfo>,
    /// How long from when this snapshot reaches the platform the platform may hand out
    /// `data.token` from its cache without asking (0: never): while `active`, until the
    /// renewal is due (a fixed token: a second before its expiry). Count it from a clock
    /// reading taken on receipt, on both a monotonic and the wall clock (a device's monotonic
    /// clock may stop while it sleeps).
    pub lease_ms: u64,
}

impl std::fmt::Debug for VkSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VkSnapshot")
            .field("version", &self.version)
            .field("state", &self.state)
            .field("data", &self.data)
            .field("lease_ms", &self.lease_ms)
            .finish_non_exhaustive()
    }
}

/// A new token (the first of a session, a renewal, or the result of `refresh()`), delivered
/// once to every token listener.
#[derive(Clone, PartialEq, uniffi::Record)]
pub struct VkTokenEvent {
    pub token: String,
    pub expires_at: Option<SystemTime>,
    /// The whole session the token belongs to.
    pub data: VkSessionData,
}

impl std::fmt::Debug for VkTokenEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VkTokenEvent").field("token", &"***").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

/// The platform layer's one receiver of snapshots, called on an SDK thread, in version order.
/// Keep it short: store the snapshot and return.
#[uniffi::export(with_foreign)]
pub trait VkSessionSink: Send + Sync {
    fn on_snapshot(&self, snapshot: VkSnapshot);
}

/// Receives every new token once, in order, on an SDK thread.
#[uniffi::export(with_foreign)]
pub trait VkTokenListener: Send + Sync {
    fn on_token(&self, event: VkTokenEvent);
}

/// One call the app may wait for, or abandon.
#[derive(uniffi::Object)]
pub struct VkCall {
    snapshot: VkSnapshot,
    result: Mutex<Option<oneshot::Receiver<Result<SessionData, Error>>>>,
    cancel_tx: Mutex<Option<oneshot::Sender<()>>>,
    cancel_rx: Mutex<Option<oneshot::Receiver<()>>>,
    on_cancel: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    /// The session object's dispatcher, to wait behind (see [`VkCall::wait`]). Strong: a
    /// session closed while its calls wait (Kotlin's `close()` frees it at once) still
    /// delivers the transitions queued before their results first; the dispatcher ends when
    /// the session and its calls are gone.
    dispatcher: mpsc::UnboundedSender<Msg>,
}

impl VkCall {
    fn new(
        snapshot: VkSnapshot,
        result: oneshot::Receiver<Result<SessionData, Error>>,
        on_cancel: Option<Box<dyn FnOnce() + Send>>,
        dispatcher: &mpsc::UnboundedSender<Msg>,
    ) -> Arc<Self> {
        let (cancel_tx, cancel_rx) = oneshot::channel();
        Arc::new(VkCall {
            snapshot,
            result: Mutex::new(Some(result)),
            cancel_tx: Mutex::new(Some(cancel_tx)),
            cancel_rx: Mutex::new(Some(cancel_rx)),
            on_cancel: Mutex::new(on_cancel),
            dispatcher: dispatcher.clone(),
        })
    }

    fn failed(snapshot: VkSnapshot, error: Error, dispatcher: &mpsc::UnboundedSender<Msg>) -> Arc<Self> {
        let (tx, rx) = oneshot::channel();
        let _ = tx.send(Err(error));
        VkCall::new(snapshot, rx, None, dispatcher)
    }
}

/// Polls the result and the cancel signal together; whichever is ready first wins.
struct Race {
    result: oneshot::Receiver<Result<SessionData, Error>>,
    cancel: Option<oneshot::Receiver<()>>,
}

impl Future for Race {
    /// The call's own result, or `None`: the waiter's `cancel()` ended it.
    type Output = Option<Result<SessionData, Error>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(c) = self.cancel.as_mut() {
            match Pin::new(c).poll(cx) {
                Poll::Ready(Ok(())) => return Poll::Ready(None),
                Poll::Ready(Err(_)) => self.cancel = None, // the call object is gone: never cancelled
                Poll::Pending => {}
            }
        }
        match Pin::new(&mut self.result).poll(cx) {
            Poll::Ready(Ok(r)) => Poll::Ready(Some(r)),
            Poll::Ready(Err(_)) => Poll::Ready(Some(Err(Error::cancelled()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[uniffi::export]
impl VkCall {
    /// The session right after the call began (a start: `starting`).
    pub fn snapshot(&self) -> VkSnapshot {
        self.snapshot.clone()
    }

    /// The result: the session data (`token` is the token). Once per call; `cancel()` makes
    /// it return `cancelled` at once.
    ///
    /// It returns after the sink and the listeners have been given every transition made
    /// before the result (a start's `active`, the `stopped` that cancelled it): a platform
    /// that queues a completion and a listener's event on one thread delivers them in that
    /// order. (A waiter that `cancel()` ended does not wait for that: it just leaves.)
    pub async fn wait(&self) -> Result<VkSessionData, VkError> {
        let result = lock(&self.result).take();
        let cancel = lock(&self.cancel_rx).take();
        let Some(result) = result else { return Err(VkError::internal("wait() was already called on this call")) };
        let r = match (Race { result, cancel }).await {
            None => Err(Error::cancelled()),
            Some(r) => {
                // Transitions are queued to the dispatcher under the engine's lock, as they
                // happen, so every one made before this result is ahead of the barrier.
                let (done_tx, done_rx) = oneshot::channel();
                if self.dispatcher.send(Msg::Barrier(done_tx)).is_ok() {
                    let _ = done_rx.await; // Err: the dispatcher ended
                }
                r
            }
        };
        r.map(|d| VkSessionData::from(&d)).map_err(VkError::from)
    }

    /// The waiter returns `cancelled` at once. A start that is still starting is stopped; a
    /// `token`/`refresh` waiter just leaves (the shared renewal goes on).
    pub fn cancel(&self) {
        if let Some(tx) = lock(&self.cancel_tx).take() {
            let _ = tx.send(());
        }
        if let Some(f) = lock(&self.on_cancel).take() {
            f();
        }
    }
}

enum Msg {
    /// Boxed: a snapshot is far larger than the other messages.
    Transition(Box<EngineSnapshot>, u64, Instant),
    AddListener(u64, Arc<dyn VkStateListener>),
    RemoveListener(u64),
    AddTokenListener(u64, Arc<dyn VkTokenListener>),
    RemoveTokenListener(u64),
    /// Answered when every message ahead of it has been delivered.
    Barrier(oneshot::Sender<()>),
}

/// Numbers each engine's transitions into the session object's one sequence and queues them.
struct Hook {
    version: Arc<AtomicU64>,
    tx: mpsc::UnboundedSender<Msg>,
}

impl TransitionHook for Hook {
    fn on_transition(&self, snapshot: EngineSnapshot) {
        let v = self.version.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = self.tx.send(Msg::Transition(Box::new(snapshot), v, Instant::now()));
    }
}

struct Config {
    config: VkConfig,
    store: Option<Arc<dyn VkSessionStore>>,
    http_client: Option<Arc<dyn VkHttpClient>>,
}

struct State {
    config: Config,
    /// The engine of the current configuration; made on first use.
    engine: Option<Arc<Session>>,
    /// Why the current configuration cannot make an engine.
    config_error: Option<Error>,
    /// Bumped by every start, stop and configure: cancelling a start only stops its own.
    epoch: u64,
    next_listener: u64,
    /// The queue every engine's store calls take, made with the first engine that has a
    /// store: across `configure` the store is still called one call at a time, in order, and
    /// a store known to hang is not waited for again. (The platform layers hand over a new
    /// wrapper at each `configure`, so whether it is the same store cannot be told here: a
    /// different store given by `configure` also takes its turn after the old one's calls.)
    store_queue: Option<StoreQueue>,
}

struct Shared {
    state: Mutex<State>,
    version: Arc<AtomicU64>,
    tx: mpsc::UnboundedSender<Msg>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the data inconsistent (plain field
    // writes): recover the guard instead of propagating the poison.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn vk_snapshot(s: &EngineSnapshot, version: u64, config_error: Option<&Error>, elapsed: Duration) -> VkSnapshot {
    let lease_ms = if s.state == SessionState::Active && s.data.is_some() { millis(s.reuse_for.saturating_sub(elapsed)) } else { 0 };
    VkSnapshot {
        version,
        state: s.state.into(),
        data: s.data.as_ref().map(VkSessionData::from),
        last_error: s.last_error.as_ref().or(config_error).map(VkErrorInfo::from),
        lease_ms,
    }
}

impl Shared {
    /// The engine for the current configuration (made now if needed), or why there is none.
    fn engine(&self, st: &mut State) -> Result<Arc<Session>, Error> {
        if let Some(e) = &st.engine {
            return Ok(e.clone());
        }
        if let Some(e) = &st.config_error {
            return Err(e.clone());
        }
        match self.make_engine(&st.config, &mut st.store_queue) {
            Ok(e) => {
                st.engine = Some(e.clone());
                Ok(e)
            }
            Err(e) => {
                log::error!(target: "videokit", "invalid configuration: {e}");
                st.config_error = Some(e.clone());
                Err(e)
            }
        }
    }

    fn make_engine(&self, c: &Config, store_queue: &mut Option<StoreQueue>) -> Result<Arc<Session>, Error> {
        let rt = runtime().map_err(|e| e.into_core())?;
        let core_config = c.config.to_core().map_err(|e| e.into_core())?;
        let mut deps = SessionDeps::default();
        if let Some(s) = &c.store {
            deps.store = Arc::new(StoreAdapter(s.clone()));
            deps.store_queue = Some(store_queue.get_or_insert_with(|| StoreQueue::new(rt)).clone());
        }
        if let Some(h) = &c.http_client {
            deps.transport = Some(Arc::new(PlatformTransport::new(h.clone(), core_config.http.clone())));
        }
        deps.hook = Some(Arc::new(Hook { version: self.version.clone(), tx: self.tx.clone() }));
        // A built-in reqwest client must be built inside the runtime it will run on.
        let _guard = rt.enter();
        Ok(Arc::new(Session::with_deps(core_config, deps, rt.clone())?))
    }

    /// The session now. The version is read before the state, so it is never newer than the
    /// state it comes with: a snapshot pushed for a later transition always replaces it.
    fn snapshot(&self, st: &State) -> VkSnapshot {
        let version = self.version.load(Ordering::SeqCst);
        match &st.engine {
            Some(e) => vk_snapshot(&e.snapshot(), version, None, Duration::ZERO),
            None => VkSnapshot {
                version,
                state: VkSessionState::Idle,
                data: None,
                last_error: st.config_error.as_ref().map(VkErrorInfo::from),
                lease_ms: 0,
            },
        }
    }

    fn start(self: &Arc<Self>, source: Result<Arc<dyn TokenSource>, Error>) -> Arc<VkCall> {
        let mut st = lock(&self.state);
        st.epoch += 1;
        let engine = match source.and_then(|src| Ok((self.engine(&mut st)?, src))) {
            Ok(x) => x,
            Err(e) => return VkCall::failed(self.snapshot(&st), e, &self.tx),
        };
        let (engine, source) = engine;
        let (tx, rx) = oneshot::channel();
        engine.start_with_callback(source, move |r| {
            let _ = tx.send(r);
        });
        let epoch = st.epoch;
        let weak = Arc::downgrade(self);
        let on_cancel: Box<dyn FnOnce() + Send> = Box::new(move || {
            let Some(shared) = weak.upgrade() else { return };
            let st = lock(&shared.state);
            if st.epoch == epoch {
                if let Some(e) = &st.engine {
                    if e.state() == SessionState::Starting {
                        log::info!(target: "videokit", "the start's waiter was cancelled: stopping the start");
                        // `cancel()` returns at once (it may be on the app's main thread): the
                        // clear of the stored session stays queued and is not waited for.
                        drop(e.stop_without_waiting());
                    }
                }
            }
        });
        VkCall::new(self.snapshot(&st), rx, Some(on_cancel), &self.tx)
    }

    /// `op` on the SDK runtime against the current engine, as a call.
    fn call<F, Fut>(&self, op: F) -> Arc<VkCall>
    where
        F: FnOnce(Arc<Session>) -> Fut,
        Fut: Future<Output = Result<SessionData, Error>> + Send + 'static,
    {
        let mut st = lock(&self.state);
        let engine = match self.engine(&mut st) {
            Ok(e) => e,
            Err(e) => return VkCall::failed(self.snapshot(&st), e, &self.tx),
        };
        let rt = match runtime() {
            Ok(rt) => rt,
            Err(e) => return VkCall::failed(self.snapshot(&st), e.into_core(), &self.tx),
        };
        let (tx, rx) = oneshot::channel();
        let mut fut = Box::pin(op(engine));
        // Polled once here, so that the call's checks (is the session started? is there a
        // token to hand out?) and its place in the line of waiters are taken now, when the app
        // makes the call, not when the runtime first gets to it: a `stop()` made right after a
        // `token()` ended it `not_started` instead of `cancelled` (outside test). The runtime's
        // task polls it again with its own waker, which replaces this one.
        let _enter = rt.enter();
        let waker = std::task::Waker::from(Arc::new(NoWake));
        match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(r) => {
                let _ = tx.send(r);
            }
            Poll::Pending => {
                rt.spawn(async move {
                    let _ = tx.send(fut.await);
                });
            }
        }
        VkCall::new(self.snapshot(&st), rx, None, &self.tx)
    }
}

/// A waker for a first poll made before a task exists to wake.
struct NoWake;

impl std::task::Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// Delivers transitions, in order, to the sink and the listeners; keeps the latest snapshot
/// for a new listener's first event.
async fn dispatch(mut rx: mpsc::UnboundedReceiver<Msg>, sink: Option<Arc<dyn VkSessionSink>>, first: VkSnapshot) {
    let mut last = first;
    let mut listeners: BTreeMap<u64, Arc<dyn VkStateListener>> = BTreeMap::new();
    let mut token_listeners: BTreeMap<u64, Arc<dyn VkTokenListener>> = BTreeMap::new();
    let mut last_token: Option<String> = None;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Transition(snap, version, at) => {
                let vs = vk_snapshot(&snap, version, None, at.elapsed());
                if let Some(s) = &sink {
                    s.on_snapshot(vs.clone());
                }
                if let Some(change) = &snap.change {
                    // Numbered in the session object's one sequence (engines restart at 1).
                    let c = VkStateChange { seq: version, ..VkStateChange::from(change) };
                    for l in listeners.values() {
                        if let Err(e) = l.on_state_change(c.clone()) {
                            log::warn!(target: "videokit", "a state listener threw: {e}");
                        }
                    }
                }
                match snap.state {
                    SessionState::Starting | SessionState::Stopped | SessionState::Failed | SessionState::Idle => last_token = None,
                    SessionState::Active => {
                        if let Some(d) = &vs.data {
                            if last_token.as_deref() != Some(d.token.as_str()) {
                                last_token = Some(d.token.clone());
                                let ev = VkTokenEvent { token: d.token.clone(), expires_at: d.expires_at, data: d.clone() };
                                for l in token_listeners.values() {
                                    l.on_token(ev.clone());
                                }
                            }
                        }
                    }
                    SessionState::Refreshing | SessionState::Expired => {}
                }
                last = vs;
            }
            Msg::AddListener(id, l) => {
                let initial = VkStateChange {
                    seq: last.version,
                    from: last.state,
                    to: last.state,
                    at: SystemTime::now(),
                    error: last.last_error.clone(),
                };
                if let Err(e) = l.on_state_change(initial) {
                    log::warn!(target: "videokit", "a state listener threw: {e}");
                }
                listeners.insert(id, l);
            }
            Msg::RemoveListener(id) => {
                listeners.remove(&id);
            }
            Msg::AddTokenListener(id, l) => {
                token_listeners.insert(id, l);
            }
            Msg::Barrier(done) => {
                let _ = done.send(());
            }
            Msg::RemoveTokenListener(id) => {
                token_listeners.remove(&id);
            }
        }
    }
}

/// One session, as the platform layers' `VKSession` uses it. Dropping it (an app releasing
/// an independent session) stops its timers and requests but keeps the stored session, so a
/// new session object with the same source resumes it; `stop()` is what clears it.
#[derive(uniffi::Object)]
pub struct VkSession {
    shared: Arc<Shared>,
}

#[uniffi::export]
impl VkSession {
    /// A session with `config`, `store` for persistence (in memory when `None`), the
    /// platform's HTTP stack, and the platform's snapshot sink. Never fails: an invalid
    /// configuration is the error every `start` then reports (and the snapshot's
    /// `last_error`). Makes no request and starts nothing.
    #[uniffi::constructor]
    pub fn new(
        config: VkConfig,
        store: Option<Arc<dyn VkSessionStore>>,
        http_client: Option<Arc<dyn VkHttpClient>>,
        sink: Option<Arc<dyn VkSessionSink>>,
    ) -> Result<Arc<Self>, VkError> {
        let rt = runtime()?;
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                config: Config { config, store, http_client },
                engine: None,
                config_error: None,
                epoch: 0,
                next_listener: 1,
                store_queue: None,
            }),
            version: Arc::new(AtomicU64::new(0)),
            tx,
        });
        let first = {
            let mut st = lock(&shared.state);
            let _ = shared.engine(&mut st);
            shared.snapshot(&st)
        };
        rt.spawn(dispatch(rx, sink, first));
        Ok(Arc::new(VkSession { shared }))
    }

    /// New settings: a running session is stopped (listeners see `stopped`) and the session
    /// starts over, `idle`, with them; listeners stay. Returns the session after it.
    pub fn configure(
        &self,
        config: VkConfig,
        store: Option<Arc<dyn VkSessionStore>>,
        http_client: Option<Arc<dyn VkHttpClient>>,
    ) -> VkSnapshot {
        let mut st = lock(&self.shared.state);
        st.epoch += 1;
        let mut from = SessionState::Idle;
        let mut clear = None;
        if let Some(old) = st.engine.take() {
            if old.state().is_running() {
                clear = Some(old.stop_without_waiting());
            }
            from = old.state();
        }
        st.config = Config { config, store, http_client };
        st.config_error = None;
        let _ = self.shared.engine(&mut st);
        // A new version for the session after it, pushed to the sink and returned alike (with
        // the version of an earlier push, one could replace the other on the platform, which
        // keeps the later of equal versions: lastError read null after an invalid configure).
        // Coming from a running engine it is a transition to idle (the new engine starts out
        // idle without one of its own), after the old engine's last one.
        let version = self.shared.version.fetch_add(1, Ordering::SeqCst) + 1;
        let change =
            (from != SessionState::Idle).then(|| StateChange { seq: 0, from, to: SessionState::Idle, at: SystemTime::now(), error: None });
        let snapshot = EngineSnapshot {
            seq: 0,
            state: SessionState::Idle,
            data: None,
            last_error: st.config_error.clone(),
            reuse_for: Duration::ZERO,
            change,
        };
        let _ = self.shared.tx.send(Msg::Transition(Box::new(snapshot), version, Instant::now()));
        let now = self.shared.snapshot(&st);
        drop(st);
        // As in `stop()`: the old session's clear is waited for with the lock released.
        if let Some(clear) = clear {
            clear.wait();
        }
        now
    }

    /// The session now (version, state, data, last error, lease).
    pub fn snapshot(&self) -> VkSnapshot {
        let st = lock(&self.shared.state);
        self.shared.snapshot(&st)
    }

    /// VideoKit API-token mode (development only): `POST {gateway}/v1/sessions`.
    pub fn start_api_token(&self, app_token: String, identity: String, scopes: Vec<String>) -> Arc<VkCall> {
        let (gateway, insecure) = self.gateway();
        let src =
            ApiTokenSource::new(&gateway, Secret::new(app_token), &identity, scopes, insecure).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.shared.start(src)
    }

    /// A session token the app already has (cannot be renewed).
    pub fn start_session_token(&self, session_token: String) -> Arc<VkCall> {
        let src = FixedTokenSource::new(Secret::new(session_token)).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.shared.start(src)
    }

    /// The app's backend: `GET` the URL template with `{identity}` filled in, sending
    /// `headers` (treated as secrets) with every request.
    pub fn start_token_url(&self, url_template: String, identity: String, headers: HashMap<String, String>) -> Arc<VkCall> {
        let (_, insecure) = self.gateway();
        let headers = headers.into_iter().map(|(k, v)| (k, Secret::new(v))).collect();
        let src = BackendSource::new(&url_template, &identity, headers, insecure).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.shared.start(src)
    }

    /// The app's own provider.
    pub fn start_provider(&self, provider: Arc<dyn VkTokenProvider>, identity: Option<String>) -> Arc<VkCall> {
        let src = CustomSource::new(Arc::new(crate::ProviderAdapter { provider, deadline: self.request_timeout() }), identity)
            .map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.shared.start(src)
    }

    /// A Kaltura session (KS) through the appToken flow, renewed before it expires.
    pub fn start_kaltura(&self, config: VkKalturaConfig) -> Arc<VkCall> {
        let (_, insecure) = self.gateway();
        let src = KalturaSource::new(config.to_core(), insecure).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.shared.start(src)
    }

    /// A VideoSDK access token from the app's token server, checked and renewed before `exp`.
    pub fn start_videosdk(&self, token_server_url: String, room_id: Option<String>, participant_id: Option<String>) -> Arc<VkCall> {
        let (_, insecure) = self.gateway();
        let src = VideoSdkSource::new(&token_server_url, room_id, participant_id, 0, insecure).map(|s| Arc::new(s) as Arc<dyn TokenSource>);
        self.shared.start(src)
    }

    /// A valid token (in the call's data), renewed when due; concurrent callers share one
    /// request. Cancelling the call leaves the renewal running for the others.
    pub fn token_call(&self) -> Arc<VkCall> {
        self.shared.call(|e| async move { e.valid_data().await })
    }

    /// Renew now (shares any request in flight).
    pub fn refresh_call(&self) -> Arc<VkCall> {
        self.shared.call(|e| async move { e.refresh().await })
    }

    /// Stop: cancel timers and requests, clear the token and the stored session; a pending
    /// start's waiter gets `cancelled`. Returns the session after it.
    pub fn stop(&self) -> VkSnapshot {
        let (clear, stopped) = {
            let mut st = lock(&self.shared.state);
            st.epoch += 1;
            let clear = self.shared.engine(&mut st).ok().map(|e| e.stop_without_waiting());
            (clear, self.shared.snapshot(&st))
        };
        // Waited for with this object's lock released: the runtime's thread takes it too (the
        // platform reads the snapshot after a call it resumed there), so waiting under it
        // stalled every session of the process for as long as the store took to clear.
        if let Some(clear) = clear {
            clear.wait();
        }
        stopped
    }

    /// Re-check expiry now and renew if due (the app came back to the foreground).
    pub fn check_now(&self) -> VkSnapshot {
        let mut st = lock(&self.shared.state);
        if let Ok(e) = self.shared.engine(&mut st) {
            e.check_now();
        }
        self.shared.snapshot(&st)
    }

    /// Add a state listener: it first gets the current state (`from == to`), then every
    /// transition, in order, exactly once, across `configure`. Returns its id.
    pub fn add_listener(&self, listener: Arc<dyn VkStateListener>) -> u64 {
        let mut st = lock(&self.shared.state);
        let id = st.next_listener;
        st.next_listener += 1;
        let _ = self.shared.tx.send(Msg::AddListener(id, listener));
        id
    }

    pub fn remove_listener(&self, id: u64) {
        let _ = self.shared.tx.send(Msg::RemoveListener(id));
    }

    /// Add a token listener: every new token from now on, once. Returns its id.
    pub fn add_token_listener(&self, listener: Arc<dyn VkTokenListener>) -> u64 {
        let mut st = lock(&self.shared.state);
        let id = st.next_listener;
        st.next_listener += 1;
        let _ = self.shared.tx.send(Msg::AddTokenListener(id, listener));
        id
    }

    pub fn remove_token_listener(&self, id: u64) {
        let _ = self.shared.tx.send(Msg::RemoveTokenListener(id));
    }
}

impl VkSession {
    fn request_timeout(&self) -> Duration {
        // An invalid configuration fails the start before the provider is called.
        let default = videokit_core::SessionConfig::default().http.request_timeout;
        lock(&self.shared.state).config.config.to_core().map_or(default, |c| c.http.request_timeout)
    }

    fn gateway(&self) -> (String, bool) {
        let st = lock(&self.shared.state);
        (st.config.config.gateway().to_string(), st.config.config.allow_insecure_http)
    }
}
