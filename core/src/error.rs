//! The one public error type of the SDK.
//!
//! Every failure, whatever the token source, is an [`Error`] with a stable [`ErrorKind`]
//! (its snake_case name is part of the public contract: the CLI prints it, the platforms
//! switch on it), a human message, and optional structured details (HTTP status, the
//! backend's or vendor's code, a `Retry-After` hint).
//!
//! No secret ever reaches an `Error`: messages are built from our own words plus backend
//! text that has been passed through [`scrub`], which removes every secret the caller knows
//! about and truncates the rest.

use std::fmt;
use std::time::Duration;

/// Stable classification of a failure. The `as_str` names never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request could not be sent or the connection broke (DNS, refused, reset).
    Network,
    /// Connect or total timeout elapsed.
    Timeout,
    /// The server answered with an HTTP status we do not treat specially (5xx, 429, 404...).
    HttpStatus,
    /// The body could not be parsed, was too large, or lacked a required field.
    MalformedResponse,
    /// The backend understood and said no (a body with `error`, a vendor error code).
    Rejected,
    /// HTTP 401/403: the credentials were refused.
    Unauthorized,
    /// The token is expired (or a session lapsed without renewal).
    Expired,
    /// A token could not be decoded or failed its checks.
    InvalidToken,
    /// The app passed something unusable (empty identity, bad URL, bad config).
    InvalidArgument,
    /// Plain `http://` to a non-loopback host without the app opting in.
    InsecureTransport,
    /// The operation was cancelled by `stop()` or by a newer `start()`.
    Cancelled,
    /// `token()` or `refresh()` was called before `start()` (or after `stop()`).
    NotStarted,
    /// Reading or writing the session store failed.
    Storage,
}

impl ErrorKind {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::MalformedResponse => "malformed_response",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Expired => "expired",
            ErrorKind::InvalidToken => "invalid_token",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::InsecureTransport => "insecure_transport",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::NotStarted => "not_started",
            ErrorKind::Storage => "storage",
        }
    }

    /// Every kind, in declaration order (for docs and exhaustive tests).
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::HttpStatus,
        ErrorKind::MalformedResponse,
        ErrorKind::Rejected,
        ErrorKind::Unauthorized,
        ErrorKind::Expired,
        ErrorKind::InvalidToken,
        ErrorKind::InvalidArgument,
        ErrorKind::InsecureTransport,
        ErrorKind::Cancelled,
        ErrorKind::NotStarted,
        ErrorKind::Storage,
    ];
}

crate::wire_names::display_as_str!(ErrorKind);

/// A failure. Cheap to clone (waiters of a shared fetch all get a copy).
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    code: Option<String>,
    retry_after: Option<Duration>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), status: None, code: None, retry_after: None }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Attach the backend's or vendor's error code (e.g. `INVALID_APP_TOKEN_HASH`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_retry_after(mut self, d: Duration) -> Self {
        self.retry_after = Some(d);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Transient failures are retried with backoff; everything else stops at once.
    pub fn is_transient(&self) -> bool {
        match self.kind {
            ErrorKind::Network | ErrorKind::Timeout => true,
            ErrorKind::HttpStatus => {
                matches!(self.status, Some(s) if s == 408 || s == 429 || (500..=599).contains(&s))
            }
            _ => false,
        }
    }

    // Shorthands used throughout the crate.
    pub fn invalid_argument(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, m)
    }
    pub fn malformed(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::MalformedResponse, m)
    }
    pub fn invalid_token(m: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidToken, m)
    }
    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "the session was stopped or restarted")
    }
    pub fn not_started() -> Self {
        Self::new(ErrorKind::NotStarted, "the session is not started; call start() first")
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind.as_str()).field("message", &self.message);
        if let Some(s) = self.status {
            d.field("status", &s);
        }
        if let Some(c) = &self.code {
            d.field("code", c);
        }
        if let Some(r) = self.retry_after {
            d.field("retry_after", &r);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)?;
        if let Some(c) = &self.code {
            write!(f, " [{c}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Longest piece of backend-supplied text kept in an error message.
pub const MAX_BACKEND_TEXT: usize = 200;

/// Make backend-supplied text safe for an error message: every occurrence of any of
/// `secrets` (of 4+ characters) is replaced by `***`, control characters are dropped, and
/// the result is truncated to [`MAX_BACKEND_TEXT`] characters.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.len() >= 4 {
            out = out.replace(s, "***");
        }
    }
    let cleaned: String = out.chars().filter(|c| !c.is_control()).collect();
    truncate(cleaned, MAX_BACKEND_TEXT)
}

/// Longest piece of a value quoted back in an error message by [`scrub_short`].
pub const MAX_QUOTED: usize = 40;

/// [`scrub`] for a short quote of a value the caller gave (a claim, a name): at most
/// [`MAX_QUOTED`] characters.
pub fn scrub_short(text: &str) -> String {
    truncate(scrub(text, &[]), MAX_QUOTED)
}

fn truncate(text: String, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_stable_snake_case_names() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "network",
                "timeout",
                "http_status",
                "malformed_response",
                "rejected",
                "unauthorized",
                "expired",
                "invalid_token",
                "invalid_argument",
                "insecure_transport",
                "cancelled",
                "not_started",
                "storage"
            ]
        );
    }

    #[test]
    fn transient_classification() {
        assert!(Error::new(ErrorKind::Network, "x").is_transient());
        assert!(Error::new(ErrorKind::Timeout, "x").is_transient());
        for s in [408u16, 429, 500, 502, 503, 599] {
            assert!(Error::new(ErrorKind::HttpStatus, "x").with_status(s).is_transient(), "{s}");
        }
        for s in [400u16, 404, 410] {
            assert!(!Error::new(ErrorKind::HttpStatus, "x").with_status(s).is_transient(), "{s}");
        }
        assert!(!Error::new(ErrorKind::Unauthorized, "x").with_status(401).is_transient());
        assert!(!Error::new(ErrorKind::Rejected, "x").is_transient());
        assert!(!Error::malformed("x").is_transient());
    }

    #[test]
    fn scrub_removes_secrets_controls_and_truncates() {
        assert_eq!(scrub("Invalid KS \"abcdef\"", &["abcdef"]), "Invalid KS \"***\"");
        assert_eq!(scrub("a\nb\tc", &[]), "abc");
        let long = "x".repeat(500);
        let s = scrub(&long, &[]);
        assert_eq!(s.chars().count(), MAX_BACKEND_TEXT + 1);
        // Too-short "secrets" are not replaced (they would mangle ordinary text).
        assert_eq!(scrub("abc", &["ab"]), "abc");
    }

    #[test]
    fn display_and_debug() {
        let e = Error::new(ErrorKind::Rejected, "app token not accepted").with_code("INVALID_APP_TOKEN_HASH");
        assert_eq!(e.to_string(), "rejected: app token not accepted [INVALID_APP_TOKEN_HASH]");
        assert!(format!("{e:?}").contains("kind: \"rejected\""));
    }
}
