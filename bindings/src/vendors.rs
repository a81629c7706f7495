//! Kaltura and VideoSDK records for the FFI surface.

use crate::VkError;
use std::time::SystemTime;
use videokit_core::kaltura_protocol::HashType;
use videokit_core::sources::kaltura::{KalturaConfig, KalturaSessionType, DEFAULT_SERVICE_URL};
use videokit_core::videosdk_claims::{Permission, Role, VideoSdkClaims};
use videokit_core::{Secret, TokenDetails};

/// Hash of (widget KS + appToken token). Must match the app token's `hashType`; the server's
/// own default is SHA1, ours is SHA256 (create app tokens with hashType SHA256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VkKalturaHashType {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl From<VkKalturaHashType> for HashType {
    fn from(h: VkKalturaHashType) -> Self {
        match h {
            VkKalturaHashType::Md5 => HashType::Md5,
            VkKalturaHashType::Sha1 => HashType::Sha1,
            VkKalturaHashType::Sha256 => HashType::Sha256,
            VkKalturaHashType::Sha512 => HashType::Sha512,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VkKalturaSessionType {
    User,
    Admin,
}

impl From<KalturaSessionType> for VkKalturaSessionType {
    fn from(t: KalturaSessionType) -> Self {
        match t {
            KalturaSessionType::Admin => VkKalturaSessionType::Admin,
            // Kaltura defines only USER and ADMIN; anything else is reported as USER.
            KalturaSessionType::User | KalturaSessionType::Other(_) => VkKalturaSessionType::User,
        }
    }
}

impl From<VkKalturaSessionType> for KalturaSessionType {
    fn from(t: VkKalturaSessionType) -> Self {
        match t {
            VkKalturaSessionType::User => KalturaSessionType::User,
            VkKalturaSessionType::Admin => KalturaSessionType::Admin,
        }
    }
}

/// What an app gives to get a KS through an Application Token (never the admin secret).
#[derive(Clone, uniffi::Record)]
pub struct VkKalturaConfig {
    #[uniffi(default = "https://www.kaltura.com")]
    pub service_url: String,
    pub partner_id: i64,
    pub app_token_id: String,
    /// The appToken's `token` value (a secret).
    pub app_token: String,
    #[uniffi(default = None)]
    pub widget_id: Option<String>,
    /// `None` = SHA256.
    #[uniffi(default = None)]
    pub hash_type: Option<VkKalturaHashType>,
    #[uniffi(default = None)]
    pub user_id: Option<String>,
    #[uniffi(default = None)]
    pub session_type: Option<VkKalturaSessionType>,
    /// Requested KS lifetime in seconds (capped by the token's sessionDuration).
    #[uniffi(default = None)]
    pub expiry_secs: Option<u64>,
    #[uniffi(default = None)]
    pub privileges: Option<String>,
}

impl std::fmt::Debug for VkKalturaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VkKalturaConfig")
            .field("service_url", &self.service_url)
            .field("partner_id", &self.partner_id)
            .field("app_token", &"***")
            .finish_non_exhaustive()
    }
}

impl VkKalturaConfig {
    pub(crate) fn to_core(&self) -> KalturaConfig {
        KalturaConfig {
            service_url: if self.service_url.trim().is_empty() { DEFAULT_SERVICE_URL.to_string() } else { self.service_url.clone() },
            partner_id: self.partner_id,
            widget_id: self.widget_id.clone(),
            app_token_id: self.app_token_id.clone(),
            app_token: Secret::new(self.app_token.clone()),
            hash_type: self.hash_type.map(Into::into).unwrap_or_default(),
            user_id: self.user_id.clone(),
            session_type: self.session_type.map(Into::into),
            expiry: self.expiry_secs,
            privileges: self.privileges.clone(),
        }
    }
}

/// What a KS session is, as the server described it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VkKalturaInfo {
    pub partner_id: i64,
    /// "" when neither the request nor the app token set a user.
    pub user_id: String,
    pub session_type: VkKalturaSessionType,
    pub privileges: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VkVideoSdkPermission {
    AllowJoin,
    AskJoin,
    AllowMod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VkVideoSdkRole {
    Crawler,
    Rtc,
}

/// The checked claims of a VideoSDK access token, typed, so that an app never parses JWTs.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VkVideoSdkClaims {
    pub apikey: String,
    pub permissions: Vec<VkVideoSdkPermission>,
    /// 2 for room/participant-scoped tokens.
    pub version: Option<u32>,
    pub room_id: Option<String>,
    pub participant_id: Option<String>,
    pub roles: Vec<VkVideoSdkRole>,
    pub issued_at: Option<SystemTime>,
    pub expires_at: Option<SystemTime>,
    pub not_before: Option<SystemTime>,
    /// `allow_join`: joins directly.
    pub can_join: bool,
    /// `ask_join` without `allow_join`: must ask to join.
    pub must_ask_to_join: bool,
    /// `allow_mod`: may moderate (remove participants, toggle their media).
    pub can_moderate: bool,
}

impl From<&VideoSdkClaims> for VkVideoSdkClaims {
    fn from(c: &VideoSdkClaims) -> Self {
        VkVideoSdkClaims {
            apikey: c.apikey.clone(),
            permissions: c
                .permissions
                .iter()
                .map(|p| match p {
                    Permission::AllowJoin => VkVideoSdkPermission::AllowJoin,
                    Permission::AskJoin => VkVideoSdkPermission::AskJoin,
                    Permission::AllowMod => VkVideoSdkPermission::AllowMod,
                })
                .collect(),
            version: c.version,
            room_id: c.room_id.clone(),
            participant_id: c.participant_id.clone(),
            roles: c
                .roles
                .iter()
                .map(|r| match r {
                    Role::Crawler => VkVideoSdkRole::Crawler,
                    Role::Rtc => VkVideoSdkRole::Rtc,
                })
                .collect(),
            issued_at: c.iat.map(videokit_core::clock::from_unix_secs),
            expires_at: c.exp.map(videokit_core::clock::from_unix_secs),
            not_before: c.nbf.map(videokit_core::clock::from_unix_secs),
            can_join: c.can_join(),
            must_ask_to_join: c.must_ask_to_join(),
            can_moderate: c.can_moderate(),
        }
    }
}

pub(crate) fn kaltura_info(d: &TokenDetails) -> Option<VkKalturaInfo> {
    match d {
        TokenDetails::Kaltura { partner_id, user_id, session_type, privileges } => Some(VkKalturaInfo {
            partner_id: *partner_id,
            user_id: user_id.clone(),
            session_type: (*session_type).into(),
            privileges: privileges.clone(),
        }),
        _ => None,
    }
}

pub(crate) fn videosdk_claims(d: &TokenDetails) -> Option<VkVideoSdkClaims> {
    match d {
        TokenDetails::VideoSdk(c) => Some(VkVideoSdkClaims::from(c)),
        _ => None,
    }
}

/// Decode and check a VideoSDK token (without the secret) against the device clock with
/// `leeway_secs`: typed claims, or `invalid_token` / `expired` with the VideoSDK error kind
/// (`malformed`, `expired`, `not_yet_valid`, `missing_claim`, `invalid_claim`,
/// `unsupported_algorithm`) in `code`.
#[uniffi::export]
pub fn decode_videosdk_token(token: String, leeway_secs: i64) -> Result<VkVideoSdkClaims, VkError> {
    check_videosdk_token_at(token, SystemTime::now(), leeway_secs)
}

/// Like [`decode_videosdk_token`], judged at `now` (for tests and server-time checks).
#[uniffi::export]
pub fn check_videosdk_token_at(token: String, now: SystemTime, leeway_secs: i64) -> Result<VkVideoSdkClaims, VkError> {
    let now = videokit_core::clock::unix_secs(now);
    videokit_core::videosdk_claims::check(&token, now, leeway_secs).map(|c| VkVideoSdkClaims::from(&c)).map_err(VkError::from)
}
