//! The token-source abstraction: each flow (VideoKit gateway, app backend, fixed token,
//! app-supplied provider, Kaltura, VideoSDK) is a [`TokenSource`] plugged into the engine.
//! The engine knows nothing of vendors; a source knows nothing of timers, retries or state.

use crate::error::{Error, Result};
use crate::http::Http;
use crate::secret::Secret;
use async_trait::async_trait;
use std::fmt;
use std::time::SystemTime;

/// Which kind of source produced a session. The `as_str` names are stable (CLI, stores).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// VideoKit gateway with an app (API) token: development only.
    ApiToken,
    /// A fixed VideoKit session token given by the app.
    SessionToken,
    /// The app's own backend, `GET {template with identity}`.
    Backend,
    /// An app-supplied provider (a closure or object on the platform side).
    Custom,
    /// Kaltura appToken flow.
    Kaltura,
    /// VideoSDK token server.
    VideoSdk,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::ApiToken => "api_token",
            SourceKind::SessionToken => "session_token",
            SourceKind::Backend => "backend",
            SourceKind::Custom => "custom",
            SourceKind::Kaltura => "kaltura",
            SourceKind::VideoSdk => "videosdk",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::ApiToken, Self::SessionToken, Self::Backend, Self::Custom, Self::Kaltura, Self::VideoSdk]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Vendor-specific facts about a token, beyond what every session has.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum TokenDetails {
    #[default]
    None,
    /// A Kaltura session: the KS is the token.
    Kaltura { partner_id: i64, user_id: String, session_type: i32, privileges: String },
    /// A VideoSDK access token's checked claims.
    VideoSdk(crate::videosdk::VideoSdkClaims),
}

/// What a source returns: a token and what is known about it. Times are *server* times.
#[derive(Clone)]
pub struct FetchedToken {
    pub token: Secret,
    pub expires_at: Option<SystemTime>,
    pub issued_at: Option<SystemTime>,
    pub identity: Option<String>,
    pub scopes: Vec<String>,
    pub details: TokenDetails,
}

impl fmt::Debug for FetchedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchedToken")
            .field("token", &self.token)
            .field("expires_at", &self.expires_at)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl FetchedToken {
    /// A token with nothing else known; expiry is filled from a JWT `exp` if it is one.
    /// `invalid_token` when it is a JWT whose time claims are malformed or out of range.
    pub fn bare(token: Secret) -> Result<Self> {
        let mut t = FetchedToken { token, expires_at: None, issued_at: None, identity: None, scopes: vec![], details: TokenDetails::None };
        t.fill_from_jwt()?;
        Ok(t)
    }

    /// Fill unknown expiry / issued-at from the token's JWT claims, when it is a JWT.
    /// A JWT whose `exp`/`iat`/`nbf` is not a number or lies outside the years 1..=9999 is
    /// `invalid_token` (it would otherwise pass as a token that never expires, and no date
    /// type on the platforms can hold it).
    pub fn fill_from_jwt(&mut self) -> Result<()> {
        if !crate::jwt::looks_like_jwt(self.token.expose()) {
            return Ok(());
        }
        if let Ok(j) = crate::jwt::decode(self.token.expose()) {
            let times = j.time_claims()?;
            if self.expires_at.is_none() {
                self.expires_at = times.exp.map(crate::clock::from_unix_secs);
            }
            if self.issued_at.is_none() {
                self.issued_at = times.iat.map(crate::clock::from_unix_secs);
            }
            if self.identity.is_none() {
                self.identity = j.claims.get("sub").and_then(|v| v.as_str()).map(str::to_string);
            }
        }
        Ok(())
    }
}

/// What a fetch may use: the session's HTTP layer (transport policy, skew calibration).
pub struct FetchContext<'a> {
    pub http: &'a Http,
}

/// A way to get a token. Implementations are stateless or cache only what the protocol
/// allows (Kaltura caches its widget session); retries, timers, single-flight and state are
/// the engine's job.
#[async_trait]
pub trait TokenSource: Send + Sync + 'static {
    fn kind(&self) -> SourceKind;
    /// The identity this source signs in, when known up front.
    fn identity(&self) -> Option<String>;
    /// A stable key for the session store: the same app, user and endpoint give the same
    /// key. It must not contain a secret in clear (hash secrets in).
    fn store_key(&self) -> String;
    /// Whether asking again can give a new token. A fixed token cannot be renewed.
    fn can_renew(&self) -> bool {
        true
    }
    /// Secrets this source holds, so that backend text echoing them can be scrubbed.
    fn secrets(&self) -> Vec<Secret> {
        vec![]
    }
    /// Get a token. Errors must be typed and carry no secret.
    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<FetchedToken>;
}

/// A short hex digest for store keys (first 16 hex chars of SHA-256 of the parts).
pub fn key_digest(parts: &[&str]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

/// Parse an RFC 3339 timestamp (`2026-11-23T08:00:00.000Z`).
pub fn parse_rfc3339(s: &str) -> Result<SystemTime> {
    let t = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| Error::malformed(format!("'{}' is not an RFC 3339 time", crate::error::scrub(s, &[]))))?;
    Ok(SystemTime::from(t))
}

/// Format as RFC 3339 UTC with milliseconds. Never panics: a time outside the years
/// 1..=9999 (which RFC 3339 cannot write) is shown as `out of range (unix N s)`.
pub fn format_rfc3339(t: SystemTime) -> String {
    let ms = crate::clock::diff_ms(t, std::time::UNIX_EPOCH);
    let secs = ms.div_euclid(1000);
    format_unix_millis(secs, ms.rem_euclid(1000))
}

/// [`format_rfc3339`] of a whole number of seconds since the epoch (any `i64`).
pub fn format_unix_secs(secs: i64) -> String {
    format_unix_millis(secs, 0)
}

fn format_unix_millis(secs: i64, millis: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    if !crate::clock::unix_secs_in_range(secs) {
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
    use std::time::{Duration, UNIX_EPOCH};

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
        assert_eq!(format_rfc3339(UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 1000)), format!("out of range (unix {} s)", i64::MAX / 1000));
        assert_eq!(format_unix_secs(253_402_300_799), "9999-12-31T23:59:59.000Z");
        assert_eq!(format_unix_secs(i64::MAX), format!("out of range (unix {} s)", i64::MAX));
        assert_eq!(format_unix_secs(i64::MIN), format!("out of range (unix {} s)", i64::MIN));
        assert_eq!(format_unix_secs(-1), "1969-12-31T23:59:59.000Z");
    }

    #[test]
    fn key_digest_is_stable_and_unambiguous() {
        assert_eq!(key_digest(&["a", "bc"]), key_digest(&["a", "bc"]));
        assert_ne!(key_digest(&["ab", "c"]), key_digest(&["a", "bc"]));
        assert_eq!(key_digest(&["x"]).len(), 16);
    }
}
