//! The server: axum routes, connections served by hand with hyper (so a fault can close one
//! without a response), fault application, the clock, and the in-process controls.

use crate::config::DevServerConfig;
use crate::faults::{Fault, FaultKind};
use crate::http::{Reply, MAX_REQUEST_BODY};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

/// 9999-12-31T23:59:59Z: the last second an HTTP date (and httpdate) can express.
const LATEST_UNIX: u64 = 253_402_300_799;

/// How long in-flight requests may take to finish once shutdown starts.
const GRACE: Duration = Duration::from_secs(1);

/// Settings tests change while the server runs.
pub(crate) struct Live {
    pub config: DevServerConfig,
    /// Kaltura app-token session durations overridden by tests (app token id → seconds).
    pub kaltura_durations: HashMap<String, u64>,
}

/// State shared by every connection and handler.
pub(crate) struct Shared {
    live: Mutex<Live>,
    faults: Mutex<VecDeque<Fault>>,
    counts: Mutex<BTreeMap<String, u64>>,
    /// VideoSDK rooms created through `POST /v2/rooms`: id → creation time (unix).
    pub rooms: Mutex<BTreeMap<String, i64>>,
    stop: watch::Receiver<bool>,
}

/// The handlers' state.
pub(crate) type App = Arc<Shared>;

/// Lock, ignoring poisoning (a panicking holder cannot leave these maps inconsistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// The server's clock: system time plus the clock offset, kept within 1970..=9999 (what
    /// an HTTP date can say) whatever offset a test sets.
    pub fn now(&self) -> SystemTime {
        let off = lock(&self.live).config.clock_offset_secs;
        let now = SystemTime::now();
        let latest = SystemTime::UNIX_EPOCH + Duration::from_secs(LATEST_UNIX);
        let shifted = if off >= 0 { now.checked_add(Duration::from_secs(off.unsigned_abs())).unwrap_or(latest) } else { now.checked_sub(Duration::from_secs(off.unsigned_abs())).unwrap_or(SystemTime::UNIX_EPOCH) };
        shifted.clamp(SystemTime::UNIX_EPOCH, latest)
    }

    /// The server's clock in whole unix seconds.
    pub fn now_unix(&self) -> i64 {
        self.now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }

    /// A snapshot of the live configuration.
    pub fn config(&self) -> DevServerConfig {
        lock(&self.live).config.clone()
    }

    /// The session duration of a Kaltura app token as overridden by a test, if it was.
    pub fn kaltura_duration_override(&self, id: &str) -> Option<u64> {
        lock(&self.live).kaltura_durations.get(id).copied()
    }

    /// Count a request on `route` and take the first queued fault that matches it.
    fn begin(&self, route: &str) -> Option<FaultKind> {
        *lock(&self.counts).entry(route.to_string()).or_insert(0) += 1;
        let mut q = lock(&self.faults);
        let i = q.iter().position(|f| f.route == route || f.route == "*")?;
        let f = q.get_mut(i)?;
        let kind = f.kind.clone();
        f.count = f.count.saturating_sub(1);
        if f.count == 0 {
            q.remove(i);
        }
        Some(kind)
    }

    /// Count a request on `route` without taking a fault (the calls inside a Kaltura
    /// multirequest: faults apply to the HTTP request as a whole).
    pub fn count(&self, route: &str) {
        *lock(&self.counts).entry(route.to_string()).or_insert(0) += 1;
    }

    /// Resolves once shutdown has begun.
    pub async fn stopped(&self) {
        until_stopped(&mut self.stop.clone()).await
    }
}

/// Resolves once the stop switch is on (or its sender is gone).
async fn until_stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// One connection's kill switch: a handler pulls it, the connection task drops the
/// connection (closing the socket) without writing a response.
#[derive(Clone, Default)]
pub(crate) struct ConnCtl(Arc<Notify>);

impl ConnCtl {
    fn drop_now(&self) {
        self.0.notify_one();
    }
}

/// The connection control the serving loop put in a request's extensions.
pub(crate) fn conn_of(req: &Request) -> Option<ConnCtl> {
    req.extensions().get::<ConnCtl>().cloned()
}

/// Read a request body up to [`MAX_REQUEST_BODY`], within the body read timeout (else 408).
pub(crate) async fn read_body(app: &App, body: Body) -> Result<Bytes, Reply> {
    let limit = lock(&app.live).config.body_read_timeout;
    match tokio::time::timeout(limit, axum::body::to_bytes(body, MAX_REQUEST_BODY)).await {
        Err(_) => Err(Reply::error(408, &format!("the request body did not arrive within {} ms", limit.as_millis()))),
        Ok(r) => r.map_err(|_| Reply::error(413, &format!("request body unreadable or larger than {MAX_REQUEST_BODY} bytes"))),
    }
}

/// Answer a request to `route`: count it, apply the next matching fault, otherwise (or
/// around it) the handler's reply.
pub(crate) async fn answer(app: &App, route: &'static str, conn: Option<ConnCtl>, handler: impl FnOnce() -> Reply) -> Response {
    let fault = app.begin(route);
    if let Some(f) = &fault {
        log::debug!(target: "videokit_devserver", "{route}: fault {f:?}");
    }
    let reply = match fault {
        None => handler(),
        Some(FaultKind::Drop) => {
            if let Some(c) = conn {
                c.drop_now();
                std::future::pending::<()>().await;
            }
            return Reply::error(500, "fault: drop (no connection to drop)").into_response();
        }
        Some(FaultKind::Stall) => {
            app.stopped().await;
            if let Some(c) = conn {
                c.drop_now();
                std::future::pending::<()>().await;
            }
            return Reply::error(503, "fault: stall ended by shutdown").into_response();
        }
        Some(FaultKind::Delay { ms }) => {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                _ = app.stopped() => {}
            }
            handler()
        }
        Some(FaultKind::Status { status, retry_after, body }) => {
            let mut r = match body {
                Some(b) if serde_json::from_str::<serde_json::Value>(&b).is_ok() => Reply::json_text(status, b),
                Some(b) => Reply::raw(status, "text/plain; charset=utf-8", b.into_bytes()),
                None => Reply::error(status, &format!("fault injected: status {status}")),
            };
            if let Some(ra) = retry_after {
                r.headers.push(("retry-after", ra.to_string()));
            }
            r
        }
        Some(FaultKind::Html) => Reply::raw(502, "text/html", HTML_502.as_bytes().to_vec()),
        Some(FaultKind::Malformed) => Reply::json_text(200, malformed_body(route)),
        Some(FaultKind::Oversize { bytes }) => Reply::json_text(200, oversize_body(route, bytes)),
        Some(FaultKind::InvalidUtf8) => {
            let mut body = format!("{{\"{}\":\"", main_field(route)).into_bytes();
            body.extend_from_slice(&[0xff, 0xfe, 0xfd, b'a', 0xc3, 0x28]);
            body.extend_from_slice(b"\"}");
            Reply::json_text(200, body)
        }
        Some(FaultKind::WrongContentType) => {
            let mut r = handler();
            r.status = 200;
            r.content_type = "text/plain; charset=utf-8";
            r
        }
        Some(FaultKind::Truncated) => {
            let mut r = handler();
            r.status = 200;
            let half = r.body.len() / 2;
            r.body.truncate(half);
            r
        }
        Some(FaultKind::SlowBody { bytes_per_sec }) => return slow_body(app, handler(), bytes_per_sec),
    };
    log::debug!(target: "videokit_devserver", "{route}: {}", reply.status);
    reply.into_response()
}

const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// The field a route's answer is about (for the malformed, oversize and invalid-UTF-8 bodies).
fn main_field(route: &str) -> &'static str {
    match route {
        "sessions" | "token" => "sessionToken",
        "videosdk.getToken" => "token",
        "videosdk.createRoom" | "videosdk.validateRoom" => "roomId",
        _ => "ks",
    }
}

/// A body that is not JSON: the VideoKit vendor's own `{"sessionToken": abc.def.ghi`, or
/// the same mistake on the route's own field.
fn malformed_body(route: &str) -> String {
    match route {
        "sessions" | "token" => "{\"sessionToken\": abc.def.ghi".into(),
        "videosdk.getToken" => "{\"token\": abc.def.ghi".into(),
        "videosdk.createRoom" | "videosdk.validateRoom" => "{\"roomId\": abc-def".into(),
        _ => "{\"partnerId\": 1851571, \"ks\": abc.def.ghi".into(),
    }
}

/// A valid JSON body of exactly `bytes` bytes (at least 2): `{"<field>":"xxxx…"}`, or `{}`
/// padded with spaces when too small for that.
fn oversize_body(route: &str, bytes: usize) -> Vec<u8> {
    let head = format!("{{\"{}\":\"", main_field(route));
    let overhead = head.len() + 2;
    if bytes < overhead {
        let mut b = vec![b' '; bytes.max(2)];
        b[0] = b'{';
        let last = b.len() - 1;
        b[last] = b'}';
        return b;
    }
    let mut b = Vec::with_capacity(bytes);
    b.extend_from_slice(head.as_bytes());
    b.resize(bytes - 2, b'x');
    b.extend_from_slice(b"\"}");
    b
}

/// The reply with its headers (and full `Content-Length`) at once and the body trickled at
/// `bytes_per_sec`, in up to ten chunks a second. Shutdown ends the body with an error.
fn slow_body(app: &App, mut reply: Reply, bytes_per_sec: u32) -> Response {
    let rate = bytes_per_sec.max(1);
    let chunk = (rate / 10).max(1) as usize;
    let gap = Duration::from_secs_f64(chunk as f64 / f64::from(rate));
    let body = Bytes::from(std::mem::take(&mut reply.body));
    reply.headers.push(("content-length", body.len().to_string()));
    let stop = app.stop.clone();
    let stream = futures::stream::unfold((body, 0usize, stop), move |(body, at, mut stop)| async move {
        if at >= body.len() {
            return None;
        }
        tokio::select! {
            _ = tokio::time::sleep(gap) => {}
            _ = until_stopped(&mut stop) => {
                return Some((Err(std::io::Error::other("devserver shutting down")), (body, usize::MAX, stop)));
            }
        }
        let end = (at + chunk).min(body.len());
        let piece = body.slice(at..end);
        Some((Ok(piece), (body, end, stop)))
    });
    reply.into_response_with(Body::from_stream(stream))
}

async fn not_found(req: Request) -> Response {
    Reply::error(404, &format!("no route for {} {}", req.method(), req.uri().path())).into_response()
}

fn router(app: App) -> Router {
    use crate::{control, kaltura, videokit, videosdk};
    Router::new()
        .route("/v1/sessions", post(videokit::sessions))
        .route("/token/{identity}", get(videokit::token))
        .route("/api_v3", any(kaltura::entry))
        .route("/api_v3/", any(kaltura::entry))
        .route("/api_v3/{*rest}", any(kaltura::entry))
        .route("/get-token", get(videosdk::get_token).post(videosdk::get_token))
        .route("/v2/rooms", post(videosdk::create_room))
        .route("/v2/rooms/validate/{room_id}", get(videosdk::validate_room))
        .route("/_control/faults", post(control::faults))
        .route("/_control/counts", get(control::counts))
        .route("/_control/reset", post(control::reset))
        .route("/_control/config", get(control::get_config).post(control::set_config))
        .fallback(not_found)
        .with_state(app)
}

/// Serve one connection: HTTP/1.1 with keep-alive; every response gets the server clock's
/// `Date`. Ends when the client closes, when a handler pulls the connection's kill switch
/// (no response is written), or at shutdown (graceful, then forced after [`GRACE`]).
async fn serve_connection(stream: TcpStream, router: Router, app: App) {
    let _ = stream.set_nodelay(true);
    let ctl = ConnCtl::default();
    let (svc_ctl, svc_app) = (ctl.clone(), app.clone());
    let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(svc_ctl.clone());
        let mut router = router.clone();
        let app = svc_app.clone();
        async move {
            // Router is always ready (axum documents poll_ready as always Ready).
            let mut resp = match tower_service::Service::call(&mut router, req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(app.now())) {
                resp.headers_mut().insert(header::DATE, v);
            }
            Ok::<_, Infallible>(resp)
        }
    });
    // Headers (and the wait for the next request on a kept-alive connection) must arrive
    // within the header read timeout, or hyper closes the connection: half-open and idle
    // connections do not hold a slot for ever.
    let header_timeout = lock(&app.live).config.header_read_timeout;
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut stop = app.stop.clone();
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = ctl.0.notified() => return,
        _ = until_stopped(&mut stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = ctl.0.notified() => {}
        _ = tokio::time::sleep(GRACE) => {}
    }
}

async fn accept_loop(listener: TcpListener, router: Router, app: App) {
    let mut conns = tokio::task::JoinSet::new();
    let mut stop = app.stop.clone();
    // At most `max_connections` are served at once; the rest wait in the backlog.
    let slots = Arc::new(tokio::sync::Semaphore::new(lock(&app.live).config.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            _ = until_stopped(&mut stop) => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        tokio::select! {
            _ = until_stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let (router, app) = (router.clone(), app.clone());
                    conns.spawn(async move {
                        serve_connection(stream, router, app).await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    log::warn!(target: "videokit_devserver", "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE + Duration::from_millis(250), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.shutdown().await;
}

/// A cheap handle on a running server's test controls, usable from any thread.
#[derive(Clone)]
pub struct Controls {
    app: App,
}

impl std::fmt::Debug for Controls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controls").field("counts", &self.request_counts()).finish()
    }
}

impl Controls {
    pub(crate) fn new(app: App) -> Controls {
        Controls { app }
    }

    /// Queue a fault. Faults are consumed in FIFO order by the requests they match.
    pub fn inject(&self, fault: Fault) {
        lock(&self.app.faults).push_back(fault);
    }

    /// Faults still queued (each with its remaining count).
    pub fn pending_faults(&self) -> Vec<Fault> {
        lock(&self.app.faults).iter().cloned().collect()
    }

    /// Requests seen on a route (faulted ones included; control routes are not counted).
    pub fn request_count(&self, route: &str) -> u64 {
        lock(&self.app.counts).get(route).copied().unwrap_or(0)
    }

    /// Requests seen per route name (routes never requested are absent).
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.app.counts).clone()
    }

    /// Clear queued faults and request counts (settings are kept).
    pub fn reset(&self) {
        lock(&self.app.faults).clear();
        lock(&self.app.counts).clear();
    }

    /// Set the clock offset in seconds (`Date`, `iat`/`exp`, `expiresAt`, KS expiry, expiry
    /// checks).
    pub fn set_clock_offset(&self, secs: i64) {
        lock(&self.app.live).config.clock_offset_secs = secs;
    }

    /// The server's clock now (system time plus the offset).
    pub fn server_time(&self) -> SystemTime {
        self.app.now()
    }

    /// Lifetime of VideoKit session tokens issued from now on.
    pub fn set_token_lifetime(&self, d: Duration) {
        // Kept within 1 s..=10 years, as the configuration is.
        let secs = d.as_secs().clamp(1, crate::config::MAX_LIFETIME_SECS);
        lock(&self.app.live).config.token_lifetime = if d.as_secs() == secs { d } else { Duration::from_secs(secs) };
    }

    /// Lifetime of VideoSDK tokens `/get-token` issues from now on (whole seconds).
    pub fn set_videosdk_lifetime(&self, d: Duration) {
        lock(&self.app.live).config.videosdk.token_lifetime_secs = d.as_secs().clamp(1, crate::config::MAX_LIFETIME_SECS);
    }

    /// Override a Kaltura app token's sessionDuration (seconds, at least 1), so tests get
    /// short-lived KS strings.
    pub fn set_kaltura_session_duration(&self, app_token_id: &str, secs: u64) {
        lock(&self.app.live).kaltura_durations.insert(app_token_id.to_string(), secs.max(1));
    }

    /// A snapshot of the configuration in force (with the changes made through controls,
    /// except Kaltura duration overrides).
    pub fn config(&self) -> DevServerConfig {
        self.app.config()
    }
}

/// What [`launch`] returns: address, controls, the stop switch, the accept loop's task.
type Launched = (SocketAddr, Controls, watch::Sender<bool>, tokio::task::JoinHandle<()>);

/// Serve `listener` on the current runtime.
fn launch(listener: TcpListener, config: DevServerConfig) -> std::io::Result<Launched> {
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);
    let app: App = Arc::new(Shared {
        live: Mutex::new(Live { config, kaltura_durations: HashMap::new() }),
        faults: Mutex::new(VecDeque::new()),
        counts: Mutex::new(BTreeMap::new()),
        rooms: Mutex::new(BTreeMap::new()),
        stop: stop_rx,
    });
    let task = tokio::spawn(accept_loop(listener, router(app.clone()), app.clone()));
    Ok((addr, Controls::new(app), stop, task))
}

/// A running devserver on 127.0.0.1. [`shutdown`](Self::shutdown) stops it gracefully;
/// dropping it stops it too.
pub struct DevServer {
    addr: SocketAddr,
    controls: Controls,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for DevServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevServer").field("addr", &self.addr).field("background", &self.thread.is_some()).finish()
    }
}

impl DevServer {
    /// Bind 127.0.0.1:`config.port` (0 = any free port) and serve on the current tokio
    /// runtime. Must be called from within a runtime.
    pub async fn start(config: DevServerConfig) -> std::io::Result<DevServer> {
        config.validate().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.0))?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let (addr, controls, stop, task) = launch(listener, config)?;
        log::info!(target: "videokit_devserver", "listening on http://{addr}");
        Ok(DevServer { addr, controls, stop, task: Some(task), thread: None })
    }

    /// Serve from its own OS thread and its own multi-thread runtime (2 workers): for
    /// synchronous callers, and for tests whose own runtime runs on paused time. Works with
    /// or without a current runtime.
    pub fn start_background(config: DevServerConfig) -> std::io::Result<DevServer> {
        config.validate().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.0))?;
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        std_listener.set_nonblocking(true)?;
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("videokit-devserver-worker").enable_all().build()?;
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("videokit-devserver".into()).spawn(move || {
            rt.block_on(async move {
                match TcpListener::from_std(std_listener).and_then(|l| launch(l, config)) {
                    Ok((addr, controls, stop, task)) => {
                        let _ = tx.send(Ok((addr, controls, stop)));
                        let _ = task.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
            rt.shutdown_timeout(Duration::from_millis(500));
        })?;
        match rx.recv() {
            Ok(Ok((addr, controls, stop))) => {
                log::info!(target: "videokit_devserver", "listening on http://{addr} (background thread)");
                Ok(DevServer { addr, controls, stop, task: None, thread: Some(thread) })
            }
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(std::io::Error::other("the devserver thread exited before it started")),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address (127.0.0.1 and the port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle on the test controls (faults, counts, clock, lifetimes).
    pub fn controls(&self) -> Controls {
        self.controls.clone()
    }

    /// Stop accepting, let in-flight requests finish (up to about a second; stalled ones are
    /// closed at once), and wait until the server has stopped.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(thread) = self.thread.take() {
            if let Err(thread) = join_off_runtime(thread).await {
                let _ = thread.join();
            }
        }
    }
}

/// Join the server thread on a blocking-pool thread when there is a runtime to lend one.
async fn join_off_runtime(thread: std::thread::JoinHandle<()>) -> Result<(), std::thread::JoinHandle<()>> {
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            let _ = h.spawn_blocking(move || thread.join()).await;
            Ok(())
        }
        Err(_) => Err(thread),
    }
}

impl Drop for DevServer {
    /// Begin shutdown; for [`start_background`](Self::start_background), also wait for the
    /// server thread (about a second at most).
    fn drop(&mut self) {
        self.stop.send_replace(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Time since `start`, in seconds, as Kaltura's `executionTime`.
pub(crate) fn elapsed_secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversize_bodies_are_exact_and_valid() {
        for n in [0, 1, 2, 5, 19, 20, 21, 1000] {
            let b = oversize_body("token", n);
            assert_eq!(b.len(), n.max(2));
            assert!(serde_json::from_slice::<serde_json::Value>(&b).is_ok(), "{n}");
        }
        for r in crate::ROUTES {
            assert!(serde_json::from_str::<serde_json::Value>(&malformed_body(r)).is_err());
        }
    }
}
