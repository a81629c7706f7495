//! Persistence: resume a stored, still-valid session without a request, and save each new
//! token. The record's common fields are the engine's; what a token carries beyond them
//! is saved and restored by its source ([`TokenSource::save_details`],
//! [`TokenSource::restore_details`]), so the engine and the record know no vendor.

use super::state::Inner;
use super::timing::Current;
use super::types::{SessionData, SessionState};
use crate::clock::{add_ms, diff_ms};
use crate::secret::Secret;
use crate::source::{FetchedToken, SourceKind, TokenSource};
use crate::store::{SessionStore, StoredSession, MAX_RECORD_BYTES, RECORD_VERSION};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::time::{Duration, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

type Job = Box<dyn FnOnce() + Send>;

/// The longest the engine waits for the store to load or save before it goes on without it
/// (fetching anew, or serving the new token unsaved); the call still completes in its turn.
pub(super) const STORE_WAIT: Duration = Duration::from_secs(2);

/// The longest `stop()` holds its caller while the stored record is cleared.
pub(super) const STOP_CLEAR_WAIT: Duration = Duration::from_secs(1);
/// A stored session that claims to be valid for longer than this is not resumed (a new
/// token is fetched). Tokens that live longer still work; they are just not resumed.
pub(super) const MAX_RESUME_AHEAD: Duration = Duration::from_secs(366 * 24 * 3600);

/// The longest a save waits for a clear of its record queued earlier by another session
/// object (a stopped or closed one whose store is slow); past it the save is not made.
pub(super) const EARLIER_CLEAR_WAIT: Duration = Duration::from_secs(10);

/// Clears queued and not yet done, by the key the store sees (the session's name in it), for
/// every session of the process, each with a ticket in the order they were queued. A queue is
/// one session object's: another session object on the same store, made after a `stop()` or
/// `close()` that returned before its clear was done (a store slower than
/// [`STOP_CLEAR_WAIT`]), has a queue of its own. Its load of a key with a clear pending finds
/// nothing, and its save waits for the clears queued before it ([`EARLIER_CLEAR_WAIT`]), so an
/// old clear never deletes the newer record, and never runs beside its save.
static PENDING_CLEARS: LazyLock<(Mutex<Clears>, Condvar)> = LazyLock::new(Default::default);

#[derive(Default)]
struct Clears {
    /// The tickets of the clears pending, by key.
    by_key: HashMap<String, Vec<u64>>,
    /// Tickets given so far.
    issued: u64,
}

impl Clears {
    fn pending(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }
    fn pending_before(&self, key: &str, ticket: u64) -> bool {
        self.by_key.get(key).is_some_and(|t| t.iter().any(|&t| t <= ticket))
    }
}

fn pending_clears() -> std::sync::MutexGuard<'static, Clears> {
    // Tickets only: a panic elsewhere cannot leave them inconsistent.
    PENDING_CLEARS.0.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits until no clear of `key` with a ticket up to `ticket` is pending, at most `wait`;
/// whether none is.
fn wait_for_clears_before(key: &str, ticket: u64, wait: Duration) -> bool {
    let deadline = std::time::Instant::now() + wait;
    let mut c = pending_clears();
    while c.pending_before(key, ticket) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        c = PENDING_CLEARS.1.wait_timeout(c, left).unwrap_or_else(|p| p.into_inner()).0;
    }
    true
}

/// One pending clear of a key, from when it is queued until its job has run or is dropped.
struct PendingClear {
    key: String,
    ticket: u64,
}

impl PendingClear {
    fn new(key: String) -> PendingClear {
        let mut c = pending_clears();
        c.issued += 1;
        let ticket = c.issued;
        c.by_key.entry(key.clone()).or_default().push(ticket);
        PendingClear { key, ticket }
    }
}

impl Drop for PendingClear {
    fn drop(&mut self) {
        let mut c = pending_clears();
        if let Some(t) = c.by_key.get_mut(&self.key) {
            t.retain(|&t| t != self.ticket);
            if t.is_empty() {
                c.by_key.remove(&self.key);
            }
        }
        drop(c);
        PENDING_CLEARS.1.notify_all();
    }
}

/// A session's store, and the lane its calls take. A store that may block (disk, Keychain, a
/// platform store) is called through a [`StoreQueue`]: on the runtime's blocking pool, one job
/// at a time in the order they were queued, so a slow store holds up only its own session, a
/// clear queued before a load (a failed or stopped session's record) always runs first, and a
/// clear queued after a save always runs after it. The engine waits for a job at most
/// [`STORE_WAIT`] ([`STOP_CLEAR_WAIT`] in `stop()`), so a store that hangs never holds the
/// session, or the app's thread, for good; once a wait has run out, later jobs are queued
/// without a wait until the store answers. A store that only touches memory is called in place.
pub(super) struct StoreLane {
    store: Arc<dyn SessionStore>,
    /// `None`: the store never blocks; every job runs in place.
    jobs: Option<StoreQueue>,
    /// What the store puts before a key (`name.`, or nothing): the key it sees, for
    /// [`PENDING_CLEARS`].
    prefix: String,
}

/// The queue a session's store calls take: one job at a time, in order, on the runtime's
/// blocking pool. Jobs are numbered in the order they are queued; a wait that runs out notes
/// its job's number, and while that job has not finished the store is stuck on it: later jobs
/// are queued without a wait (each would only run out too), so a store that hangs costs its
/// session one wait, not one per call.
///
/// One per session object, not per engine: the FFI crate hands the same queue to every engine
/// its `configure` makes ([`SessionDeps::store_queue`](super::SessionDeps::store_queue)). With
/// a queue per engine, the new engine's calls ran beside a call of the old one still hung in
/// the store (two calls at once on one store; the old clear, once answered, deleted the new
/// token's record), and a store known to hang was waited for again.
#[derive(Clone)]
pub struct StoreQueue(Arc<Jobs>);

impl std::fmt::Debug for StoreQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreQueue").field("finished", &self.0.finished.load(Ordering::SeqCst)).finish_non_exhaustive()
    }
}

impl StoreQueue {
    /// A queue whose worker runs on `runtime` until the last clone of the queue is gone.
    pub fn new(runtime: &tokio::runtime::Handle) -> StoreQueue {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let finished = Arc::new(AtomicU64::new(0));
        let count = finished.clone();
        runtime.spawn(async move {
            while let Some(job) = rx.recv().await {
                // A job that panics (a store's bug) ends only itself: its waiter gets `None`.
                let _ = tokio::task::spawn_blocking(job).await;
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        StoreQueue(Arc::new(Jobs { queue: Mutex::new((tx, 0)), finished, stuck_on: AtomicU64::new(0) }))
    }
}

struct Jobs {
    /// The sender, and the number of jobs queued so far (numbered under this lock, so the
    /// numbers follow the queue's order).
    queue: Mutex<(mpsc::UnboundedSender<Job>, u64)>,
    /// How many jobs have finished (the worker's count).
    finished: Arc<AtomicU64>,
    /// The highest number of a job whose wait ran out.
    stuck_on: AtomicU64,
}

impl Jobs {
    /// Queues `job`; its number, or `None` if the lane is gone (the runtime shut down).
    fn send(&self, job: Job) -> Option<u64> {
        // Counts and a sender only: a panic elsewhere cannot leave them inconsistent.
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.0.send(job).ok()?;
        q.1 += 1;
        Some(q.1)
    }
    /// The store has not finished a job whose wait ran out.
    fn stuck(&self) -> bool {
        self.finished.load(Ordering::SeqCst) < self.stuck_on.load(Ordering::SeqCst)
    }
    /// The wait for job `n` ran out.
    fn ran_out(&self, n: u64) {
        self.stuck_on.fetch_max(n, Ordering::SeqCst);
    }
}

impl StoreLane {
    /// `queue`: the session object's (see [`StoreQueue`]); `None`, a queue of its own.
    pub fn new(store: Arc<dyn SessionStore>, name: Option<&str>, runtime: &tokio::runtime::Handle, queue: Option<StoreQueue>) -> StoreLane {
        let prefix = name.map(|n| format!("{n}.")).unwrap_or_default();
        if !store.may_block() {
            return StoreLane { store, jobs: None, prefix };
        }
        let jobs = queue.unwrap_or_else(|| StoreQueue::new(runtime));
        StoreLane { store, jobs: Some(jobs), prefix }
    }

    /// `f` with the store, after every job queued before it, if that is done within
    /// [`STORE_WAIT`]. `None` when it was not, or the store is stuck on an earlier job (the
    /// job stays queued and runs in its turn), or it could not run (the runtime is shutting
    /// down, or the store panicked).
    pub async fn run<T: Send + 'static>(&self, what: &str, f: impl FnOnce(&dyn SessionStore) -> T + Send + 'static) -> Option<T> {
        self.run_and_wait(what, true, f).await
    }

    /// [`run`](Self::run), or with `wait` false, queued without a wait (`None`).
    async fn run_and_wait<T: Send + 'static>(
        &self,
        what: &str,
        wait: bool,
        f: impl FnOnce(&dyn SessionStore) -> T + Send + 'static,
    ) -> Option<T> {
        let Some(StoreQueue(jobs)) = &self.jobs else { return Some(f(self.store.as_ref())) };
        let (tx, rx) = oneshot::channel();
        let store = self.store.clone();
        let n = jobs.send(Box::new(move || {
            let _ = tx.send(f(store.as_ref()));
        }))?;
        if !wait {
            return None;
        }
        if jobs.stuck() {
            log::warn!(target: "videokit", "the session store has not answered an earlier call; going on without waiting to {what}");
            return None;
        }
        match tokio::time::timeout(STORE_WAIT, rx).await {
            Ok(r) => r.ok(),
            Err(_) => {
                jobs.ran_out(n);
                log::warn!(target: "videokit", "the session store did not {what} within {} s; going on without it", STORE_WAIT.as_secs());
                None
            }
        }
    }

    /// A job that clears `key`, pending in [`PENDING_CLEARS`] until it has run; then `done`.
    fn clear_job(&self, key: String, done: impl FnOnce() + Send + 'static) -> Job {
        let pending = PendingClear::new(self.seen_key(&key));
        let store = self.store.clone();
        Box::new(move || {
            clear_logged(store.as_ref(), &key);
            drop(pending);
            done();
        })
    }

    /// `key` as the store sees it (for [`PENDING_CLEARS`]).
    fn seen_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Clear `key` after every job queued so far, without waiting (a save still queued
    /// cannot outlive the clear).
    pub fn clear_later(&self, key: String) {
        match &self.jobs {
            Some(StoreQueue(jobs)) => {
                let _ = jobs.send(self.clear_job(key, || {}));
            }
            None => clear_logged(self.store.as_ref(), &key),
        }
    }

    /// Clear `key` after every job queued so far and wait for it (at most [`STORE_WAIT`],
    /// and not at all while the store is stuck on an earlier job).
    pub async fn clear(&self, key: String) {
        let Some(StoreQueue(jobs)) = &self.jobs else { return clear_logged(self.store.as_ref(), &key) };
        let (tx, rx) = oneshot::channel();
        let Some(n) = jobs.send(self.clear_job(key, move || {
            let _ = tx.send(());
        })) else {
            return;
        };
        if jobs.stuck() {
            return; // queued: it runs when the store answers
        }
        if tokio::time::timeout(STORE_WAIT, rx).await.is_err() {
            jobs.ran_out(n);
            log::warn!(target: "videokit", "the session store did not clear the stored session within {} s; going on without it", STORE_WAIT.as_secs());
        }
    }

    /// Clear `key` after every job queued so far; `stop()` then waits for it with
    /// [`ClearWait::wait`], once it holds no lock. Nothing to wait for when a store called in
    /// place has cleared already, or the runtime is shutting down.
    pub fn clear_queued(&self, key: String) -> ClearWait {
        let Some(StoreQueue(jobs)) = &self.jobs else {
            clear_logged(self.store.as_ref(), &key);
            return ClearWait(None);
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let queued = jobs.send(self.clear_job(key, move || {
            let _ = tx.send(());
        }));
        ClearWait(queued.map(|n| (jobs.clone(), n, rx)))
    }
}

/// The clear of a stored session that a stop queued, to be waited for by the app's thread
/// with no lock held: the queue's worker is a task on the SDK's runtime, whose one thread may
/// itself be waiting for a lock the waiter holds (the session's, when an activation whose save
/// just ended takes it; the FFI session object's, when the platform reads the snapshot after
/// a call on the runtime's thread). Waiting under such a lock held both for
/// [`STOP_CLEAR_WAIT`], and every session of the process with them. Dropped: not waited for
/// (the clear stays queued, and until it is done no session of the process resumes the
/// record).
#[must_use = "a clear is waited for with `wait`, or dropped to not wait"]
pub struct ClearWait(Option<(Arc<Jobs>, u64, std::sync::mpsc::Receiver<()>)>);

impl std::fmt::Debug for ClearWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClearWait").field("queued", &self.0.is_some()).finish()
    }
}

impl ClearWait {
    /// Nothing to wait for.
    pub(super) fn none() -> ClearWait {
        ClearWait(None)
    }

    /// Holds the calling thread until the clear is done or [`STOP_CLEAR_WAIT`] has passed
    /// (`stop()`: normally the record is gone when it returns; a slow or hung store never
    /// holds the app's thread longer, nor at all while it is stuck on an earlier job, and
    /// until the clear is done no session of the process resumes the record).
    pub fn wait(self) {
        let Some((jobs, n, rx)) = self.0 else { return };
        if jobs.stuck() {
            return;
        }
        if rx.recv_timeout(STOP_CLEAR_WAIT).is_err() {
            jobs.ran_out(n);
            log::warn!(target: "videokit", "the session store is slow to clear; the stored session is cleared when it answers");
        }
    }
}

fn clear_logged(store: &dyn SessionStore, key: &str) {
    if let Err(e) = store.clear(key) {
        log::warn!(target: "videokit", "could not clear the stored session: {e}");
    }
}

impl Inner {
    /// Resume a stored, still-valid session for this source, without a request.
    pub(super) async fn try_resume(&self, gen: u64, source: &dyn TokenSource) -> bool {
        let info = source.info();
        let key = info.store_key.clone();
        let seen_key = self.store.seen_key(&key);
        if pending_clears().pending(&seen_key) {
            // A stopped or replaced session's record, being cleared: nothing to load, and no
            // reason to wait for the clear (checked again when the load runs, for clears
            // queued meanwhile).
            return false;
        }
        let loaded = self
            .store
            .run("load the stored session", move |s| {
                if pending_clears().pending(&seen_key) {
                    return Ok(None); // a stopped session's record, being cleared
                }
                let r = s.load_record(&key);
                if let Ok(Some(Err(_))) = &r {
                    clear_logged(s, &key); // unusable: discard it
                }
                r
            })
            .await;
        let rec = match loaded {
            None | Some(Ok(None)) => return false,
            Some(Ok(Some(Ok(r)))) => r,
            Some(Ok(Some(Err(e)))) => {
                log::warn!(target: "videokit", "discarded the stored session: {}", e.message());
                return false;
            }
            Some(Err(e)) => {
                log::warn!(target: "videokit", "could not read the stored session, fetching a new one: {e}");
                return false;
            }
        };
        if SourceKind::parse(&rec.source) != Some(info.kind) || (info.identity_checked && rec.identity != info.identity) {
            // Under this source's key, but not its kind or (where every token is for the
            // identity asked) its identity: not written by it.
            log::warn!(target: "videokit", "discarded the stored session: it is not for this sign-in");
            return false;
        }
        let Some(exp_ms) = rec.expires_at_ms else { return false };
        let now = self.now();
        let expires_at = add_ms(UNIX_EPOCH, exp_ms);
        if expires_at.duration_since(now.server).is_ok_and(|left| left > MAX_RESUME_AHEAD) {
            // No token this SDK saved says so: a planted or corrupt record would otherwise
            // be served, never renewed, for as long as it claims. A new token replaces it.
            log::warn!(target: "videokit", "discarded the stored session: it claims to be valid for more than 366 days");
            return false;
        }
        let token = Secret::new(rec.token);
        let Ok(details) = source.restore_details(&token, rec.details.as_deref()) else { return false };
        let tok = FetchedToken {
            token,
            expires_at: Some(expires_at),
            issued_at: rec.issued_at_ms.map(|ms| add_ms(UNIX_EPOCH, ms)),
            identity: rec.identity,
            scopes: rec.scopes,
            details,
        };
        let cur = Current::new(tok, info.kind, true, &self.config.renewal, now);
        let remaining = match cur.remaining(now) {
            Some(r) if r > cur.lead => r,
            _ => {
                log::info!(target: "videokit", "the stored session is due for renewal; fetching a new one");
                return false;
            }
        };
        let Some(mut core) = self.lock_gen(gen) else { return false };
        log::info!(target: "videokit", "resumed the stored session (expires in {} s)", remaining.as_secs());
        let data = cur.data.clone();
        core.current = Some(cur);
        self.transition(&mut core, SessionState::Active, None);
        self.publish(true, Ok(data));
        true
    }

    /// Save a new token, when it has a known expiry (without one nothing can be resumed
    /// safely). A store that fails is logged, never fatal.
    pub(super) async fn save(&self, source: &dyn TokenSource, data: &SessionData) {
        let Some(expires_at) = data.expires_at else { return };
        let rec = StoredSession {
            v: RECORD_VERSION,
            key: source.info().store_key.clone(),
            source: data.source.as_str().to_string(),
            token: data.token.expose().to_string(),
            expires_at_ms: Some(diff_ms(expires_at, UNIX_EPOCH)),
            issued_at_ms: data.issued_at.map(|t| diff_ms(t, UNIX_EPOCH)),
            identity: data.identity.clone(),
            scopes: data.scopes.clone(),
            details: source.save_details(&data.details),
        };
        // A record the next launch would refuse to read is not written: the token's own size
        // is capped on arrival, but its scopes and details (escaped twice, for Kaltura's) add
        // to it.
        let len = rec.encode().len();
        if len > MAX_RECORD_BYTES {
            log::warn!(target: "videokit", "the session record is {len} bytes, over the {MAX_RECORD_BYTES} a resume reads; not saved");
            return;
        }
        // After every clear of this record queued so far, in any session of the process: one
        // queued by this session has run before this job does (its queue is in order); one of
        // another session object, still pending, is waited for (not by a store called in
        // place: that would be on the runtime's thread). A clear still pending now has
        // outlived `stop()`'s wait, or was queued by a replacing start: the store is slow to
        // clear, and the save is not waited for (else every save would cost the store wait
        // while it waits 10 s in vain behind a clear hung for good).
        let seen_key = self.store.seen_key(&rec.key);
        let (ticket, behind_a_clear) = {
            let c = pending_clears();
            (c.issued, c.pending_before(&seen_key, c.issued))
        };
        let queued = self.store.jobs.is_some();
        let saved = self.store.run_and_wait("save the session", !behind_a_clear, move |s| {
            if queued && !wait_for_clears_before(&seen_key, ticket, EARLIER_CLEAR_WAIT) {
                log::warn!(target: "videokit", "another session's clear of this stored session has not finished; not saved");
                return Ok(());
            }
            s.save_record(rec)
        });
        if let Some(Err(e)) = saved.await {
            log::warn!(target: "videokit", "could not save the session: {e}");
        }
    }
}
