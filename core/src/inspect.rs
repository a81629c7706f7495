//! Offline token inspection (`videokit token inspect`): decode a JWT, a VideoSDK access token or
//! a Kaltura KS without sending it anywhere, and judge whether it is usable at `now`.
//!
//! Lives in the core (not the CLI) so that the fuzz targets reach it, formatting included: no
//! input, and no timestamp in it, may panic. Every time claim is checked
//! ([`crate::jwt::Jwt::time_claims`]): a claim that is not a number or lies outside the years
//! 1..=9999 makes the token invalid, and is never formatted as a date.

use crate::clock::format_unix_secs;
use crate::error::{Error, ErrorKind, Result};
use serde_json::{json, Value};

/// What [`inspect`] found: the report (the CLI prints it, `--json` as is), and the verdict.
#[derive(Debug)]
pub struct Inspection {
    /// `type` (`jwt`, `videosdk`, `kaltura_ks`) and what could be read: `header`, `claims`,
    /// `checked_claims`, `expires_at`, `issued_at`, `seconds_left`, … Never the token.
    pub report: Value,
    /// `Ok` when usable; otherwise `invalid_token` (with a code) or `expired`.
    pub verdict: Result<()>,
    /// Seconds from `now` to `exp` (saturating), when the token has a valid `exp`.
    pub seconds_left: Option<i64>,
}

/// Inspect `token` at `now` (unix seconds) with `leeway` seconds on `exp`/`nbf` (negative
/// counts as 0). `Err` (`invalid_token`) when it is neither a JWT nor a KS at all.
pub fn inspect(token: &str, now: i64, leeway: i64) -> Result<Inspection> {
    let token = token.trim();
    let leeway = leeway.max(0);
    if !token.contains('.') {
        return inspect_ks(token, now);
    }
    let j = crate::jwt::decode(token)?;
    let is_videosdk = j.claims.contains_key("apikey") || j.claims.contains_key("permissions");
    let mut report = json!({
        "type": if is_videosdk { "videosdk" } else { "jwt" },
        "header": Value::Object(j.header.clone()),
        "claims": Value::Object(j.claims.clone()),
    });
    let mut verdict: Result<()> = Ok(());
    // Checked time claims; on a bad one, nothing is formatted (and the verdict says why).
    let times = match j.time_claims() {
        Ok(t) => t,
        Err(e) => {
            verdict = Err(e);
            Default::default()
        }
    };
    if is_videosdk {
        match crate::videosdk_claims::check(token, now, leeway) {
            Ok(c) => report["checked_claims"] = c.to_json(),
            Err(e) => verdict = Err(e),
        }
    } else if verdict.is_ok() {
        if let Err(e) = j.check_alg() {
            verdict = Err(e);
        } else if let Some(nbf) = times.nbf.filter(|nbf| now.saturating_add(leeway) < *nbf) {
            verdict =
                Err(Error::invalid_token(format!("the token is not valid before {}", format_unix_secs(nbf))).with_code("not_yet_valid"));
        } else if let Some(exp) = times.exp.filter(|exp| now.saturating_sub(leeway) >= *exp) {
            verdict = Err(Error::new(ErrorKind::Expired, format!("the token expired at {}", format_unix_secs(exp))));
        }
    }
    let seconds_left = times.exp.map(|exp| exp.saturating_sub(now));
    if let Some(exp) = times.exp {
        report["expires_at"] = json!(format_unix_secs(exp));
        report["seconds_left"] = json!(exp.saturating_sub(now));
    }
    if let Some(iat) = times.iat {
        report["issued_at"] = json!(format_unix_secs(iat));
    }
    if let Some(nbf) = times.nbf {
        report["not_before"] = json!(format_unix_secs(nbf));
    }
    report["signature_verified"] = json!(false);
    finish(report, verdict, seconds_left)
}

fn inspect_ks(ks: &str, now: i64) -> Result<Inspection> {
    let info = crate::kaltura_protocol::decode_ks(ks)
        .map_err(|_| Error::invalid_token("not a JWT (three dot-separated segments) nor a Kaltura KS").with_code("malformed"))?;
    let mut report = json!({"type": "kaltura_ks", "version": info.version, "partner_id": info.partner_id});
    let mut verdict = Ok(());
    let mut seconds_left = None;
    if let Some(e) = info.expiry {
        report["expiry"] = json!(e);
        report["expires_at"] = json!(format_unix_secs(e));
        report["seconds_left"] = json!(e.saturating_sub(now));
        seconds_left = Some(e.saturating_sub(now));
        if e <= now {
            verdict = Err(Error::new(ErrorKind::Expired, "the KS has expired"));
        }
    }
    if let Some(t) = info.session_type {
        report["session_type"] = json!(if t == 2 { "admin" } else { "user" });
    }
    if let Some(u) = &info.user_id {
        report["user_id"] = json!(u);
    }
    if let Some(p) = &info.privileges {
        report["privileges"] = json!(p);
    }
    if info.version == 2 {
        report["note"] = json!("a v2 KS is encrypted: only the version and partner id can be read without the partner's secret");
    }
    finish(report, verdict, seconds_left)
}

fn finish(mut report: Value, verdict: Result<()>, seconds_left: Option<i64>) -> Result<Inspection> {
    report["valid"] = json!(verdict.is_ok());
    if let Err(e) = &verdict {
        let mut err = json!({"kind": e.kind().as_str(), "message": e.message()});
        if let Some(c) = e.code() {
            err["code"] = json!(c);
        }
        report["error"] = err;
    }
    Ok(Inspection { report, verdict, seconds_left })
}

/// "1h 1m left", "expired 1m 30s ago".
pub fn human_left(secs: i64) -> String {
    let a = secs.unsigned_abs();
    let s = if a >= 86400 {
        format!("{}d {}h", a / 86400, (a % 86400) / 3600)
    } else if a >= 3600 {
        format!("{}h {}m", a / 3600, (a % 3600) / 60)
    } else if a >= 60 {
        format!("{}m {}s", a / 60, a % 60)
    } else {
        format!("{a}s")
    };
    if secs < 0 {
        format!("expired {s} ago")
    } else {
        format!("{s} left")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const NOW: i64 = 1_795_305_600;

    fn enc(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
    fn jwt(header: &str, claims: &str) -> String {
        format!("{}.{}.{}", enc(header), enc(claims), enc("signature-bytes"))
    }
    fn code(i: &Inspection) -> (ErrorKind, Option<String>) {
        let e = i.verdict.as_ref().unwrap_err();
        (e.kind(), e.code().map(str::to_string))
    }

    #[test]
    fn human_time_left() {
        assert_eq!(human_left(59), "59s left");
        assert_eq!(human_left(3661), "1h 1m left");
        assert_eq!(human_left(-90), "expired 1m 30s ago");
        assert_eq!(human_left(90000), "1d 1h left");
        assert_eq!(human_left(i64::MIN), "expired 106751991167300d 15h ago");
    }

    #[test]
    fn timestamps_at_or_after_year_10000_are_invalid_never_a_panic() {
        for claim in ["exp", "iat", "nbf"] {
            for v in ["253402300800", "9223372036854775807", "-9223372036854775808", "1e300", "\"tomorrow\"", "null"] {
                let t = jwt(r#"{"alg":"HS256"}"#, &format!(r#"{{"sub":"a","{claim}":{v}}}"#));
                let i = inspect(&t, NOW, 0).unwrap();
                assert_eq!(code(&i), (ErrorKind::InvalidToken, Some("invalid_claim".into())), "{claim}={v}");
                assert_eq!(i.report["valid"], json!(false));
                assert!(i.report.get("expires_at").is_none());
            }
        }
        // i64::MIN as exp, and huge values with a large "now": saturating, no overflow.
        let t = jwt(r#"{"alg":"HS256"}"#, r#"{"exp":-62135596800}"#);
        let i = inspect(&t, i64::MAX, i64::MAX).unwrap();
        assert_eq!(i.seconds_left, Some(i64::MIN));
        assert_eq!(i.report["expires_at"], json!("0001-01-01T00:00:00.000Z"));
        let t = jwt(r#"{"alg":"HS256"}"#, r#"{"exp":253402300799}"#);
        let i = inspect(&t, i64::MIN, 0).unwrap();
        assert!(i.verdict.is_ok());
        assert_eq!(i.report["expires_at"], json!("9999-12-31T23:59:59.000Z"));
        // VideoSDK tokens with such claims: invalid_claim too.
        let t = jwt(r#"{"alg":"HS256"}"#, r#"{"apikey":"k","permissions":["allow_join"],"exp":253402300800}"#);
        assert_eq!(code(&inspect(&t, NOW, 0).unwrap()), (ErrorKind::InvalidToken, Some("invalid_claim".into())));
    }

    #[test]
    fn unsecured_or_algless_jwts_are_invalid() {
        for h in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"NONE"}"#,
            r#"{"alg":"nOnE"}"#,
            r#"{"typ":"JWT"}"#,
            r#"{"alg":256}"#,
            r#"{"alg":null}"#,
            r#"{"alg":""}"#,
        ] {
            let i = inspect(&jwt(h, r#"{"sub":"a","exp":1795309200}"#), NOW, 0).unwrap();
            assert_eq!(code(&i), (ErrorKind::InvalidToken, Some("unsupported_algorithm".into())), "{h}");
            assert_eq!(i.report["valid"], json!(false));
        }
        let i = inspect(&jwt(r#"{"alg":"RS256"}"#, r#"{"sub":"a","exp":1795309200}"#), NOW, 0).unwrap();
        assert!(i.verdict.is_ok());
        assert_eq!(i.report["valid"], json!(true));
        assert_eq!(i.seconds_left, Some(3600));
    }

    #[test]
    fn ks_expiry_out_of_range_is_not_a_ks() {
        let ks = base64::engine::general_purpose::STANDARD.encode(format!("{}|1;1;9223372036854775807;0;1;u;", "a".repeat(40)));
        assert_eq!(inspect(&ks, NOW, 0).unwrap_err().kind(), ErrorKind::InvalidToken);
        let ks = base64::engine::general_purpose::STANDARD.encode(format!("{}|1;1;-9223372036854775808;0;1;u;", "a".repeat(40)));
        assert_eq!(inspect(&ks, NOW, 0).unwrap_err().kind(), ErrorKind::InvalidToken);
    }
}
