//! Decoding and checking a token: structure, algorithm, claims, time (in that order).

use super::{VideoSdkClaims, VideoSdkTokenErrorKind, ALGORITHM, VERSION_2};
use crate::error::{scrub_short, Error, Result};
use crate::http::json_type_name;
use crate::jwt;
use serde_json::{Map, Value};
use std::str::FromStr;

fn err(kind: VideoSdkTokenErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind.error_kind(), message).with_code(kind.as_str())
}

fn malformed(message: impl Into<String>) -> Error {
    err(VideoSdkTokenErrorKind::Malformed, message)
}

fn invalid(message: impl Into<String>) -> Error {
    err(VideoSdkTokenErrorKind::InvalidClaim, message)
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
                format!("the token header alg is \"{}\"; VideoSDK tokens are signed with HS256", scrub_short(a)),
            ))
        }
        Some(v) => {
            return Err(err(
                VideoSdkTokenErrorKind::UnsupportedAlgorithm,
                format!("the token header alg is {}, not \"HS256\"", json_type_name(v)),
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
/// Errors: `expired` → [`ErrorKind::Expired`](crate::ErrorKind::Expired), every other kind → [`ErrorKind::InvalidToken`](crate::ErrorKind::InvalidToken);
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
        None | Some(Value::Null) => return Err(err(VideoSdkTokenErrorKind::MissingClaim, "the token has no apikey claim")),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) => return Err(invalid("the token's apikey claim is empty")),
        Some(v) => return Err(invalid(format!("the token's apikey claim is {}, not a string", json_type_name(v)))),
    };

    // permissions: mandatory non-empty array of known strings.
    let permissions = match c.get("permissions") {
        None | Some(Value::Null) => return Err(err(VideoSdkTokenErrorKind::MissingClaim, "the token has no permissions claim")),
        Some(Value::Array(a)) if a.is_empty() => {
            return Err(invalid("the token's permissions claim is empty; at least one permission is required"))
        }
        Some(Value::Array(a)) => name_list(a, "permissions", "permission", "allow_join, ask_join, allow_mod")?,
        Some(v) => return Err(invalid(format!("the token's permissions claim is {}, not an array of strings", json_type_name(v)))),
    };

    // version: optional, must be 2.
    let version = match c.get("version") {
        None => None,
        Some(v) if v.as_u64() == Some(u64::from(VERSION_2)) => Some(VERSION_2),
        Some(Value::Number(n)) => {
            return Err(invalid(format!("the token's version claim is {}; it must be the integer 2", scrub_short(&n.to_string()))))
        }
        Some(v) => return Err(invalid(format!("the token's version claim is {}, not the number 2", json_type_name(v)))),
    };
    let v2 = version == Some(VERSION_2);

    let room_id = v2_string(c, "roomId", v2)?;
    let participant_id = v2_string(c, "participantId", v2)?;

    let roles = match c.get("roles") {
        None => Vec::new(),
        Some(_) if !v2 => return Err(invalid("the token has a roles claim but no version 2; roles need version 2")),
        Some(Value::Array(a)) => name_list(a, "roles", "role", "crawler, rtc")?,
        Some(v) => return Err(invalid(format!("the token's roles claim is {}, not an array of strings", json_type_name(v)))),
    };

    let iat = numeric_date(c, "iat")?;
    let nbf = numeric_date(c, "nbf")?;
    let exp = numeric_date(c, "exp")?;

    let jti = match c.get("jti") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => return Err(invalid(format!("the token's jti claim is {}, not a string", json_type_name(v)))),
    };

    Ok(VideoSdkClaims { apikey, permissions, version, room_id, participant_id, roles, iat, exp, nbf, jti })
}

/// An array claim of wire names (`permissions`, `roles`), in token order.
fn name_list<T: FromStr>(a: &[Value], claim: &str, one: &str, known: &str) -> Result<Vec<T>> {
    a.iter()
        .map(|v| match v {
            Value::String(s) => T::from_str(s)
                .map_err(|_| invalid(format!("the token's {claim} claim holds the unknown {one} \"{}\" (known: {known})", scrub_short(s)))),
            other => Err(invalid(format!("the token's {claim} claim holds {}, not a string", json_type_name(other)))),
        })
        .collect()
}

/// An optional string claim allowed only in version 2 tokens.
fn v2_string(c: &Map<String, Value>, name: &str, v2: bool) -> Result<Option<String>> {
    match c.get(name) {
        None => Ok(None),
        Some(_) if !v2 => Err(invalid(format!("the token has a {name} claim but no version 2; {name} needs version 2"))),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(invalid(format!("the token's {name} claim is empty"))),
        Some(v) => Err(invalid(format!("the token's {name} claim is {}, not a string", json_type_name(v)))),
    }
}

/// An optional NumericDate claim: a JSON number (integer, or finite float truncated).
fn numeric_date(c: &Map<String, Value>, name: &str) -> Result<Option<i64>> {
    match c.get(name) {
        None => Ok(None),
        Some(v @ Value::Number(_)) => {
            jwt::numeric_date(v).map(Some).ok_or_else(|| invalid(format!("the token's {name} claim is not a usable date (out of range)")))
        }
        Some(v) => Err(invalid(format!("the token's {name} claim is {}, not a number of seconds", json_type_name(v)))),
    }
}
