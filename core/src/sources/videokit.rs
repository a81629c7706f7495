//! VideoKit token sources: the gateway with an app (API) token (development only) and the
//! app's own backend handing out session tokens (production), which answer in one shape
//! ([`parse_session_body`]). The gateway's URL lives here, with the source that uses it.

use crate::clock::parse_rfc3339;
use crate::error::{scrub, Error, ErrorKind, Result};
use crate::http::{json_object, parse_url, HeaderValue, Http, HttpRequest, HttpResponse};
use crate::secret::Secret;
use crate::source::{check_identity, FetchContext, FetchedToken, SourceInfo, SourceKind, TokenSource};
use async_trait::async_trait;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};

/// The production VideoKit gateway.
pub const DEFAULT_GATEWAY_URL: &str = "https://gateway.video.io";

/// Read `sessionToken` and optional `expiresAt` / `identity` / `scopes` from a 2xx JSON body
/// (the gateway's and the app backend's response shape). Public for fuzzing.
///
/// With `asked_identity` (the gateway and the app backend are asked for one identity), an
/// `identity` in the body that differs from it is refused with `invalid_token` (code
/// `identity_mismatch`): the token is well-formed but not for the user asked about, which
/// retrying cannot fix, and signing the app in as someone else is worse than failing. The
/// session's identity is then the one asked (a JWT `sub` is not read for it: backends may
/// put their own user ids there).
pub fn parse_session_body(resp: &HttpResponse, what: &str, secrets: &[&str], asked_identity: Option<&str>) -> Result<FetchedToken> {
    let o: Map<String, Value> = json_object(&resp.body, what)?;
    if let Some(err) = o.get("error").filter(|v| !v.is_null()) {
        let text = match err {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Err(Error::new(ErrorKind::Rejected, format!("{what} said no: {}", scrub(&text, secrets)))
            .with_code(scrub(&text, secrets))
            .with_status(resp.status));
    }
    let token = match o.get("sessionToken") {
        Some(Value::String(s)) if !s.trim().is_empty() => Secret::new(s.trim()),
        Some(Value::String(_)) => return Err(Error::malformed(format!("{what} sent an empty sessionToken"))),
        Some(_) => return Err(Error::malformed(format!("{what} sent a sessionToken that is not a string"))),
        None => return Err(Error::malformed(format!("{what} sent no sessionToken"))),
    };
    let expires_at = match o.get("expiresAt") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(parse_rfc3339(s).map_err(|_| Error::malformed(format!("{what} sent an expiresAt that is not RFC 3339")))?)
        }
        // Some backends send epoch seconds; accept them rather than fail a working sign-in.
        Some(Value::Number(n)) => match n.as_i64() {
            Some(secs) if crate::clock::unix_secs_in_range(secs) => Some(crate::clock::from_unix_secs(secs)),
            _ => return Err(Error::malformed(format!("{what} sent an expiresAt out of range (not a time in the years 1 to 9999)"))),
        },
        Some(_) => return Err(Error::malformed(format!("{what} sent an expiresAt that is not a time"))),
    };
    let identity = match (o.get("identity"), asked_identity) {
        (None | Some(Value::Null), asked) => asked.map(str::to_string),
        (Some(Value::String(got)), Some(asked)) if got.trim() != asked => {
            return Err(Error::invalid_token(format!(
                "{what} answered for another identity than the one asked (asked \"{}\", got \"{}\")",
                scrub(asked, secrets),
                scrub(got, secrets)
            ))
            .with_code("identity_mismatch"))
        }
        (Some(Value::String(got)), _) => Some(got.trim().to_string()),
        (Some(_), _) => return Err(Error::malformed(format!("{what} sent an identity that is not a string"))),
    };
    let scopes = o
        .get("scopes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let mut t = FetchedToken { token, expires_at, issued_at: None, identity, scopes, details: Default::default() };
    t.fill_from_jwt()?;
    Ok(t)
}

/// Classify the response: transport-level status errors first, then the body.
fn session_from_response(http: &Http, resp: &HttpResponse, what: &str, secrets: &[&str], asked_identity: &str) -> Result<FetchedToken> {
    if let Some(e) = http.status_error(resp, what, secrets) {
        return Err(e);
    }
    parse_session_body(resp, what, secrets, Some(asked_identity))
}

static API_TOKEN_WARNED: AtomicBool = AtomicBool::new(false);

/// `POST {gateway}/v1/sessions` with `Authorization: Bearer <app token>`.
///
/// Development only: an app token in a shipped app can be extracted by anyone. Production
/// apps get session tokens from their own backend ([`BackendSource`]).
pub struct ApiTokenSource {
    gateway: url::Url,
    app_token: Secret,
    identity: String,
    scopes: Vec<String>,
    info: SourceInfo,
}

impl ApiTokenSource {
    pub fn new(gateway_url: &str, app_token: Secret, identity: &str, scopes: Vec<String>, allow_insecure_http: bool) -> Result<Self> {
        if app_token.expose().trim().is_empty() {
            return Err(Error::invalid_argument("the app token is empty"));
        }
        // CR/LF or another control character cannot go in a header: refused here, never sent.
        crate::http::check_header("authorization", app_token.expose())?;
        let identity = check_identity(identity)?;
        let base = parse_url(gateway_url, allow_insecure_http)?;
        let gateway = base
            .join(&format!("{}/v1/sessions", base.path().trim_end_matches('/')))
            .map_err(|_| Error::invalid_argument("the gateway URL cannot take the /v1/sessions path"))?;
        let scopes: Vec<String> = scopes.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        // What an answer may not hold is not asked for: refused here, with nothing sent (the
        // answer would carry them back and be refused as the backend's fault).
        if scopes.iter().any(|s| s.chars().any(char::is_control)) {
            return Err(Error::invalid_argument("a scope holds control characters"));
        }
        let total: usize = scopes.iter().map(String::len).sum();
        if total > crate::source::MAX_SCOPES_BYTES {
            return Err(Error::invalid_argument(format!(
                "the scopes are {total} bytes in all, over the {} they may have",
                crate::source::MAX_SCOPES_BYTES
            )));
        }
        let key = [gateway.as_str(), &identity, &scopes.join(" "), &app_token.fingerprint()];
        let info = SourceInfo::new(SourceKind::ApiToken, Some(identity.clone()), &key, vec![app_token.clone()]).with_checked_identity();
        Ok(ApiTokenSource { gateway, app_token, identity, scopes, info })
    }
}

#[async_trait]
impl TokenSource for ApiTokenSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }
    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<FetchedToken> {
        if !API_TOKEN_WARNED.swap(true, Ordering::Relaxed) {
            log::warn!(target: "videokit", "API token mode is for development only: an app token shipped in an app can be extracted. In production, get session tokens from your backend.");
        }
        let body = json!({ "identity": self.identity, "scopes": self.scopes });
        let req = HttpRequest::post_json(self.gateway.clone(), &body).bearer(&self.app_token);
        let resp = ctx.http.send(req).await?;
        let mut t = session_from_response(ctx.http, &resp, "the VideoKit gateway", &[self.app_token.expose()], &self.identity)?;
        if t.scopes.is_empty() {
            t.scopes = self.scopes.clone();
        }
        Ok(t)
    }
}

/// Characters escaped when an identity is put into a URL path: everything but unreserved.
const IDENTITY_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Fill `{identity}` in a URL template, percent-encoding the identity.
pub fn fill_template(template: &str, identity: &str) -> String {
    template.replace("{identity}", &utf8_percent_encode(identity, IDENTITY_ESCAPE).to_string())
}

/// The app's own backend: `GET {template}` with `{identity}` filled in →
/// `{"sessionToken": "...", "expiresAt"?: "..."}`. Extra headers (the app's own auth) are
/// sent with every request and treated as secrets.
pub struct BackendSource {
    url: url::Url,
    identity: String,
    headers: Vec<(String, Secret)>,
    info: SourceInfo,
}

impl BackendSource {
    pub fn new(template: &str, identity: &str, headers: Vec<(String, Secret)>, allow_insecure_http: bool) -> Result<Self> {
        let identity = check_identity(identity)?;
        if !template.contains("{identity}") {
            // Without it every user would get the same token.
            return Err(Error::invalid_argument(
                "the token URL template must contain {identity}, e.g. https://api.example.com/token/{identity}",
            ));
        }
        let filled = fill_template(template.trim(), &identity);
        let url = parse_url(&filled, allow_insecure_http)?;
        for (name, value) in &headers {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(Error::invalid_argument(format!("'{}' is not a valid header name", scrub(name, &[]))));
            }
            crate::http::check_header(name, value.expose())?;
        }
        let info = SourceInfo::new(
            SourceKind::Backend,
            Some(identity.clone()),
            &[template.trim(), &identity],
            headers.iter().map(|(_, v)| v.clone()).collect(),
        )
        .with_checked_identity();
        Ok(BackendSource { url, identity, headers, info })
    }
}

#[async_trait]
impl TokenSource for BackendSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }
    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<FetchedToken> {
        let mut req = HttpRequest::get(self.url.clone());
        for (k, v) in &self.headers {
            req = req.header(k, HeaderValue::Secret(v.clone()));
        }
        let resp = ctx.http.send(req).await?;
        let secrets: Vec<&str> = self.headers.iter().map(|(_, v)| v.expose()).collect();
        session_from_response(ctx.http, &resp, "the app backend", &secrets, &self.identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_percent_encodes_identity() {
        assert_eq!(fill_template("http://127.0.0.1:1/token/{identity}", "alice"), "http://127.0.0.1:1/token/alice");
        assert_eq!(fill_template("http://h/token/{identity}", "a b/c?d&é"), "http://h/token/a%20b%2Fc%3Fd%26%C3%A9");
        assert_eq!(fill_template("http://h/t?u={identity}&x={identity}", "u@x"), "http://h/t?u=u%40x&x=u%40x");
    }

    #[test]
    fn constructors_validate_arguments() {
        let e = ApiTokenSource::new(DEFAULT_GATEWAY_URL, Secret::new(""), "a", vec![], false).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = ApiTokenSource::new(DEFAULT_GATEWAY_URL, Secret::new("t"), "  ", vec![], false).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = BackendSource::new("http://example.com/token/{identity}", "a", vec![], false).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InsecureTransport);
        let s = ApiTokenSource::new("https://gw.example/base/", Secret::new("t"), "a", vec![], false).unwrap();
        assert_eq!(s.gateway.as_str(), "https://gw.example/base/v1/sessions");
        let s = ApiTokenSource::new("https://gw.example", Secret::new("t"), "a", vec![], false).unwrap();
        assert_eq!(s.gateway.as_str(), "https://gw.example/v1/sessions");
    }

    #[test]
    fn store_keys_hide_secrets() {
        let s = ApiTokenSource::new(DEFAULT_GATEWAY_URL, Secret::new("vk_very_secret"), "alice", vec![], false).unwrap();
        assert!(!s.store_key().contains("vk_very_secret"));
    }
}
