//! HTTP: the injectable [`Transport`], the reqwest/rustls implementation, and [`Http`], the
//! policy layer every token source talks through (transport security, `Date`-header skew
//! calibration, status classification, size-capped strict JSON).

use crate::clock::{Clock, ServerTime};
use crate::error::{scrub, Error, ErrorKind, Result};
use crate::secret::Secret;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

mod policy;
#[cfg(feature = "reqwest-transport")]
mod reqwest;

#[cfg(feature = "reqwest-transport")]
pub use self::reqwest::{ReqwestTransport, SystemResolver};
pub use policy::{
    check_header, check_transport, choose_plain_http_addr, is_loopback_host, parse_url, redact_url_text, Resolver, MAX_URL_LEN,
};

/// HTTP settings. Defaults: 10 s connect, 30 s total, 1 MiB bodies, HTTPS only (plain HTTP
/// to loopback is always allowed, for development backends).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// Allow `http://` to hosts other than loopback. Off by default; never turn it on in
    /// production: tokens would cross the network in clear text.
    pub allow_insecure_http: bool,
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 1024 * 1024,
            allow_insecure_http: false,
            user_agent: format!("videokit-core/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A header value that may be secret (Authorization). Its `Debug` never shows a secret.
#[derive(Clone)]
pub enum HeaderValue {
    Plain(String),
    Secret(Secret),
}

impl HeaderValue {
    pub fn as_str(&self) -> &str {
        match self {
            HeaderValue::Plain(s) => s,
            HeaderValue::Secret(s) => s.expose(),
        }
    }
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderValue::Plain(s) => write!(f, "{s:?}"),
            HeaderValue::Secret(_) => f.write_str("***"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, HeaderValue)>,
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    pub fn get(url: Url) -> Self {
        HttpRequest {
            method: Method::Get,
            url,
            headers: vec![("accept".into(), HeaderValue::Plain("application/json".into()))],
            body: None,
        }
    }
    pub fn post_json(url: Url, body: &Value) -> Self {
        Self::post(url, "application/json", body.to_string())
    }
    pub fn post_form(url: Url, pairs: &[(&str, &str)]) -> Self {
        Self::post(
            url,
            "application/x-www-form-urlencoded",
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish(),
        )
    }
    fn post(url: Url, content_type: &str, body: String) -> Self {
        let accept = ("accept".into(), HeaderValue::Plain("application/json".into()));
        let headers = vec![accept, ("content-type".into(), HeaderValue::Plain(content_type.into()))];
        HttpRequest { method: Method::Post, url, headers, body: Some(body.into_bytes()) }
    }
    pub fn header(mut self, name: &str, value: HeaderValue) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value));
        self
    }
    pub fn bearer(self, token: &Secret) -> Self {
        let v = Secret::new(format!("Bearer {}", token.expose()));
        self.header("authorization", HeaderValue::Secret(v))
    }
}

/// A response with its body fully read (and capped).
#[derive(Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Lower-case header names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpResponse {
    // Bodies carry tokens: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse").field("status", &self.status).field("body_len", &self.body.len()).finish()
    }
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn date(&self) -> Option<SystemTime> {
        httpdate::parse_http_date(self.header("date")?.trim()).ok()
    }
    /// The server's time when it sent this answer: the `Date`, plus the `Age` a cache on the
    /// way adds to an answer it kept (RFC 9111 §5.1): a cached answer's `Date` is when its
    /// origin made it, and taken alone it would set the server's clock back by as long as the
    /// answer was kept, and a token in it would be judged to live that much longer.
    pub fn sent_at(&self) -> Option<SystemTime> {
        let date = self.date()?;
        let age = self.header("age").map(str::trim).filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
        // Larger than a cache can count, or too many digits for a u64: 2^31 s, a very old
        // answer, as RFC 9111 §1.2.2 says to take it (a token in it has lapsed).
        let secs = age.map_or(0, |v| v.parse::<u64>().unwrap_or(u64::MAX)).min(1 << 31);
        let latest = crate::clock::from_unix_secs(crate::clock::MAX_UNIX_SECS);
        match date.checked_add(Duration::from_secs(secs)) {
            Some(t) if t <= latest => Some(t),
            // Past year 9999: not an age any cache keeps an answer for; the `Date` alone.
            _ => Some(date),
        }
    }
    /// `Retry-After` as delta-seconds or an HTTP date (relative to `server_now`).
    pub fn retry_after(&self, server_now: SystemTime) -> Option<Duration> {
        let v = self.header("retry-after")?.trim();
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            // delta-seconds (1*DIGIT). One too large for a u64 is a very long wait, not none
            // (RFC 9111 §1.2.2): ignoring it retried at once a server that asked for quiet.
            let secs = v.parse::<u64>().unwrap_or(u64::MAX);
            return Some(Duration::from_secs(secs.min(24 * 3600)));
        }
        let at = httpdate::parse_http_date(v).ok()?;
        Some(at.duration_since(server_now).unwrap_or(Duration::ZERO))
    }
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends one request. Implementations must enforce `max_body_bytes` while reading, honour
/// the timeouts they were built with, and map failures to `network` / `timeout` /
/// `malformed_response` (oversized body).
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    async fn send(&self, req: HttpRequest, max_body_bytes: usize) -> Result<HttpResponse>;
}

/// The policy layer over a [`Transport`], shared by all token sources of a session.
#[derive(Clone)]
pub struct Http {
    transport: Arc<dyn Transport>,
    server_time: Arc<ServerTime>,
    clock: Arc<dyn Clock>,
    config: HttpConfig,
}

impl Http {
    pub fn new(transport: Arc<dyn Transport>, server_time: Arc<ServerTime>, clock: Arc<dyn Clock>, config: HttpConfig) -> Self {
        Http { transport, server_time, clock, config }
    }
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }
    pub fn server_time(&self) -> &Arc<ServerTime> {
        &self.server_time
    }
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
    /// The server's time now, by the current skew estimate.
    pub fn server_now(&self) -> SystemTime {
        self.server_time.now(self.clock.as_ref())
    }

    /// Send after the transport check; record the server's `Date` of a 2xx. The status is not judged.
    pub async fn send(&self, req: HttpRequest) -> Result<HttpResponse> {
        check_transport(&req.url, self.config.allow_insecure_http)?;
        if req.url.as_str().len() > MAX_URL_LEN {
            return Err(Error::invalid_argument(format!(
                "the URL is {} bytes long, over the {MAX_URL_LEN} an HTTP request line can carry; nothing was sent",
                req.url.as_str().len()
            )));
        }
        for (k, v) in &req.headers {
            check_header(k, v.as_str())?;
        }
        let host = req.url.host_str().unwrap_or("?").to_string();
        let method = req.method;
        log::debug!(target: "videokit::http", "{method:?} {}://{host}{}", req.url.scheme(), req.url.path());
        let resp = self.transport.send(req, self.config.max_body_bytes).await?;
        // The clock difference is learnt from answers only: an error page may come from a
        // proxy or a load balancer with a clock of its own, and one skewed 503 expired a
        // valid session (outside test).
        if let (true, Some(d)) = (resp.is_success(), resp.sent_at()) {
            self.server_time.observe(d, self.clock.wall());
        }
        log::debug!(target: "videokit::http", "{method:?} {host} -> {} ({} bytes)", resp.status, resp.body.len());
        Ok(resp)
    }

    /// The error for a non-success status, or `None` for 2xx. 401/403 → `unauthorized`,
    /// 408/429/5xx → transient `http_status` with `Retry-After`, other 4xx → terminal
    /// `http_status`, or `rejected` when the body carries an `error`. Backend text is scrubbed
    /// of `secrets`.
    pub fn status_error(&self, resp: &HttpResponse, what: &str, secrets: &[&str]) -> Option<Error> {
        if resp.is_success() {
            return None;
        }
        let backend_msg = backend_error_text(&resp.body).map(|m| scrub(&m, secrets));
        let status = resp.status;
        let mut err = match status {
            401 | 403 => Error::new(
                ErrorKind::Unauthorized,
                match &backend_msg {
                    Some(m) => format!("{what} refused the credentials (HTTP {status}): {m}"),
                    None => format!("{what} refused the credentials (HTTP {status})"),
                },
            ),
            // Transient: the engine retries it, and says so in its log; the error itself only
            // says what happened (it is also a start's final error when the attempts run out).
            408 | 429 | 500..=599 => Error::new(
                ErrorKind::HttpStatus,
                match &backend_msg {
                    Some(m) => format!("{what} answered HTTP {status}: {m}"),
                    None => format!("{what} answered HTTP {status}"),
                },
            ),
            _ => match &backend_msg {
                Some(m) => Error::new(ErrorKind::Rejected, format!("{what} rejected the request (HTTP {status}): {m}")),
                None => Error::new(ErrorKind::HttpStatus, format!("{what} answered HTTP {status}")),
            },
        }
        .with_status(status);
        if let Some(ra) = resp.retry_after(self.server_now()) {
            err = err.with_retry_after(ra);
        }
        Some(err)
    }
}

/// The `error` (or `message`) text of a JSON error body, if any.
pub fn backend_error_text(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let o = v.as_object()?;
    match o.get("error")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(inner) => inner.get("message").and_then(Value::as_str).map(str::to_string).or_else(|| Some("error".into())),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The JSON type of `v`, for messages ("a string", "an array"…).
pub fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parse a body as a JSON object, strictly: valid UTF-8, valid JSON, an object.
pub fn json_object(body: &[u8], what: &str) -> Result<Map<String, Value>> {
    let text = std::str::from_utf8(body).map_err(|_| Error::malformed(format!("{what} sent a body that is not UTF-8")))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(Error::malformed(format!("{what} sent JSON that is not an object"))),
        Err(e) => Err(Error::malformed(format!("{what} sent a body that is not valid JSON (line {}, column {})", e.line(), e.column()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_security() {
        for ok in ["https://gateway.video.io", "http://127.0.0.1:8080/x", "http://localhost:1/", "http://[::1]:9/", "http://127.8.9.10/"] {
            assert!(parse_url(ok, false).is_ok(), "{ok}");
        }
        let e = parse_url("http://example.com/token", false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InsecureTransport);
        assert!(parse_url("http://example.com/token", true).is_ok());
        assert_eq!(parse_url("ftp://x/", false).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(parse_url("not a url", false).unwrap_err().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn strict_json() {
        assert_eq!(json_object(b"{\"sessionToken\": abc.def.ghi", "backend").unwrap_err().kind(), ErrorKind::MalformedResponse);
        assert_eq!(json_object(b"[1]", "b").unwrap_err().kind(), ErrorKind::MalformedResponse);
        assert_eq!(json_object(&[0xff, 0xfe], "b").unwrap_err().kind(), ErrorKind::MalformedResponse);
        assert!(json_object(b"{\"a\":1}", "b").is_ok());
        assert_eq!(backend_error_text(b"{\"error\":\"invalid app token\"}").as_deref(), Some("invalid app token"));
        assert_eq!(backend_error_text(b"<html>"), None);
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let r = |v: &str| HttpResponse { status: 503, headers: vec![("retry-after".into(), v.into())], body: vec![] };
        assert_eq!(r("7").retry_after(now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(r(&later).retry_after(now), Some(Duration::from_secs(30)));
        assert_eq!(r("soon").retry_after(now), None);
        // Over u64: the longest wait (later clamped to the policy's max_retry_after), not none.
        assert_eq!(r("99999999999999999999999").retry_after(now), Some(Duration::from_secs(24 * 3600)));
        assert_eq!(r(" 86401 ").retry_after(now), Some(Duration::from_secs(24 * 3600)));
        // Not delta-seconds (a sign, a fraction), and not a date either.
        assert_eq!(r("+7").retry_after(now), None);
        assert_eq!(r("7.5").retry_after(now), None);
    }

    #[test]
    fn an_answer_is_sent_at_its_date_plus_the_age_a_cache_gives_it() {
        let date = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let r = |age: Option<&str>| {
            let mut headers = vec![("date".to_string(), httpdate::fmt_http_date(date))];
            headers.extend(age.map(|a| ("age".to_string(), a.to_string())));
            HttpResponse { status: 200, headers, body: vec![] }
        };
        assert_eq!(r(None).sent_at(), Some(date));
        assert_eq!(r(Some("7200")).sent_at(), Some(date + Duration::from_secs(7200)));
        assert_eq!(r(Some(" 0 ")).sent_at(), Some(date));
        // Not delta-seconds: the Date alone.
        for bad in ["-5", "+5", "1.5", "soon", ""] {
            assert_eq!(r(Some(bad)).sent_at(), Some(date), "{bad:?}");
        }
        // Too large to count (or for a u64): 2^31 s (RFC 9111 §1.2.2), never a panic.
        let oldest = Some(date + Duration::from_secs(1 << 31));
        assert_eq!(r(Some("99999999999999999999999")).sent_at(), oldest);
        assert_eq!(r(Some("18446744073709551615")).sent_at(), oldest);
        assert_eq!(r(Some("2147483649")).sent_at(), oldest);
        // Past year 9999: the Date alone.
        let late = HttpResponse {
            status: 200,
            headers: vec![("date".into(), "Fri, 31 Dec 9999 23:59:00 GMT".into()), ("age".into(), "99999".into())],
            body: vec![],
        };
        assert!(late.date().is_some());
        assert_eq!(late.sent_at(), late.date());
        let no_date = HttpResponse { status: 200, headers: vec![("age".into(), "5".into())], body: vec![] };
        assert_eq!(no_date.sent_at(), None);
    }

    #[test]
    fn header_debug_hides_secrets() {
        let req = HttpRequest::get(Url::parse("https://x/").unwrap()).bearer(&Secret::new("vk_secret_value"));
        assert!(!format!("{req:?}").contains("vk_secret_value"));
    }
}
