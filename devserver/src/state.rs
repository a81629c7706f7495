//! The state every connection and handler shares (live settings, fault queue, request counts,
//! rooms, the stop switch), the server clock, the helpers handlers use to read requests, and
//! [`Controls`], the public handle on it. Imports no route, router or server module.

use crate::config::{DevServerConfig, MAX_LIFETIME_SECS};
use crate::faults::{Fault, FaultKind};
use crate::http::{Reply, MAX_REQUEST_BODY};
use crate::route::Route;
use axum::body::Body;
use axum::extract::Request;
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{watch, Notify};

/// 9999-12-31T23:59:59Z: the last second an HTTP date (and httpdate) can express; no `exp`
/// or `expiresAt` is issued past it.
pub(crate) const LATEST_UNIX: i64 = 253_402_300_799;

/// Settings tests change while the server runs.
struct Live {
    config: DevServerConfig,
    /// Kaltura app-token session durations overridden by tests (app token id → seconds).
    kaltura_durations: HashMap<String, u64>,
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
    /// Fresh state for a server with this configuration and stop switch.
    pub fn new(config: DevServerConfig, stop: watch::Receiver<bool>) -> Shared {
        Shared {
            live: Mutex::new(Live { config, kaltura_durations: HashMap::new() }),
            faults: Mutex::new(VecDeque::new()),
            counts: Mutex::new(BTreeMap::new()),
            rooms: Mutex::new(BTreeMap::new()),
            stop,
        }
    }

    /// The server's clock: system time plus the clock offset, kept within 1970..=9999 (what
    /// an HTTP date can say) whatever offset a test sets.
    pub fn now(&self) -> SystemTime {
        let off = lock(&self.live).config.clock_offset_secs;
        let now = SystemTime::now();
        let latest = SystemTime::UNIX_EPOCH + Duration::from_secs(LATEST_UNIX as u64);
        let shifted = if off >= 0 {
            now.checked_add(Duration::from_secs(off.unsigned_abs())).unwrap_or(latest)
        } else {
            now.checked_sub(Duration::from_secs(off.unsigned_abs())).unwrap_or(SystemTime::UNIX_EPOCH)
        };
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
    pub fn begin(&self, route: Route) -> Option<FaultKind> {
        self.count(route);
        let mut q = lock(&self.faults);
        let i = q.iter().position(|f| f.route == route.name() || f.route == "*")?;
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
    pub fn count(&self, route: Route) {
        *lock(&self.counts).entry(route.name().to_string()).or_insert(0) += 1;
    }

    /// Resolves once shutdown has begun.
    pub async fn stopped(&self) {
        until_stopped(&mut self.stop.clone()).await
    }

    /// A receiver of the stop switch, for tasks that outlive a borrow of the state.
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.clone()
    }
}

/// Resolves once the stop switch is on (or its sender is gone).
pub(crate) async fn until_stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// One connection's kill switch: a handler pulls it, the connection task drops the
/// connection (closing the socket) without writing a response.
#[derive(Clone, Default)]
pub(crate) struct ConnCtl(Arc<Notify>);

impl ConnCtl {
    /// Ask the connection task to drop the connection.
    pub fn drop_now(&self) {
        self.0.notify_one();
    }

    /// Resolves when a handler has asked for the connection to be dropped.
    pub async fn dropped(&self) {
        self.0.notified().await
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

/// Time since `start`, in seconds, as Kaltura's `executionTime`.
pub(crate) fn elapsed_secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// RFC 3339 in UTC with milliseconds and `Z`, e.g. `2026-11-23T08:00:00.000Z`; clamped to
/// 1970..=9999 (never a wrong year beside a token's `exp`: issued times are clamped too).
pub(crate) fn rfc3339_millis(unix: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time::OffsetDateTime::from_unix_timestamp(unix.clamp(0, LATEST_UNIX))
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| "9999-12-31T23:59:59.000Z".into())
}

/// `iat + lifetime_secs` for a token issued now, the lifetime capped at 10 years and the
/// result at [`LATEST_UNIX`].
pub(crate) fn expiry_after(iat: i64, lifetime_secs: u64) -> i64 {
    iat.saturating_add(lifetime_secs.min(MAX_LIFETIME_SECS) as i64).min(LATEST_UNIX)
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
        let secs = d.as_secs().clamp(1, MAX_LIFETIME_SECS);
        lock(&self.app.live).config.token_lifetime = if d.as_secs() == secs { d } else { Duration::from_secs(secs) };
    }

    /// Lifetime of VideoSDK tokens `/get-token` issues from now on (whole seconds).
    pub fn set_videosdk_lifetime(&self, d: Duration) {
        lock(&self.app.live).config.videosdk.token_lifetime_secs = d.as_secs().clamp(1, MAX_LIFETIME_SECS);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_millis(1_795_420_800), "2026-11-23T08:00:00.000Z");
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(i64::MAX), "9999-12-31T23:59:59.000Z");
        assert_eq!(expiry_after(100, 5), 105);
        assert_eq!(expiry_after(100, u64::MAX), 100 + MAX_LIFETIME_SECS as i64);
        assert_eq!(expiry_after(LATEST_UNIX - 1, 5), LATEST_UNIX);
    }
}
