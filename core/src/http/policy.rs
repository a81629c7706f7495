//! Transport security: which URLs and headers may be sent at all (HTTPS, or plain HTTP to
//! loopback only; no control characters in headers), and URLs made safe to quote.

use crate::error::{scrub, Error, ErrorKind, Result};
use async_trait::async_trait;
use std::net::{IpAddr, SocketAddr};
use url::Url;

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
