//! Parsers for the two Kaltura API v3 responses of the appToken flow (`format=1`, JSON).
//!
//! The server answers errors with HTTP 200 and a `KalturaAPIException` object
//! (`{"code", "message", "objectType": "KalturaAPIException", "args"}`); those become
//! [`ErrorKind::Rejected`] errors carrying the Kaltura `code`. Success bodies are read
//! leniently where the server is: numbers may arrive as JSON strings, `userId` may be a number
//! (the widget session's `0`) or `""`, and properties that are `null` are dropped from the
//! JSON altogether, so an absent `userId` or `privileges` reads as `""`.
//!
//! No KS ever reaches an error message: the server's own message goes through
//! [`crate::error::scrub`] with the caller's secrets, and any KS-looking text (the `INVALID_KS`
//! message quotes the KS it refused) is replaced by `***` even when the caller did not know it.

use super::ks::decode_ks;
use crate::error::{scrub, Error, ErrorKind, Result};
use crate::http::json_type_name;
use crate::secret::Secret;
use serde_json::{Map, Value};

/// The Kaltura error code on which a widget-session step is worth one retry with a fresh
/// widget KS.
pub const INVALID_KS: &str = "INVALID_KS";

/// The `objectType` of a Kaltura error body.
pub const API_EXCEPTION: &str = "KalturaAPIException";

/// The answer to `session.startWidgetSession`: an anonymous, user-type widget KS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetSession {
    /// The widget KS (secret: it is a credential).
    pub ks: Secret,
    /// The partner the widget belongs to.
    pub partner_id: i64,
    /// The widget session's user, `"0"` as the server sends it.
    pub user_id: String,
}

/// The answer to `appToken.startSession` (`KalturaSessionInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KalturaSessionInfo {
    /// The KS (secret).
    pub ks: Secret,
    /// 0 = user, 2 = admin.
    pub session_type: i32,
    /// The partner the KS belongs to.
    pub partner_id: i64,
    /// The session's user; `""` when neither the request nor the appToken set one.
    pub user_id: String,
    /// Expiry, seconds since the Unix epoch.
    pub expiry: i64,
    /// The KS privileges, e.g. `sessionid:0_abc,apptoken:0_abc`.
    pub privileges: String,
}

/// Parse a `session.startWidgetSession` response body. `secrets` are removed from any
/// server-supplied text that ends up in an error.
///
/// A `KalturaAPIException` body gives [`ErrorKind::Rejected`] with the Kaltura code; a body
/// that is not JSON, not an object, or lacks `ks`/`partnerId` gives
/// [`ErrorKind::MalformedResponse`].
pub fn parse_widget_session(body: &[u8], secrets: &[&str]) -> Result<WidgetSession> {
    const WHAT: &str = "session.startWidgetSession";
    let obj = parse_object(body, WHAT, secrets)?;
    Ok(WidgetSession { ks: ks_field(&obj, WHAT)?, partner_id: int_field(&obj, "partnerId", WHAT)?, user_id: user_id(&obj, WHAT)? })
}

/// Parse an `appToken.startSession` response body (`KalturaSessionInfo`). `secrets` are
/// removed from any server-supplied text that ends up in an error.
///
/// A `KalturaAPIException` body gives [`ErrorKind::Rejected`] with the Kaltura code; a body
/// that is not JSON, not an object, or lacks `ks`/`partnerId`/`sessionType`/`expiry` gives
/// [`ErrorKind::MalformedResponse`].
pub fn parse_session_info(body: &[u8], secrets: &[&str]) -> Result<KalturaSessionInfo> {
    const WHAT: &str = "appToken.startSession";
    let obj = parse_object(body, WHAT, secrets)?;
    let session_type = int_field(&obj, "sessionType", WHAT)?;
    let session_type =
        i32::try_from(session_type).map_err(|_| Error::malformed(format!("the {WHAT} response has an out-of-range sessionType")))?;
    Ok(KalturaSessionInfo {
        ks: ks_field(&obj, WHAT)?,
        session_type,
        partner_id: int_field(&obj, "partnerId", WHAT)?,
        user_id: user_id(&obj, WHAT)?,
        expiry: {
            let e = int_field(&obj, "expiry", WHAT)?;
            if !crate::clock::unix_secs_in_range(e) {
                return Err(Error::malformed(format!(
                    "the {WHAT} response has an expiry out of range (not a time in the years 1 to 9999)"
                )));
            }
            e
        },
        privileges: opt_string(&obj, "privileges", WHAT)?,
    })
}

/// Whether an error from the widget-session step is worth one retry with a fresh widget
/// session: true only for a Kaltura `INVALID_KS` rejection.
pub fn is_retryable_widget_error(e: &Error) -> bool {
    e.kind() == ErrorKind::Rejected && e.code() == Some(INVALID_KS)
}

/// Parse the body as a JSON object, turning a `KalturaAPIException` into a `Rejected` error.
fn parse_object(body: &[u8], what: &str, secrets: &[&str]) -> Result<Map<String, Value>> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let value: Value = serde_json::from_slice(body).map_err(|_| Error::malformed(format!("the {what} response is not valid JSON")))?;
    let obj = match value {
        Value::Object(m) => m,
        other => return Err(Error::malformed(format!("the {what} response is {}, not a JSON object", json_type_name(&other)))),
    };
    if is_exception(&obj) {
        return Err(api_exception(&obj, what, secrets));
    }
    Ok(obj)
}

fn is_exception(obj: &Map<String, Value>) -> bool {
    match obj.get("objectType") {
        Some(Value::String(t)) => t == API_EXCEPTION || t.ends_with("Exception"),
        // Lenient: an object with a string code and message but no objectType is an error too.
        None => matches!(obj.get("code"), Some(Value::String(_))) && obj.contains_key("message"),
        Some(_) => false,
    }
}

/// A `KalturaAPIException` body as a `Rejected` error.
fn api_exception(obj: &Map<String, Value>, what: &str, secrets: &[&str]) -> Error {
    // Arguments that hold a KS (INVALID_KS has `KSID`) are secrets too.
    let mut all: Vec<&str> = secrets.to_vec();
    if let Some(Value::Object(args)) = obj.get("args") {
        for (k, v) in args {
            if let Value::String(s) = v {
                if k.to_ascii_uppercase().contains("KS") {
                    all.push(s.as_str());
                }
            }
        }
    }
    let message = match obj.get("message") {
        Some(Value::String(m)) => sanitize(m, &all),
        _ => String::new(),
    };
    let text = if message.is_empty() { format!("Kaltura refused {what}") } else { format!("Kaltura refused {what}: {message}") };
    let e = Error::new(ErrorKind::Rejected, text);
    match obj.get("code") {
        Some(Value::String(c)) if !c.trim().is_empty() => e.with_code(scrub(c.trim(), &all)),
        _ => e,
    }
}

/// Server text made safe for an error message: known secrets and KS-looking text replaced by
/// `***`, control characters dropped, length capped ([`scrub`]).
pub fn sanitize(text: &str, secrets: &[&str]) -> String {
    // Replace known secrets before anything can cut through them.
    let mut t = text.to_string();
    for s in secrets {
        if s.len() >= 4 {
            t = t.replace(s, "***");
        }
    }
    let t = strip_quoted_ks(&t);
    let t = strip_ks_like_runs(&t);
    scrub(&t, secrets)
}

/// `… KS "<anything>" …` → `… KS "***" …` (also `KS '…'`; an unterminated quote runs to the end).
fn strip_quoted_ks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        // Find the next quote preceded by "KS" and optional spaces / a colon or equals sign.
        let Some((pos, q)) = rest.char_indices().find(|&(i, c)| (c == '"' || c == '\'') && preceded_by_ks(&rest[..i])) else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..pos]);
        out.push(q);
        let after = &rest[pos + q.len_utf8()..];
        match after.find(q) {
            Some(end) => {
                out.push_str("***");
                out.push(q);
                rest = &after[end + q.len_utf8()..];
            }
            None => {
                out.push_str("***");
                return out;
            }
        }
    }
}

fn preceded_by_ks(before: &str) -> bool {
    let t = before.trim_end_matches([' ', ':', '=']);
    let b = t.as_bytes();
    b.len() >= 2 && b[b.len() - 2..].eq_ignore_ascii_case(b"ks") && (b.len() == 2 || !b[b.len() - 3].is_ascii_alphanumeric())
}

/// Replace runs of base64 characters that look like a KS: 32 or more characters, or anything
/// that decodes as a KS.
fn strip_ks_like_runs(text: &str) -> String {
    fn is_b64(c: char) -> bool {
        c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')
    }
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 32 || (run.len() >= 8 && decode_ks(run).is_ok()) {
            out.push_str("***");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_b64(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The answer's `ks`, which must read as a KS (v1 or v2): anything else would be handed to the
/// app as its session, and fail only when it reaches Kaltura.
fn ks_field(obj: &Map<String, Value>, what: &str) -> Result<Secret> {
    match obj.get("ks") {
        Some(Value::String(s)) if !s.trim().is_empty() => match decode_ks(s) {
            Ok(_) => Ok(Secret::new(s.trim())),
            // The decoder's messages never contain the KS.
            Err(e) => Err(Error::malformed(format!("the {what} response's ks is not a KS ({})", e.message()))),
        },
        Some(Value::String(_)) => Err(Error::malformed(format!("the {what} response has an empty ks"))),
        None | Some(Value::Null) => Err(Error::malformed(format!("the {what} response has no ks"))),
        Some(v) => Err(Error::malformed(format!("the {what} response's ks is {}, not a string", json_type_name(v)))),
    }
}

/// An integer that may arrive as a JSON number or a numeric string.
fn int_field(obj: &Map<String, Value>, name: &str, what: &str) -> Result<i64> {
    let bad = || Error::malformed(format!("the {what} response's {name} is not an integer"));
    match obj.get(name) {
        None | Some(Value::Null) => Err(Error::malformed(format!("the {what} response has no {name}"))),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => Ok(f as i64),
                    _ => Err(bad()),
                }
            }
        }
        Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// `userId`: a string, or a number (the widget session's `0`); absent or null reads as `""`.
fn user_id(obj: &Map<String, Value>, what: &str) -> Result<String> {
    match obj.get("userId") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(v) => Err(Error::malformed(format!("the {what} response's userId is {}", json_type_name(v)))),
    }
}

/// An optional string; absent or null reads as `""`.
fn opt_string(obj: &Map<String, Value>, name: &str, what: &str) -> Result<String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(Error::malformed(format!("the {what} response's {name} is {}, not a string", json_type_name(v)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v2 KS: base64 of `v2|7|` and a 48-byte stand-in for its encrypted part.
    const KS: &str = "djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=";

    #[test]
    fn lenient_numbers_and_user() {
        let w = parse_widget_session(
            br#"{"partnerId":"102","ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","objectType":"KalturaStartWidgetSessionResponse"}"#,
            &[],
        )
        .unwrap();
        assert_eq!((w.partner_id, w.user_id.as_str(), w.ks.expose()), (102, "", KS));
        let s = parse_session_info(
            b"\xEF\xBB\xBF{\"ks\":\"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=\",\"sessionType\":\"2\",\"partnerId\":7,\"userId\":\"\",\"expiry\":\"1763337600\"}",
            &[],
        )
        .unwrap();
        assert_eq!((s.session_type, s.partner_id, s.user_id.as_str(), s.expiry, s.privileges.as_str()), (2, 7, "", 1763337600, ""));
        let f = parse_session_info(br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","sessionType":0,"partnerId":7,"expiry":1763337600.0}"#, &[])
            .unwrap();
        assert_eq!(f.expiry, 1763337600);
    }

    #[test]
    fn malformed_bodies() {
        let bodies: &[&[u8]] = &[
            b"",
            b"not json",
            b"[]",
            b"null",
            b"\"djJ8MTg1\"",
            br#"{"partnerId":1}"#,
            br#"{"ks":"","partnerId":1}"#,
            br#"{"ks":5,"partnerId":1}"#,
            // Not a KS: not base64, or base64 of neither a v1 nor a v2 KS.
            br#"{"ks":"%%%not-base64%%%","partnerId":1}"#,
            br#"{"ks":"abc","partnerId":1}"#,
            br#"{"ks":"djJ8fHh5eg==","partnerId":1}"#,
            br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0="}"#,
            br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","partnerId":"12x"}"#,
            br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","partnerId":1.5}"#,
            br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","partnerId":true}"#,
            br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","partnerId":1,"userId":[]}"#,
            b"\xff\xfe",
        ];
        for b in bodies {
            let e = parse_widget_session(b, &[]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{}", String::from_utf8_lossy(b));
        }
        let infos: &[&[u8]] = &[
            br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","partnerId":1,"expiry":5}"#,
            br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","partnerId":1,"sessionType":0}"#,
            br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","partnerId":1,"sessionType":99999999999,"expiry":5}"#,
            br#"{"ks":"djJ8N3xlbmNyeXB0ZWQtcGFydC1vZi00OC1ieXRlcy0tLS0tLS0tLS0tLS0tLS0tLS0tLS0=","partnerId":1,"sessionType":0,"expiry":5,"privileges":3}"#,
        ];
        for b in infos {
            let e = parse_session_info(b, &[]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{}", String::from_utf8_lossy(b));
        }
    }

    #[test]
    fn malformed_messages_never_carry_the_ks() {
        let ks = "djJ8MTg1MTU3MXxTyx_N36iHyrx7ET5DpeW2_Ub9kxzUe5JG8v6IMtuG7yMeAZyxR3nkAQ3";
        let body = format!(r#"{{"ks":"{ks}","partnerId":"oops"}}"#);
        let e = parse_widget_session(body.as_bytes(), &[]).unwrap_err();
        assert!(!format!("{e} {e:?}").contains(ks));
    }

    #[test]
    fn exceptions_keep_code_and_lose_ks() {
        let ks =
            "djJ8MTg1MTU3MXxTyx_N36iHyrx7ET5DpeW2_Ub9kxzUe5JG8v6IMtuG7yMeAZyxR3nkAQ3vChePYgcPHZHhzQlK9q76FXvjeViIef39GLhBKbCn4jGmALTVmg==";
        let body = format!(
            r#"{{"code":"INVALID_KS","message":"Invalid KS \"{ks}\", Error \"-1,INVALID_STR\"","objectType":"KalturaAPIException","args":{{"KSID":"{ks}"}}}}"#
        );
        let e = parse_session_info(body.as_bytes(), &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Rejected);
        assert_eq!(e.code(), Some("INVALID_KS"));
        assert!(is_retryable_widget_error(&e));
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(ks) && !shown.contains("djJ8MTg1"), "{shown}");
        assert!(shown.contains("INVALID_STR"), "{shown}");

        // No objectType, but code + message: still an error.
        let e = parse_widget_session(br#"{"code":"INVALID_WIDGET_ID","message":"Unknown widget [_999]"}"#, &[]).unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Rejected, Some("INVALID_WIDGET_ID")));
        assert!(!is_retryable_widget_error(&e));
        // Exception without message or code.
        let e = parse_widget_session(br#"{"objectType":"KalturaAPIException"}"#, &[]).unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Rejected, None));
    }

    #[test]
    fn sanitize_strips_ks_like_text() {
        assert_eq!(sanitize(r#"Invalid KS "bad", Error "-1,INVALID_STR""#, &[]), r#"Invalid KS "***", Error "-1,INVALID_STR""#);
        assert_eq!(sanitize("Invalid KS 'abc' x", &[]), "Invalid KS '***' x");
        assert_eq!(sanitize(r#"ks: "unterminated"#, &[]), r#"ks: "***"#);
        assert_eq!(sanitize(r#"Application token id "0_xeu31jy5" not found"#, &[]), r#"Application token id "0_xeu31jy5" not found"#);
        assert_eq!(sanitize("token abcdefghabcdefghabcdefghabcdefgh!", &[]), "token ***!");
        assert_eq!(sanitize("the secret s3cr3t-value leaked", &["s3cr3t-value"]), "the secret *** leaked");
        // KS inside a long message is removed before truncation could cut through it.
        let long = format!("{} KS \"{}\" end", "x ".repeat(95), "A".repeat(300));
        let s = sanitize(&long, &[]);
        assert!(!s.contains("AAAA"), "{s}");
        // Multibyte text around quotes does not panic.
        assert_eq!(sanitize("ünïcödé KS \"é\" ✓ 'x'", &[]), "ünïcödé KS \"***\" ✓ 'x'");
        assert_eq!(sanitize("KS\"", &[]), "KS\"***");
    }
}
