//! The built-in transport: reqwest with rustls (ring, webpki roots). Feature
//! `reqwest-transport`; the mobile library uses the platform's HTTP stack instead.

use super::{choose_plain_http_addr, HttpConfig, HttpRequest, HttpResponse, Method, Resolver, Transport};
use crate::error::{scrub, Error, ErrorKind, Result};
use async_trait::async_trait;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// reqwest with rustls (ring, webpki roots), one pooled client for the life of the SDK.
/// Feature `reqwest-transport` (default); the mobile library uses the platform's HTTP stack.
///
/// Plain `http://` to a name (only `localhost` passes the policy unless the app opted in with
/// `allow_insecure_http`) is resolved here, every address checked to be loopback
/// ([`choose_plain_http_addr`]), and the connection made only to those very addresses (the
/// name's resolution is pinned to them in the client), so what is checked is what is
/// connected to.
pub struct ReqwestTransport {
    client: reqwest::Client,
    config: HttpConfig,
    resolver: Arc<dyn Resolver>,
    /// The client pinned to the checked loopback addresses of a name, reused while the name
    /// resolves to the same addresses.
    pinned: std::sync::Mutex<Option<(String, Vec<SocketAddr>, reqwest::Client)>>,
}

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
        let headers: Vec<(String, String)> =
            resp.headers().iter().filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_string()))).collect();
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

/// The system resolver (`getaddrinfo` through tokio).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

#[async_trait]
impl Resolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}
