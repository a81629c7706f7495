//! The token-source abstraction: each flow (VideoKit gateway, app backend, fixed token,
//! app-supplied provider, Kaltura, VideoSDK) is a [`TokenSource`] plugged into the engine.
//! The engine knows nothing of vendors; a source knows nothing of timers, retries or state.
//! What a source is (kind, identity, store key, renewability, secrets) is a [`SourceInfo`]
//! fixed when it is made; what its tokens carry beyond the common fields
//! ([`TokenDetails`]) it saves and restores itself.

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

crate::wire_names::display_as_str!(SourceKind);

/// Vendor-specific facts about a token, beyond what every session has.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum TokenDetails {
    #[default]
    None,
    /// A Kaltura session: the KS is the token.
    Kaltura { partner_id: i64, user_id: String, session_type: crate::kaltura_protocol::KalturaSessionType, privileges: String },
    /// A VideoSDK access token's checked claims.
    VideoSdk(crate::videosdk_claims::VideoSdkClaims),
}

/// What a source returns: a token and what is known about it. Times are *server* times.
#[derive(Clone)]
pub struct FetchedToken {
    pub token: Secret,
    pub expires_at: Option<SystemTime>,
    pub issued_at: Option<SystemTime>,
    pub identity: Option<String>,
    /// Vendor facts beyond the common ones.
    pub details: TokenDetails,
    pub scopes: Vec<String>,
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

/// Whether a token, its identity or a scope holds a control character: what no token this
/// SDK hands out or saves may hold (checked when fetched, and when a stored record is read).
pub(crate) fn holds_control_characters(token: &str, identity: Option<&str>, scopes: &[String]) -> bool {
    let control = |t: &str| t.chars().any(char::is_control);
    control(token) || identity.is_some_and(control) || scopes.iter().any(|s| control(s))
}

/// The longest token the SDK takes ([`FetchedToken::check_text`]), 16 KiB: twice what common
/// servers take as a whole header line (8 KiB), and small enough that the record saved for it,
/// with its scopes and the details read from it, stays under the store's
/// [`MAX_RECORD_BYTES`](crate::store::MAX_RECORD_BYTES), which a resume reads at most.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The most the scopes of one token may hold, all together (bytes of their text).
pub const MAX_SCOPES_BYTES: usize = 8 * 1024;

impl FetchedToken {
    /// `malformed_response` when the token, its identity or a scope holds a control character
    /// (CR/LF, NUL, ESC...): the app would put the token in a header, and the SDK would save
    /// a record it then refuses to resume. The same when the token is over
    /// [`MAX_TOKEN_BYTES`] or its scopes over [`MAX_SCOPES_BYTES`]: the record would be saved
    /// and then refused as too large at the next launch, and every snapshot would carry it
    /// across the FFI. The message names no value.
    pub fn check_text(&self) -> Result<()> {
        if holds_control_characters(self.token.expose(), self.identity.as_deref(), &self.scopes) {
            return Err(Error::malformed("the token source answered a token, identity or scope with control characters"));
        }
        let len = self.token.expose().len();
        if len > MAX_TOKEN_BYTES {
            return Err(Error::malformed(format!(
                "the token source answered a token of {len} bytes, over the {MAX_TOKEN_BYTES} a token may have"
            )));
        }
        let scopes: usize = self.scopes.iter().map(String::len).sum();
        if scopes > MAX_SCOPES_BYTES {
            return Err(Error::malformed(format!(
                "the token source answered scopes of {scopes} bytes in all, over the {MAX_SCOPES_BYTES} they may have"
            )));
        }
        Ok(())
    }

    /// A token with nothing else known; expiry is filled from a JWT `exp` if it is one.
    /// `invalid_token` when it is a JWT whose time claims are malformed or out of range.
    pub fn bare(token: Secret) -> Result<Self> {
        let mut t = FetchedToken { token, expires_at: None, issued_at: None, identity: None, scopes: vec![], details: TokenDetails::None };
        t.fill_from_jwt()?;
        Ok(t)
    }

    /// Fill unknown expiry / issued-at from the token's JWT claims, when it is a JWT (a known
    /// expiry later than the JWT's `exp` becomes the `exp`).
    /// A JWT whose `exp`/`iat`/`nbf` is not a number or lies outside the years 1..=9999 is
    /// `invalid_token` (it would otherwise pass as a token that never expires, and no date
    /// type on the platforms can hold it).
    pub fn fill_from_jwt(&mut self) -> Result<()> {
        if !crate::jwt::looks_like_jwt(self.token.expose()) {
            return Ok(());
        }
        if let Ok(j) = crate::jwt::decode(self.token.expose()) {
            let times = j.time_claims()?;
            // The earlier of the answer's expiry and the JWT's own: a token is refused by its
            // `exp` whatever its issuer said beside it (a far-future `expiresAt` was served,
            // never renewed, after the JWT had expired).
            let exp = times.exp.map(crate::clock::from_unix_secs);
            self.expires_at = match (self.expires_at, exp) {
                (Some(said), Some(exp)) => Some(said.min(exp)),
                (said, exp) => said.or(exp),
            };
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

/// What the engine knows of a source besides how to fetch: fixed when the source is made,
/// so nothing here is computed again per `start` (the store key's digest included).
/// `Debug` shows the secrets as `Secret(***)`.
#[derive(Clone, Debug)]
pub struct SourceInfo {
    pub kind: SourceKind,
    /// The identity this source signs in, when known up front.
    pub identity: Option<String>,
    /// A stable key for the session store: the same app, user and endpoint give the same
    /// key. It holds no secret in clear (secrets are hashed in).
    pub store_key: String,
    /// Whether asking again can give a new token. A fixed token cannot be renewed.
    pub renewable: bool,
    /// Secrets this source holds, so that backend text echoing them can be scrubbed.
    pub secrets: Vec<Secret>,
    /// Every token of this source is for exactly [`identity`](Self::identity) (a backend
    /// answering for another is refused): a stored record for another identity under this
    /// source's key was not written by it, and is not resumed.
    pub identity_checked: bool,
}

impl SourceInfo {
    /// A renewable source holding `secrets`, whose store key is `kind.` + the digest of
    /// `key_parts`.
    pub fn new(kind: SourceKind, identity: Option<String>, key_parts: &[&str], secrets: Vec<Secret>) -> Self {
        let store_key = format!("{kind}.{}", key_digest(key_parts));
        SourceInfo { kind, identity, store_key, renewable: true, secrets, identity_checked: false }
    }

    /// Marks the source's tokens as always for its identity ([`identity_checked`](Self::identity_checked)).
    pub fn with_checked_identity(mut self) -> Self {
        self.identity_checked = self.identity.is_some();
        self
    }
}

/// A way to get a token. Implementations are stateless or cache only what the protocol
/// allows (Kaltura caches its widget session); retries, timers, single-flight and state are
/// the engine's job.
#[async_trait]
pub trait TokenSource: Send + Sync + 'static {
    /// Kind, identity, store key, renewability and secrets (see [`SourceInfo`]).
    fn info(&self) -> &SourceInfo;
    fn kind(&self) -> SourceKind {
        self.info().kind
    }
    fn identity(&self) -> Option<String> {
        self.info().identity.clone()
    }
    fn store_key(&self) -> String {
        self.info().store_key.clone()
    }
    fn can_renew(&self) -> bool {
        self.info().renewable
    }
    fn secrets(&self) -> Vec<Secret> {
        self.info().secrets.clone()
    }
    /// Get a token. Errors must be typed and carry no secret.
    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<FetchedToken>;
    /// What to keep in the session store, beside the token and its times, to restore the
    /// token's `details` later (this source's own text format; `None`: nothing).
    fn save_details(&self, _details: &TokenDetails) -> Option<String> {
        None
    }
    /// The details of a stored token, from what [`save_details`](Self::save_details) kept.
    /// An error discards the stored session (a new token is fetched).
    fn restore_details(&self, _token: &Secret, _saved: Option<&str>) -> Result<TokenDetails> {
        Ok(TokenDetails::None)
    }
}

/// Longest identity a source sends (the gateway's own limit is not documented; this is
/// generous).
pub const MAX_IDENTITY_LEN: usize = 512;

/// Check and trim an identity given by the app: not empty, not over
/// [`MAX_IDENTITY_LEN`] bytes, no control characters.
pub fn check_identity(identity: &str) -> Result<String> {
    let id = identity.trim();
    let problem = if id.is_empty() {
        "identity is empty: pass a unique id for the user or device".to_string()
    } else if id.len() > MAX_IDENTITY_LEN {
        format!("identity is longer than {MAX_IDENTITY_LEN} bytes")
    } else if id.chars().any(char::is_control) {
        "identity contains control characters".to_string()
    } else {
        return Ok(id.to_string());
    };
    Err(Error::invalid_argument(problem))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_digest_is_stable_and_unambiguous() {
        assert_eq!(key_digest(&["a", "bc"]), key_digest(&["a", "bc"]));
        assert_ne!(key_digest(&["ab", "c"]), key_digest(&["a", "bc"]));
        assert_eq!(key_digest(&["x"]).len(), 16);
    }
}
