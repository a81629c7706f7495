//! Configuration. Everything has a documented default, so the server runs with no file; a
//! JSON file (format in devserver/README.md) adds app tokens, partners and Kaltura app tokens
//! and overrides settings. Names are camelCase (snake_case accepted too).

use serde::Deserialize;
use std::time::Duration;

/// The app token `POST /v1/sessions` accepts by default (printed by `videokit serve`).
pub const DEFAULT_APP_TOKEN: &str = "vk_dev_app_token";

/// The default HS256 secret of VideoKit session tokens.
pub const DEFAULT_SIGNING_SECRET: &str = "devserver-session-signing-secret";

/// The default Kaltura partner id (widget `_1851571`).
pub const DEFAULT_KALTURA_PARTNER_ID: i64 = 1851571;

/// The admin secret of the default Kaltura partner (KS strings are encrypted with it).
pub const DEFAULT_KALTURA_ADMIN_SECRET: &str = "devserver-admin-secret-1851571";

/// The id of the default Kaltura app token.
pub const DEFAULT_KALTURA_APP_TOKEN_ID: &str = "0_xeu31jy5";

/// The token (secret) of the default Kaltura app token (hashType SHA256).
pub const DEFAULT_KALTURA_APP_TOKEN: &str = "c9883312395bf5ed4fd5c9a5d86c985c";

/// The default VideoSDK API key.
pub const DEFAULT_VIDEOSDK_API_KEY: &str = "devserver-videosdk-apikey";

/// The default VideoSDK secret.
pub const DEFAULT_VIDEOSDK_SECRET: &str = "devserver-videosdk-secret";

/// A Kaltura partner: id and admin secret (the secret KS strings are encrypted with).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KalturaPartner {
    /// Partner id; its widget is `_<id>`.
    pub id: i64,
    /// Admin secret.
    #[serde(rename = "adminSecret", alias = "admin_secret")]
    pub admin_secret: String,
}

/// A Kaltura application token, with the fields of the server's `KalturaAppToken`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KalturaAppToken {
    /// The app token id, e.g. `0_xeu31jy5`.
    pub id: String,
    /// The token itself (the secret hashed with the widget KS).
    pub token: String,
    /// The partner it belongs to.
    #[serde(rename = "partnerId", alias = "partner_id")]
    pub partner_id: i64,
    /// `MD5`, `SHA1`, `SHA256` or `SHA512` (the server's default is SHA1).
    #[serde(rename = "hashType", alias = "hash_type", default = "default_hash")]
    pub hash_type: String,
    /// 1 disabled, 2 active (default), 3 deleted.
    #[serde(default = "default_status")]
    pub status: i32,
    /// Longest KS lifetime in seconds (default 86400).
    #[serde(rename = "sessionDuration", alias = "session_duration", default = "default_duration")]
    pub session_duration: u64,
    /// Unix time at which the app token itself expires.
    #[serde(default)]
    pub expiry: Option<i64>,
    /// When set, the user of every KS (replaces the requested userId).
    #[serde(rename = "sessionUserId", alias = "session_user_id", default)]
    pub session_user_id: Option<String>,
    /// When set, the type of every KS (0 user, 2 admin; replaces the requested type).
    #[serde(rename = "sessionType", alias = "session_type", default)]
    pub session_type: Option<i32>,
    /// Privileges added to every KS after `sessionid:<id>,apptoken:<id>`.
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KalturaConfig {
    /// Partners (id and admin secret).
    #[serde(default)]
    pub partners: Vec<KalturaPartner>,
    /// Application tokens.
    #[serde(rename = "appTokens", alias = "app_tokens", default)]
    pub app_tokens: Vec<KalturaAppToken>,
}

impl Default for KalturaConfig {
    /// Partner 1851571 (widget `_1851571`, admin secret [`DEFAULT_KALTURA_ADMIN_SECRET`]) and
    /// app token `0_xeu31jy5` with token `c9883312395bf5ed4fd5c9a5d86c985c`, hashType SHA256,
    /// active, 86400 s sessions.
    fn default() -> Self {
        KalturaConfig {
            partners: vec![KalturaPartner { id: DEFAULT_KALTURA_PARTNER_ID, admin_secret: DEFAULT_KALTURA_ADMIN_SECRET.into() }],
            app_tokens: vec![KalturaAppToken {
                id: DEFAULT_KALTURA_APP_TOKEN_ID.into(),
                token: DEFAULT_KALTURA_APP_TOKEN.into(),
                partner_id: DEFAULT_KALTURA_PARTNER_ID,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoSdkConfig {
    /// The `apikey` claim; the meeting API requires it.
    pub api_key: String,
    /// The HS256 secret.
    pub secret: String,
    /// Lifetime of `/get-token` tokens in seconds (default 600, as VideoSDK's example server).
    pub token_lifetime_secs: u64,
}

impl Default for VideoSdkConfig {
    fn default() -> Self {
        VideoSdkConfig { api_key: DEFAULT_VIDEOSDK_API_KEY.into(), secret: DEFAULT_VIDEOSDK_SECRET.into(), token_lifetime_secs: 600 }
    }
}

/// The server's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevServerConfig {
    /// VideoKit app tokens accepted by `POST /v1/sessions` (default: [`DEFAULT_APP_TOKEN`]).
    /// `GET /token/{identity}` issues through the first one.
    pub app_tokens: Vec<String>,
    /// HS256 secret of VideoKit session tokens.
    pub signing_secret: String,
    /// VideoKit session token lifetime (default 3600 s).
    pub token_lifetime: Duration,
    /// Seconds added to the server's clock: `Date` headers, `iat`/`exp`, `expiresAt`, KS
    /// expiry, and the expiry checks of KS and VideoSDK tokens.
    pub clock_offset_secs: i64,
    /// Kaltura partners and app tokens.
    pub kaltura: KalturaConfig,
    /// VideoSDK key, secret and token lifetime.
    pub videosdk: VideoSdkConfig,
    /// 0 = any free port. The server binds 127.0.0.1 only.
    pub port: u16,
    /// How long a connection may take to send a request's headers, and how long it may sit
    /// idle between requests (default 10 s); then it is closed.
    pub header_read_timeout: Duration,
    /// How long a request body may take to arrive once its headers are in (default 10 s);
    /// then 408.
    pub body_read_timeout: Duration,
    /// Connections served at once (default 256); more wait in the listen backlog until one
    /// closes, so a flood of half-open connections cannot exhaust file descriptors.
    pub max_connections: usize,
}

/// Longest token lifetime the server issues (VideoKit and VideoSDK): 10 years.
pub const MAX_LIFETIME_SECS: u64 = 10 * 365 * 86_400;

impl Default for DevServerConfig {
    fn default() -> Self {
        DevServerConfig {
            app_tokens: vec![DEFAULT_APP_TOKEN.to_string()],
            signing_secret: DEFAULT_SIGNING_SECRET.into(),
            token_lifetime: Duration::from_secs(3600),
            clock_offset_secs: 0,
            kaltura: KalturaConfig::default(),
            videosdk: VideoSdkConfig::default(),
            port: 0,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_connections: 256,
        }
    }
}

/// A config file that could not be read or used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileVideoSdk {
    #[serde(rename = "apiKey", alias = "api_key")]
    api_key: Option<String>,
    secret: Option<String>,
    #[serde(rename = "tokenLifetimeSecs", alias = "token_lifetime_secs")]
    token_lifetime_secs: Option<u64>,
}

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
    videosdk: Option<FileVideoSdk>,
    port: Option<u16>,
    /// Free text, ignored (JSON has no comments).
    #[serde(rename = "comment", alias = "_comment")]
    #[allow(dead_code)]
    comment: Option<serde_json::Value>,
}

/// The largest config file read (1 MiB).
pub const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

impl DevServerConfig {
    /// Read a JSON config file (format in devserver/README.md): see
    /// [`from_json_str`](Self::from_json_str).
    /// A file larger than [`MAX_CONFIG_FILE_BYTES`] is refused, read no further (`/dev/zero`
    /// would otherwise be read until memory runs out).
    pub fn from_json_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        use std::io::Read as _;
        let path = path.as_ref();
        let cannot = |e: std::io::Error| ConfigError(format!("cannot read {}: {e}", path.display()));
        let mut bytes = Vec::new();
        std::fs::File::open(path).map_err(cannot)?.take(MAX_CONFIG_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(cannot)?;
        if bytes.len() as u64 > MAX_CONFIG_FILE_BYTES {
            return Err(ConfigError(format!("{} is larger than {} bytes: not a config file", path.display(), MAX_CONFIG_FILE_BYTES)));
        }
        let text = String::from_utf8(bytes).map_err(|_| ConfigError(format!("{} is not UTF-8 text", path.display())))?;
        Self::from_json_str(&text)
    }

    /// Parse a JSON config on top of the defaults: app tokens are added; Kaltura partners and
    /// app tokens are added, replacing a default of the same id; every other field given
    /// replaces the default. Unknown fields, an unknown hash type or status, and an app token
    /// of an unconfigured partner are errors.
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        let f: FileConfig = serde_json::from_str(text).map_err(|e| ConfigError(format!("invalid config JSON: {e}")))?;
        let mut c = DevServerConfig::default();
        for t in f.app_tokens {
            if t.trim().is_empty() {
                return Err(ConfigError("appTokens: an app token is empty".into()));
            }
            if !c.app_tokens.contains(&t) {
                c.app_tokens.push(t);
            }
        }
        if let Some(s) = f.signing_secret {
            c.signing_secret = s;
        }
        if let Some(l) = f.token_lifetime_secs {
            c.token_lifetime = Duration::from_secs(l);
        }
        if let Some(o) = f.clock_offset_secs {
            c.clock_offset_secs = o;
        }
        if let Some(k) = f.kaltura {
            for p in k.partners {
                match c.kaltura.partners.iter_mut().find(|x| x.id == p.id) {
                    Some(slot) => *slot = p,
                    None => c.kaltura.partners.push(p),
                }
            }
            for t in k.app_tokens {
                match c.kaltura.app_tokens.iter_mut().find(|x| x.id == t.id) {
                    Some(slot) => *slot = t,
                    None => c.kaltura.app_tokens.push(t),
                }
            }
        }
        if let Some(v) = f.videosdk {
            if let Some(k) = v.api_key {
                c.videosdk.api_key = k;
            }
            if let Some(s) = v.secret {
                c.videosdk.secret = s;
            }
            if let Some(l) = v.token_lifetime_secs {
                c.videosdk.token_lifetime_secs = l;
            }
        }
        if let Some(p) = f.port {
            c.port = p;
        }
        c.validate()?;
        Ok(c)
    }

    /// Check the configuration: what a file could get wrong, and what would make the server
    /// issue unusable tokens (empty secrets, lifetimes of 0 or past 10 years, no connections).
    /// [`crate::DevServer::start`] refuses an invalid configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.signing_secret.is_empty() {
            return Err(ConfigError("signingSecret is empty: tokens signed with it would prove nothing".into()));
        }
        if self.app_tokens.iter().any(|t| t.trim().is_empty()) {
            return Err(ConfigError("appTokens: an app token is empty".into()));
        }
        let lifetime_ok = |secs: u64| (1..=MAX_LIFETIME_SECS).contains(&secs);
        if !lifetime_ok(self.token_lifetime.as_secs()) {
            return Err(ConfigError(format!("tokenLifetimeSecs must be between 1 and {MAX_LIFETIME_SECS}")));
        }
        if !lifetime_ok(self.videosdk.token_lifetime_secs) {
            return Err(ConfigError(format!("videosdk.tokenLifetimeSecs must be between 1 and {MAX_LIFETIME_SECS}")));
        }
        if self.videosdk.secret.is_empty() || self.videosdk.api_key.trim().is_empty() {
            return Err(ConfigError("videosdk: apiKey and secret must not be empty".into()));
        }
        for p in &self.kaltura.partners {
            if p.admin_secret.is_empty() {
                return Err(ConfigError(format!("kaltura partner {}: adminSecret is empty", p.id)));
            }
        }
        if self.max_connections == 0 || self.header_read_timeout.is_zero() || self.body_read_timeout.is_zero() {
            return Err(ConfigError("max_connections, header_read_timeout and body_read_timeout must be positive".into()));
        }
        for t in &self.kaltura.app_tokens {
            if t.token.is_empty() {
                return Err(ConfigError(format!("kaltura app token {}: token is empty", t.id)));
            }
            if crate::hash::hash_hex(&t.hash_type, "").is_none() {
                return Err(ConfigError(format!(
                    "kaltura app token {}: hashType must be MD5, SHA1, SHA256 or SHA512, not {:?}",
                    t.id, t.hash_type
                )));
            }
            if !(1..=3).contains(&t.status) {
                return Err(ConfigError(format!("kaltura app token {}: status must be 1 (disabled), 2 (active) or 3 (deleted)", t.id)));
            }
            if !self.kaltura.partners.iter().any(|p| p.id == t.partner_id) {
                return Err(ConfigError(format!("kaltura app token {}: partner {} is not configured", t.id, t.partner_id)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_config_file_is_read_only_up_to_its_cap() {
        let e = DevServerConfig::from_json_file("/dev/zero").unwrap_err();
        assert!(e.0.contains("larger than 1048576 bytes"), "{}", e.0);
        let dir = std::env::temp_dir().join(format!("vk-devserver-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("c.json");
        std::fs::write(&f, br#"{"appTokens": ["vk_other"]}"#).unwrap();
        assert!(DevServerConfig::from_json_file(&f).unwrap().app_tokens.iter().any(|t| t == "vk_other"));
        std::fs::write(&f, b"\xff\xfe{}").unwrap();
        assert!(DevServerConfig::from_json_file(&f).unwrap_err().0.contains("not UTF-8"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    use super::*;

    #[test]
    fn file_adds_to_and_overrides_defaults() {
        let c = DevServerConfig::from_json_str(
            r#"{"appTokens": ["vk_more", "vk_dev_app_token"], "tokenLifetimeSecs": 5, "comment": "x",
                "kaltura": {"partners": [{"id": 102, "adminSecret": "s"}, {"id": 1851571, "admin_secret": "new"}],
                            "appTokens": [{"id": "0_x", "token": "t", "partnerId": 102}]},
                "videosdk": {"apiKey": "k"}}"#,
        )
        .unwrap();
        assert_eq!(c.app_tokens, vec![DEFAULT_APP_TOKEN.to_string(), "vk_more".to_string()]);
        assert_eq!(c.token_lifetime, Duration::from_secs(5));
        assert_eq!(
            c.kaltura.partners,
            vec![KalturaPartner { id: 1851571, admin_secret: "new".into() }, KalturaPartner { id: 102, admin_secret: "s".into() }]
        );
        let t = &c.kaltura.app_tokens[1];
        assert_eq!((t.hash_type.as_str(), t.status, t.session_duration), ("SHA1", 2, 86400));
        assert_eq!(
            (c.videosdk.api_key.as_str(), c.videosdk.secret.as_str(), c.videosdk.token_lifetime_secs),
            ("k", DEFAULT_VIDEOSDK_SECRET, 600)
        );
        assert_eq!(DevServerConfig::from_json_str("{}").unwrap(), DevServerConfig::default());
    }

    #[test]
    fn bad_files_are_errors() {
        for bad in [
            r#"{"nope": 1}"#,
            r#"{"port": 70000}"#,
            "not json",
            r#"{"kaltura": {"appTokens": [{"id": "a", "token": "t", "partnerId": 1851571, "hashType": "CRC32"}]}}"#,
            r#"{"kaltura": {"appTokens": [{"id": "a", "token": "t", "partnerId": 999}]}}"#,
            r#"{"kaltura": {"appTokens": [{"id": "a", "token": "t", "partnerId": 1851571, "status": 7}]}}"#,
            r#"{"videosdk": {"key": "k"}}"#,
        ] {
            assert!(DevServerConfig::from_json_str(bad).is_err(), "{bad}");
        }
        assert!(DevServerConfig::from_json_file("/nonexistent/devserver.json").unwrap_err().0.contains("cannot read"));
    }
}
