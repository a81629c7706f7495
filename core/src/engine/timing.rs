//! Timing, as pure functions of the held token and one reading of the clocks ([`Now`]):
//! how long the token has left, when to renew it, what the driver does next, and how long a
//! platform layer may reuse it. No locks, no I/O: the rest of the engine reads the clocks
//! once and asks here.

use super::types::{SessionData, SessionState, FIXED_TOKEN_REUSE_MARGIN};
use crate::config::RenewalPolicy;
use crate::source::{FetchedToken, SourceKind};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// One reading of the clocks: the monotonic instant and the server's time (skew-corrected).
#[derive(Clone, Copy)]
pub(super) struct Now {
    pub mono: Instant,
    pub server: SystemTime,
}

/// The held token, with its expiry as a monotonic deadline and its renewal lead.
#[derive(Clone)]
pub(super) struct Current {
    pub data: SessionData,
    pub expires_mono: Option<Instant>,
    pub lead: Duration,
    /// No renewal before this (a fetched token only): a backend that hands out tokens with
    /// less time left than the lead, or a `Date` far ahead, cannot drive renewals back to back.
    /// On both clocks (monotonic, server time): passed when either says so, so a device
    /// that slept (its monotonic clock stood still) does not wait for it after waking.
    pub not_before: Option<(Instant, SystemTime)>,
}

/// The shortest time a fetched token is kept before its renewal: this, or half the token's
/// remaining time if that is less, but never under [`RENEWAL_FLOOR`].
const MIN_RENEWAL_INTERVAL: Duration = Duration::from_secs(5);
/// At most one renewal a second, even for a token that arrives already lapsed.
const RENEWAL_FLOOR: Duration = Duration::from_secs(1);

impl Current {
    /// The held form of a token that arrived (or was restored) at `now`.
    pub fn new(tok: FetchedToken, source: SourceKind, resumed: bool, renewal: &RenewalPolicy, now: Now) -> Current {
        let issued_for = match (tok.expires_at, tok.issued_at) {
            (Some(e), Some(i)) if e > i => e.duration_since(i).ok(),
            _ => None,
        };
        // Never more than the token was issued for: a server `Date` far in the past would
        // otherwise keep a lapsed token "valid" (and unrenewed) for as long as it is off.
        let remaining = tok.expires_at.map(|e| {
            let left = e.duration_since(now.server).unwrap_or(Duration::ZERO);
            issued_for.map_or(left, |l| left.min(l))
        });
        let lifetime = issued_for.or(remaining);
        let mut lead = renewal.lead_for(lifetime);
        let mut not_before = None;
        if !resumed {
            // The lead comes from the token's whole lifetime (iat..exp); a token that arrives
            // with less time left (a backend's cached token, a skewed clock) is renewed at
            // half its remaining time at the earliest, and never within the interval.
            if let Some(r) = remaining {
                lead = lead.min(r / 2);
            }
            let interval = remaining.map_or(MIN_RENEWAL_INTERVAL, |r| MIN_RENEWAL_INTERVAL.min(r / 2));
            let wait = interval.max(RENEWAL_FLOOR);
            not_before = Some((now.mono + wait, now.server + wait));
        }
        Current {
            expires_mono: remaining.map(|r| now.mono + r),
            lead,
            not_before,
            data: SessionData {
                identity: tok.identity,
                token: tok.token,
                expires_at: tok.expires_at,
                issued_at: tok.issued_at,
                source,
                scopes: tok.scopes,
                details: tok.details,
                resumed,
            },
        }
    }

    /// Time left on the token: the smaller of the monotonic deadline and the server-time
    /// expiry judged by the (skew-corrected) wall clock. `None` = unknown expiry.
    pub fn remaining(&self, now: Now) -> Option<Duration> {
        let mono = self.expires_mono?.saturating_duration_since(now.mono);
        let wall = match self.data.expires_at {
            Some(e) => e.duration_since(now.server).unwrap_or(Duration::ZERO),
            None => mono,
        };
        Some(mono.min(wall))
    }

    /// Whether the token has lapsed (a known expiry that has passed).
    pub fn lapsed(&self, now: Now) -> bool {
        matches!(self.remaining(now), Some(r) if r.is_zero())
    }

    /// Time until the renewal is due (expiry − lead); `None` for a source that cannot renew
    /// or an unknown expiry.
    pub fn renewal_due_in(&self, renewable: bool, now: Now) -> Option<Duration> {
        if !renewable {
            return None;
        }
        let by_lead = self.remaining(now)?.saturating_sub(self.lead);
        let floor = self.not_before.map_or(Duration::ZERO, |(mono, server)| {
            mono.saturating_duration_since(now.mono).min(server.duration_since(now.server).unwrap_or(Duration::ZERO))
        });
        Some(by_lead.max(floor))
    }
}

/// What the driver does next while a session runs.
#[derive(Debug, PartialEq)]
pub(super) enum Plan {
    RenewNow,
    ExpireNow,
    WaitUntil(Instant),
    WaitForKick,
}

/// The driver's next step for the held token (if any).
pub(super) fn plan(current: Option<&Current>, renewable: bool, force_refresh: bool, now: Now) -> Plan {
    if force_refresh && renewable {
        return Plan::RenewNow;
    }
    let Some(cur) = current else { return Plan::WaitForKick };
    if renewable {
        return match cur.renewal_due_in(true, now) {
            None => Plan::WaitForKick,
            Some(d) if d.is_zero() => Plan::RenewNow,
            Some(d) => Plan::WaitUntil(now.mono + d),
        };
    }
    match cur.remaining(now) {
        None => Plan::WaitForKick,
        Some(r) if r.is_zero() => Plan::ExpireNow,
        Some(r) => Plan::WaitUntil(now.mono + r),
    }
}

/// [`TokenLease::reuse_for`](super::TokenLease::reuse_for) of the held token. While
/// `active`, the engine leaves `active` or changes the token on its own only when its
/// driver's timer fires: at the renewal point (expiry − lead, → `refreshing`) for a renewable
/// source, at the expiry (→ `expired`) for a fixed token; with an unknown expiry never. Every
/// other way out is an API call (`start` → `stopped`/`starting`, `stop`, `refresh` through
/// `force_refresh`, `check_now` and a `token()` past the renewal point through a kick that
/// re-plans) or a clock that moved: a wall-clock jump forward, or a device sleep during which
/// the monotonic clock stood still (then `remaining` falls by the wall clock). No request runs
/// while `active`, so the server-time skew cannot change.
pub(super) fn reuse_for(state: SessionState, force_refresh: bool, current: Option<&Current>, renewable: bool, now: Now) -> Duration {
    if state != SessionState::Active || force_refresh {
        return Duration::ZERO;
    }
    let Some(cur) = current else { return Duration::ZERO };
    if renewable {
        return cur.renewal_due_in(true, now).unwrap_or(Duration::ZERO);
    }
    cur.remaining(now).map_or(Duration::ZERO, |r| r.saturating_sub(FIXED_TOKEN_REUSE_MARGIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::time::UNIX_EPOCH;

    fn at(mono: Instant, server_secs: u64) -> Now {
        Now { mono, server: UNIX_EPOCH + Duration::from_secs(server_secs) }
    }

    fn token(expires: Option<u64>, issued: Option<u64>) -> FetchedToken {
        let mut t = FetchedToken::bare(Secret::new("opaque")).unwrap();
        t.expires_at = expires.map(|s| UNIX_EPOCH + Duration::from_secs(s));
        t.issued_at = issued.map(|s| UNIX_EPOCH + Duration::from_secs(s));
        t
    }

    #[test]
    fn a_token_with_less_time_left_than_its_lead_is_not_renewed_back_to_back() {
        // From the outside test: a backend's cached token (issued 3400 s ago, 200 s left) has
        // a lead of 300 s from its lifetime; renewing "now" gave ~20 requests a second.
        let m0 = Instant::now();
        let cur = Current::new(token(Some(10_200), Some(6_600)), SourceKind::Backend, false, &RenewalPolicy::default(), at(m0, 10_000));
        assert_eq!(cur.lead, Duration::from_secs(100));
        assert_eq!(cur.renewal_due_in(true, at(m0, 10_000)), Some(Duration::from_secs(100)));
        assert_eq!(plan(Some(&cur), true, false, at(m0, 10_000)), Plan::WaitUntil(m0 + Duration::from_secs(100)));
        // A token that arrives lapsed (or with a second left) waits for the floor: 1 a second at most.
        let lapsed = Current::new(token(Some(10_000), Some(6_400)), SourceKind::Backend, false, &RenewalPolicy::default(), at(m0, 10_000));
        assert_eq!(plan(Some(&lapsed), true, false, at(m0, 10_000)), Plan::WaitUntil(m0 + Duration::from_secs(1)));
        assert_eq!(plan(Some(&lapsed), true, false, at(m0 + Duration::from_secs(1), 10_001)), Plan::RenewNow);
        // A forced refresh (the app's refresh()) is not held back.
        assert_eq!(plan(Some(&cur), true, true, at(m0, 10_000)), Plan::RenewNow);
        // A restored token keeps the whole lead (the store decides whether to resume it).
        let restored = Current::new(token(Some(10_200), Some(6_600)), SourceKind::Backend, true, &RenewalPolicy::default(), at(m0, 10_000));
        assert_eq!(restored.lead, Duration::from_secs(300));
    }

    #[test]
    fn a_token_never_has_more_time_left_than_it_was_issued_for() {
        // From the outside test: a `Date` 3 h in the past made a 120 s token look valid for 3 h.
        let m0 = Instant::now();
        let cur = Current::new(token(Some(20_920), Some(20_800)), SourceKind::Backend, false, &RenewalPolicy::default(), at(m0, 10_000));
        assert_eq!(cur.remaining(at(m0, 10_000)), Some(Duration::from_secs(120)));
        assert!(cur.lapsed(at(m0 + Duration::from_secs(120), 10_120)));
    }

    #[test]
    fn a_token_is_judged_by_the_earlier_of_both_clocks() {
        let m0 = Instant::now();
        let cur = Current::new(token(Some(1_600), Some(1_000)), SourceKind::Backend, false, &RenewalPolicy::default(), at(m0, 1_000));
        assert_eq!(cur.lead, Duration::from_secs(60));
        assert_eq!(cur.remaining(at(m0, 1_000)), Some(Duration::from_secs(600)));
        // The monotonic clock stood still while the wall clock moved on (a device sleep).
        assert_eq!(cur.remaining(at(m0, 1_500)), Some(Duration::from_secs(100)));
        assert_eq!(cur.remaining(at(m0 + Duration::from_secs(550), 1_000)), Some(Duration::from_secs(50)));
        assert!(cur.lapsed(at(m0, 1_600)));
        assert_eq!(cur.renewal_due_in(true, at(m0, 1_000)), Some(Duration::from_secs(540)));
        assert_eq!(cur.renewal_due_in(false, at(m0, 1_000)), None);
    }

    #[test]
    fn the_plan_follows_the_token_and_the_source() {
        let m0 = Instant::now();
        let now = at(m0, 1_000);
        let cur = Current::new(token(Some(1_600), Some(1_000)), SourceKind::Backend, false, &RenewalPolicy::default(), now);
        assert_eq!(plan(Some(&cur), true, false, now), Plan::WaitUntil(m0 + Duration::from_secs(540)));
        assert_eq!(plan(Some(&cur), false, false, now), Plan::WaitUntil(m0 + Duration::from_secs(600)));
        assert_eq!(plan(Some(&cur), true, true, now), Plan::RenewNow);
        assert_eq!(plan(Some(&cur), false, true, now), Plan::WaitUntil(m0 + Duration::from_secs(600)));
        assert_eq!(plan(Some(&cur), true, false, at(m0, 1_550)), Plan::RenewNow);
        assert_eq!(plan(Some(&cur), false, false, at(m0, 1_600)), Plan::ExpireNow);
        assert_eq!(plan(None, true, false, now), Plan::WaitForKick);
        let unknown = Current::new(token(None, None), SourceKind::Custom, false, &RenewalPolicy::default(), now);
        assert_eq!(plan(Some(&unknown), true, false, now), Plan::WaitForKick);
    }

    #[test]
    fn reuse_time_is_zero_unless_active_and_unforced() {
        let m0 = Instant::now();
        let now = at(m0, 1_000);
        let cur = Current::new(token(Some(1_600), Some(1_000)), SourceKind::Backend, false, &RenewalPolicy::default(), now);
        assert_eq!(reuse_for(SessionState::Active, false, Some(&cur), true, now), Duration::from_secs(540));
        assert_eq!(reuse_for(SessionState::Active, false, Some(&cur), false, now), Duration::from_secs(599));
        assert_eq!(reuse_for(SessionState::Active, true, Some(&cur), true, now), Duration::ZERO);
        assert_eq!(reuse_for(SessionState::Refreshing, false, Some(&cur), true, now), Duration::ZERO);
        assert_eq!(reuse_for(SessionState::Active, false, None, true, now), Duration::ZERO);
    }
}
