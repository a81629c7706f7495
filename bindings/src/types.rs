//! Records, enums and the error type of the FFI surface, and their conversions.

use std::time::{Duration, SystemTime};
use videokit_core::sources::videokit::DEFAULT_GATEWAY_URL;
use videokit_core::{Error, ErrorKind, SessionConfig, SessionData, SessionState, SourceKind, StateChange};

/// Configuration set before `start`. Every field is optional: `None` takes the engine's
/// default (`videokit_core::SessionConfig::default()`, the one home of every default), so no
/// default is written in the bindings, Swift or Kotlin. Durations are signed milliseconds and
/// the attempts a signed count so that every platform passes what the app wrote and Rust
/// alone decides what is valid (`to_core`, then `SessionConfig::validate`).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct VkConfig {
    /// VideoKit gateway base URL (API-token mode); `None` = the production gateway.
    #[uniffi(default = None)]
    pub gateway_url: Option<String>,
    /// Time to connect, > 0 (default 10 s).
    #[uniffi(default = None)]
    pub connect_timeout_ms: Option<i64>,
    /// Total time for one request, > 0 (default 30 s).
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<i64>,
    /// Renew this long before expiry, >= 0; `None` = min(5 min, 10% of the token's lifetime).
    #[uniffi(default = None)]
    pub renewal_lead_ms: Option<i64>,
    /// Attempts `start` makes on transient failures before it fails, >= 1 (default 4).
    #[uniffi(default = None)]
    pub start_attempts: Option<i32>,
    /// Cap of one retry delay (exponential backoff with full jitter below it), >= 0
    /// (default 60 s).
    #[uniffi(default = None)]
    pub max_retry_delay_ms: Option<i64>,
    /// Largest response body accepted, >= 1024 (default 1 MiB).
    #[uniffi(default = None)]
    pub max_body_bytes: Option<u64>,
    /// Allow plain http:// to non-loopback hosts. Development only.
    #[uniffi(default = false)]
    pub allow_insecure_http: bool,
    /// The session's name, put before its keys in the store so that sessions sharing one
    /// store keep their own records; `None` for the default session. 1 to 64 of
    /// `A-Z a-z 0-9 _ -`.
    #[uniffi(default = None)]
    pub name: Option<String>,
}

impl VkConfig {
    /// A platform's configuration as the engine's: each given value over the engine's
    /// default. The engine judges it when the session is made ([`SessionConfig::validate`]);
    /// only what the engine's types cannot hold (a negative duration, an empty gateway URL)
    /// is judged here.
    pub(crate) fn to_core(&self) -> Result<SessionConfig, VkError> {
        let bad = |m: &str| VkError::from(Error::invalid_argument(m));
        // A timeout of zero or less is zero, which the engine refuses.
        let timeout = |v: i64| Duration::from_millis(u64::try_from(v).unwrap_or(0));
        let non_negative =
            |v: i64, name: &str| u64::try_from(v).map(Duration::from_millis).map_err(|_| bad(&format!("{name} must not be negative")));
        let mut c = SessionConfig::default();
        c.renewal.lead = self.renewal_lead_ms.map(|v| non_negative(v, "the renewal lead")).transpose()?;
        if let Some(v) = self.max_retry_delay_ms {
            c.retry.max_delay = non_negative(v, "the maximum retry delay")?.max(Duration::from_millis(1));
        }
        if self.gateway_url.as_deref().is_some_and(|g| g.trim().is_empty()) {
            return Err(bad("the gateway URL is empty"));
        }
        if let Some(v) = self.connect_timeout_ms {
            c.http.connect_timeout = timeout(v);
        }
        if let Some(v) = self.request_timeout_ms {
            c.http.request_timeout = timeout(v);
        }
        if let Some(v) = self.max_body_bytes {
            c.http.max_body_bytes = usize::try_from(v).unwrap_or(usize::MAX);
        }
        if let Some(v) = self.start_attempts {
            c.retry.start_attempts = u32::try_from(v).unwrap_or(0);
        }
        c.http.allow_insecure_http = self.allow_insecure_http;
        c.name = self.name.clone();
        Ok(c) // judged by Session::with_deps (SessionConfig::validate)
    }

    /// The gateway base URL of API-token mode.
    pub(crate) fn gateway(&self) -> &str {
        self.gateway_url.as_deref().map_or(DEFAULT_GATEWAY_URL, str::trim)
    }
}

/// The stable error kinds (see `videokit_core::ErrorKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VkErrorKind {
    Network,
    Timeout,
    HttpStatus,
    MalformedResponse,
    Rejected,
    Unauthorized,
    Expired,
    InvalidToken,
    InvalidArgument,
    InsecureTransport,
    Cancelled,
    NotStarted,
    Storage,
    /// Something inside the SDK failed that should not (a bug: please report it).
    Internal,
}

impl From<ErrorKind> for VkErrorKind {
    fn from(k: ErrorKind) -> Self {
        match k {
            ErrorKind::Network => VkErrorKind::Network,
            ErrorKind::Timeout => VkErrorKind::Timeout,
            ErrorKind::HttpStatus => VkErrorKind::HttpStatus,
            ErrorKind::MalformedResponse => VkErrorKind::MalformedResponse,
            ErrorKind::Rejected => VkErrorKind::Rejected,
            ErrorKind::Unauthorized => VkErrorKind::Unauthorized,
            ErrorKind::Expired => VkErrorKind::Expired,
            ErrorKind::InvalidToken => VkErrorKind::InvalidToken,
            ErrorKind::InvalidArgument => VkErrorKind::InvalidArgument,
            ErrorKind::InsecureTransport => VkErrorKind::InsecureTransport,
            ErrorKind::Cancelled => VkErrorKind::Cancelled,
            ErrorKind::NotStarted => VkErrorKind::NotStarted,
            ErrorKind::Storage => VkErrorKind::Storage,
        }
    }
}

impl VkErrorKind {
    /// An error a platform callback (the app's token provider, its store, the platform HTTP
    /// client) returns, as the engine's kind. One mapping is not one-to-one, on purpose:
    /// `internal` has no engine kind (the engine never fails internally; only the FFI does), and
    /// an app's provider that throws `internal` means "something broke on my side", which the
    /// engine treats like `network`: transient, retried with backoff, the session kept. The
    /// error's detail is kept, so the app's own text still says what happened.
    fn to_core(self) -> ErrorKind {
        match self {
            VkErrorKind::Network | VkErrorKind::Internal => ErrorKind::Network,
            VkErrorKind::Timeout => ErrorKind::Timeout,
            VkErrorKind::HttpStatus => ErrorKind::HttpStatus,
            VkErrorKind::MalformedResponse => ErrorKind::MalformedResponse,
            VkErrorKind::Rejected => ErrorKind::Rejected,
            VkErrorKind::Unauthorized => ErrorKind::Unauthorized,
            VkErrorKind::Expired => ErrorKind::Expired,
            VkErrorKind::InvalidToken => ErrorKind::InvalidToken,
            VkErrorKind::InvalidArgument => ErrorKind::InvalidArgument,
            VkErrorKind::InsecureTransport => ErrorKind::InsecureTransport,
            VkErrorKind::Cancelled => ErrorKind::Cancelled,
            VkErrorKind::NotStarted => ErrorKind::NotStarted,
            VkErrorKind::Storage => ErrorKind::Storage,
        }
    }
}

/// The one error type crossing the FFI. A single variant carrying a kind keeps the
/// platform layers simple: they wrap it in `VKError` (Swift) / `VKException` (Kotlin).
/// (No field is named `message`: it would clash with `Throwable.message` in Kotlin.)
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
pub enum VkError {
    #[error("{detail}")]
    Failure { kind: VkErrorKind, detail: String, code: Option<String>, http_status: Option<u16> },
}

impl VkError {
    pub(crate) fn internal(detail: impl Into<String>) -> Self {
        VkError::Failure { kind: VkErrorKind::Internal, detail: detail.into(), code: None, http_status: None }
    }

    /// Back to the core error (for errors thrown by app callbacks).
    pub(crate) fn into_core(self) -> Error {
        let VkError::Failure { kind, detail, code, http_status } = self;
        let mut e = Error::new(kind.to_core(), videokit_core::error::scrub(&detail, &[]));
        if let Some(c) = code {
            e = e.with_code(c);
        }
        if let Some(s) = http_status {
            e = e.with_status(s);
        }
        e
    }
}

impl From<Error> for VkError {
    fn from(e: Error) -> Self {
        VkError::Failure {
            kind: e.kind().into(),
            detail: e.message().to_string(),
            code: e.code().map(str::to_string),
            http_status: e.status(),
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for VkError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // An exception the app's callback did not declare (a Kotlin RuntimeException from a
        // provider, say): `network` on purpose, the same as a provider that throws any other
        // error on both platforms (docs/PLATFORM-LAYERS.md, item 10): transient, retried, its
        // text scrubbed. A store's failure never gets here: the layers report it as `storage`.
        VkError::Failure {
            kind: VkErrorKind::Network,
            detail: format!("the app's callback failed: {}", videokit_core::error::scrub(&e.reason, &[])),
            code: None,
            http_status: None,
        }
    }
}

/// An error as data (in state changes and `last_error`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VkErrorInfo {
    pub kind: VkErrorKind,
    pub detail: String,
    pub code: Option<String>,
    pub http_status: Option<u16>,
}

impl From<&Error> for VkErrorInfo {
    fn from(e: &Error) -> Self {
        VkErrorInfo { kind: e.kind().into(), detail: e.message().to_string(), code: e.code().map(str::to_string), http_status: e.status() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VkSessionState {
    Idle,
    Starting,
    Active,
    Refreshing,
    Expired,
    Failed,
    Stopped,
}

impl From<SessionState> for VkSessionState {
    fn from(s: SessionState) -> Self {
        match s {
            SessionState::Idle => VkSessionState::Idle,
            SessionState::Starting => VkSessionState::Starting,
            SessionState::Active => VkSessionState::Active,
            SessionState::Refreshing => VkSessionState::Refreshing,
            SessionState::Expired => VkSessionState::Expired,
            SessionState::Failed => VkSessionState::Failed,
            SessionState::Stopped => VkSessionState::Stopped,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VkSourceKind {
    ApiToken,
    SessionToken,
    Backend,
    Custom,
    Kaltura,
    VideoSdk,
}

impl From<SourceKind> for VkSourceKind {
    fn from(k: SourceKind) -> Self {
        match k {
            SourceKind::ApiToken => VkSourceKind::ApiToken,
            SourceKind::SessionToken => VkSourceKind::SessionToken,
            SourceKind::Backend => VkSourceKind::Backend,
            SourceKind::Custom => VkSourceKind::Custom,
            SourceKind::Kaltura => VkSourceKind::Kaltura,
            SourceKind::VideoSdk => VkSourceKind::VideoSdk,
        }
    }
}

/// The current session. The platform layers wrap it so that `description` /
/// `toString()` never print the token.
#[derive(Clone, PartialEq, uniffi::Record)]
pub struct VkSessionData {
    pub identity: Option<String>,
    pub token: String,
    /// Server-time expiry; `None` when unknown (then no renewal is scheduled).
    pub expires_at: Option<SystemTime>,
    pub issued_at: Option<SystemTime>,
    pub source: VkSourceKind,
    pub scopes: Vec<String>,
    /// Resumed from the store without a request.
    pub resumed: bool,
    /// Kaltura sessions: what the server said about the KS.
    pub kaltura: Option<crate::VkKalturaInfo>,
    /// VideoSDK sessions: the token's checked claims.
    pub videosdk: Option<crate::VkVideoSdkClaims>,
}

impl std::fmt::Debug for VkSessionData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VkSessionData")
            .field("identity", &self.identity)
            .field("token", &"***")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl From<&SessionData> for VkSessionData {
    fn from(d: &SessionData) -> Self {
        VkSessionData {
            identity: d.identity.clone(),
            token: d.token.expose().to_string(),
            expires_at: d.expires_at,
            issued_at: d.issued_at,
            source: d.source.into(),
            scopes: d.scopes.clone(),
            resumed: d.resumed,
            kaltura: crate::vendors::kaltura_info(&d.details),
            videosdk: crate::vendors::videosdk_claims(&d.details),
        }
    }
}

/// One transition.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VkStateChange {
    pub seq: u64,
    pub from: VkSessionState,
    pub to: VkSessionState,
    pub at: SystemTime,
    pub error: Option<VkErrorInfo>,
}

impl From<&StateChange> for VkStateChange {
    fn from(c: &StateChange) -> Self {
        VkStateChange { seq: c.seq, from: c.from.into(), to: c.to.into(), at: c.at, error: c.error.as_ref().map(VkErrorInfo::from) }
    }
}

/// What an app-supplied provider returns.
#[derive(Clone, uniffi::Record)]
pub struct VkProvidedToken {
    pub token: String,
    /// Server-time expiry if known; otherwise read from the token's JWT `exp`, if any.
    #[uniffi(default = None)]
    pub expires_at: Option<SystemTime>,
}

/// The session's state and the sequence number of the transition that entered it (0 before
/// any), read together: what the platform layers' state cache is fed with after their own
/// calls (merged with the listener's events by the larger `seq`).
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
