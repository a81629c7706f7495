//! Kaltura's protocol: the pure pieces of the appToken flow and of reading a KS (no I/O here;
//! the token source in [`crate::sources::kaltura`] does the requests).
//!
//! ## The appToken flow
//! Apps must not ship a partner's admin secret. Instead an administrator creates an
//! *Application Token* (`appToken`: an id, a secret `token`, a `hashType`, optional user, type,
//! privileges and expiry rules) and the app proves it knows the token without sending it:
//!
//! 1. `session.startWidgetSession?widgetId=_<partnerId>` gives an anonymous, user-type widget
//!    KS ([`parse_widget_session`] → [`WidgetSession`]).
//! 2. `tokenHash = lowercase hex HASH(widgetKs + token)` with the appToken's hash type
//!    ([`token_hash`], [`HashType`]).
//! 3. `appToken.startSession(id, tokenHash, userId, type, expiry, sessionPrivileges)`, called
//!    with the widget KS, gives the real KS and its details ([`parse_session_info`] →
//!    [`KalturaSessionInfo`]).
//!
//! Both calls use API v3 with `format=1` (JSON). Errors arrive with HTTP 200 as a
//! `KalturaAPIException` body and become [`crate::ErrorKind::Rejected`] errors with the Kaltura
//! code kept (`INVALID_APP_TOKEN_HASH`, `APP_TOKEN_ID_NOT_FOUND`…). Only `INVALID_KS` during the
//! flow is worth one retry with a fresh widget session ([`is_retryable_widget_error`]).
//!
//! ## Hash type: SHA256 here, SHA1 on the server
//! The SDK's [`HashType::default`] is `SHA256`: new appTokens should be created with it, and a
//! default that is safe to recommend beats one that only matches old tokens. **The Kaltura
//! server's default `hashType` is `SHA1`**, so an appToken created without one expects SHA1:
//! configure the hash type the token was actually created with, or every attempt ends in
//! `INVALID_APP_TOKEN_HASH`.
//!
//! ## Reading a KS
//! [`decode_ks`] reads what a client can read without the secret: every field of a v1 KS,
//! only the version and partner id of a v2 KS ([`KsInfo`]).

pub mod api;
pub mod hash;
pub mod ks;

pub use api::{
    is_retryable_widget_error, parse_session_info, parse_widget_session, KalturaSessionInfo, WidgetSession, API_EXCEPTION, INVALID_KS,
};
pub use hash::{token_hash, HashType};
pub use ks::{decode_ks, KsInfo, MAX_KS_LEN};

/// Kaltura session type (KalturaSessionType): USER = 0, ADMIN = 2; `Other` keeps any other
/// number a server sends (Kaltura defines none, but a KS with one still works).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KalturaSessionType {
    User,
    Admin,
    Other(i32),
}

impl KalturaSessionType {
    pub fn wire(self) -> i32 {
        match self {
            KalturaSessionType::User => 0,
            KalturaSessionType::Admin => 2,
            KalturaSessionType::Other(v) => v,
        }
    }
    /// The type a server reported: never fails ([`Other`](Self::Other) beyond 0 and 2).
    pub fn from_server(v: i32) -> Self {
        Self::from_wire(v).unwrap_or(KalturaSessionType::Other(v))
    }
    /// USER or ADMIN from their numbers; `None` for any other.
    pub fn from_wire(v: i32) -> Option<Self> {
        match v {
            0 => Some(KalturaSessionType::User),
            2 => Some(KalturaSessionType::Admin),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            KalturaSessionType::User => "user",
            KalturaSessionType::Admin => "admin",
            KalturaSessionType::Other(_) => "other",
        }
    }
}
