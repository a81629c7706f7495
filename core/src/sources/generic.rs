//! Generic token sources, for any backend: a fixed token the app already has, and an
//! app-supplied provider (a Swift closure, a Kotlin lambda, a Rust object).

use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use crate::source::{check_identity, FetchContext, FetchedToken, SourceInfo, SourceKind, TokenSource, MAX_TOKEN_BYTES};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::SystemTime;

/// A session token the app already has. It cannot be renewed: when it lapses the session
/// becomes `expired`, and the app starts again with a new one.
pub struct FixedTokenSource {
    token: Secret,
    info: SourceInfo,
}

impl FixedTokenSource {
    pub fn new(token: Secret) -> Result<Self> {
        if token.expose().trim().is_empty() {
            return Err(Error::invalid_argument("the session token is empty"));
        }
        let token = Secret::new(token.expose().trim());
        if token.expose().chars().any(char::is_control) {
            return Err(Error::invalid_argument("the session token holds control characters"));
        }
        if token.expose().len() > MAX_TOKEN_BYTES {
            return Err(Error::invalid_argument(format!(
                "the session token is {} bytes long, over the {MAX_TOKEN_BYTES} a token may have",
                token.expose().len()
            )));
        }
        // A JWT with malformed or out-of-range time claims is refused up front.
        let identity = FetchedToken::bare(token.clone())?.identity;
        let info = SourceInfo {
            kind: SourceKind::SessionToken,
            identity,
            store_key: format!("session_token.{}", token.fingerprint()),
            renewable: false,
            secrets: vec![token.clone()],
            identity_checked: false,
        };
        Ok(FixedTokenSource { token, info })
    }
}

#[async_trait]
impl TokenSource for FixedTokenSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }
    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<FetchedToken> {
        let t = FetchedToken::bare(self.token.clone())?;
        if let Some(exp) = t.expires_at {
            if exp <= ctx.http.server_now() {
                return Err(Error::new(ErrorKind::Expired, "the session token given is already expired"));
            }
        }
        Ok(t)
    }
}

/// A token the app's own code produced.
#[derive(Clone)]
pub struct ProvidedToken {
    pub token: Secret,
    /// Server-time expiry, if the app knows it; otherwise read from the JWT `exp` if any. A JWT
    /// expires at the earlier of the two.
    pub expires_at: Option<SystemTime>,
}

/// Implemented by the app (Swift closure, Kotlin lambda, Rust) to supply tokens its own way.
#[async_trait]
pub trait TokenProvider: Send + Sync + 'static {
    async fn fetch_token(&self, identity: Option<String>) -> Result<ProvidedToken>;
}

/// Adapts a [`TokenProvider`] to a source.
pub struct CustomSource {
    provider: Arc<dyn TokenProvider>,
    identity: Option<String>,
    info: SourceInfo,
}

impl CustomSource {
    pub fn new(provider: Arc<dyn TokenProvider>, identity: Option<String>) -> Result<Self> {
        let identity = match identity {
            Some(i) => Some(check_identity(&i)?),
            None => None,
        };
        let info = SourceInfo::new(SourceKind::Custom, identity.clone(), &[identity.as_deref().unwrap_or("")], vec![]);
        Ok(CustomSource { provider, identity, info })
    }
}

#[async_trait]
impl TokenSource for CustomSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }
    async fn fetch(&self, _ctx: &FetchContext<'_>) -> Result<FetchedToken> {
        let p = self.provider.fetch_token(self.identity.clone()).await?;
        // Trimmed, as a fixed or fetched token is: one read from a file or a text field often
        // ends in a newline, which the check for control characters would otherwise refuse.
        let token = p.token.expose().trim();
        if token.is_empty() {
            return Err(Error::invalid_token("the token provider returned an empty token"));
        }
        let mut t = FetchedToken::bare(Secret::new(token))?;
        // The earlier of the app's expiry and a JWT's own `exp`, as for a backend's answer: a
        // JWT is refused by its `exp` whatever the app computed beside it.
        if let Some(said) = p.expires_at {
            t.expires_at = Some(t.expires_at.map_or(said, |exp| exp.min(said)));
        }
        if t.identity.is_none() {
            t.identity = self.identity.clone();
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_token_is_checked_and_hidden_from_its_store_key() {
        assert_eq!(FixedTokenSource::new(Secret::new(" ")).err().map(|e| e.kind()), Some(ErrorKind::InvalidArgument));
        let f = FixedTokenSource::new(Secret::new("tok_secret_123")).unwrap();
        assert!(!f.store_key().contains("tok_secret_123"));
        assert!(!f.can_renew());
    }
}
