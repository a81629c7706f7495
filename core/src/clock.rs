//! Time: the injectable clock, the server-time estimate, and the time arithmetic and RFC 3339
//! formatting every part of the SDK uses.
//!
//! The engine sleeps on a monotonic clock (tokio's `Instant`, which tests can pause and
//! advance) and judges expiry against the *server's* time: local wall time plus a skew
//! estimated from the HTTP `Date` header of every response. A token's expiry is therefore
//! turned into a monotonic deadline when it arrives, and also kept as a server-time instant,
//! and the engine treats the token as expired as soon as *either* says so: the monotonic
//! deadline protects against the user changing the wall clock, the wall-clock check protects
//! against monotonic clocks that stop while the device sleeps (iOS `CLOCK_UPTIME_RAW`,
//! Android `CLOCK_MONOTONIC`).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The engine's view of time. Implement it to drive the engine in tests.
pub trait Clock: Send + Sync + 'static {
    /// Local wall-clock time (may jump when the user or NTP changes it).
    fn wall(&self) -> SystemTime;
    /// Monotonic time; the engine's timers sleep until instants of this clock.
    fn monotonic(&self) -> Instant;
}

/// The real clock: `SystemTime::now()` and tokio's `Instant::now()`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
    fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

/// A clock for tests (feature `test-support`): wall time is a fixed origin plus the time elapsed on tokio's clock
/// (so `tokio::time::pause()` + `advance()` move both together), plus an adjustable jump
/// that simulates the user changing the device clock.
#[cfg(feature = "test-support")]
#[derive(Debug)]
pub struct FakeClock {
    wall_origin: SystemTime,
    mono_origin: Instant,
    jump_ms: AtomicI64,
}

#[cfg(feature = "test-support")]
impl FakeClock {
    /// A fake clock whose wall time starts at `unix_secs`.
    pub fn at_unix(unix_secs: u64) -> Self {
        FakeClock { wall_origin: UNIX_EPOCH + Duration::from_secs(unix_secs), mono_origin: Instant::now(), jump_ms: AtomicI64::new(0) }
    }
    /// Move the wall clock (only) by `delta_ms`; the monotonic clock is unaffected.
    pub fn jump_wall(&self, delta_ms: i64) {
        self.jump_ms.fetch_add(delta_ms, Ordering::SeqCst);
    }
}

#[cfg(feature = "test-support")]
impl Clock for FakeClock {
    fn wall(&self) -> SystemTime {
        let elapsed = Instant::now().saturating_duration_since(self.mono_origin);
        add_ms(self.wall_origin + elapsed, self.jump_ms.load(Ordering::SeqCst))
    }
    fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

/// The last second the SDK represents: 9999-12-31T23:59:59Z (what RFC 3339, an HTTP date and
/// the platforms' date types can all say). Later times in a token are `invalid_token`.
pub const MAX_UNIX_SECS: i64 = 253_402_300_799;
/// The first second the SDK represents: 0001-01-01T00:00:00Z.
pub const MIN_UNIX_SECS: i64 = -62_135_596_800;

/// Is `secs` (seconds since the epoch) within [`MIN_UNIX_SECS`]..=[`MAX_UNIX_SECS`]?
pub fn unix_secs_in_range(secs: i64) -> bool {
    (MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&secs)
}

/// `t + ms` for signed `ms`, saturating at the epoch and at [`MAX_UNIX_SECS`] (never panics).
pub fn add_ms(t: SystemTime, ms: i64) -> SystemTime {
    if ms >= 0 {
        let latest = UNIX_EPOCH + Duration::from_secs(MAX_UNIX_SECS as u64);
        t.checked_add(Duration::from_millis(ms as u64)).map_or(latest, |r| r.min(latest.max(t)))
    } else {
        match t.checked_sub(Duration::from_millis(ms.unsigned_abs())) {
            Some(r) if r >= UNIX_EPOCH => r,
            _ => UNIX_EPOCH,
        }
    }
}

/// Signed milliseconds `a - b`.
pub fn diff_ms(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

pub fn unix_secs(t: SystemTime) -> i64 {
    diff_ms(t, UNIX_EPOCH).div_euclid(1000)
}

/// The instant `secs` after the epoch, clamped to the epoch..=[`MAX_UNIX_SECS`]. Sources
/// check the range first ([`unix_secs_in_range`]) and refuse what is outside it.
pub fn from_unix_secs(secs: i64) -> SystemTime {
    add_ms(UNIX_EPOCH, secs.clamp(0, MAX_UNIX_SECS).saturating_mul(1000))
}

/// Skews below this are treated as zero: the `Date` header has one-second resolution.
const SKEW_NOISE_MS: i64 = 1_000;

/// Estimate of `server time - local wall time`, learned from `Date` headers.
#[derive(Debug, Default)]
pub struct ServerTime {
    skew_ms: AtomicI64,
    sampled: AtomicBool,
    // Serialises updates so that concurrent responses do not interleave.
    lock: Mutex<()>,
}

impl ServerTime {
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one observation: the server said `server_date` in a response received at local
    /// wall time `local_at_receipt`. The `Date` header is truncated to the second, so half a
    /// second is added to estimate the true instant; estimates under a second are noise.
    pub fn observe(&self, server_date: SystemTime, local_at_receipt: SystemTime) {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let raw = diff_ms(server_date, local_at_receipt) + 500;
        let skew = if raw.abs() < SKEW_NOISE_MS { 0 } else { raw };
        let old = self.skew_ms.swap(skew, Ordering::SeqCst);
        let first = !self.sampled.swap(true, Ordering::SeqCst);
        if (first && skew != 0) || (!first && (old - skew).abs() >= SKEW_NOISE_MS) {
            log::info!(target: "videokit", "server clock differs from the device clock by {skew} ms; expiry is judged on server time");
        }
    }

    /// Current estimate in milliseconds (0 before any observation).
    pub fn skew_ms(&self) -> i64 {
        self.skew_ms.load(Ordering::SeqCst)
    }

    /// The server's current time according to the estimate.
    pub fn now(&self, clock: &dyn Clock) -> SystemTime {
        add_ms(clock.wall(), self.skew_ms())
    }
}

/// Parse an RFC 3339 timestamp (`2026-11-23T08:00:00.000Z`).
pub fn parse_rfc3339(s: &str) -> crate::error::Result<SystemTime> {
    let t = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| crate::error::Error::malformed(format!("'{}' is not an RFC 3339 time", crate::error::scrub(s, &[]))))?;
    Ok(SystemTime::from(t))
}

/// Format as RFC 3339 UTC with milliseconds. Never panics: a time outside the years
/// 1..=9999 (which RFC 3339 cannot write) is shown as `out of range (unix N s)`.
pub fn format_rfc3339(t: SystemTime) -> String {
    let ms = diff_ms(t, UNIX_EPOCH);
    let secs = ms.div_euclid(1000);
    format_unix_millis(secs, ms.rem_euclid(1000))
}

/// [`format_rfc3339`] of a whole number of seconds since the epoch (any `i64`).
pub fn format_unix_secs(secs: i64) -> String {
    format_unix_millis(secs, 0)
}

fn format_unix_millis(secs: i64, millis: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    if !unix_secs_in_range(secs) {
        return format!("out of range (unix {secs} s)");
    }
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|dt| dt.replace_millisecond(u16::try_from(millis).unwrap_or(0)).ok())
        .and_then(|dt| dt.format(&fmt).ok())
        .unwrap_or_else(|| format!("out of range (unix {secs} s)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_is_estimated_from_date_header() {
        let st = ServerTime::new();
        let local = UNIX_EPOCH + Duration::from_secs(1_000_000);
        st.observe(local + Duration::from_secs(3600), local);
        assert_eq!(st.skew_ms(), 3_600_500);
        st.observe(local - Duration::from_secs(3600), local);
        assert_eq!(st.skew_ms(), -3_599_500);
        // Sub-second differences are noise from the header's resolution.
        st.observe(local, local + Duration::from_millis(300));
        assert_eq!(st.skew_ms(), 0);
    }

    #[test]
    fn time_arithmetic_saturates() {
        assert_eq!(add_ms(UNIX_EPOCH, -5), UNIX_EPOCH);
        assert_eq!(diff_ms(UNIX_EPOCH, UNIX_EPOCH + Duration::from_secs(2)), -2000);
        assert_eq!(unix_secs(from_unix_secs(1_763_251_200)), 1_763_251_200);
        // Never a panic, whatever the timestamp: clamped to 1970..=9999.
        assert_eq!(unix_secs(from_unix_secs(i64::MAX)), MAX_UNIX_SECS);
        assert_eq!(unix_secs(from_unix_secs(i64::MIN)), 0);
        assert_eq!(unix_secs(add_ms(from_unix_secs(MAX_UNIX_SECS), i64::MAX)), MAX_UNIX_SECS);
    }

    #[cfg(feature = "test-support")]
    #[tokio::test(start_paused = true)]
    async fn fake_clock_moves_with_tokio_time() {
        let c = FakeClock::at_unix(1_000);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(unix_secs(c.wall()), 1_010);
        c.jump_wall(-5_000);
        assert_eq!(unix_secs(c.wall()), 1_005);
    }

    #[test]
    fn rfc3339_round_trip() {
        let t = parse_rfc3339("2026-11-23T08:00:00.000Z").unwrap();
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(1_795_420_800));
        assert_eq!(format_rfc3339(t), "2026-11-23T08:00:00.000Z");
        assert_eq!(parse_rfc3339("2026-11-23T09:00:00+01:00").unwrap(), t);
        assert!(parse_rfc3339("tomorrow").is_err());
        assert_eq!(format_rfc3339(UNIX_EPOCH + Duration::from_millis(1_500)), "1970-01-01T00:00:01.500Z");
    }

    #[test]
    fn formatting_never_panics_on_out_of_range_times() {
        // Year 10000 and later: SystemTime holds it, RFC 3339 cannot write it.
        let far = UNIX_EPOCH + Duration::from_secs(253_402_300_800);
        assert_eq!(format_rfc3339(far), "out of range (unix 253402300800 s)");
        assert_eq!(
            format_rfc3339(UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 1000)),
            format!("out of range (unix {} s)", i64::MAX / 1000)
        );
        assert_eq!(format_unix_secs(253_402_300_799), "9999-12-31T23:59:59.000Z");
        assert_eq!(format_unix_secs(i64::MAX), format!("out of range (unix {} s)", i64::MAX));
        assert_eq!(format_unix_secs(i64::MIN), format!("out of range (unix {} s)", i64::MIN));
        assert_eq!(format_unix_secs(-1), "1969-12-31T23:59:59.000Z");
    }
}
