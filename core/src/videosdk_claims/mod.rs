//! VideoSDK access tokens: decode and check them on the client, without the secret.
//!
//! A VideoSDK access token is an HS256 JWT that the app's own server signs with the project
//! secret. Its claims say who may do what:
//!
//! | claim | rule |
//! |---|---|
//! | `apikey` | mandatory, a non-empty string |
//! | `permissions` | mandatory, a non-empty array of `allow_join`, `ask_join`, `allow_mod` |
//! | `version` | optional; if present it must be `2` |
//! | `roomId`, `participantId` | optional strings, only with `version: 2` |
//! | `roles` | optional array of `crawler`, `rtc`, only with `version: 2` |
//! | `iat`, `exp`, `nbf` | optional NumericDates; `exp` and `nbf` are checked against "now" |
//! | `jti` | optional string (kept, not interpreted) |
//!
//! The client never holds the secret, so the signature is **not** verified here: a token with a
//! forged signature decodes fine and is refused later by VideoSDK's servers. What the client can
//! do, and does, is refuse what can never work (a wrong algorithm, a broken structure, claims
//! that break the rules) and notice expiry before the meeting fails.
//!
//! ## Which error wins
//! Checks run in this order and the first failure is reported:
//! 1. structure (`malformed`): empty, over [`crate::jwt::MAX_JWT_LEN`], not three segments,
//!    a segment that is not base64url, a header or payload that is not a JSON object;
//! 2. algorithm (`unsupported_algorithm`): the header `alg` must be exactly `HS256`
//!    (`none`, `RS256`… are refused whatever the signature segment holds);
//! 3. claims (`missing_claim`, `invalid_claim`), in the order `apikey`, `permissions`,
//!    `version`, `roomId`, `participantId`, `roles`, `iat`, `nbf`, `exp`, `jti`;
//! 4. time, as PyJWT judges it: `nbf > now + leeway` is `not_yet_valid`, then
//!    `exp <= now - leeway` is `expired`.
//!
//! A claim that is present but `null` counts as missing for the mandatory claims (as PyJWT's
//! `require` does) and as invalid for the optional ones. Static problems come before time
//! because they are permanent: re-fetching an expired token can help, re-fetching a token
//! whose claims break the rules cannot.
//!
//! Errors are the crate's [`Error`]: `expired` maps to [`ErrorKind::Expired`], every other kind
//! to [`ErrorKind::InvalidToken`], and the VideoSDK kind name is kept as the error's code
//! (read it back with [`error_kind_of`]). Messages name the claim at fault, never the token.

use crate::error::{Error, ErrorKind};
use serde_json::{Map, Value};

/// The only signing algorithm VideoSDK tokens use.
pub const ALGORITHM: &str = "HS256";

/// The claim `version` value that allows `roomId`, `participantId` and `roles`.
pub const VERSION_2: u32 = 2;

/// A participant permission (an element of the `permissions` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// `allow_join`: may join the meeting directly.
    AllowJoin,
    /// `ask_join`: must ask to join; a participant already in the meeting admits them.
    AskJoin,
    /// `allow_mod`: may moderate (toggle others' media, remove participants…).
    AllowMod,
}

impl Permission {
    /// Every permission, in declaration order.
    pub const ALL: [Permission; 3] = [Permission::AllowJoin, Permission::AskJoin, Permission::AllowMod];

    /// The wire name: `allow_join`, `ask_join` or `allow_mod`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::AllowJoin => "allow_join",
            Permission::AskJoin => "ask_join",
            Permission::AllowMod => "allow_mod",
        }
    }
}

/// A token role (an element of the `roles` claim, version 2 tokens only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `crawler`: for server-side (REST API) use only; cannot join a meeting.
    Crawler,
    /// `rtc`: may join meetings (real-time communication).
    Rtc,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 2] = [Role::Crawler, Role::Rtc];

    /// The wire name: `crawler` or `rtc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Crawler => "crawler",
            Role::Rtc => "rtc",
        }
    }
}

crate::wire_names::display_as_str!(Permission, Role, VideoSdkTokenErrorKind);
crate::wire_names::from_wire_name!(Permission, "VideoSDK permission", "allow_join, ask_join, allow_mod");
crate::wire_names::from_wire_name!(Role, "VideoSDK role", "crawler, rtc");

/// The checked claims of a VideoSDK access token.
///
/// Not secret by themselves (the token is), so `Debug` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoSdkClaims {
    /// The project's API key (public).
    pub apikey: String,
    /// What the participant may do; never empty, in token order.
    pub permissions: Vec<Permission>,
    /// `Some(2)` for version 2 tokens, `None` when the claim is absent.
    pub version: Option<u32>,
    /// The one room the token is valid for (version 2 only).
    pub room_id: Option<String>,
    /// The participant the token is issued to (version 2 only).
    pub participant_id: Option<String>,
    /// The token's roles, in token order; empty when the claim is absent.
    pub roles: Vec<Role>,
    /// Issued at, seconds since the Unix epoch.
    pub iat: Option<i64>,
    /// Expires at, seconds since the Unix epoch; `None`: the token never expires by itself.
    pub exp: Option<i64>,
    /// Not valid before, seconds since the Unix epoch.
    pub nbf: Option<i64>,
    /// The JWT ID (`jti`), when the issuer set one. Kept so that [`Self::to_json`] gives back
    /// the full claim set; not interpreted.
    pub jti: Option<String>,
}

impl VideoSdkClaims {
    /// Whether the token's roles allow joining meetings at all: no `roles` claim, or `rtc`
    /// among them. A `crawler`-only token is for server-side API calls.
    pub fn allows_rtc(&self) -> bool {
        self.roles.is_empty() || self.roles.contains(&Role::Rtc)
    }

    /// May this participant join the meeting directly? (`allow_join`, and roles that allow
    /// joining meetings.)
    pub fn can_join(&self) -> bool {
        self.permissions.contains(&Permission::AllowJoin) && self.allows_rtc()
    }

    /// Must this participant ask to join (and be admitted)? True for `ask_join` without
    /// `allow_join` (which wins when both are present), with roles that allow joining.
    pub fn must_ask_to_join(&self) -> bool {
        self.permissions.contains(&Permission::AskJoin) && !self.permissions.contains(&Permission::AllowJoin) && self.allows_rtc()
    }

    /// May this participant moderate the meeting? (`allow_mod`.)
    pub fn can_moderate(&self) -> bool {
        self.permissions.contains(&Permission::AllowMod)
    }

    /// Does the token carry `permission`?
    pub fn has_permission(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// Does the token carry `role`?
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The claims as the JSON object a token carries: keys `apikey`, `permissions`, `iat`,
    /// `exp`, `nbf`, `version`, `roomId`, `participantId`, `roles`, `jti`, absent ones omitted
    /// (`roles` is omitted when empty).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("apikey".into(), Value::String(self.apikey.clone()));
        m.insert("permissions".into(), Value::Array(self.permissions.iter().map(|p| Value::String(p.as_str().into())).collect()));
        if let Some(v) = self.iat {
            m.insert("iat".into(), v.into());
        }
        if let Some(v) = self.exp {
            m.insert("exp".into(), v.into());
        }
        if let Some(v) = self.nbf {
            m.insert("nbf".into(), v.into());
        }
        if let Some(v) = self.version {
            m.insert("version".into(), v.into());
        }
        if let Some(v) = &self.room_id {
            m.insert("roomId".into(), Value::String(v.clone()));
        }
        if let Some(v) = &self.participant_id {
            m.insert("participantId".into(), Value::String(v.clone()));
        }
        if !self.roles.is_empty() {
            m.insert("roles".into(), Value::Array(self.roles.iter().map(|r| Value::String(r.as_str().into())).collect()));
        }
        if let Some(v) = &self.jti {
            m.insert("jti".into(), Value::String(v.clone()));
        }
        Value::Object(m)
    }
}

/// Why a VideoSDK token was refused. The `as_str` names are those of the conformance vectors
/// and are kept as the [`Error`]'s code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoSdkTokenErrorKind {
    /// Not a well-formed JWT (segments, base64url, JSON object header and payload).
    Malformed,
    /// `exp` is past (with the leeway).
    Expired,
    /// `nbf` is still ahead (with the leeway).
    NotYetValid,
    /// A mandatory claim (`apikey`, `permissions`) is absent or `null`.
    MissingClaim,
    /// A claim breaks the VideoSDK rules (type, unknown value, version 2 only…).
    InvalidClaim,
    /// The header `alg` is not `HS256`.
    UnsupportedAlgorithm,
}

impl VideoSdkTokenErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [VideoSdkTokenErrorKind; 6] = [
        VideoSdkTokenErrorKind::Malformed,
        VideoSdkTokenErrorKind::Expired,
        VideoSdkTokenErrorKind::NotYetValid,
        VideoSdkTokenErrorKind::MissingClaim,
        VideoSdkTokenErrorKind::InvalidClaim,
        VideoSdkTokenErrorKind::UnsupportedAlgorithm,
    ];

    /// The stable snake_case name: `malformed`, `expired`, `not_yet_valid`, `missing_claim`,
    /// `invalid_claim`, `unsupported_algorithm`.
    pub fn as_str(self) -> &'static str {
        match self {
            VideoSdkTokenErrorKind::Malformed => "malformed",
            VideoSdkTokenErrorKind::Expired => "expired",
            VideoSdkTokenErrorKind::NotYetValid => "not_yet_valid",
            VideoSdkTokenErrorKind::MissingClaim => "missing_claim",
            VideoSdkTokenErrorKind::InvalidClaim => "invalid_claim",
            VideoSdkTokenErrorKind::UnsupportedAlgorithm => "unsupported_algorithm",
        }
    }

    /// The kind named `name` (exact snake_case name), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The engine [`ErrorKind`] this kind maps onto: `Expired` for `expired`, `InvalidToken`
    /// for every other.
    pub fn error_kind(self) -> ErrorKind {
        match self {
            VideoSdkTokenErrorKind::Expired => ErrorKind::Expired,
            _ => ErrorKind::InvalidToken,
        }
    }
}

/// The VideoSDK kind of an error returned by [`check`] or [`decode_unchecked_time`] (read from
/// its code). `None` for any other error.
pub fn error_kind_of(e: &Error) -> Option<VideoSdkTokenErrorKind> {
    let k = VideoSdkTokenErrorKind::from_name(e.code()?)?;
    (e.kind() == k.error_kind()).then_some(k)
}

mod check;
#[cfg(test)]
mod tests;

pub use check::{check, check_time, decode_unchecked_time};
