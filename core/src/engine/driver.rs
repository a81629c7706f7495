//! The driver: one task per started session (one generation) does all fetching, so any
//! number of `token()` / `refresh()` calls share one request. It resumes or fetches the
//! first token, then follows [`timing::plan`]: wait, renew, or expire. A failed fetch is
//! retried with backoff (transient errors; at renewal also a garbled body or a token that
//! arrived expired) while the held token is served; a terminal error, or `start` running out
//! of attempts, is `failed`.

use super::state::{cannot_renew, Inner};
use super::timing::{self, Plan};
use super::types::SessionState;
use crate::error::{Error, ErrorKind};
use crate::source::{FetchContext, TokenSource};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// The longest `Retry-After` a start honours unless the app's longest retry delay is longer.
const START_RETRY_AFTER_LIMIT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Start,
    Renew,
}

/// The driver of one started session (generation `gen`).
pub(super) async fn drive(inner: Arc<Inner>, gen: u64, source: Arc<dyn TokenSource>) {
    let mut kick = inner.kick.subscribe();
    let resumed = inner.try_resume(gen, source.as_ref()).await;
    if !resumed && !inner.fetch(gen, source.as_ref(), Phase::Start, &mut kick).await {
        return;
    }
    loop {
        kick.borrow_and_update();
        let Some(plan) = inner.next_plan(gen) else { return };
        let go_on = match plan {
            Plan::RenewNow => inner.fetch(gen, source.as_ref(), Phase::Renew, &mut kick).await,
            Plan::ExpireNow => {
                inner.expire_if_lapsed(gen, None);
                inner.publish(true, Err(cannot_renew()));
                false
            }
            Plan::WaitUntil(at) => tokio::select! {
                _ = tokio::time::sleep_until(at) => true,
                changed = kick.changed() => changed.is_ok(),
            },
            Plan::WaitForKick => kick.changed().await.is_ok(),
        };
        if !go_on {
            return;
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

impl Inner {
    /// The plan for generation `gen` (`None`: no longer current). A renewal about to run
    /// consumes a forced refresh and moves `active` to `refreshing`.
    fn next_plan(&self, gen: u64) -> Option<Plan> {
        let mut core = self.lock_gen(gen)?;
        let plan = timing::plan(core.current.as_ref(), core.renewable(), core.force_refresh, self.now());
        if plan == Plan::RenewNow {
            core.force_refresh = false;
            if core.state == SessionState::Active {
                self.transition(&mut core, SessionState::Refreshing, None);
            }
        }
        Some(plan)
    }

    /// Fetch until success (→ active), terminal failure (→ failed), or, when starting,
    /// the attempts run out (→ failed). Returns whether the driver goes on.
    async fn fetch(&self, gen: u64, source: &dyn TokenSource, phase: Phase, kick: &mut watch::Receiver<u64>) -> bool {
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            if self.lock_gen(gen).is_none() {
                return false;
            }
            let fetched = source.fetch(&FetchContext { http: &self.http }).await;
            let e = match fetched.and_then(|t| t.check_text().map(|()| t)) {
                Ok(tok) => match self.activate(gen, source, tok).await {
                    Ok(go_on) => return go_on,
                    Err(arrived_expired) => arrived_expired,
                },
                Err(e) => e,
            };
            let Some(delay) = self.after_failure(gen, &e, phase, attempt).await else { return false };
            if !self.wait_to_retry(gen, delay, &e, kick).await {
                return false;
            }
        }
    }

    /// Judge a failed attempt: `None` when it ended the session (`failed`), otherwise the
    /// delay before the next attempt (the error recorded and, at renewal, published).
    async fn after_failure(&self, gen: u64, e: &Error, phase: Phase, attempt: u32) -> Option<Duration> {
        // A garbled body, or a token that arrived already expired, while a valid token is
        // still held is more likely a proxy, cache or backend hiccup than a permanent fault:
        // renewal retries it (with backoff) and keeps serving the token; at start it fails
        // at once.
        let retry = e.is_transient() || (phase == Phase::Renew && matches!(e.kind(), ErrorKind::MalformedResponse | ErrorKind::Expired));
        if !retry {
            self.fail(gen, e.clone()).await;
            return None;
        }
        if phase == Phase::Start && attempt >= self.config.retry.start_attempts {
            log::warn!(target: "videokit", "giving up after {attempt} attempts");
            self.fail(gen, e.clone()).await;
            return None;
        }
        if let (Phase::Start, Some(ra)) = (phase, e.retry_after()) {
            // A start is waited for by a person: a server that asks for more than a minute
            // (or the app's longest retry delay, if longer) ends it now, with its error,
            // instead of holding the start for up to an hour per attempt.
            let longest = self.config.retry.max_delay.max(START_RETRY_AFTER_LIMIT);
            if ra > longest {
                log::warn!(target: "videokit", "the server asks to retry in {} s, more than a start waits ({} s): giving up", ra.as_secs(), longest.as_secs());
                self.fail(gen, e.clone()).await;
                return None;
            }
        }
        // `Retry-After` lengthens the backoff, never shortens it: a struggling backend (or a
        // proxy in front of it) answering `Retry-After: 0`, or a date already past, would
        // otherwise have every client retry as fast as it answers.
        let backoff = self.config.retry.delay(attempt, &mut self.rng.lock().unwrap_or_else(|p| p.into_inner()));
        let delay = match e.retry_after() {
            Some(ra) => ra.min(self.config.retry.max_retry_after).max(backoff),
            None => backoff,
        };
        log::warn!(target: "videokit", "attempt {attempt} failed ({e}); retrying in {} ms", delay.as_millis());
        let mut core = self.lock_gen(gen)?;
        self.note_error(&mut core, e.clone());
        drop(core);
        if phase == Phase::Renew {
            // No valid token: callers waiting in token() get this attempt's error.
            let lapsed = self.expire_if_lapsed(gen, Some(e));
            self.publish(lapsed, Err(e.clone()));
        }
        Some(delay)
    }

    /// Sleep `delay` before the next attempt, marking the session `expired` if the held
    /// token lapses meanwhile, and cutting the wait short when a caller needs a token now
    /// (unless the server asked for the delay with `Retry-After`). Returns whether to go on.
    async fn wait_to_retry(&self, gen: u64, delay: Duration, e: &Error, kick: &mut watch::Receiver<u64>) -> bool {
        let honour_retry_after = e.retry_after().is_some();
        kick.borrow_and_update();
        let wake_at = self.clock.monotonic() + delay;
        loop {
            let lapse = self.lapse_deadline(gen);
            tokio::select! {
                _ = tokio::time::sleep_until(wake_at) => return true,
                _ = sleep_until_opt(lapse), if lapse.is_some() => {
                    self.expire_if_lapsed(gen, Some(e));
                }
                changed = kick.changed() => {
                    if changed.is_err() {
                        return false;
                    }
                    if self.lock().state == SessionState::Expired && !honour_retry_after {
                        return true; // someone needs a token now: try at once
                    }
                }
            }
        }
    }

    /// The monotonic instant the held token lapses, if it is still valid.
    fn lapse_deadline(&self, gen: u64) -> Option<Instant> {
        let core = self.lock_gen(gen)?;
        if core.state == SessionState::Expired {
            return None;
        }
        let now = self.now();
        Some(now.mono + core.current.as_ref()?.remaining(now)?)
    }
}
