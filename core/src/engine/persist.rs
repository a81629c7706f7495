//! Persistence: resume a stored, still-valid session without a request, and save each new
//! token. The record's common fields are the engine's; what a token carries beyond them
//! is saved and restored by its source ([`TokenSource::save_details`],
//! [`TokenSource::restore_details`]), so the engine and the record know no vendor.

use super::state::Inner;
use super::timing::Current;
use super::types::{SessionData, SessionState};
use crate::clock::{add_ms, diff_ms};
use crate::secret::Secret;
use crate::source::{FetchedToken, TokenSource};
use crate::store::{StoredSession, RECORD_VERSION};
use std::time::UNIX_EPOCH;

impl Inner {
    /// Resume a stored, still-valid session for this source, without a request.
    pub(super) fn try_resume(&self, gen: u64, source: &dyn TokenSource) -> bool {
        let info = source.info();
        let key = info.store_key.as_str();
        let rec = match self.store.load_record(key) {
            Ok(None) => return false,
            Ok(Some(Ok(r))) => r,
            Ok(Some(Err(e))) => {
                log::warn!(target: "videokit", "discarding the stored session: {}", e.message());
                let _ = self.store.clear(key);
                return false;
            }
            Err(e) => {
                log::warn!(target: "videokit", "could not read the stored session, fetching a new one: {e}");
                return false;
            }
        };
        let Some(exp_ms) = rec.expires_at_ms else { return false };
        let token = Secret::new(rec.token);
        let Ok(details) = source.restore_details(&token, rec.details.as_deref()) else { return false };
        let tok = FetchedToken {
            token,
            expires_at: Some(add_ms(UNIX_EPOCH, exp_ms)),
            issued_at: rec.issued_at_ms.map(|ms| add_ms(UNIX_EPOCH, ms)),
            identity: rec.identity,
            scopes: rec.scopes,
            details,
        };
        let now = self.now();
        let cur = Current::new(tok, info.kind, true, &self.config.renewal, now);
        let remaining = match cur.remaining(now) {
            Some(r) if r > cur.lead => r,
            _ => {
                log::info!(target: "videokit", "the stored session is due for renewal; fetching a new one");
                return false;
            }
        };
        let Some(mut core) = self.lock_gen(gen) else { return false };
        log::info!(target: "videokit", "resumed the stored session (expires in {} s)", remaining.as_secs());
        let data = cur.data.clone();
        core.current = Some(cur);
        self.transition(&mut core, SessionState::Active, None);
        self.publish(true, Ok(data));
        true
    }

    /// Save a new token, when it has a known expiry (without one nothing can be resumed
    /// safely). A store that fails is logged, never fatal.
    pub(super) fn save(&self, source: &dyn TokenSource, data: &SessionData) {
        let Some(expires_at) = data.expires_at else { return };
        let rec = StoredSession {
            v: RECORD_VERSION,
            key: source.info().store_key.clone(),
            source: data.source.as_str().to_string(),
            token: data.token.expose().to_string(),
            expires_at_ms: Some(diff_ms(expires_at, UNIX_EPOCH)),
            issued_at_ms: data.issued_at.map(|t| diff_ms(t, UNIX_EPOCH)),
            identity: data.identity.clone(),
            scopes: data.scopes.clone(),
            details: source.save_details(&data.details),
        };
        if let Err(e) = self.store.save_record(rec) {
            log::warn!(target: "videokit", "could not save the session: {e}");
        }
    }
}
