//! The server: binds 127.0.0.1, accepts connections and serves each by hand with hyper (so a
//! fault can close one without a response), stamps the server clock's `Date`, shuts down
//! gracefully. [`DevServer`] is its public handle.

use crate::config::DevServerConfig;
use crate::router::router;
use crate::state::{until_stopped, App, ConnCtl, Controls, Shared};
use axum::http::{header, HeaderValue};
use axum::Router;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How long in-flight requests may take to finish once shutdown starts.
const GRACE: Duration = Duration::from_secs(1);

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
    let header_timeout = app.config().header_read_timeout;
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut stop = app.stop_signal();
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = ctl.dropped() => return,
        _ = until_stopped(&mut stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = ctl.dropped() => {}
        _ = tokio::time::sleep(GRACE) => {}
    }
}

async fn accept_loop(listener: TcpListener, router: Router, app: App) {
    let mut conns = tokio::task::JoinSet::new();
    let mut stop = app.stop_signal();
    // At most `max_connections` are served at once; the rest wait in the backlog.
    let slots = Arc::new(tokio::sync::Semaphore::new(app.config().max_connections.max(1)));
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
    let _ = tokio::time::timeout(GRACE + Duration::from_millis(250), async { while conns.join_next().await.is_some() {} }).await;
    conns.shutdown().await;
}

/// What [`launch`] returns: address, controls, the stop switch, the accept loop's task.
type Launched = (SocketAddr, Controls, watch::Sender<bool>, tokio::task::JoinHandle<()>);

/// Serve `listener` on the current runtime.
fn launch(listener: TcpListener, config: DevServerConfig) -> std::io::Result<Launched> {
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);
    let app: App = Arc::new(Shared::new(config, stop_rx));
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
        let rt =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("videokit-devserver-worker").enable_all().build()?;
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
