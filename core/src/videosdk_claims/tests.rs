//! The claim rules, one test a rule, with tokens built here.

use super::*;
use crate::error::Result;
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
        // This file is `#[cfg(test)] mod tests`; a panic is the test failing.
        assert_eq!(p.as_str().parse::<Permission>().unwrap(), p); // ok: test code
        assert_eq!(p.to_string(), p.as_str());
    }
    for r in Role::ALL {
        assert_eq!(r.as_str().parse::<Role>().unwrap(), r); // ok: test code
    }
    assert!("ALLOW_JOIN".parse::<Permission>().is_err());
    assert_eq!("admin".parse::<Role>().unwrap_err().kind(), ErrorKind::InvalidArgument);
    let names: Vec<_> = VideoSdkTokenErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(names, ["malformed", "expired", "not_yet_valid", "missing_claim", "invalid_claim", "unsupported_algorithm"]);
    for k in VideoSdkTokenErrorKind::ALL {
        assert_eq!(VideoSdkTokenErrorKind::from_name(k.as_str()), Some(k));
    }
}

/// `exp` as PyJWT judges it (`exp <= now - leeway` is expired; exp == now is expired) and
/// `nbf` (`nbf > now + leeway` is not yet valid); a negative leeway counts as zero.
#[test]
fn leeway_on_exp_and_nbf() {
    let exp = tok(r#"{"apikey":"k","permissions":["allow_join"],"exp":1000}"#);
    let nbf = tok(r#"{"apikey":"k","permissions":["allow_join"],"nbf":1000}"#);
    let cases: [(&str, i64, i64, &str); 9] = [
        (&exp, 1000, 0, "expired"),
        (&exp, 999, 0, "ok"),
        (&exp, 1029, 30, "ok"),
        (&exp, 1030, 30, "expired"),
        (&exp, 999, -100, "ok"),
        (&nbf, 1000, 0, "ok"),
        (&nbf, 999, 0, "not_yet_valid"),
        (&nbf, 990, 10, "ok"),
        (&nbf, 989, 10, "not_yet_valid"),
    ];
    for (t, now, leeway, want) in cases {
        assert_eq!(kind(check(t, now, leeway)), want, "now {now}, leeway {leeway}");
    }
    let e = check(&exp, 2000, 0).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Expired, Some("expired")));
    assert!(e.message().contains("exp"));
    let e = check(&nbf, 0, 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert!(e.message().contains("nbf"));
    // nbf wins over exp when both apply (PyJWT order).
    let both = tok(r#"{"apikey":"k","permissions":["allow_join"],"nbf":1000,"exp":500}"#);
    assert_eq!(kind(check(&both, 600, 0)), "not_yet_valid");
    // Extreme values do not overflow.
    assert_eq!(kind(check(&nbf, i64::MAX, i64::MAX)), "ok");
    assert_eq!(kind(check(&nbf, i64::MIN, i64::MAX)), "not_yet_valid");
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
    let c = |p: &str| check(&tok(p), NOW, 0).unwrap(); // ok: test code, a panic is the test failing
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
