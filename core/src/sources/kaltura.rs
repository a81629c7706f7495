//! Kaltura Sessions through the Application Token flow, as a token source.
//!
//! Cold start: `session.startWidgetSession` (anonymous widget KS) → tokenHash = lowercase hex
//! HASH(widgetKs + appToken.token) → `appToken.startSession` → the user KS. The widget KS is
//! cached until shortly before its own expiry, so a renewal costs one request and a cold
//! start exactly two. All parameters travel in a form-encoded POST body, never in the URL,
//! so no KS or hash ends up in a proxy or server access log.

use crate::error::{Error, Result};
use crate::http::{parse_url, HttpRequest};
pub use crate::kaltura_protocol::KalturaSessionType;
use crate::kaltura_protocol::{is_retryable_widget_error, parse_session_info, parse_widget_session, token_hash, HashType};
use crate::secret::Secret;
use crate::source::{FetchContext, FetchedToken, SourceInfo, SourceKind, TokenDetails, TokenSource};
use async_trait::async_trait;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// The Kaltura SaaS service URL.
pub const DEFAULT_SERVICE_URL: &str = "https://www.kaltura.com";
/// The widget KS lifetime we ask for (the server's default).
pub const WIDGET_SESSION_EXPIRY_SECS: u64 = 86_400;
/// A cached widget KS is dropped this long before it expires.
const WIDGET_MARGIN: Duration = Duration::from_secs(300);

/// What an app gives to get a KS. The appToken token is a secret; the admin secret is never
/// needed (that is the point of application tokens). `Debug` shows the token as `Secret(***)`.
#[derive(Clone, Debug)]
pub struct KalturaConfig {
    /// `https://www.kaltura.com` or an on-prem host.
    pub service_url: String,
    pub partner_id: i64,
    /// Defaults to `_<partnerId>`.
    pub widget_id: Option<String>,
    pub app_token_id: String,
    pub app_token: Secret,
    pub user_id: Option<String>,
    /// Defaults to SHA256. Must match the hash type the app token was created with (the
    /// server's own default is SHA1).
    pub hash_type: HashType,
    pub session_type: Option<KalturaSessionType>,
    /// Requested KS lifetime in seconds (the server caps it at the token's sessionDuration).
    pub expiry: Option<u64>,
    pub privileges: Option<String>,
}

impl KalturaConfig {
    /// A config with the defaults (SaaS service URL, SHA256, no user/type/expiry/privileges).
    pub fn new(partner_id: i64, app_token_id: impl Into<String>, app_token: Secret) -> Self {
        KalturaConfig {
            service_url: DEFAULT_SERVICE_URL.to_string(),
            partner_id,
            widget_id: None,
            app_token_id: app_token_id.into(),
            app_token,
            hash_type: HashType::default(),
            user_id: None,
            session_type: None,
            expiry: None,
            privileges: None,
        }
    }
}

/// The Kaltura appToken token source.
pub struct KalturaSource {
    cfg: KalturaConfig,
    widget_url: url::Url,
    start_url: url::Url,
    widget_id: String,
    /// The cached widget KS and the server time it stops being used.
    widget: Mutex<Option<(Secret, SystemTime)>>,
    info: SourceInfo,
}

impl KalturaSource {
    pub fn new(cfg: KalturaConfig, allow_insecure_http: bool) -> Result<Self> {
        if cfg.partner_id <= 0 {
            return Err(Error::invalid_argument("the Kaltura partner id must be a positive number"));
        }
        if cfg.app_token_id.trim().is_empty() {
            return Err(Error::invalid_argument("the Kaltura app token id is empty"));
        }
        if cfg.app_token.expose().trim().is_empty() {
            return Err(Error::invalid_argument("the Kaltura app token is empty"));
        }
        if let Some(e) = cfg.expiry {
            if e == 0 || e > 10 * 365 * 86_400 {
                return Err(Error::invalid_argument("the requested KS expiry must be between 1 second and 10 years"));
            }
        }
        let base = parse_url(&cfg.service_url, allow_insecure_http)?;
        // "https://host", "https://host/" and "https://host/api_v3[/]" all mean the same
        // service (the official clients are configured with either form).
        let path = base.path().trim_end_matches('/');
        let root = path.strip_suffix("/api_v3").unwrap_or(path).to_string();
        let join = |p: &str| {
            base.join(&format!("{root}{p}")).map_err(|_| Error::invalid_argument("the Kaltura service URL cannot take the API path"))
        };
        let widget_url = join("/api_v3/service/session/action/startWidgetSession")?;
        let start_url = join("/api_v3/service/apptoken/action/startSession")?;
        let widget_id = cfg.widget_id.clone().filter(|w| !w.trim().is_empty()).unwrap_or_else(|| format!("_{}", cfg.partner_id));
        let key = [
            widget_url.as_str(),
            &cfg.partner_id.to_string(),
            &cfg.app_token_id,
            cfg.user_id.as_deref().unwrap_or(""),
            &cfg.app_token.fingerprint(),
            cfg.privileges.as_deref().unwrap_or(""),
        ];
        let info = SourceInfo::new(SourceKind::Kaltura, cfg.user_id.clone(), &key, vec![cfg.app_token.clone()]);
        Ok(KalturaSource { cfg, widget_url, start_url, widget_id, widget: Mutex::new(None), info })
    }

    fn cached_widget(&self, server_now: SystemTime) -> Option<Secret> {
        let g = self.widget.lock().unwrap_or_else(|p| p.into_inner());
        match &*g {
            Some((ks, until)) if *until > server_now => Some(ks.clone()),
            _ => None,
        }
    }

    fn forget_widget(&self) {
        *self.widget.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    async fn widget_session(&self, ctx: &FetchContext<'_>) -> Result<Secret> {
        if let Some(ks) = self.cached_widget(ctx.http.server_now()) {
            return Ok(ks);
        }
        let expiry = WIDGET_SESSION_EXPIRY_SECS.to_string();
        let req = HttpRequest::post_form(self.widget_url.clone(), &[("format", "1"), ("widgetId", &self.widget_id), ("expiry", &expiry)]);
        let resp = ctx.http.send(req).await?;
        let secrets = [self.cfg.app_token.expose()];
        if let Some(e) = ctx.http.status_error(&resp, "the Kaltura server", &secrets) {
            return Err(e);
        }
        let w = parse_widget_session(&resp.body, &secrets)?;
        let until = ctx.http.server_now() + Duration::from_secs(WIDGET_SESSION_EXPIRY_SECS).saturating_sub(WIDGET_MARGIN);
        *self.widget.lock().unwrap_or_else(|p| p.into_inner()) = Some((w.ks.clone(), until));
        log::debug!(target: "videokit::kaltura", "widget session {} for partner {} cached", w.ks.fingerprint(), w.partner_id);
        Ok(w.ks)
    }

    async fn app_token_session(&self, ctx: &FetchContext<'_>, widget_ks: &Secret) -> Result<FetchedToken> {
        let hash = token_hash(self.cfg.hash_type, widget_ks.expose(), self.cfg.app_token.expose());
        let type_s = self.cfg.session_type.map(|t| t.wire().to_string());
        let expiry_s = self.cfg.expiry.map(|e| e.to_string());
        let mut params: Vec<(&str, &str)> =
            vec![("format", "1"), ("ks", widget_ks.expose()), ("id", &self.cfg.app_token_id), ("tokenHash", &hash)];
        if let Some(u) = &self.cfg.user_id {
            params.push(("userId", u));
        }
        if let Some(t) = &type_s {
            params.push(("type", t));
        }
        if let Some(e) = &expiry_s {
            params.push(("expiry", e));
        }
        if let Some(p) = &self.cfg.privileges {
            params.push(("sessionPrivileges", p));
        }
        let req = HttpRequest::post_form(self.start_url.clone(), &params);
        let resp = ctx.http.send(req).await?;
        let secrets = [self.cfg.app_token.expose(), widget_ks.expose(), hash.as_str()];
        if let Some(e) = ctx.http.status_error(&resp, "the Kaltura server", &secrets) {
            return Err(e);
        }
        let info = parse_session_info(&resp.body, &secrets)?;
        let identity = if info.user_id.is_empty() { None } else { Some(info.user_id.clone()) };
        let session_type = KalturaSessionType::from_server(info.session_type);
        Ok(FetchedToken {
            token: info.ks,
            expires_at: Some(crate::clock::from_unix_secs(info.expiry)),
            issued_at: None,
            identity,
            scopes: vec![],
            details: TokenDetails::Kaltura {
                partner_id: info.partner_id,
                user_id: info.user_id,
                session_type,
                privileges: info.privileges,
            },
        })
    }
}

#[async_trait]
impl TokenSource for KalturaSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }
    /// A KS v2 cannot be read without the partner's secret: what the server said about it
    /// is kept with it, as the JSON array `[partnerId, sessionType, userId, privileges]`.
    fn save_details(&self, details: &TokenDetails) -> Option<String> {
        let TokenDetails::Kaltura { partner_id, user_id, session_type, privileges } = details else { return None };
        let (user_id, privileges) = (serde_json::to_string(user_id).ok()?, serde_json::to_string(privileges).ok()?);
        Some(format!("[{partner_id},{},{user_id},{privileges}]", session_type.wire()))
    }
    fn restore_details(&self, _token: &Secret, saved: Option<&str>) -> Result<TokenDetails> {
        let Some(saved) = saved else { return Ok(TokenDetails::None) };
        let bad = || Error::malformed("the stored Kaltura details are not valid");
        let v: serde_json::Value = serde_json::from_str(saved).map_err(|_| bad())?;
        match v.as_array().map(Vec::as_slice) {
            Some([p, t, u, pr]) => Ok(TokenDetails::Kaltura {
                partner_id: p.as_i64().ok_or_else(bad)?,
                session_type: t.as_i64().and_then(|t| i32::try_from(t).ok()).map(KalturaSessionType::from_server).ok_or_else(bad)?,
                user_id: u.as_str().ok_or_else(bad)?.to_string(),
                privileges: pr.as_str().ok_or_else(bad)?.to_string(),
            }),
            _ => Err(bad()),
        }
    }
    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<FetchedToken> {
        let widget = self.widget_session(ctx).await?;
        match self.app_token_session(ctx, &widget).await {
            Err(e) if is_retryable_widget_error(&e) => {
                // The cached widget KS was refused (revoked, or its expiry misjudged): once
                // more with a fresh one.
                log::info!(target: "videokit::kaltura", "widget session refused (INVALID_KS); retrying once with a new one");
                self.forget_widget();
                let widget = self.widget_session(ctx).await?;
                self.app_token_session(ctx, &widget).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a stored KS keeps beside the token comes back as it was; anything else is refused
    /// (and the engine then fetches a new KS).
    #[test]
    fn stored_details_round_trip() {
        let s = KalturaSource::new(KalturaConfig::new(1, "0_a".to_string(), Secret::new("tok")), false).unwrap();
        let d = TokenDetails::Kaltura {
            partner_id: 7,
            user_id: "u\"1\n".into(),
            session_type: KalturaSessionType::Admin,
            privileges: "view:*".into(),
        };
        let saved = s.save_details(&d).unwrap();
        assert_eq!(saved, r#"[7,2,"u\"1\n","view:*"]"#);
        assert_eq!(s.restore_details(&Secret::new("ks"), Some(&saved)).unwrap(), d);
        assert_eq!(s.restore_details(&Secret::new("ks"), None).unwrap(), TokenDetails::None);
        let other = s.restore_details(&Secret::new("ks"), Some("[7,1,\"u\",\"p\"]")).unwrap();
        assert_eq!(
            other,
            TokenDetails::Kaltura {
                partner_id: 7,
                user_id: "u".into(),
                session_type: KalturaSessionType::Other(1),
                privileges: "p".into()
            }
        );
        for bad in ["", "{}", "[7,2,\"u\"]", "[\"7\",2,\"u\",\"p\"]", "[7,2.5,\"u\",\"p\"]"] {
            assert_eq!(s.restore_details(&Secret::new("ks"), Some(bad)).unwrap_err().kind(), crate::ErrorKind::MalformedResponse, "{bad}");
        }
        assert_eq!(s.save_details(&TokenDetails::None), None);
    }

    /// Issue 12, item 11: a service URL ending in /api_v3 gave `Service "" does not exist`.
    #[test]
    fn a_service_url_with_or_without_api_v3_gives_the_same_endpoints() {
        for u in ["https://k.example", "https://k.example/", "https://k.example/api_v3", "https://k.example/api_v3/"] {
            let mut cfg = KalturaConfig::new(1, "0_a".to_string(), Secret::new("tok"));
            cfg.service_url = u.into();
            let s = KalturaSource::new(cfg, false).unwrap();
            assert_eq!(s.widget_url.as_str(), "https://k.example/api_v3/service/session/action/startWidgetSession", "{u}");
            assert_eq!(s.start_url.as_str(), "https://k.example/api_v3/service/apptoken/action/startSession", "{u}");
        }
        let mut cfg = KalturaConfig::new(1, "0_a".to_string(), Secret::new("tok"));
        cfg.service_url = "https://k.example/kaltura/api_v3".into();
        assert_eq!(
            KalturaSource::new(cfg, false).unwrap().start_url.as_str(),
            "https://k.example/kaltura/api_v3/service/apptoken/action/startSession"
        );
    }
}
