//! VideoSDK access tokens from the app's token server, as a token source.
//!
//! `GET {url}[?roomId=R&participantId=P&peerId=P]` → `{"token": "<HS256 JWT>"}`. The token is
//! decoded and checked against VideoSDK's claim rules (without the secret, which only the
//! server has) before the session becomes active: a token that arrives invalid or already
//! expired is an `invalid_token` error, never an active session. Expiry comes from `exp`.
//! (`peerId` is what VideoSDK's own example token server reads; `participantId` is the
//! claim's name; both are sent.)

use crate::error::{scrub_short, Error, ErrorKind, Result};
use crate::http::{json_object, parse_url, HttpRequest};
use crate::secret::Secret;
use crate::source::{FetchContext, FetchedToken, SourceInfo, SourceKind, TokenDetails, TokenSource};
use crate::videosdk_claims;
use async_trait::async_trait;
use serde_json::Value;

/// The VideoSDK token-server source.
pub struct VideoSdkSource {
    url: url::Url,
    room_id: Option<String>,
    participant_id: Option<String>,
    leeway_secs: i64,
    info: SourceInfo,
}

impl VideoSdkSource {
    /// `url` is the app's token server endpoint (e.g. `https://api.example.com/get-token`).
    pub fn new(
        url: &str,
        room_id: Option<String>,
        participant_id: Option<String>,
        leeway_secs: i64,
        allow_insecure_http: bool,
    ) -> Result<Self> {
        let mut url = parse_url(url, allow_insecure_http)?;
        let room_id = room_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let participant_id = participant_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        {
            let mut q = url.query_pairs_mut();
            if let Some(r) = &room_id {
                q.append_pair("roomId", r);
            }
            if let Some(p) = &participant_id {
                q.append_pair("participantId", p);
                q.append_pair("peerId", p);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let info = SourceInfo::new(SourceKind::VideoSdk, participant_id.clone(), &[url.as_str(), room_id.as_deref().unwrap_or("")], vec![]);
        Ok(VideoSdkSource { url, room_id, participant_id, leeway_secs: leeway_secs.clamp(0, 3600), info })
    }
}

/// Check a token fetched from a token server: any failure is `invalid_token` (terminal),
/// keeping the VideoSDK error kind (`expired`, `malformed`, ...) as the code.
pub fn check_fetched(token: &str, server_now_unix: i64, leeway_secs: i64) -> Result<videosdk_claims::VideoSdkClaims> {
    videosdk_claims::check(token, server_now_unix, leeway_secs).map_err(|e| {
        let mut err = Error::new(ErrorKind::InvalidToken, format!("the token server issued an unusable token: {}", e.message()));
        if let Some(c) = e.code() {
            err = err.with_code(c);
        }
        err
    })
}

/// Parse a token server's `{"token": "..."}` body and check the token. Public for fuzzing.
pub fn parse_token_server_body(body: &[u8], server_now_unix: i64, leeway_secs: i64) -> Result<(Secret, videosdk_claims::VideoSdkClaims)> {
    let o = json_object(body, "the VideoSDK token server")?;
    let token = match o.get("token") {
        Some(Value::String(s)) if !s.trim().is_empty() => Secret::new(s.trim()),
        Some(_) => return Err(Error::malformed("the VideoSDK token server sent a token that is not a non-empty string")),
        None => return Err(Error::malformed("the VideoSDK token server sent no token")),
    };
    let claims = check_fetched(token.expose(), server_now_unix, leeway_secs)?;
    Ok((token, claims))
}

#[async_trait]
impl TokenSource for VideoSdkSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }
    /// The claims are read again from the stored token itself.
    fn restore_details(&self, token: &Secret, _saved: Option<&str>) -> Result<TokenDetails> {
        videosdk_claims::decode_unchecked_time(token.expose()).map(TokenDetails::VideoSdk)
    }
    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<FetchedToken> {
        let resp = ctx.http.send(HttpRequest::get(self.url.clone())).await?;
        if let Some(e) = ctx.http.status_error(&resp, "the VideoSDK token server", &[]) {
            return Err(e);
        }
        let now = crate::clock::unix_secs(ctx.http.server_now());
        let (token, claims) = parse_token_server_body(&resp.body, now, self.leeway_secs)?;
        // A token for another room or participant than the one asked would fail only when it
        // joins: refused now, as a backend answering for another identity is. (A token without
        // the claim is for any room, or any participant.)
        for (what, asked, got, code) in [
            ("room", &self.room_id, &claims.room_id, "room_mismatch"),
            ("participant", &self.participant_id, &claims.participant_id, "identity_mismatch"),
        ] {
            if let (Some(asked), Some(got)) = (asked, got) {
                if got != asked {
                    return Err(Error::invalid_token(format!(
                        "the VideoSDK token server issued a token for another {what} than the one asked (asked \"{}\", got \"{}\")",
                        scrub_short(asked),
                        scrub_short(got)
                    ))
                    .with_code(code));
                }
            }
        }
        Ok(FetchedToken {
            expires_at: claims.exp.map(crate::clock::from_unix_secs),
            issued_at: claims.iat.map(crate::clock::from_unix_secs),
            identity: claims.participant_id.clone().or_else(|| self.participant_id.clone()),
            scopes: claims.permissions.iter().map(|p| p.as_str().to_string()).collect(),
            token,
            details: TokenDetails::VideoSdk(claims),
        })
    }
}
