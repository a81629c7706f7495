//! HTTP: the injectable [`Transport`], the reqwest/rustls implementation, and [`Http`], the
//! policy layer every token source talks through (transport security, `Date`-header skew
//! calibration, status classification, size-capped strict JSON).

use crate::clock::{Clock, ServerTime};
use crate::error::{scrub, Error, ErrorKind, Result};
use crate::secret::Secret;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

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
        HttpRequest { method: Method::Get, url, headers: vec![("accept".into(), HeaderValue::Plain("application/json".into()))], body: None }
    }
    pub fn post_json(url: Url, body: &Value) -> Self {
        HttpRequest {
            method: Method::Post,
            url,
            headers: vec![
                ("accept".into(), HeaderValue::Plain("application/json".into())),
                ("content-type".into(), HeaderValue::Plain("application/json".into())),
            ],
            body: Some(body.to_string().into_bytes()),
        }
    }
    pub fn post_form(url: Url, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        HttpRequest {
            method: Method::Post,
            url,
            headers: vec![
                ("accept".into(), HeaderValue::Plain("application/json".into())),
                ("content-type".into(), HeaderValue::Plain("application/x-www-form-urlencoded".into())),
            ],
            body: Some(body.into_bytes()),
        }
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
    /// `Retry-After` as delta-seconds or an HTTP date (relative to `server_now`).
    pub fn retry_after(&self, server_now: SystemTime) -> Option<Duration> {
        let v = self.header("retry-after")?.trim();
        if let Ok(secs) = v.parse::<u64>() {
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

/// reqwest with rustls (ring, webpki roots), one pooled client for the life of the SDK.
/// Feature `reqwest-transport` (default); the mobile library uses the platform's HTTP stack.
///
/// Plain `http://` to a name (only `localhost` passes the policy unless the app opted in with
/// `allow_insecure_http`) is resolved here, every address checked to be loopback
/// ([`choose_plain_http_addr`]), and the connection made only to those very addresses (the
/// name's resolution is pinned to them in the client), so what is checked is what is
/// connected to.
#[cfg(feature = "reqwest-transport")]
pub struct ReqwestTransport {
    client: reqwest::Client,
    config: HttpConfig,
    resolver: Arc<dyn Resolver>,
    /// The client pinned to the checked loopback addresses of a name, reused while the name
    /// resolves to the same addresses.
    pinned: std::sync::Mutex<Option<(String, Vec<SocketAddr>, reqwest::Client)>>,
}

#[cfg(feature = "reqwest-transport")]
impl ReqwestTransport {
    pub fn new(cfg: &HttpConfig) -> Result<Self> {
        Self::with_resolver(cfg, Arc::new(SystemResolver))
    }

    /// With an injected resolver (tests).
    pub fn with_resolver(cfg: &HttpConfig, resolver: Arc<dyn Resolver>) -> Result<Self> {
        let client = Self::build(cfg, None)?;
        Ok(ReqwestTransport { client, config: cfg.clone(), resolver, pinned: std::sync::Mutex::new(None) })
    }

    fn build(cfg: &HttpConfig, pin: Option<(&str, &[SocketAddr])>) -> Result<reqwest::Client> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(cfg.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(90))
            .use_rustls_tls();
        if let Some((name, addrs)) = pin {
            // Connections to `name` go to these (checked) addresses only, tried in order.
            b = b.resolve_to_addrs(name, addrs);
        }
        b.build().map_err(|e| Error::new(ErrorKind::Network, format!("could not build the HTTP client: {e}")))
    }

    /// The client for this request. For plain `http://` to a name without the opt-in: resolve
    /// it, check every address is loopback, and use a client whose resolution of that name is
    /// pinned to exactly those addresses, so what is checked is what is connected to.
    async fn client_for(&self, req: &HttpRequest) -> Result<reqwest::Client> {
        if req.url.scheme() != "http" || self.config.allow_insecure_http {
            return Ok(self.client.clone());
        }
        let name = match req.url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            _ => return Ok(self.client.clone()),
        };
        let port = req.url.port_or_known_default().unwrap_or(80);
        let resolved = self
            .resolver
            .resolve(&name, port)
            .await
            .map_err(|_| Error::new(ErrorKind::Network, format!("could not resolve {}", scrub(&name, &[]))))?;
        choose_plain_http_addr(&name, &resolved)?;
        let mut pinned = self.pinned.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((n, a, c)) = &*pinned {
            if *n == name && *a == resolved {
                return Ok(c.clone());
            }
        }
        let c = Self::build(&self.config, Some((&name, &resolved)))?;
        *pinned = Some((name, resolved, c.clone()));
        Ok(c)
    }
}

#[cfg(feature = "reqwest-transport")]
fn map_reqwest_error(e: &reqwest::Error, host: &str) -> Error {
    if e.is_builder() {
        // Nothing was sent: the request itself cannot be expressed. Not retried.
        Error::invalid_argument(format!("the request to {host} cannot be sent as asked (invalid URL or header)"))
    } else if e.is_timeout() {
        Error::new(ErrorKind::Timeout, format!("the request to {host} timed out"))
    } else if e.is_connect() {
        Error::new(ErrorKind::Network, format!("could not connect to {host}"))
    } else if e.is_body() || e.is_decode() {
        Error::new(ErrorKind::Network, format!("the connection to {host} broke while reading the response"))
    } else {
        Error::new(ErrorKind::Network, format!("the request to {host} failed (connection closed or reset)"))
    }
}

#[cfg(feature = "reqwest-transport")]
#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, req: HttpRequest, max_body_bytes: usize) -> Result<HttpResponse> {
        let host = req.url.host_str().unwrap_or("?").to_string();
        let client = self.client_for(&req).await?;
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut rb = client.request(method, req.url.clone());
        for (k, v) in &req.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if let Some(b) = req.body {
            rb = rb.body(b);
        }
        let mut resp = rb.send().await.map_err(|e| map_reqwest_error(&e, &host))?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_string())))
            .collect();
        if let Some(len) = resp.content_length() {
            if len > max_body_bytes as u64 {
                return Err(Error::malformed(format!("the response from {host} is {len} bytes, over the {max_body_bytes}-byte limit")));
            }
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > max_body_bytes {
                        return Err(Error::malformed(format!("the response from {host} is over the {max_body_bytes}-byte limit")));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(map_reqwest_error(&e, &host)),
            }
        }
        Ok(HttpResponse { status, headers, body })
    }
}

/// May plain `http://` go to this host without the app opting in? Only a literal loopback
/// address (127.0.0.0/8, `::1`) or the name `localhost` itself. Other names, `*.localhost`
/// included, are judged insecure whatever they resolve to: the policy reads addresses, and a
/// name is only a claim about one. `localhost` passes here; the Rust transport then resolves
/// it and connects only to a loopback address it resolved to ([`ReqwestTransport`]); the
/// platform transports get nothing but literal loopback and `localhost`, which the OS maps
/// to loopback.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether a plain-`http://` request to a *name* (not a literal address) may go to the
/// addresses it resolved to: only when every one of them is loopback (a name that resolves
/// to any other address is refused, even if a loopback one is among them). Returns the
/// address to connect to. Pure, so the decision is tested with injected resolutions.
pub fn choose_plain_http_addr(host: &str, resolved: &[SocketAddr]) -> Result<SocketAddr> {
    let first = resolved.first().ok_or_else(|| Error::new(ErrorKind::Network, format!("could not resolve {}", scrub(host, &[]))))?;
    if let Some(bad) = resolved.iter().find(|a| !a.ip().is_loopback()) {
        return Err(Error::new(
            ErrorKind::InsecureTransport,
            format!(
                "refusing plain http:// to {}: it resolves to {}, which is not a loopback address; use https://",
                scrub(host, &[]),
                bad.ip()
            ),
        ));
    }
    Ok(*first)
}

/// Name resolution for the Rust transport, injectable so tests can map a name anywhere
/// without real DNS.
#[async_trait]
pub trait Resolver: Send + Sync + 'static {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>>;
}

/// The system resolver (`getaddrinfo` through tokio).
#[cfg(feature = "reqwest-transport")]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

#[cfg(feature = "reqwest-transport")]
#[async_trait]
impl Resolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

/// A URL the app gave us, made safe to quote in an error or a log: credentials
/// (`user:pass@`), the query and the fragment are replaced by `***`, whether or not the text
/// parses as a URL. Then scrubbed and truncated like backend text.
pub fn redact_url_text(raw: &str) -> String {
    let raw = raw.trim();
    let (scheme, rest) = match raw.find("://") {
        Some(i) => (&raw[..i + 3], &raw[i + 3..]),
        None => ("", raw),
    };
    // The authority ends at the first '/', '?' or '#' (or '\\', which URL parsers treat as
    // '/' for special schemes); credentials are everything up to its last '@'.
    let auth_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("***@{}", &authority[at + 1..]),
        None => authority.to_string(),
    };
    // A '@' further on (in a path) may still be a mangled credential: drop what precedes it.
    let tail = match tail.find(['?', '#']) {
        Some(q) => format!("{}{}***", &tail[..q], &tail[q..q + 1]),
        None => tail.to_string(),
    };
    let tail = match tail.rfind('@') {
        Some(at) => format!("***{}", &tail[at..]),
        None => tail,
    };
    scrub(&format!("{scheme}{authority}{tail}"), &[])
}

/// Parse a URL the app gave us and check its transport security. Errors never quote the
/// URL's credentials, query or fragment ([`redact_url_text`]).
pub fn parse_url(raw: &str, allow_insecure_http: bool) -> Result<Url> {
    let url = Url::parse(raw.trim()).map_err(|e| Error::invalid_argument(format!("not a valid URL ({e}): {}", redact_url_text(raw))))?;
    check_transport(&url, allow_insecure_http)?;
    Ok(url)
}

/// Longest URL sent (what the `http` crate's `Uri`, hence hyper and reqwest, can hold; many
/// servers answer 414 well before). Longer is `invalid_argument`, never sent.
pub const MAX_URL_LEN: usize = 65_534;

/// Can this header be sent as it is? Names are tokens; values are visible ASCII, space, tab
/// and bytes >= 0x80 (RFC 9110): a CR or LF (header injection), NUL or another control
/// character is refused with `invalid_argument` before anything is sent, so it is never
/// retried. The message names the header, never the value.
pub fn check_header(name: &str, value: &str) -> Result<()> {
    let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !name_ok {
        return Err(Error::invalid_argument(format!("'{}' is not a valid HTTP header name", scrub(name, &[]))));
    }
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(Error::invalid_argument(format!(
            "the {name} header value contains a control character (CR, LF, NUL…) and cannot be sent; check the token or credential given"
        )));
    }
    Ok(())
}

pub fn check_transport(url: &Url, allow_insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url) || allow_insecure_http => Ok(()),
        "http" => Err(Error::new(
            ErrorKind::InsecureTransport,
            format!(
                "refusing plain http:// to {}: use https://, or opt in with allow_insecure_http for development",
                url.host_str().unwrap_or("?")
            ),
        )),
        other => Err(Error::invalid_argument(format!("unsupported URL scheme '{other}': use https://"))),
    }
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

    /// Send after the transport check; record the server's `Date`. The status is not judged.
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
        if let Some(d) = resp.date() {
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
            408 | 429 | 500..=599 => Error::new(ErrorKind::HttpStatus, format!("{what} answered HTTP {status}; will retry")),
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

/// Parse a body as a JSON object, strictly: valid UTF-8, valid JSON, an object.
pub fn json_object(body: &[u8], what: &str) -> Result<Map<String, Value>> {
    let text = std::str::from_utf8(body).map_err(|_| Error::malformed(format!("{what} sent a body that is not UTF-8")))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(Error::malformed(format!("{what} sent JSON that is not an object"))),
        Err(e) => Err(Error::malformed(format!(
            "{what} sent a body that is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))),
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
    }

    #[test]
    fn header_debug_hides_secrets() {
        let req = HttpRequest::get(Url::parse("https://x/").unwrap()).bearer(&Secret::new("vk_secret_value"));
        assert!(!format!("{req:?}").contains("vk_secret_value"));
    }
}
