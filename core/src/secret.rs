//! A redacting wrapper for secrets: app tokens, session tokens, KS, appToken secrets, JWTs,
//! API secrets. `Debug` and `Display` print `Secret(***)` / `***`; the value comes out only
//! through [`Secret::expose`], which makes every place a secret is used greppable. The
//! backing memory is zeroed when the last clone is dropped.

use std::fmt;
use std::sync::Arc;
use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<Zeroizing<String>>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Arc::new(Zeroizing::new(value.into())))
    }

    /// The secret value. Call it only where the value must leave the SDK (a request header,
    /// the app asking for its token, the session store).
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A short non-reversible fingerprint (first 8 hex chars of SHA-256), safe to log, so that
    /// two log lines can be seen to talk about the same token without revealing it.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let d = sha2::Sha256::digest(self.expose().as_bytes());
        hex::encode(&d[..4])
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("vk_app_supersecret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(Secret(***))");
        assert_eq!(s.expose(), "vk_app_supersecret");
        assert_eq!(s.fingerprint().len(), 8);
        assert!(!s.fingerprint().contains("secret"));
    }
}
