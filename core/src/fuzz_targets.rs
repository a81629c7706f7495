//! Entry points shared by the `cargo fuzz` targets (fuzz/) and the corpus-replay test
//! (core/tests/fuzz_replay.rs). Each takes arbitrary bytes and must never panic; errors are
//! the expected outcome for most inputs. Not part of the SDK's API.

use crate::http::HttpResponse;

fn text(data: &[u8]) -> &str {
    std::str::from_utf8(data).unwrap_or("")
}

/// The generic JWT decoder, its checks, `token inspect` and the date formatting of every time
/// claim (first 8 bytes pick "now" for inspect when there are more than 8).
pub fn jwt(data: &[u8]) {
    let _ = crate::jwt::looks_like_jwt(text(data));
    if let Ok(j) = crate::jwt::decode(text(data)) {
        let _ = j.check_alg();
        if let Ok(t) = j.time_claims() {
            for secs in [t.exp, t.iat, t.nbf].into_iter().flatten() {
                let _ = crate::clock::format_rfc3339(crate::clock::from_unix_secs(secs));
            }
        }
        // Raw claim values, whatever they are, through the formatter.
        for v in j.claims.values() {
            if let Some(i) = v.as_i64() {
                let _ = crate::clock::format_unix_secs(i);
            }
        }
        let _ = crate::source::FetchedToken::bare(crate::secret::Secret::new(text(data)));
    }
    let (now, rest) = split_i64(data);
    let _ = crate::inspect::inspect(text(data), 1_795_305_600, 0);
    if let Ok(i) = crate::inspect::inspect(text(rest), now, now.rotate_left(17)) {
        let _ = i.report.to_string();
        let _ = i.seconds_left.map(crate::inspect::human_left);
    }
}

/// The VideoSDK token decoder and checker (first 8 bytes pick "now").
pub fn videosdk(data: &[u8]) {
    let (now, rest) = split_i64(data);
    let _ = crate::videosdk_claims::check(text(rest), now, 0);
    let _ = crate::videosdk_claims::decode_unchecked_time(text(rest));
}

/// The Kaltura KS decoder, and `token inspect` of a KS (expiry formatting included).
pub fn ks(data: &[u8]) {
    let _ = crate::kaltura_protocol::decode_ks(text(data));
    let _ = crate::inspect::inspect(text(data), 1_795_305_600, 0);
    let (now, rest) = split_i64(data);
    if let Ok(i) = crate::inspect::inspect(text(rest), now, 0) {
        let _ = i.seconds_left.map(crate::inspect::human_left);
    }
}

/// Kaltura API v3 JSON responses (both actions).
pub fn kaltura_api(data: &[u8]) {
    let _ = crate::kaltura_protocol::parse_widget_session(data, &["secret-token"]);
    let _ = crate::kaltura_protocol::parse_session_info(data, &["secret-token"]);
}

/// The VideoKit gateway and app-backend response parser, and the status classifier.
pub fn session_response(data: &[u8]) {
    let status = if data.first().is_some_and(|b| b & 1 == 1) { 200 } else { 401 };
    let resp = HttpResponse { status, headers: vec![], body: data.to_vec() };
    let _ = crate::sources::videokit::parse_session_body(&resp, "fuzz", &["secret-token"], None);
    if let Ok(t) = crate::sources::videokit::parse_session_body(&resp, "fuzz", &["secret-token"], Some("alice")) {
        // What the engine and the CLI do with a session's times: format them.
        let _ = t.expires_at.map(crate::clock::format_rfc3339);
        let _ = t.issued_at.map(crate::clock::format_rfc3339);
    }
    let _ = crate::http::backend_error_text(data);
}

/// The VideoSDK token server response parser.
pub fn videosdk_server(data: &[u8]) {
    let (now, rest) = split_i64(data);
    let _ = crate::sources::videosdk::parse_token_server_body(rest, now, 0);
}

/// The URL template filler and URL policy, and header parsing (Date, Retry-After).
pub fn url_template(data: &[u8]) {
    let s = text(data);
    let (template, identity) = s.split_once('\n').unwrap_or((s, "alice"));
    let filled = crate::sources::videokit::fill_template(template, identity);
    let _ = crate::http::parse_url(&filled, false);
    let resp = HttpResponse { status: 503, headers: vec![("retry-after".into(), s.into()), ("date".into(), s.into())], body: vec![] };
    let _ = resp.retry_after(std::time::SystemTime::UNIX_EPOCH);
    let _ = resp.date();
    let _ = crate::clock::parse_rfc3339(s);
}

fn split_i64(data: &[u8]) -> (i64, &[u8]) {
    if data.len() >= 8 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&data[..8]);
        (i64::from_le_bytes(b), &data[8..])
    } else {
        (1_795_305_600, data)
    }
}

/// Every target by name (for the replay test).
/// One fuzz entry point: its name and what it runs on the input.
pub type Target = (&'static str, fn(&[u8]));

pub const TARGETS: [Target; 7] = [
    ("jwt", jwt),
    ("videosdk", videosdk),
    ("ks", ks),
    ("kaltura_api", kaltura_api),
    ("session_response", session_response),
    ("videosdk_server", videosdk_server),
    ("url_template", url_template),
];
