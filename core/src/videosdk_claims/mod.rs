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

use crate::error::{scrub, Error, ErrorKind, Result};
use crate::jwt;
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// The only signing algorithm VideoSDK tokens use.
pub const ALGORITHM: &str = "HS256";

/// The claim `version` value that allows `roomId`, `participantId` and `roles`.
pub const VERSION_2: u32 = 2;

/// Longest piece of a claim value quoted back in an error message.
const MAX_QUOTED: usize = 40;

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

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = Error;

    /// Parse a wire name (exact, case-sensitive, as the VideoSDK servers compare it).
    /// Anything else is an `invalid_argument` error.
    fn from_str(s: &str) -> Result<Self> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| Error::invalid_argument(format!("unknown VideoSDK permission \"{}\" (known: allow_join, ask_join, allow_mod)", quote(s))))
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

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    /// Parse a wire name (exact, case-sensitive). Anything else is an `invalid_argument` error.
    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| Error::invalid_argument(format!("unknown VideoSDK role \"{}\" (known: crawler, rtc)", quote(s))))
    }
}

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
        self.permissions.contains(&Permission::AskJoin)
            && !self.permissions.contains(&Permission::AllowJoin)
            && self.allows_rtc()
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
        m.insert(
            "permissions".into(),
            Value::Array(self.permissions.iter().map(|p| Value::String(p.as_str().into())).collect()),
        );
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

impl fmt::Display for VideoSdkTokenErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The VideoSDK kind of an error returned by [`check`] or [`decode_unchecked_time`] (read from
/// its code). `None` for any other error.
pub fn error_kind_of(e: &Error) -> Option<VideoSdkTokenErrorKind> {
    let k = VideoSdkTokenErrorKind::from_name(e.code()?)?;
    (e.kind() == k.error_kind()).then_some(k)
}

fn err(kind: VideoSdkTokenErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind.error_kind(), message).with_code(kind.as_str())
}

fn malformed(message: impl Into<String>) -> Error {
    err(VideoSdkTokenErrorKind::Malformed, message)
}

fn invalid(message: impl Into<String>) -> Error {
    err(VideoSdkTokenErrorKind::InvalidClaim, message)
}

/// A claim value made safe and short for an error message.
fn quote(s: &str) -> String {
    let s = scrub(s, &[]);
    if s.chars().count() > MAX_QUOTED {
        let mut t: String = s.chars().take(MAX_QUOTED).collect();
        t.push('…');
        t
    } else {
        s
    }
}

/// JSON type name for messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decode a VideoSDK token and check its structure, algorithm and claim rules, but not
/// `exp`/`nbf` against the clock. Use [`check`] to judge a token for use.
pub fn decode_unchecked_time(token: &str) -> Result<VideoSdkClaims> {
    // Structure. `jwt::decode` trims, caps the size, splits into exactly three segments and
    // decodes header, payload and signature; all its errors are structural.
    let decoded = jwt::decode(token).map_err(|e| malformed(format!("not a VideoSDK token: {}", e.message())))?;

    // Algorithm.
    match decoded.header.get("alg") {
        Some(Value::String(a)) if a == ALGORITHM => {}
        Some(Value::String(a)) => {
            return Err(err(
                VideoSdkTokenErrorKind::UnsupportedAlgorithm,
                format!("the token header alg is \"{}\"; VideoSDK tokens are signed with HS256", quote(a)),
            ))
        }
        Some(v) => {
            return Err(err(
                VideoSdkTokenErrorKind::UnsupportedAlgorithm,
                format!("the token header alg is {}, not \"HS256\"", type_name(v)),
            ))
        }
        None => {
            return Err(err(
                VideoSdkTokenErrorKind::UnsupportedAlgorithm,
                "the token header names no alg; VideoSDK tokens are signed with HS256",
            ))
        }
    }

    claims_from(&decoded.claims)
}

/// Decode and fully check a VideoSDK token at `now_unix` (seconds since the Unix epoch,
/// preferably server time), allowing `leeway_secs` of clock difference on `exp` and `nbf`
/// (negative leeway counts as 0).
///
/// Errors: `expired` → [`ErrorKind::Expired`], every other kind → [`ErrorKind::InvalidToken`];
/// the kind's name is the error's code. The message names the claim at fault, never the token.
pub fn check(token: &str, now_unix: i64, leeway_secs: i64) -> Result<VideoSdkClaims> {
    let claims = decode_unchecked_time(token)?;
    check_time(&claims, now_unix, leeway_secs)?;
    Ok(claims)
}

/// Judge `nbf` and `exp` of already-decoded claims, as PyJWT does: `nbf > now + leeway` is
/// `not_yet_valid`, then `exp <= now - leeway` is `expired`.
pub fn check_time(claims: &VideoSdkClaims, now_unix: i64, leeway_secs: i64) -> Result<()> {
    let leeway = leeway_secs.max(0);
    if let Some(nbf) = claims.nbf {
        if nbf > now_unix.saturating_add(leeway) {
            return Err(err(
                VideoSdkTokenErrorKind::NotYetValid,
                format!("the token is not valid yet: nbf is {}s ahead", nbf.saturating_sub(now_unix)),
            ));
        }
    }
    if let Some(exp) = claims.exp {
        if exp <= now_unix.saturating_sub(leeway) {
            return Err(err(
                VideoSdkTokenErrorKind::Expired,
                format!("the token expired: exp is {}s in the past", now_unix.saturating_sub(exp)),
            ));
        }
    }
    Ok(())
}

fn claims_from(c: &Map<String, Value>) -> Result<VideoSdkClaims> {
    // apikey: mandatory non-empty string.
    let apikey = match c.get("apikey") {
        None | Some(Value::Null) => {
            return Err(err(VideoSdkTokenErrorKind::MissingClaim, "the token has no apikey claim"))
        }
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) => return Err(invalid("the token's apikey claim is empty")),
        Some(v) => return Err(invalid(format!("the token's apikey claim is {}, not a string", type_name(v)))),
    };

    // permissions: mandatory non-empty array of known strings.
    let permissions = match c.get("permissions") {
        None | Some(Value::Null) => {
            return Err(err(VideoSdkTokenErrorKind::MissingClaim, "the token has no permissions claim"))
        }
        Some(Value::Array(a)) if a.is_empty() => {
            return Err(invalid("the token's permissions claim is empty; at least one permission is required"))
        }
        Some(Value::Array(a)) => {
            let mut out = Vec::with_capacity(a.len());
            for v in a {
                match v {
                    Value::String(s) => match Permission::from_str(s) {
                        Ok(p) => out.push(p),
                        Err(_) => {
                            return Err(invalid(format!(
                                "the token's permissions claim holds the unknown permission \"{}\" (known: allow_join, ask_join, allow_mod)",
                                quote(s)
                            )))
                        }
                    },
                    other => {
                        return Err(invalid(format!(
                            "the token's permissions claim holds {}, not a string",
                            type_name(other)
                        )))
                    }
                }
            }
            out
        }
        Some(v) => {
            return Err(invalid(format!(
                "the token's permissions claim is {}, not an array of strings",
                type_name(v)
            )))
        }
    };

    // version: optional, must be 2.
    let version = match c.get("version") {
        None => None,
        Some(v) if v.as_u64() == Some(u64::from(VERSION_2)) => Some(VERSION_2),
        Some(Value::Number(n)) => {
            return Err(invalid(format!("the token's version claim is {}; it must be the integer 2", quote(&n.to_string()))))
        }
        Some(v) => return Err(invalid(format!("the token's version claim is {}, not the number 2", type_name(v)))),
    };
    let v2 = version == Some(VERSION_2);

    let room_id = v2_string(c, "roomId", v2)?;
    let participant_id = v2_string(c, "participantId", v2)?;

    let roles = match c.get("roles") {
        None => Vec::new(),
        Some(_) if !v2 => return Err(invalid("the token has a roles claim but no version 2; roles need version 2")),
        Some(Value::Array(a)) => {
            let mut out = Vec::with_capacity(a.len());
            for v in a {
                match v {
                    Value::String(s) => match Role::from_str(s) {
                        Ok(r) => out.push(r),
                        Err(_) => {
                            return Err(invalid(format!(
                                "the token's roles claim holds the unknown role \"{}\" (known: crawler, rtc)",
                                quote(s)
                            )))
                        }
                    },
                    other => {
                        return Err(invalid(format!("the token's roles claim holds {}, not a string", type_name(other))))
                    }
                }
            }
            out
        }
        Some(v) => {
            return Err(invalid(format!("the token's roles claim is {}, not an array of strings", type_name(v))))
        }
    };

    let iat = numeric_date(c, "iat")?;
    let nbf = numeric_date(c, "nbf")?;
    let exp = numeric_date(c, "exp")?;

    let jti = match c.get("jti") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => return Err(invalid(format!("the token's jti claim is {}, not a string", type_name(v)))),
    };

    Ok(VideoSdkClaims { apikey, permissions, version, room_id, participant_id, roles, iat, exp, nbf, jti })
}

/// An optional string claim allowed only in version 2 tokens.
fn v2_string(c: &Map<String, Value>, name: &str, v2: bool) -> Result<Option<String>> {
    match c.get(name) {
        None => Ok(None),
        Some(_) if !v2 => Err(invalid(format!("the token has a {name} claim but no version 2; {name} needs version 2"))),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(invalid(format!("the token's {name} claim is empty"))),
        Some(v) => Err(invalid(format!("the token's {name} claim is {}, not a string", type_name(v)))),
    }
}

/// An optional NumericDate claim: a JSON number (integer, or finite float truncated).
fn numeric_date(c: &Map<String, Value>, name: &str) -> Result<Option<i64>> {
    match c.get(name) {
        None => Ok(None),
        Some(v @ Value::Number(_)) => jwt::numeric_date(v)
            .map(Some)
            .ok_or_else(|| invalid(format!("the token's {name} claim is not a usable date (out of range)"))),
        Some(v) => Err(invalid(format!("the token's {name} claim is {}, not a number of seconds", type_name(v)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const NOW: i64 = 1_795_305_600; // 2026-11-22T00:00:00Z

    fn enc(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    fn token_with(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", enc(header), enc(payload), enc("0123456789abcdef0123456789abcdef"))
    }

    fn tok(payload: &str) -> String {
        token_with(r#"{"alg":"HS256","typ":"JWT"}"#, payload)
    }

    fn kind(r: Result<VideoSdkClaims>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(e) => error_kind_of(&e).map(|k| k.as_str()).unwrap_or("other"),
        }
    }

    #[test]
    fn wire_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), p);
            assert_eq!(p.to_string(), p.as_str());
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("ALLOW_JOIN".parse::<Permission>().is_err());
        assert_eq!("admin".parse::<Role>().unwrap_err().kind(), ErrorKind::InvalidArgument);
        let names: Vec<_> = VideoSdkTokenErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["malformed", "expired", "not_yet_valid", "missing_claim", "invalid_claim", "unsupported_algorithm"]);
        for k in VideoSdkTokenErrorKind::ALL {
            assert_eq!(VideoSdkTokenErrorKind::from_name(k.as_str()), Some(k));
        }
    }

    #[test]
    fn leeway_on_exp() {
        let t = tok(r#"{"apikey":"k","permissions":["allow_join"],"exp":1000}"#);
        // exp == now is expired (PyJWT: exp <= now - leeway).
        assert_eq!(kind(check(&t, 1000, 0)), "expired");
        assert_eq!(kind(check(&t, 999, 0)), "ok");
        // 30 s of leeway keeps it usable until exp + 30 (exclusive).
        assert_eq!(kind(check(&t, 1029, 30)), "ok");
        assert_eq!(kind(check(&t, 1030, 30)), "expired");
        // Negative leeway counts as zero.
        assert_eq!(kind(check(&t, 999, -100)), "ok");
        let e = check(&t, 2000, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Expired);
        assert_eq!(e.code(), Some("expired"));
        assert!(e.message().contains("exp"));
    }

    #[test]
    fn leeway_on_nbf() {
        let t = tok(r#"{"apikey":"k","permissions":["allow_join"],"nbf":1000}"#);
        assert_eq!(kind(check(&t, 1000, 0)), "ok");
        assert_eq!(kind(check(&t, 999, 0)), "not_yet_valid");
        assert_eq!(kind(check(&t, 990, 10)), "ok");
        assert_eq!(kind(check(&t, 989, 10)), "not_yet_valid");
        let e = check(&t, 0, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        assert!(e.message().contains("nbf"));
        // nbf wins over exp when both apply (PyJWT order).
        let both = tok(r#"{"apikey":"k","permissions":["allow_join"],"nbf":1000,"exp":500}"#);
        assert_eq!(kind(check(&both, 600, 0)), "not_yet_valid");
        // Extreme values do not overflow.
        assert_eq!(kind(check(&t, i64::MAX, i64::MAX)), "ok");
        assert_eq!(kind(check(&t, i64::MIN, i64::MAX)), "not_yet_valid");
        assert_eq!(kind(check(&tok(r#"{"apikey":"k","permissions":["allow_join"],"exp":1}"#), i64::MIN, i64::MAX)), "ok");
    }

    #[test]
    fn claim_rules_and_precedence() {
        let cases: &[(&str, &str)] = &[
            (r#"{"apikey":"k","permissions":["allow_join"]}"#, "ok"),
            (r#"{"apikey":null,"permissions":["allow_join"]}"#, "missing_claim"),
            (r#"{"apikey":"","permissions":["allow_join"]}"#, "invalid_claim"),
            (r#"{"apikey":5,"permissions":["allow_join"]}"#, "invalid_claim"),
            (r#"{"apikey":"k"}"#, "missing_claim"),
            (r#"{"apikey":"k","permissions":null}"#, "missing_claim"),
            (r#"{"apikey":"k","permissions":[1]}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":{}}"#, "invalid_claim"),
            // apikey is judged before permissions.
            (r#"{"permissions":[]}"#, "missing_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"version":1}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"version":"2"}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"version":2}"#, "ok"),
            (r#"{"apikey":"k","permissions":["allow_join"],"participantId":"p"}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"roles":["rtc"]}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"version":2,"roomId":5}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"version":2,"roomId":""}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"version":2,"roles":"rtc"}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"version":2,"roles":[]}"#, "ok"),
            (r#"{"apikey":"k","permissions":["allow_join"],"exp":"4102444800"}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"iat":null}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"exp":1e300}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"jti":7}"#, "invalid_claim"),
            // Claim rules come before time: an expired token with a bad claim is invalid_claim.
            (r#"{"apikey":"k","permissions":["nope"],"exp":1}"#, "invalid_claim"),
            (r#"{"apikey":"k","permissions":["allow_join"],"exp":1.5e9}"#, "expired"),
        ];
        for (payload, want) in cases {
            assert_eq!(kind(check(&tok(payload), NOW, 0)), *want, "{payload}");
        }
    }

    #[test]
    fn algorithm_and_structure() {
        let p = r#"{"apikey":"k","permissions":["allow_join"]}"#;
        for h in [r#"{"alg":"none"}"#, r#"{"alg":"HS512"}"#, r#"{"alg":"hs256"}"#, r#"{"typ":"JWT"}"#, r#"{"alg":256}"#] {
            assert_eq!(kind(check(&token_with(h, p), NOW, 0)), "unsupported_algorithm", "{h}");
        }
        // Structure is judged before the algorithm.
        let bad_payload = format!("{}.{}.", enc(r#"{"alg":"none"}"#), enc("[]"));
        assert_eq!(kind(check(&bad_payload, NOW, 0)), "malformed");
        for t in ["", "   ", "a.b", "a.b.c.d", "....", "e30", "e30.e30", "W10.e30.", "\u{0}.\u{0}.\u{0}"] {
            assert_eq!(kind(check(t, NOW, 0)), "malformed", "{t:?}");
        }
        let huge = format!("{}.{}.x", enc(r#"{"alg":"HS256"}"#), "A".repeat(20_000));
        assert_eq!(kind(check(&huge, NOW, 0)), "malformed");
    }

    #[test]
    fn errors_never_contain_the_token() {
        let payloads = [
            r#"{"apikey":"secret-apikey-value","permissions":["allow_everything"]}"#,
            r#"{"apikey":"secret-apikey-value","permissions":["allow_join"],"exp":1}"#,
        ];
        for p in payloads {
            let t = tok(p);
            let e = check(&t, NOW, 0).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(&t));
            assert!(!shown.contains("secret-apikey-value"));
            for seg in t.split('.') {
                assert!(!shown.contains(seg), "{shown}");
            }
        }
        // Long unknown values are shortened.
        let long = "x".repeat(500);
        let e = check(&tok(&format!(r#"{{"apikey":"k","permissions":["{long}"]}}"#)), NOW, 0).unwrap_err();
        assert!(e.message().len() < 200, "{}", e.message());
    }

    #[test]
    fn helpers() {
        let c = |p: &str| check(&tok(p), NOW, 0).unwrap();
        let join = c(r#"{"apikey":"k","permissions":["allow_join"]}"#);
        assert!(join.can_join() && !join.must_ask_to_join() && !join.can_moderate());
        let ask = c(r#"{"apikey":"k","permissions":["ask_join"]}"#);
        assert!(!ask.can_join() && ask.must_ask_to_join());
        let both = c(r#"{"apikey":"k","permissions":["ask_join","allow_join","allow_mod"]}"#);
        assert!(both.can_join() && !both.must_ask_to_join() && both.can_moderate());
        let crawler = c(r#"{"apikey":"k","permissions":["allow_join"],"version":2,"roles":["crawler"]}"#);
        assert!(!crawler.can_join() && !crawler.allows_rtc() && crawler.has_role(Role::Crawler));
        let mixed = c(r#"{"apikey":"k","permissions":["allow_join"],"version":2,"roles":["crawler","rtc"]}"#);
        assert!(mixed.can_join() && mixed.has_permission(Permission::AllowJoin));
    }

    #[test]
    fn error_kind_of_needs_matching_kind_and_code() {
        assert_eq!(error_kind_of(&Error::invalid_token("x")), None);
        assert_eq!(error_kind_of(&Error::invalid_token("x").with_code("expired")), None);
        assert_eq!(error_kind_of(&Error::new(ErrorKind::Expired, "x").with_code("expired")), Some(VideoSdkTokenErrorKind::Expired));
        assert_eq!(error_kind_of(&Error::malformed("x").with_code("malformed")), None);
    }
}
