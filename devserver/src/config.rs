//! Configuration: everything has a documented default, so the server runs with no file; a
//! JSON file (see devserver/README.md) adds or overrides.

use serde::Deserialize;
use std::time::Duration;

/// The app token `POST /v1/sessions` accepts by default (printed by `videokit serve`).
pub const DEFAULT_APP_TOKEN: &str = "vk_dev_app_token";

/// A Kaltura partner: id and admin secret (the secret KS v2 strings are encrypted with).
#[derive(Debug, Clone, Deserialize)]
pub struct KalturaPartner {
    pub id: i64,
    #[serde(rename = "adminSecret", alias = "admin_secret")]
    pub admin_secret: String,
}

/// A Kaltura application token, with the fields of the server's `KalturaAppToken`.
#[derive(Debug, Clone, Deserialize)]
pub struct KalturaAppToken {
    pub id: String,
    pub token: String,
    #[serde(rename = "partnerId", alias = "partner_id")]
    pub partner_id: i64,
    /// MD5, SHA1, SHA256, SHA512 (the server's default is SHA1).
    #[serde(rename = "hashType", alias = "hash_type", default = "default_hash")]
    pub hash_type: String,
    /// 1 disabled, 2 active, 3 deleted.
    #[serde(default = "default_status")]
    pub status: i32,
    /// Longest KS lifetime in seconds (server default 86400).
    #[serde(rename = "sessionDuration", alias = "session_duration", default = "default_duration")]
    pub session_duration: u64,
    /// Unix time after which the token itself is expired.
    #[serde(default)]
    pub expiry: Option<i64>,
    #[serde(rename = "sessionUserId", alias = "session_user_id", default)]
    pub session_user_id: Option<String>,
    #[serde(rename = "sessionType", alias = "session_type", default)]
    pub session_type: Option<i32>,
    #[serde(rename = "sessionPrivileges", alias = "session_privileges", default)]
    pub session_privileges: Option<String>,
}

fn default_hash() -> String {
    "SHA1".into()
}
fn default_status() -> i32 {
    2
}
fn default_duration() -> u64 {
    86_400
}

/// Kaltura partners and app tokens.
#[derive(Debug, Clone, Deserialize)]
pub struct KalturaConfig {
    #[serde(default)]
    pub partners: Vec<KalturaPartner>,
    #[serde(rename = "appTokens", alias = "app_tokens", default)]
    pub app_tokens: Vec<KalturaAppToken>,
}

impl Default for KalturaConfig {
    /// Partner 1851571 (widget `_1851571`) and app token `0_xeu31jy5` with token
    /// `c9883312395bf5ed4fd5c9a5d86c985c`, hashType SHA256, active, 86400 s sessions.
    fn default() -> Self {
        KalturaConfig {
            partners: vec![KalturaPartner { id: 1851571, admin_secret: "devserver-admin-secret-1851571".into() }],
            app_tokens: vec![KalturaAppToken {
                id: "0_xeu31jy5".into(),
                token: "c9883312395bf5ed4fd5c9a5d86c985c".into(),
                partner_id: 1851571,
                hash_type: "SHA256".into(),
                status: 2,
                session_duration: 86_400,
                expiry: None,
                session_user_id: None,
                session_type: None,
                session_privileges: None,
            }],
        }
    }
}

/// VideoSDK API key and secret, and the lifetime of the tokens `/get-token` issues.
#[derive(Debug, Clone, Deserialize)]
pub struct VideoSdkConfig {
    #[serde(rename = "apiKey", alias = "api_key")]
    pub api_key: String,
    pub secret: String,
    #[serde(rename = "tokenLifetimeSecs", alias = "token_lifetime_secs", default = "default_vsdk_life")]
    pub token_lifetime_secs: u64,
}

fn default_vsdk_life() -> u64 {
    600
}

impl Default for VideoSdkConfig {
    fn default() -> Self {
        VideoSdkConfig { api_key: "devserver-videosdk-apikey".into(), secret: "devserver-videosdk-secret".into(), token_lifetime_secs: 600 }
    }
}

/// The server's configuration.
#[derive(Debug, Clone)]
pub struct DevServerConfig {
    /// VideoKit app tokens accepted by `POST /v1/sessions`.
    pub app_tokens: Vec<String>,
    /// HS256 secret of VideoKit session tokens.
    pub signing_secret: String,
    /// VideoKit session token lifetime (default 3600 s).
    pub token_lifetime: Duration,
    /// Added to the server's clock: `Date`, `iat`/`exp`, `expiresAt`, KS expiry.
    pub clock_offset_secs: i64,
    pub kaltura: KalturaConfig,
    pub videosdk: VideoSdkConfig,
    /// 0 = any free port. The server binds 127.0.0.1 only.
    pub port: u16,
}

impl Default for DevServerConfig {
    fn default() -> Self {
        DevServerConfig {
            app_tokens: vec![DEFAULT_APP_TOKEN.to_string()],
            signing_secret: "devserver-session-signing-secret".into(),
            token_lifetime: Duration::from_secs(3600),
            clock_offset_secs: 0,
            kaltura: KalturaConfig::default(),
            videosdk: VideoSdkConfig::default(),
            port: 0,
        }
    }
}

/// A config file that could not be used.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(rename = "appTokens", alias = "app_tokens", default)]
    app_tokens: Vec<String>,
    #[serde(rename = "signingSecret", alias = "signing_secret")]
    signing_secret: Option<String>,
    #[serde(rename = "tokenLifetimeSecs", alias = "token_lifetime_secs")]
    token_lifetime_secs: Option<u64>,
    #[serde(rename = "clockOffsetSecs", alias = "clock_offset_secs")]
    clock_offset_secs: Option<i64>,
    kaltura: Option<KalturaConfig>,
    videosdk: Option<VideoSdkConfig>,
    port: Option<u16>,
}

impl DevServerConfig {
    /// Read a JSON config file (format in devserver/README.md). App tokens, Kaltura partners
    /// and app tokens are added to the defaults; scalar settings override.
    pub fn from_json_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path.as_ref()).map_err(|e| ConfigError(format!("cannot read it: {e}")))?;
        Self::from_json_str(&text)
    }

    /// Parse a JSON config (see [`from_json_file`](Self::from_json_file)).
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        let f: FileConfig = serde_json::from_str(text).map_err(|e| ConfigError(format!("invalid config JSON: {e}")))?;
        let mut c = DevServerConfig::default();
        c.app_tokens.extend(f.app_tokens);
        if let Some(s) = f.signing_secret {
            c.signing_secret = s;
        }
        if let Some(l) = f.token_lifetime_secs {
            c.token_lifetime = Duration::from_secs(l.max(1));
        }
        if let Some(o) = f.clock_offset_secs {
            c.clock_offset_secs = o;
        }
        if let Some(k) = f.kaltura {
            c.kaltura.partners.extend(k.partners);
            c.kaltura.app_tokens.extend(k.app_tokens);
        }
        if let Some(v) = f.videosdk {
            c.videosdk = v;
        }
        if let Some(p) = f.port {
            c.port = p;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_adds_to_defaults() {
        let c = DevServerConfig::from_json_str(
            r#"{"appTokens": ["vk_more"], "tokenLifetimeSecs": 5,
                "kaltura": {"partners": [{"id": 102, "adminSecret": "s"}],
                            "appTokens": [{"id": "0_x", "token": "t", "partnerId": 102}]},
                "videosdk": {"apiKey": "k", "secret": "s"}}"#,
        )
        .unwrap();
        assert_eq!(c.app_tokens, vec![DEFAULT_APP_TOKEN.to_string(), "vk_more".to_string()]);
        assert_eq!(c.token_lifetime, Duration::from_secs(5));
        assert_eq!(c.kaltura.partners.len(), 2);
        assert_eq!(c.kaltura.app_tokens[1].hash_type, "SHA1");
        assert_eq!(c.kaltura.app_tokens[1].session_duration, 86400);
        assert_eq!(c.videosdk.token_lifetime_secs, 600);
        assert!(DevServerConfig::from_json_str(r#"{"nope": 1}"#).is_err());
    }
}
