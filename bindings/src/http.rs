//! The platform HTTP client: the mobile library sends its few requests through the platform's
//! own HTTP stack (`URLSession` on Apple platforms, `HttpURLConnection` on Android and the JVM)
//! instead of linking reqwest + rustls + ring (≈ 1.1 MB of the library). The platform stack
//! also brings the OS trust store, user/MDM-installed CAs, proxies and the OS's TLS updates.
//!
//! The engine keeps every policy: transport security (https only, loopback http), the overall
//! deadline (enforced here around the platform call, which is cancelled when it passes), the
//! body cap (asked of the platform, checked again here), no redirects, status classification,
//! `Date` skew and typed errors. The platform client only moves bytes.

use crate::types::millis;
use std::sync::Arc;
use videokit_core::error::scrub;
use videokit_core::http::{HttpConfig, HttpRequest, HttpResponse, Method, Transport};
use videokit_core::{Error, ErrorKind};

/// One header. Values may be credentials (`authorization`): never log them.
#[derive(Clone, uniffi::Record)]
pub struct VkHttpHeader {
    pub name: String,
    pub value: String,
}

/// A request for the platform client. Send it as is: no redirects (answer a 3xx as it came),
/// no cookies, no cache, and stop reading the body past `max_body_bytes`.
#[derive(Clone, uniffi::Record)]
pub struct VkHttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    pub url: String,
    /// Lower-case names, including `user-agent`. Values may be credentials.
    pub headers: Vec<VkHttpHeader>,
    pub body: Option<Vec<u8>>,
    pub connect_timeout_ms: u64,
    /// The whole request; the SDK also cancels the call when it passes.
    pub timeout_ms: u64,
    pub max_body_bytes: u64,
}

impl std::fmt::Debug for VkHttpRequest {
    // Header values and bodies carry credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VkHttpRequest").field("method", &self.method).field("headers", &self.headers.len()).finish_non_exhaustive()
    }
}

/// The platform's answer: any status (4xx/5xx are answers, not errors), its headers, the body.
#[derive(Clone, uniffi::Record)]
pub struct VkHttpResponse {
    pub status: u16,
    pub headers: Vec<VkHttpHeader>,
    pub body: Vec<u8>,
}

/// How a platform request failed before a complete answer arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum VkHttpError {
    /// The connect or the request timed out.
    #[error("timed out: {detail}")]
    Timeout { detail: String },
    /// No connection: DNS, refused, unreachable, offline, TLS handshake or certificate.
    #[error("could not connect: {detail}")]
    Connect { detail: String },
    /// The connection broke, or anything else that went wrong in the platform stack.
    #[error("network failure: {detail}")]
    Network { detail: String },
    /// The body is larger than `max_body_bytes`.
    #[error("response body over the limit")]
    BodyTooLarge { detail: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for VkHttpError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        VkHttpError::Network { detail: format!("the HTTP client threw: {}", e.reason) }
    }
}

/// The platform's HTTP client. The Swift and Kotlin layers implement it; apps do not need to.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait VkHttpClient: Send + Sync {
    async fn send(&self, request: VkHttpRequest) -> Result<VkHttpResponse, VkHttpError>;
}

/// The engine's [`Transport`] over a platform [`VkHttpClient`].
pub(crate) struct PlatformTransport {
    client: Arc<dyn VkHttpClient>,
    config: HttpConfig,
}

impl PlatformTransport {
    pub(crate) fn new(client: Arc<dyn VkHttpClient>, config: HttpConfig) -> Self {
        PlatformTransport { client, config }
    }
}

#[async_trait::async_trait]
impl Transport for PlatformTransport {
    async fn send(&self, req: HttpRequest, max_body_bytes: usize) -> videokit_core::Result<HttpResponse> {
        let host = req.url.host_str().unwrap_or("?").to_string();
        // Secret header values, to scrub from whatever text the platform sends back.
        let secrets: Vec<String> = req
            .headers
            .iter()
            .filter(|(_, v)| matches!(v, videokit_core::http::HeaderValue::Secret(_)))
            .map(|(_, v)| v.as_str().to_string())
            .collect();
        let mut headers: Vec<VkHttpHeader> =
            req.headers.iter().map(|(k, v)| VkHttpHeader { name: k.to_ascii_lowercase(), value: v.as_str().to_string() }).collect();
        if !headers.iter().any(|h| h.name == "user-agent") {
            headers.push(VkHttpHeader { name: "user-agent".into(), value: self.config.user_agent.clone() });
        }
        let request = VkHttpRequest {
            method: match req.method {
                Method::Get => "GET".into(),
                Method::Post => "POST".into(),
            },
            url: req.url.to_string(),
            headers,
            body: req.body,
            connect_timeout_ms: millis(self.config.connect_timeout),
            timeout_ms: millis(self.config.request_timeout),
            max_body_bytes: max_body_bytes as u64,
        };
        // The platform gets the deadline too; this one holds even if it ignores it (a body
        // trickling in one byte a second resets a per-read timeout forever). Dropping the
        // call cancels it on the platform side.
        let resp = match tokio::time::timeout(self.config.request_timeout, self.client.send(request)).await {
            Err(_) => return Err(Error::new(ErrorKind::Timeout, format!("the request to {host} timed out"))),
            Ok(Err(e)) => {
                let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                return Err(map_platform_error(&e, &host, max_body_bytes, &secrets));
            }
            Ok(Ok(r)) => r,
        };
        if resp.body.len() > max_body_bytes {
            return Err(Error::malformed(format!("the response from {host} is over the {max_body_bytes}-byte limit")));
        }
        // One rule for both platforms (Swift clamps a status to u16, Kotlin refuses it): a
        // status line HTTP does not allow is a broken exchange, not an HTTP status.
        if resp.status > 999 {
            return Err(Error::new(ErrorKind::Network, format!("{host} sent no valid HTTP status ({})", resp.status)));
        }
        let headers = resp.headers.into_iter().map(|h| (h.name.to_ascii_lowercase(), h.value)).collect();
        Ok(HttpResponse { status: resp.status, headers, body: resp.body })
    }
}

/// The engine's typed error for a platform failure. The platform's text is kept (it says
/// what went wrong: "Unable to resolve host", "The certificate for this server is invalid")
/// after scrubbing every credential of the request out of it.
pub(crate) fn map_platform_error(e: &VkHttpError, host: &str, max_body_bytes: usize, secrets: &[&str]) -> Error {
    match e {
        VkHttpError::Timeout { detail } => {
            Error::new(ErrorKind::Timeout, format!("the request to {host} timed out ({})", scrub(detail, secrets)))
        }
        VkHttpError::Connect { detail } => {
            Error::new(ErrorKind::Network, format!("could not connect to {host}: {}", scrub(detail, secrets)))
        }
        VkHttpError::Network { detail } => {
            Error::new(ErrorKind::Network, format!("the request to {host} failed: {}", scrub(detail, secrets)))
        }
        VkHttpError::BodyTooLarge { .. } => Error::malformed(format!("the response from {host} is over the {max_body_bytes}-byte limit")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;
    use videokit_core::http::HeaderValue;
    use videokit_core::Secret;

    /// Records the request and answers with a canned result.
    struct Canned {
        seen: Mutex<Vec<VkHttpRequest>>,
        answer: Result<VkHttpResponse, VkHttpError>,
        stall: bool,
    }

    #[async_trait::async_trait]
    impl VkHttpClient for Canned {
        async fn send(&self, request: VkHttpRequest) -> Result<VkHttpResponse, VkHttpError> {
            self.seen.lock().unwrap().push(request);
            if self.stall {
                std::future::pending::<()>().await;
            }
            self.answer.clone()
        }
    }

    fn transport(answer: Result<VkHttpResponse, VkHttpError>, stall: bool) -> (Arc<Canned>, PlatformTransport) {
        let c = Arc::new(Canned { seen: Mutex::new(vec![]), answer, stall });
        let cfg = HttpConfig { request_timeout: Duration::from_secs(30), ..HttpConfig::default() };
        (c.clone(), PlatformTransport::new(c, cfg))
    }

    fn request() -> HttpRequest {
        let url = videokit_core::http::parse_url("https://api.example.com/token/alice", false).unwrap();
        HttpRequest::get(url).header("X-App-Key", HeaderValue::Secret(Secret::new("app-key-123456")))
    }

    fn ok(status: u16, body: &[u8]) -> Result<VkHttpResponse, VkHttpError> {
        Ok(VkHttpResponse { status, headers: vec![VkHttpHeader { name: "Retry-After".into(), value: "7".into() }], body: body.to_vec() })
    }

    #[tokio::test]
    async fn request_and_response_cross_unchanged() {
        let (c, t) = transport(ok(503, b"{}"), false);
        let r = t.send(request(), 1024).await.unwrap();
        assert_eq!(r.status, 503);
        assert_eq!(r.header("retry-after"), Some("7"));
        assert_eq!(r.headers[0].0, "retry-after");
        assert_eq!(r.body, b"{}");
        let seen = c.seen.lock().unwrap();
        let req = &seen[0];
        assert_eq!(req.method, "GET");
        assert_eq!(req.url, "https://api.example.com/token/alice");
        assert_eq!(req.max_body_bytes, 1024);
        assert_eq!(req.timeout_ms, 30_000);
        assert_eq!(req.connect_timeout_ms, 10_000);
        let names: Vec<&str> = req.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["accept", "x-app-key", "user-agent"]);
        assert_eq!(req.headers[1].value, "app-key-123456");
        assert!(!format!("{req:?}").contains("app-key-123456"));
    }

    #[tokio::test]
    async fn platform_errors_become_typed_and_scrubbed() {
        let cases = [
            (VkHttpError::Timeout { detail: "read timed out".into() }, ErrorKind::Timeout),
            (VkHttpError::Connect { detail: "Unable to resolve host with app-key-123456".into() }, ErrorKind::Network),
            (VkHttpError::Network { detail: "connection reset".into() }, ErrorKind::Network),
            (VkHttpError::BodyTooLarge { detail: "2000000 bytes".into() }, ErrorKind::MalformedResponse),
        ];
        for (e, kind) in cases {
            let (_, t) = transport(Err(e.clone()), false);
            let err = t.send(request(), 1024).await.unwrap_err();
            assert_eq!(err.kind(), kind, "{e:?}");
            assert!(err.to_string().contains("api.example.com"), "{err}");
            assert!(!err.to_string().contains("app-key-123456"), "{err}");
        }
    }

    #[tokio::test]
    async fn a_status_http_does_not_allow_is_a_network_error() {
        // Swift clamps `HTTP/1.1 999999` to 65535; it used to be reported as HTTP_STATUS 65535.
        for status in [1000, 65535] {
            let (_, t) = transport(ok(status, b"{}"), false);
            let err = t.send(request(), 1024).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Network);
            assert_eq!(err.message(), format!("api.example.com sent no valid HTTP status ({status})"));
        }
        let (_, t) = transport(ok(999, b"{}"), false);
        assert_eq!(t.send(request(), 1024).await.unwrap().status, 999);
    }

    #[tokio::test]
    async fn oversized_body_is_refused_even_if_the_platform_read_it() {
        let (_, t) = transport(ok(200, &[b'x'; 2048]), false);
        let err = t.send(request(), 1024).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert!(err.to_string().contains("1024-byte limit"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_platform_call_that_never_ends_times_out_at_the_deadline() {
        let (_, t) = transport(ok(200, b"{}"), true);
        let started = tokio::time::Instant::now();
        let err = t.send(request(), 1024).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }
}
