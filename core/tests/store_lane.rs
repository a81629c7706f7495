//! The store lane: a store that may block is called off the runtime's threads, one job at a
//! time per session, in order. Run on a current-thread runtime with two blocking threads, as
//! the FFI crate runs every session: a store held up must not hold up another session, and
//! a save still running when `stop()` is called must not leave the stopped session's record.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;
use videokit_core::http::{HttpRequest, HttpResponse, Transport};
use videokit_core::sources::videokit::BackendSource;
use videokit_core::{ErrorKind, Session, SessionConfig, SessionDeps, SessionState, SessionStore, StoreQueue};

/// Answers every request with a new token valid for an hour, counting them.
struct Tokens(AtomicU64);

#[async_trait]
impl Transport for Tokens {
    async fn send(&self, _req: HttpRequest, _max: usize) -> Result<HttpResponse, videokit_core::Error> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        let exp = videokit_core::clock::format_rfc3339(std::time::SystemTime::now() + Duration::from_secs(3600));
        Ok(HttpResponse { status: 200, headers: vec![], body: format!(r#"{{"sessionToken":"tok-{n}","expiresAt":"{exp}"}}"#).into_bytes() })
    }
}

/// An app's store (may block, as the Keychain or a disk does) whose loads or saves can be
/// held until the test releases them.
#[derive(Default)]
struct HeldStore {
    records: Mutex<HashMap<String, Vec<u8>>>,
    hold_loads: AtomicBool,
    hold_saves: AtomicBool,
    hold_clears: AtomicBool,
    held: Mutex<bool>,
    release: Condvar,
    entered: tokio::sync::Notify,
    /// Told after every save and clear.
    changed: tokio::sync::Notify,
    /// Clears done.
    clears: AtomicU64,
    /// Calls running now, and the most that ever ran at once.
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

/// Counts a store call as running while it lives.
struct InFlight<'a>(&'a HeldStore);

impl<'a> InFlight<'a> {
    fn new(store: &'a HeldStore) -> Self {
        let n = store.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        store.max_in_flight.fetch_max(n, Ordering::SeqCst);
        InFlight(store)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl HeldStore {
    fn wait_if(&self, hold: &AtomicBool) {
        if hold.load(Ordering::SeqCst) {
            self.entered.notify_one();
            let mut held = self.held.lock().unwrap();
            *held = true;
            while *held {
                held = self.release.wait(held).unwrap();
            }
        }
    }
    /// Waits (at most 10 s) until the one record holds `token`: the calls queued behind a
    /// store that was held have run.
    async fn until_saved(&self, token: &str) {
        let holds = || self.records.lock().unwrap().values().any(|r| String::from_utf8_lossy(r).contains(&format!("\"{token}\"")));
        while !holds() {
            tokio::time::timeout(Duration::from_secs(10), self.changed.notified()).await.expect("the queued store calls ran");
        }
    }
    fn release(&self) {
        self.hold_loads.store(false, Ordering::SeqCst);
        self.hold_saves.store(false, Ordering::SeqCst);
        self.hold_clears.store(false, Ordering::SeqCst);
        *self.held.lock().unwrap() = false;
        self.release.notify_all();
    }
}

impl SessionStore for HeldStore {
    fn load(&self, key: &str) -> videokit_core::Result<Option<Vec<u8>>> {
        let _running = InFlight::new(self);
        self.wait_if(&self.hold_loads);
        Ok(self.records.lock().unwrap().get(key).cloned())
    }
    fn save(&self, key: &str, record: &[u8]) -> videokit_core::Result<()> {
        let _running = InFlight::new(self);
        self.wait_if(&self.hold_saves);
        self.records.lock().unwrap().insert(key.to_string(), record.to_vec());
        self.changed.notify_one();
        Ok(())
    }
    fn clear(&self, key: &str) -> videokit_core::Result<()> {
        let _running = InFlight::new(self);
        self.wait_if(&self.hold_clears);
        self.records.lock().unwrap().remove(key);
        self.clears.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
        Ok(())
    }
}

/// The FFI crate's runtime: one thread, two blocking threads.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().max_blocking_threads(2).enable_all().build().unwrap()
}

fn session(rt: &tokio::runtime::Runtime, store: Arc<HeldStore>, transport: Arc<Tokens>) -> Arc<Session> {
    session_on(rt, store, transport, None)
}

/// A session whose store calls take `queue` (as each engine of one FFI session object does).
fn session_on(rt: &tokio::runtime::Runtime, store: Arc<HeldStore>, transport: Arc<Tokens>, queue: Option<StoreQueue>) -> Arc<Session> {
    let deps = SessionDeps { transport: Some(transport), store, store_queue: queue, ..Default::default() };
    Arc::new(Session::with_deps(SessionConfig::default(), deps, rt.handle().clone()).unwrap())
}

/// The same sign-in for every call of one test, another for each test: the clears a test
/// holds are pending process-wide (by key), and would keep another test's load from running.
fn source() -> Arc<BackendSource> {
    // libtest runs each test on a thread named after it (the runtime's thread is the test's).
    let identity = std::thread::current().name().unwrap_or("alice").replace("::", ".");
    Arc::new(BackendSource::new("https://api.example.com/token/{identity}", &identity, vec![], false).unwrap())
}

/// Releases `store` when told to, or after 10 s: whether it was the timeout is the result
/// (on the runtime's one thread, a blocking load would hold everything until then).
fn release_later(store: Arc<HeldStore>) -> (mpsc::Sender<()>, std::thread::JoinHandle<bool>) {
    let (tx, rx) = mpsc::channel::<()>();
    let h = std::thread::spawn(move || {
        let timed_out = rx.recv_timeout(Duration::from_secs(10)).is_err();
        store.release();
        timed_out
    });
    (tx, h)
}

#[test]
fn a_store_held_up_holds_up_only_its_own_session() {
    let rt = runtime();
    let slow = Arc::new(HeldStore::default());
    slow.hold_loads.store(true, Ordering::SeqCst);
    let (a, b) = (
        session(&rt, slow.clone(), Arc::new(Tokens(AtomicU64::new(0)))),
        session(&rt, Arc::default(), Arc::new(Tokens(AtomicU64::new(0)))),
    );
    let (done, releaser) = release_later(slow.clone());
    rt.block_on(async {
        let a2 = a.clone();
        let started = tokio::spawn(async move { a2.start(source()).await });
        slow.entered.notified().await; // a's load is running, and held
        let d = b.start(source()).await.unwrap();
        assert_eq!((d.token.expose(), d.resumed), ("tok-1", false));
        assert_eq!((a.state(), b.state()), (SessionState::Starting, SessionState::Active));
        done.send(()).unwrap();
        let d = started.await.unwrap().unwrap();
        assert_eq!((d.token.expose(), d.resumed), ("tok-1", false));
    });
    assert!(!releaser.join().unwrap(), "b's start waited for a's store");
}

#[test]
fn a_stop_during_a_save_leaves_no_record_to_resume() {
    let rt = runtime();
    let store = Arc::new(HeldStore::default());
    store.hold_saves.store(true, Ordering::SeqCst);
    let transport = Arc::new(Tokens(AtomicU64::new(0)));
    let s = session(&rt, store.clone(), transport.clone());
    let (done, releaser) = release_later(store.clone());
    rt.block_on(async {
        let s2 = s.clone();
        let started = tokio::spawn(async move { s2.start(source()).await });
        store.entered.notified().await; // tok-1 is being saved, and held
        s.stop(); // the user signs out
        assert_eq!(started.await.unwrap().unwrap_err().kind(), ErrorKind::Cancelled);
        done.send(()).unwrap(); // the save completes after stop() returned
                                // The next start (the next launch, say) must not resume the signed-out session.
        let d = s.start(source()).await.unwrap();
        assert_eq!((d.token.expose(), d.resumed), ("tok-2", false));
        // (stop()'s wait for its clear ran out, so these calls were queued, not waited for.)
        store.until_saved("tok-2").await;
    });
    assert!(!releaser.join().unwrap());
    assert_eq!(transport.0.load(Ordering::SeqCst), 2);
    let records = store.records.lock().unwrap();
    assert_eq!(records.len(), 1);
    assert!(String::from_utf8_lossy(records.values().next().unwrap()).contains("tok-2"));
}

/// From the outside test (issue 11): `stop()` from the app's thread, racing a start whose save
/// was running, held the session's lock while it waited for its clear. The activation behind
/// the save then waited for that lock on the runtime's one thread, which is also the thread that
/// hands the clear to the store: `stop()` ran out its 1 s wait (22 of 500 stops), every session
/// of the process stalled meanwhile (an unrelated session's refresh took 1 s), and the record
/// was cleared only after `stop()` returned. The wait is now made with no lock held.
#[test]
fn stop_from_the_apps_thread_waits_for_its_clear_without_holding_up_the_runtime() {
    let rt = runtime();
    let store = Arc::new(HeldStore::default());
    store.hold_saves.store(true, Ordering::SeqCst);
    let s = session(&rt, store.clone(), Arc::new(Tokens(AtomicU64::new(0))));
    let (done, releaser) = release_later(store.clone());
    let clears_when_stop_returned = rt.block_on(async {
        let s2 = s.clone();
        let started = tokio::spawn(async move { s2.start(source()).await });
        store.entered.notified().await; // tok-1 is being saved, and held
                                        // The app signs out on its own thread (the platform layers call stop() there).
        let (s3, st) = (s.clone(), store.clone());
        let stopper = std::thread::spawn(move || {
            s3.stop();
            st.clears.load(Ordering::SeqCst)
        });
        // Once stop() has stopped the session (its clear queued behind the held save), the
        // save ends: the activation after it needs the session's lock, on the runtime thread.
        tokio::time::timeout(Duration::from_secs(10), async {
            while s.state() != SessionState::Stopped {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .expect("stop() stopped the session");
        done.send(()).unwrap();
        assert_eq!(started.await.unwrap().unwrap_err().kind(), ErrorKind::Cancelled);
        tokio::task::spawn_blocking(move || stopper.join().unwrap()).await.unwrap()
    });
    assert!(!releaser.join().unwrap());
    assert_eq!(clears_when_stop_returned, 1, "stop() returned with its clear done");
    assert!(store.records.lock().unwrap().is_empty(), "no record to resume");
}

#[test]
fn a_store_that_never_answers_holds_a_start_and_a_stop_only_briefly() {
    let rt = runtime();
    let store = Arc::new(HeldStore::default());
    store.hold_loads.store(true, Ordering::SeqCst);
    let transport = Arc::new(Tokens(AtomicU64::new(0)));
    let s = session(&rt, store.clone(), transport.clone());
    let (done, releaser) = release_later(store.clone());
    rt.block_on(async {
        // The load is given up after the store wait, and so is the save queued behind it:
        // the token is served unsaved.
        let d = s.start(source()).await.unwrap();
        assert_eq!((d.token.expose(), d.resumed), ("tok-1", false));
        assert_eq!(s.state(), SessionState::Active);
        assert_eq!(s.token().await.unwrap().expose(), "tok-1");
    });
    // stop() holds its caller only briefly for the clear queued behind them.
    s.stop();
    assert_eq!(s.state(), SessionState::Stopped);
    done.send(()).unwrap();
    assert!(!releaser.join().unwrap(), "the start or the stop waited for the store");
    // Released, the queued save and then the clear run in order: no record is left.
    rt.block_on(async {
        let d = s.start(source()).await.unwrap();
        assert_eq!((d.token.expose(), d.resumed), ("tok-2", false));
    });
}

/// A session that has started (tok-1, saved) on a store whose clears are now held until
/// `done` is sent (or 10 s pass: `releaser` then joins `true`).
struct Held {
    rt: tokio::runtime::Runtime,
    store: Arc<HeldStore>,
    transport: Arc<Tokens>,
    session: Arc<Session>,
    done: mpsc::Sender<()>,
    releaser: std::thread::JoinHandle<bool>,
}

fn active_with_clears_held() -> Held {
    let rt = runtime();
    let store = Arc::new(HeldStore::default());
    let transport = Arc::new(Tokens(AtomicU64::new(0)));
    let session = session(&rt, store.clone(), transport.clone());
    rt.block_on(async { session.start(source()).await.unwrap() });
    assert_eq!(store.records.lock().unwrap().len(), 1);
    store.hold_clears.store(true, Ordering::SeqCst);
    let (done, releaser) = release_later(store.clone());
    Held { rt, store, transport, session, done, releaser }
}

/// From the outside test: stop() waits for the clear at most a second; a session made after
/// it (through configure, or a new one on the same store) has a store lane of its own, and
/// loaded the record before the slow clear was done: the signed-out token was resumed.
#[test]
fn no_session_resumes_a_record_whose_clear_is_still_pending() {
    let Held { rt, store, transport, session: a, done, releaser } = active_with_clears_held();
    a.stop(); // the user signs out; the clear is held, stop() returns anyway
    assert_eq!(store.records.lock().unwrap().len(), 1, "the clear has not run yet");
    let b = session(&rt, store.clone(), transport.clone());
    rt.block_on(async {
        let d = b.start(source()).await.unwrap();
        assert_eq!((d.token.expose(), d.resumed), ("tok-2", false), "the signed-out tok-1 must not be resumed");
    });
    done.send(()).unwrap();
    assert!(!releaser.join().unwrap());
}

/// From the outside re-test (N2): after a clear that hangs, every start and refresh waited
/// the whole store wait (2 s) for each of its store calls. Now the wait that runs out marks
/// the store as stuck: later calls are queued without a wait until it answers, then waited
/// for again.
#[test]
fn a_store_stuck_on_a_clear_costs_one_wait_not_one_per_call() {
    let Held { rt, store, session: s, done, releaser, .. } = active_with_clears_held();
    s.stop(); // its clear hangs: stop() gives up waiting after a second
    let started = std::time::Instant::now();
    rt.block_on(async {
        // A load and a save, then two saves: five store calls, none waited for.
        let d = s.start(source()).await.unwrap();
        assert_eq!((d.token.expose(), d.resumed), ("tok-2", false));
        assert_eq!(s.refresh().await.unwrap().token.expose(), "tok-3");
        assert_eq!(s.refresh().await.unwrap().token.expose(), "tok-4");
    });
    // Without the mark, the first load alone waits the whole store wait.
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "the calls waited for the stuck store: {took:?}");
    let key = key_of(&store);
    assert!(String::from_utf8_lossy(&store.records.lock().unwrap()[&key]).contains("tok-1"), "nothing ran yet");
    done.send(()).unwrap();
    assert!(!releaser.join().unwrap());
    rt.block_on(async {
        // Answered again: the queued clear, load and saves run, in order ...
        store.until_saved("tok-4").await;
        // ... and the store is waited for again: the renewal's save is done when the
        // refresh returns.
        assert_eq!(s.refresh().await.unwrap().token.expose(), "tok-5");
    });
    let records = store.records.lock().unwrap();
    assert_eq!(records.len(), 1);
    assert!(String::from_utf8_lossy(records.values().next().unwrap()).contains("tok-5"));
}

/// The one key a test's session saved under.
fn key_of(store: &HeldStore) -> String {
    let records = store.records.lock().unwrap();
    assert_eq!(records.len(), 1);
    records.keys().next().unwrap().clone()
}

/// From the outside test: a start that replaced a running session held the caller (the
/// app's main thread) for `stop()`'s second when the clear was slow; start returns at once.
/// The replaced session's record is still cleared before the new one's is written.
#[test]
fn a_start_that_replaces_a_running_session_does_not_wait_for_the_clear() {
    let Held { rt, store, transport, session: s, done, releaser } = active_with_clears_held();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let called = std::time::Instant::now();
    s.start_with_callback(source(), move |r| {
        let _ = tx.send(r.map(|d| (d.token.expose().to_string(), d.resumed)));
    });
    // stop()'s wait for a clear is a second: a start that waited would take at least that.
    let took = called.elapsed();
    assert!(took < Duration::from_millis(900), "start() waited for the clear: {took:?}");
    rt.block_on(async {
        // Nor does the new start load a record known to be going: it asks for its token while
        // the clear is still held (a load queued behind it would be waited for the whole 2 s).
        while transport.0.load(Ordering::SeqCst) < 2 {
            assert!(called.elapsed() < Duration::from_secs(5), "no request for the new token");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let took = called.elapsed();
        assert!(took < Duration::from_secs(2), "the new start waited for the clear before its request: {took:?}");
        // Its token is saved behind the clear (waited for as any save is), then served.
        done.send(()).unwrap();
        assert_eq!(rx.await.unwrap().unwrap(), ("tok-2".to_string(), false), "the replaced record is not resumed");
        store.until_saved("tok-2").await;
    });
    assert!(!releaser.join().unwrap());
}

/// From the outside test (F4): `configure` made a new engine with a store queue of its own.
/// Its calls then ran beside a clear of the old engine still hung in the store (two calls at
/// once on one store), the store it knew to hang was waited for again, and the old clear,
/// once answered, deleted the new token's record. Engines that share their session object's
/// queue call the store one call at a time, in order, and remember that it is stuck.
#[test]
fn engines_that_share_a_store_queue_call_the_store_one_at_a_time_in_order() {
    let rt = runtime();
    let store = Arc::new(HeldStore::default());
    let transport = Arc::new(Tokens(AtomicU64::new(0)));
    let queue = StoreQueue::new(rt.handle());
    let old = session_on(&rt, store.clone(), transport.clone(), Some(queue.clone()));
    rt.block_on(async { old.start(source()).await.unwrap() });
    store.hold_clears.store(true, Ordering::SeqCst);
    let (done, releaser) = release_later(store.clone());
    // Its clear hangs: stop() gives up waiting after a second. Then what `configure` does:
    // a new engine on the same store.
    old.stop();
    let new = session_on(&rt, store.clone(), transport, Some(queue));
    start_and_refresh_without_waiting(&rt, &new, "the new engine waited for a store known to be stuck");
    assert_eq!(store.max_in_flight.load(Ordering::SeqCst), 1, "a store call ran beside the hung clear");
    release_and_keep_the_newest(&rt, &store, done, releaser);
}

/// Starts `s` (tok-2) and refreshes it (tok-3) without waiting for the store: under 2 s.
fn start_and_refresh_without_waiting(rt: &tokio::runtime::Runtime, s: &Session, why: &str) {
    let started = std::time::Instant::now();
    rt.block_on(async {
        let d = s.start(source()).await.unwrap();
        assert_eq!((d.token.expose(), d.resumed), ("tok-2", false));
        assert_eq!(s.refresh().await.unwrap().token.expose(), "tok-3");
    });
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "{why}: {took:?}");
}

/// Lets the store answer: the calls queued run in order, tok-3's record is the one left, and
/// no two store calls ever ran at once.
fn release_and_keep_the_newest(
    rt: &tokio::runtime::Runtime,
    store: &HeldStore,
    done: mpsc::Sender<()>,
    releaser: std::thread::JoinHandle<bool>,
) {
    done.send(()).unwrap();
    assert!(!releaser.join().unwrap());
    rt.block_on(store.until_saved("tok-3"));
    let key = key_of(store);
    assert!(String::from_utf8_lossy(&store.records.lock().unwrap()[&key]).contains("tok-3"));
    assert_eq!(store.max_in_flight.load(Ordering::SeqCst), 1);
}

/// From the outside test: a session closed (or stopped) while its store's clear hung, then a
/// new session object on the same store and key (its own queue): the new one's save ran
/// beside the old clear, and the clear, once answered, deleted the new token's record. A save
/// now waits for the clears of its record queued before it anywhere in the process.
#[test]
fn a_save_waits_for_another_sessions_earlier_clear_of_its_record() {
    let Held { rt, store, transport, session: old, done, releaser } = active_with_clears_held();
    old.stop(); // its clear hangs: stop() gives up waiting after a second
    drop(old); // closed: its queue stays until the clear has run
    let new = session(&rt, store.clone(), transport.clone());
    // Its saves wait behind the clear, and are not waited for: a clear still pending has
    // outlived stop()'s wait (from the outside re-test: each start or renewal waited the whole
    // store wait, 2 s, for a save that was waiting 10 s for a clear hung for good).
    start_and_refresh_without_waiting(&rt, &new, "a save queued behind a pending clear was waited for");
    assert_eq!(store.max_in_flight.load(Ordering::SeqCst), 1, "the save ran beside the hung clear");
    let key = key_of(&store);
    assert!(String::from_utf8_lossy(&store.records.lock().unwrap()[&key]).contains("tok-1"), "nothing ran yet");
    // The clear, then the saves: the newest token's record is what is left, under the same key.
    release_and_keep_the_newest(&rt, &store, done, releaser);
    assert_eq!(key_of(&store), key);
}
