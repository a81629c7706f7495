//! `videokit kaltura session`, `videokit videosdk token`, `videokit videosdk sign`.

use crate::{fail, rfc3339, secret_arg, session_json, usage_err};
use clap::{Args, Subcommand};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use videokit_core::kaltura_protocol::HashType;
use videokit_core::sources::kaltura::{KalturaConfig, KalturaSessionType, KalturaSource, DEFAULT_SERVICE_URL};
use videokit_core::sources::videosdk::VideoSdkSource;
use videokit_core::{Error, ErrorKind, Secret, Session, SessionConfig, TokenDetails, TokenSource};

#[derive(Subcommand)]
pub enum KalturaCmd {
    /// Get a KS through the appToken flow (startWidgetSession → token hash → appToken.startSession).
    Session(KalturaArgs),
}

#[derive(Args)]
pub struct KalturaArgs {
    /// Kaltura service URL (with or without a trailing /api_v3).
    #[arg(long, default_value = DEFAULT_SERVICE_URL)]
    service_url: String,
    /// The partner id.
    #[arg(long)]
    partner_id: i64,
    /// The appToken's id (e.g. 0_xeu31jy5).
    #[arg(long)]
    app_token_id: String,
    /// The appToken's token (a secret): the value, or - to read it from stdin; when absent,
    /// the environment variable KALTURA_APP_TOKEN.
    #[arg(long)]
    app_token: Option<String>,
    /// MD5, SHA1, SHA256 or SHA512: the hash type the app token was created with.
    #[arg(long, default_value = "SHA256")]
    hash_type: String,
    /// The user id to ask for (the app token's sessionUserId, if set, wins).
    #[arg(long)]
    user_id: Option<String>,
    /// Session type to ask for: user or admin (the app token's sessionType, if set, wins).
    #[arg(long = "type")]
    session_type: Option<String>,
    /// Requested KS lifetime in seconds.
    #[arg(long)]
    expiry: Option<u64>,
    /// Session privileges to ask for (e.g. "edit:*").
    #[arg(long)]
    privileges: Option<String>,
    /// The widget id for the widget session (default _<partner id>).
    #[arg(long)]
    widget_id: Option<String>,
    /// Seconds before giving up.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Allow plain http:// to non-loopback hosts (never in production).
    #[arg(long)]
    allow_insecure_http: bool,
    /// Machine-readable output: {"state", "identity", "token", "expires_at", "source", ...}
    /// or {"error": {"kind", "message"}}.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum VideoSdkCmd {
    /// Fetch a token from a token server, check its claims, print them.
    Token(VideoSdkTokenArgs),
    /// Sign a VideoSDK token locally (development only: the secret belongs on a server).
    Sign(VideoSdkSignArgs),
}

#[derive(Args)]
pub struct VideoSdkTokenArgs {
    /// Token server URL (e.g. http://127.0.0.1:8787/get-token).
    #[arg(long)]
    url: String,
    /// Room id to ask the token server for (a version 2 token for that room).
    #[arg(long)]
    room_id: Option<String>,
    /// Participant id to ask the token server for.
    #[arg(long)]
    participant_id: Option<String>,
    /// Seconds before giving up.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Allow plain http:// to non-loopback hosts (never in production).
    #[arg(long)]
    allow_insecure_http: bool,
    /// Machine-readable output: {"state", "identity", "token", "expires_at", "source",
    /// "claims"} or {"error": {"kind", "message"}}.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct VideoSdkSignArgs {
    /// The project's API key (the apikey claim).
    #[arg(long)]
    api_key: String,
    /// The project's secret (HS256 key): the value, or - to read it from stdin; when absent,
    /// the environment variable VIDEOSDK_SECRET.
    #[arg(long)]
    secret: Option<String>,
    /// allow_join, ask_join, allow_mod; repeatable (default allow_join).
    #[arg(long = "permission")]
    permissions: Vec<String>,
    /// Room id (makes a version 2 token).
    #[arg(long)]
    room_id: Option<String>,
    /// Participant id (makes a version 2 token).
    #[arg(long)]
    participant_id: Option<String>,
    /// crawler, rtc; repeatable (makes a version 2 token).
    #[arg(long = "role")]
    roles: Vec<String>,
    /// Lifetime in seconds, 1 to 315360000 (10 years).
    #[arg(long, default_value_t = 600)]
    expires_in: u64,
    /// Machine-readable output: {"token", "claims", "expires_at"} or {"error": {...}}.
    #[arg(long)]
    json: bool,
}

/// Longest lifetime `videosdk sign` signs for: 10 years.
const MAX_SIGN_LIFETIME_SECS: u64 = 10 * 365 * 86_400;

fn session(timeout: u64, insecure: bool) -> Result<Session, Error> {
    let mut c = SessionConfig::default();
    c.http.request_timeout = Duration::from_secs(timeout.max(1));
    c.http.connect_timeout = Duration::from_secs(timeout.clamp(1, 10));
    c.http.allow_insecure_http = insecure;
    c.retry.start_attempts = 2;
    Session::new(c, tokio::runtime::Handle::current())
}

async fn start(s: &Session, src: Arc<dyn TokenSource>, timeout: u64) -> Result<videokit_core::SessionData, Error> {
    match tokio::time::timeout(Duration::from_secs(timeout.max(1)), s.start(src)).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(ErrorKind::Timeout, format!("no session within {timeout} s"))),
    }
}

pub async fn kaltura(cmd: KalturaCmd) -> i32 {
    let KalturaCmd::Session(a) = cmd;
    let hash_type: HashType = match a.hash_type.parse() {
        Ok(h) => h,
        Err(_) => return usage_err(a.json, "--hash-type must be MD5, SHA1, SHA256 or SHA512"),
    };
    let session_type = match a.session_type.as_deref() {
        None => None,
        Some("user") => Some(KalturaSessionType::User),
        Some("admin") => Some(KalturaSessionType::Admin),
        Some(_) => return usage_err(a.json, "--type must be user or admin"),
    };
    let app_token = match secret_arg(a.app_token.clone(), Some("KALTURA_APP_TOKEN"), "app token") {
        Ok(Some(t)) => t,
        Ok(None) => return usage_err(a.json, "give --app-token (a value, or - for stdin) or set KALTURA_APP_TOKEN"),
        Err(e) => return fail(&e, a.json),
    };
    let mut cfg = KalturaConfig::new(a.partner_id, a.app_token_id.clone(), Secret::new(app_token));
    cfg.service_url = a.service_url.clone();
    cfg.hash_type = hash_type;
    cfg.user_id = a.user_id.clone();
    cfg.session_type = session_type;
    cfg.expiry = a.expiry;
    cfg.privileges = a.privileges.clone();
    cfg.widget_id = a.widget_id.clone();
    let src = match KalturaSource::new(cfg, a.allow_insecure_http) {
        Ok(s) => Arc::new(s) as Arc<dyn TokenSource>,
        Err(e) => return fail(&e, a.json),
    };
    let s = match session(a.timeout, a.allow_insecure_http) {
        Ok(s) => s,
        Err(e) => return fail(&e, a.json),
    };
    match start(&s, src, a.timeout).await {
        Ok(d) => {
            let (partner_id, user_id, st, privileges) = match &d.details {
                TokenDetails::Kaltura { partner_id, user_id, session_type, privileges } => {
                    (*partner_id, user_id.clone(), Some(*session_type), privileges.clone())
                }
                _ => (a.partner_id, String::new(), None, String::new()),
            };
            // The session shape every command shares, then Kaltura's own fields.
            let mut out = session_json(s.state().as_str(), &d);
            out["partner_id"] = json!(partner_id);
            out["user_id"] = json!(user_id);
            out["expiry"] = json!(d.expires_at.map(videokit_core::clock::unix_secs));
            out["session_type"] = json!(match st {
                Some(KalturaSessionType::Admin) => "admin".to_string(),
                Some(KalturaSessionType::Other(v)) => v.to_string(),
                _ => "user".to_string(),
            });
            out["privileges"] = json!(privileges);
            if a.json {
                outln!("{out}");
            } else {
                for (k, v) in out.as_object().into_iter().flatten() {
                    outln!("{k:<13} {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
                }
            }
            0
        }
        Err(e) => fail(&e, a.json),
    }
}

pub async fn videosdk(cmd: VideoSdkCmd) -> i32 {
    match cmd {
        VideoSdkCmd::Token(a) => {
            let src = match VideoSdkSource::new(&a.url, a.room_id.clone(), a.participant_id.clone(), 0, a.allow_insecure_http) {
                Ok(s) => Arc::new(s) as Arc<dyn TokenSource>,
                Err(e) => return fail(&e, a.json),
            };
            let s = match session(a.timeout, a.allow_insecure_http) {
                Ok(s) => s,
                Err(e) => return fail(&e, a.json),
            };
            match start(&s, src, a.timeout).await {
                Ok(d) => {
                    let claims = match &d.details {
                        TokenDetails::VideoSdk(c) => c.to_json(),
                        _ => json!({}),
                    };
                    let mut out = session_json(s.state().as_str(), &d);
                    out["claims"] = claims;
                    if a.json {
                        outln!("{out}");
                    } else {
                        outln!("state:      {}", s.state());
                        outln!("expires at: {}", d.expires_at.map(rfc3339).unwrap_or_default());
                        outln!(
                            "claims:     {}",
                            serde_json::to_string_pretty(&out["claims"]).unwrap_or_default().replace('\n', "\n            ")
                        );
                        outln!("token:      {}", d.token.expose());
                    }
                    0
                }
                Err(e) => fail(&e, a.json),
            }
        }
        VideoSdkCmd::Sign(a) => {
            let perms = if a.permissions.is_empty() { vec!["allow_join".to_string()] } else { a.permissions.clone() };
            for p in &perms {
                if p.parse::<videokit_core::videosdk_claims::Permission>().is_err() {
                    return usage_err(a.json, &format!("unknown permission '{p}': use allow_join, ask_join or allow_mod"));
                }
            }
            for r in &a.roles {
                if r.parse::<videokit_core::videosdk_claims::Role>().is_err() {
                    return usage_err(a.json, &format!("unknown role '{r}': use crawler or rtc"));
                }
            }
            let secret = match secret_arg(a.secret.clone(), Some("VIDEOSDK_SECRET"), "secret") {
                Ok(Some(s)) if !s.trim().is_empty() => s,
                Ok(_) => return usage_err(a.json, "the secret is empty: give --secret (a value, or - for stdin) or set VIDEOSDK_SECRET"),
                Err(e) => return fail(&e, a.json),
            };
            if a.api_key.trim().is_empty() {
                return usage_err(a.json, "--api-key is empty");
            }
            if a.expires_in == 0 || a.expires_in > MAX_SIGN_LIFETIME_SECS {
                return usage_err(a.json, &format!("--expires-in must be between 1 and {MAX_SIGN_LIFETIME_SECS} seconds"));
            }
            let iat = videokit_core::clock::unix_secs(std::time::SystemTime::now());
            // Both bounded above: no overflow, and exp stays a representable date.
            let exp = iat + a.expires_in as i64;
            let mut claims = json!({"apikey": a.api_key, "permissions": perms, "iat": iat, "exp": exp});
            if a.room_id.is_some() || a.participant_id.is_some() || !a.roles.is_empty() {
                claims["version"] = json!(2);
                if let Some(r) = &a.room_id {
                    claims["roomId"] = json!(r);
                }
                if let Some(p) = &a.participant_id {
                    claims["participantId"] = json!(p);
                }
                if !a.roles.is_empty() {
                    claims["roles"] = json!(a.roles);
                }
            }
            let token = videokit_devserver::sign_hs256(&claims, secret.as_bytes());
            // Never hand out what the SDK's own checker would refuse (an empty roomId, …).
            let checked = match videokit_core::videosdk_claims::check(&token, iat, 0) {
                Ok(c) => c,
                Err(e) => return usage_err(a.json, &format!("refusing to sign a token the checker refuses: {}", e.message())),
            };
            if a.json {
                outln!(
                    "{}",
                    json!({"token": token, "claims": checked.to_json(), "expires_at": videokit_core::clock::format_unix_secs(exp)})
                );
            } else {
                outln!("{token}");
            }
            0
        }
    }
}
