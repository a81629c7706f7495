//! The server: accept loop on 127.0.0.1, routing, faults, the control surface.

use crate::config::DevServerConfig;
use crate::faults::{Fault, FaultKind, FaultSpec};
use crate::http::{Req, Resp};
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::watch;

type Body = BoxBody<Bytes, Infallible>;

/// Live, changeable settings.
pub(crate) struct Live {
    pub config: DevServerConfig,
    /// Kaltura app-token session durations overridden by tests.
    pub kaltura_durations: HashMap<String, u64>,
}

pub(crate) struct State {
    pub live: Mutex<Live>,
    faults: Mutex<VecDeque<Fault>>,
    counts: Mutex<BTreeMap<String, u64>>,
    pub rooms: Mutex<Vec<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    /// The server's clock (system time plus the configured offset).
    pub fn now(&self) -> SystemTime {
        let off = lock(&self.live).config.clock_offset_secs;
        if off >= 0 {
            SystemTime::now() + Duration::from_secs(off as u64)
        } else {
            SystemTime::now() - Duration::from_secs(off.unsigned_abs())
        }
    }
    pub fn now_unix(&self) -> i64 {
        match self.now().duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(_) => 0,
        }
    }
    pub fn config(&self) -> DevServerConfig {
        lock(&self.live).config.clone()
    }
    pub fn kaltura_duration_override(&self, id: &str) -> Option<u64> {
        lock(&self.live).kaltura_durations.get(id).copied()
    }
    fn take_fault(&self, route: &str) -> Option<FaultKind> {
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
    fn count(&self, route: &str) {
        *lock(&self.counts).entry(route.to_string()).or_insert(0) += 1;
    }
}

/// A cheap handle on a running server's test controls, usable from any thread.
#[derive(Clone)]
pub struct Controls {
    state: Arc<State>,
}

impl Controls {
    /// Queue a fault (consumed FIFO by matching requests).
    pub fn inject(&self, fault: Fault) {
        lock(&self.state.faults).push_back(fault);
    }
    /// Requests seen on a route (faulted ones included).
    pub fn request_count(&self, route: &str) -> u64 {
        lock(&self.state.counts).get(route).copied().unwrap_or(0)
    }
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.state.counts).clone()
    }
    /// Clear faults and counts.
    pub fn reset(&self) {
        lock(&self.state.faults).clear();
        lock(&self.state.counts).clear();
    }
    pub fn set_clock_offset(&self, secs: i64) {
        lock(&self.state.live).config.clock_offset_secs = secs;
    }
    /// Lifetime of VideoKit session tokens.
    pub fn set_token_lifetime(&self, d: Duration) {
        lock(&self.state.live).config.token_lifetime = d.max(Duration::from_secs(1));
    }
    /// Lifetime of VideoSDK tokens from `/get-token`.
    pub fn set_videosdk_lifetime(&self, d: Duration) {
        lock(&self.state.live).config.videosdk.token_lifetime_secs = d.as_secs().max(1);
    }
    /// Override a Kaltura app token's sessionDuration (short KS lifetimes for renewal tests).
    pub fn set_kaltura_session_duration(&self, app_token_id: &str, secs: u64) {
        lock(&self.state.live).kaltura_durations.insert(app_token_id.to_string(), secs.max(1));
    }
}

/// A running devserver. Dropping it stops it.
pub struct DevServer {
    addr: SocketAddr,
    controls: Controls,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DevServer {
    /// Bind 127.0.0.1:`config.port` and serve on the current tokio runtime.
    pub async fn start(config: DevServerConfig) -> std::io::Result<DevServer> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            live: Mutex::new(Live { config, kaltura_durations: HashMap::new() }),
            faults: Mutex::new(VecDeque::new()),
            counts: Mutex::new(BTreeMap::new()),
            rooms: Mutex::new(Vec::new()),
        });
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, state.clone(), stop_rx));
        Ok(DevServer { addr, controls: Controls { state }, stop, task: Some(task), thread: None })
    }

    /// Serve from its own OS thread and runtime (2 workers): for sync callers and for tests
    /// whose own runtime runs on paused time.
    pub fn start_background(config: DevServerConfig) -> std::io::Result<DevServer> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("videokit-devserver".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                match DevServer::start(config).await {
                    Ok(mut s) => {
                        let mut stop_rx = s.stop.subscribe();
                        let task = s.task.take();
                        let _ = tx.send(Ok((s.addr, s.controls.clone(), s.stop.clone())));
                        let _ = stop_rx.wait_for(|v| *v).await;
                        if let Some(t) = task {
                            let _ = t.await;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        })?;
        match rx.recv() {
            Ok(Ok((addr, controls, stop))) => Ok(DevServer { addr, controls, stop, task: None, thread: Some(thread) }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(std::io::Error::other("the devserver thread exited")),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn controls(&self) -> Controls {
        self.controls.clone()
    }
    /// Stop accepting, close connections, and wait for the server to finish.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            t.abort();
        }
        if let Some(th) = self.thread.take() {
            let _ = th.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, stop: watch::Receiver<bool>) {
    let mut conns = tokio::task::JoinSet::new();
    let mut stop_main = stop.clone();
    loop {
        tokio::select! {
            _ = stop_main.wait_for(|v| *v) => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                let mut stop = stop.clone();
                conns.spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let svc = hyper::service::service_fn(move |req| handle(state.clone(), req));
                    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.wait_for(|v| *v) => {}
                    }
                });
            }
        }
    }
    conns.abort_all();
}

/// The error a handler returns to make hyper close the connection without a response.
#[derive(Debug)]
struct DropConnection;
impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}
impl std::error::Error for DropConnection {}

fn route_name(method: &hyper::Method, path: &str, query: &HashMap<String, String>) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    if method == hyper::Method::POST && path == "/v1/sessions" {
        return Some("sessions");
    }
    if method == hyper::Method::GET && path.starts_with("/token/") {
        return Some("token");
    }
    if lower.starts_with("/api_v3") {
        return crate::kaltura::route(&lower, query);
    }
    if path == "/get-token" {
        return Some("videosdk.getToken");
    }
    if method == hyper::Method::POST && path == "/v2/rooms" {
        return Some("videosdk.createRoom");
    }
    if path.starts_with("/v2/rooms/validate/") {
        return Some("videosdk.validateRoom");
    }
    None
}

async fn handle(state: Arc<State>, req: hyper::Request<hyper::body::Incoming>) -> Result<hyper::Response<Body>, DropConnection> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let path = parts.uri.path().to_string();
    let query: HashMap<String, String> = parts.uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let req = Req { method: parts.method.clone(), path: path.clone(), headers: parts.headers, query, body };

    if path.starts_with("/_control/") {
        return Ok(finish(&state, control(&state, &req)));
    }
    let Some(route) = route_name(&req.method, &path, &req.query) else {
        return Ok(finish(&state, Resp::error(404, "no such route")));
    };
    state.count(route);
    let fault = state.take_fault(route);
    log::debug!(target: "videokit_devserver", "{} {} -> {route}{}", req.method, path, if fault.is_some() { " (fault)" } else { "" });
    match &fault {
        Some(FaultKind::Drop) => return Err(DropConnection),
        Some(FaultKind::Stall) => {
            std::future::pending::<()>().await;
        }
        Some(FaultKind::Delay { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(FaultKind::Status { status, retry_after, body }) => {
            let mut r = match body {
                Some(b) => Resp { status: *status, content_type: "application/json", headers: vec![], body: b.clone().into_bytes() },
                None => Resp::error(*status, "fault injected"),
            };
            if let Some(ra) = retry_after {
                r.headers.push(("retry-after", ra.to_string()));
            }
            return Ok(finish(&state, r));
        }
        Some(FaultKind::Html) => {
            let html = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
            return Ok(finish(&state, Resp { status: 502, content_type: "text/html", headers: vec![], body: html.as_bytes().to_vec() }));
        }
        Some(FaultKind::Oversize { bytes }) => {
            let filler = "x".repeat(bytes.saturating_sub(20));
            let body = format!(r#"{{"sessionToken":"{filler}"}}"#);
            return Ok(finish(&state, Resp { status: 200, content_type: "application/json", headers: vec![], body: body.into_bytes() }));
        }
        Some(FaultKind::InvalidUtf8) => {
            let mut body = br#"{"sessionToken":"abc"#.to_vec();
            body.extend_from_slice(&[0xff, 0xfe, 0xfd]);
            body.extend_from_slice(br#""}"#);
            return Ok(finish(&state, Resp { status: 200, content_type: "application/json", headers: vec![], body }));
        }
        Some(FaultKind::Malformed) => {
            let body = if route == "token" || route == "sessions" { r#"{"sessionToken": abc.def.ghi"#.to_string() } else { r#"{"token": abc.def.ghi, "ks": "#.to_string() };
            return Ok(finish(&state, Resp { status: 200, content_type: "application/json", headers: vec![], body: body.into_bytes() }));
        }
        _ => {}
    }
    let mut resp = match route {
        "sessions" | "token" => crate::videokit::handle(&state, route, &req),
        r if r.starts_with("kaltura.") => crate::kaltura::handle(&state, r, &req),
        r => crate::videosdk::handle(&state, r, &req),
    };
    match fault {
        Some(FaultKind::WrongContentType) => resp.content_type = "text/plain",
        Some(FaultKind::Truncated) => {
            let half = resp.body.len() / 2;
            resp.body.truncate(half);
        }
        Some(FaultKind::SlowBody { bytes_per_sec }) => return Ok(slow(&state, resp, bytes_per_sec)),
        _ => {}
    }
    Ok(finish(&state, resp))
}

fn builder(state: &State, r: &Resp) -> hyper::http::response::Builder {
    let mut b = hyper::Response::builder().status(r.status).header("content-type", r.content_type).header("date", httpdate::fmt_http_date(state.now()));
    for (k, v) in &r.headers {
        b = b.header(*k, v.as_str());
    }
    b
}

fn finish(state: &State, r: Resp) -> hyper::Response<Body> {
    let b = builder(state, &r);
    let body = Full::new(Bytes::from(r.body)).boxed();
    b.body(body).unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new()).boxed()))
}

fn slow(state: &State, r: Resp, bytes_per_sec: u32) -> hyper::Response<Body> {
    let b = builder(state, &r).header("content-length", r.body.len().to_string());
    let gap = Duration::from_millis(1000 / u64::from(bytes_per_sec.max(1)));
    let stream = futures::stream::unfold((r.body, 0usize), move |(body, i)| async move {
        if i >= body.len() {
            return None;
        }
        tokio::time::sleep(gap).await;
        let chunk = Bytes::copy_from_slice(&body[i..i + 1]);
        Some((Ok::<_, Infallible>(Frame::data(chunk)), (body, i + 1)))
    });
    b.body(StreamBody::new(stream).boxed()).unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new()).boxed()))
}

fn control(state: &Arc<State>, req: &Req) -> Resp {
    let controls = Controls { state: state.clone() };
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/_control/faults") => match serde_json::from_slice::<FaultSpec>(&req.body).map_err(|e| e.to_string()).and_then(FaultSpec::into_fault) {
            Ok(f) => {
                controls.inject(f);
                Resp::json(200, &serde_json::json!({"ok": true}))
            }
            Err(e) => Resp::error(400, &e),
        },
        ("GET", "/_control/counts") => Resp::json(200, &serde_json::to_value(controls.request_counts()).unwrap_or_default()),
        ("POST", "/_control/reset") => {
            controls.reset();
            Resp::json(200, &serde_json::json!({"ok": true}))
        }
        ("POST", "/_control/config") => {
            let v: serde_json::Value = match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(e) => return Resp::error(400, &e.to_string()),
            };
            if let Some(o) = v.get("clock_offset_secs").and_then(|x| x.as_i64()) {
                controls.set_clock_offset(o);
            }
            if let Some(l) = v.get("token_lifetime_secs").and_then(|x| x.as_u64()) {
                controls.set_token_lifetime(Duration::from_secs(l));
            }
            if let Some(l) = v.get("videosdk_lifetime_secs").and_then(|x| x.as_u64()) {
                controls.set_videosdk_lifetime(Duration::from_secs(l));
            }
            if let (Some(id), Some(d)) = (v.get("kaltura_app_token_id").and_then(|x| x.as_str()), v.get("kaltura_session_duration_secs").and_then(|x| x.as_u64())) {
                controls.set_kaltura_session_duration(id, d);
            }
            Resp::json(200, &serde_json::json!({"ok": true}))
        }
        _ => Resp::error(404, "no such control"),
    }
}
