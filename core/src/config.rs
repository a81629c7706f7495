//! Engine configuration: the one home of every default a mobile app gets (timeouts, body
//! cap, renewal lead, retries) and of every rule a configuration must meet
//! ([`SessionConfig::validate`]). The FFI and the Swift and Kotlin layers leave a value unset
//! to get the default here, and judge nothing themselves.

use crate::error::{Error, Result};
use crate::http::HttpConfig;
use std::time::Duration;

/// When to renew. The default lead is the smaller of 5 minutes and 10% of the token's
/// lifetime; a configured lead replaces that. Either way the lead is clamped to half the
/// lifetime, so a short-lived token is never renewed in a tight loop.
#[derive(Debug, Clone)]
pub struct RenewalPolicy {
    /// Fixed lead; `None` = the default rule.
    pub lead: Option<Duration>,
    /// Cap of the default rule (5 minutes).
    pub max_lead: Duration,
    /// Fraction of the lifetime in the default rule (0.1).
    pub lead_fraction: f64,
}

impl Default for RenewalPolicy {
    fn default() -> Self {
        RenewalPolicy { lead: None, max_lead: Duration::from_secs(300), lead_fraction: 0.1 }
    }
}

impl RenewalPolicy {
    /// The lead for a token of `lifetime` (unknown lifetime: the cap or the fixed lead).
    pub fn lead_for(&self, lifetime: Option<Duration>) -> Duration {
        let fraction = if self.lead_fraction.is_finite() { self.lead_fraction.clamp(0.0, 0.5) } else { 0.1 };
        let base = match (self.lead, lifetime) {
            (Some(l), _) => l,
            (None, Some(life)) => self.max_lead.min(life.mul_f64(fraction)),
            (None, None) => self.max_lead,
        };
        match lifetime {
            Some(life) => base.min(life / 2),
            None => base,
        }
    }
}

/// How the jitter of retry delays is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Uniform in `[0, capped exponential delay]` ("full jitter"): the default.
    Full,
    /// The capped exponential delay itself (deterministic; for tests and diagnosis).
    None,
}

/// Retries of transient failures (network, timeout, 408, 429, 5xx).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Base of the exponential backoff (500 ms).
    pub initial_delay: Duration,
    /// Cap of a single delay (60 s); also bounds the request rate while offline.
    pub max_delay: Duration,
    /// Attempts made by `start` before it fails (4). Renewal retries for as long as the
    /// session runs, because a still-valid token may be served meanwhile.
    pub start_attempts: u32,
    /// Longest `Retry-After` honoured (1 hour); a longer one is clamped.
    pub max_retry_after: Duration,
    pub jitter: Jitter,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            start_attempts: 4,
            max_retry_after: Duration::from_secs(3600),
            jitter: Jitter::Full,
        }
    }
}

impl RetryPolicy {
    /// The capped exponential delay before retry number `attempt` (1-based), before jitter.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        self.initial_delay.saturating_mul(1u32 << exp).min(self.max_delay)
    }

    /// The delay before retry `attempt`, with jitter drawn from `rng`.
    pub fn delay(&self, attempt: u32, rng: &mut fastrand::Rng) -> Duration {
        let ceiling = self.ceiling(attempt);
        match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => {
                let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
                Duration::from_millis(rng.u64(0..=ms))
            }
        }
    }
}

/// Everything configurable about a session.
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    pub http: HttpConfig,
    pub renewal: RenewalPolicy,
    pub retry: RetryPolicy,
    /// The session's name, put before every key it uses in the store (`name.` + key), so that
    /// sessions sharing one store never read, overwrite or clear one another's record (two
    /// token-provider sessions with no identity would otherwise have the same key). `None`:
    /// the keys as they are (the default session). 1 to 64 of `A-Z a-z 0-9 _ -`.
    pub name: Option<String>,
}

impl SessionConfig {
    /// The one place a configuration is judged (the platforms and the FFI only translate):
    /// `invalid_argument` naming the first rule broken.
    pub fn validate(&self) -> Result<()> {
        let rule = |ok: bool, m: &str| if ok { Ok(()) } else { Err(Error::invalid_argument(m)) };
        rule(!self.http.connect_timeout.is_zero(), "the connect timeout must be greater than zero")?;
        rule(!self.http.request_timeout.is_zero(), "the request timeout must be greater than zero")?;
        rule(self.retry.start_attempts >= 1, "start attempts must be at least 1")?;
        rule(self.http.max_body_bytes >= MIN_BODY_BYTES, "the body limit must be at least 1024 bytes")?;
        rule(
            self.name.as_deref().is_none_or(|n| {
                (1..=MAX_NAME_LEN).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            }),
            "a session name must be 1 to 64 letters, digits, '_' or '-'",
        )
    }
}

/// The longest session name ([`SessionConfig::name`]).
pub const MAX_NAME_LEN: usize = 64;

/// The smallest body limit accepted ([`HttpConfig::max_body_bytes`]).
pub const MIN_BODY_BYTES: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_lead_is_min_of_5_minutes_and_10_percent() {
        let p = RenewalPolicy::default();
        assert_eq!(p.lead_for(Some(Duration::from_secs(3600))), Duration::from_secs(300));
        assert_eq!(p.lead_for(Some(Duration::from_secs(600))), Duration::from_secs(60));
        assert_eq!(p.lead_for(Some(Duration::from_secs(10))), Duration::from_secs(1));
        assert_eq!(p.lead_for(None), Duration::from_secs(300));
        let fixed = RenewalPolicy { lead: Some(Duration::from_secs(30)), ..Default::default() };
        assert_eq!(fixed.lead_for(Some(Duration::from_secs(3600))), Duration::from_secs(30));
        // Clamped to half the lifetime.
        assert_eq!(fixed.lead_for(Some(Duration::from_secs(20))), Duration::from_secs(10));
    }

    #[test]
    fn validation_names_the_first_rule_broken() {
        assert!(SessionConfig::default().validate().is_ok());
        let mut c = SessionConfig::default();
        c.retry.start_attempts = 0;
        assert_eq!(c.validate().unwrap_err().message(), "start attempts must be at least 1");
        c.http.connect_timeout = Duration::ZERO;
        assert_eq!(c.validate().unwrap_err().message(), "the connect timeout must be greater than zero");
        let mut c = SessionConfig::default();
        c.http.max_body_bytes = MIN_BODY_BYTES - 1;
        assert_eq!(c.validate().unwrap_err().kind(), crate::ErrorKind::InvalidArgument);
    }

    #[test]
    fn a_session_name_is_1_to_64_letters_digits_underscores_or_dashes() {
        let named = |n: &str| SessionConfig { name: Some(n.into()), ..Default::default() }.validate();
        for ok in ["kaltura", "videoSdk_2", "a", "A-b_9", &"n".repeat(64)] {
            assert!(named(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a.b", "a/b", "a b", "ka\nltura", "é", &"n".repeat(65)] {
            let e = named(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{bad}");
            assert_eq!(e.message(), "a session name must be 1 to 64 letters, digits, '_' or '-'");
        }
    }

    #[test]
    fn backoff_schedule_doubles_to_the_cap() {
        let p = RetryPolicy { jitter: Jitter::None, ..Default::default() };
        let mut rng = fastrand::Rng::with_seed(1);
        let got: Vec<u128> = (1..=9).map(|a| p.delay(a, &mut rng).as_millis()).collect();
        assert_eq!(got, [500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
        assert_eq!(p.ceiling(1000), Duration::from_secs(60));
    }

    #[test]
    fn full_jitter_stays_within_the_ceiling_and_varies() {
        let p = RetryPolicy::default();
        let mut rng = fastrand::Rng::with_seed(42);
        let draws: Vec<Duration> = (0..200).map(|_| p.delay(4, &mut rng)).collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_secs(4)));
        let distinct: std::collections::HashSet<_> = draws.iter().collect();
        assert!(distinct.len() > 100);
        assert!(draws.iter().any(|d| *d < Duration::from_secs(1)) && draws.iter().any(|d| *d > Duration::from_secs(3)));
    }
}
