//! A simulated day of a flapping network during renewals, on a paused clock: the network is up
//! and down in seeded random spells of 1–20 minutes; tokens live an hour. Every 5 s of
//! simulated time we check that the session is never without a token while one could have
//! been had (an `expired` session means the network has not been up for a whole
//! backoff-cap-plus-one-request window), that a held token is valid, and that the request
//! rate stays bounded.

use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use videokit_core::http::{HttpRequest, HttpResponse, Transport};
use videokit_core::sources::videokit::BackendSource;
use videokit_core::{Clock, ErrorKind, FakeClock, Session, SessionConfig, SessionDeps, SessionState};

const DAY: Duration = Duration::from_secs(24 * 3600);
const T0: u64 = 1_795_305_600;

struct Flappy {
    clock: Arc<FakeClock>,
    start: Instant,
    /// (from, to) offsets of the down spells.
    down: Vec<(Duration, Duration)>,
    requests: Mutex<Vec<Duration>>,
}

impl Flappy {
    fn is_up(&self, at: Duration) -> bool {
        !self.down.iter().any(|(a, b)| at >= *a && at < *b)
    }
}

#[async_trait]
impl Transport for Flappy {
    async fn send(&self, _req: HttpRequest, _max: usize) -> Result<HttpResponse, videokit_core::Error> {
        let at = Instant::now() - self.start;
        self.requests.lock().unwrap().push(at);
        if !self.is_up(at) {
            return Err(videokit_core::Error::new(ErrorKind::Network, "could not connect to api.example.com"));
        }
        let now = self.clock.wall();
        let exp = videokit_core::clock::format_rfc3339(now + Duration::from_secs(3600));
        let n = self.requests.lock().unwrap().len();
        Ok(HttpResponse {
            status: 200,
            headers: vec![("date".into(), httpdate::fmt_http_date(now))],
            body: format!(r#"{{"sessionToken":"t{n}","expiresAt":"{exp}"}}"#).into_bytes(),
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_day_of_flapping_network() {
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut down = Vec::new();
    let mut t = Duration::from_secs(30 * 60); // up for the first half hour
    while t < DAY {
        let down_for = Duration::from_secs(rng.u64(60..=20 * 60));
        down.push((t, t + down_for));
        t += down_for + Duration::from_secs(rng.u64(60..=20 * 60));
    }
    // And one long outage past a token's whole lifetime.
    down.push((Duration::from_secs(12 * 3600), Duration::from_secs(14 * 3600)));
    let clock = Arc::new(FakeClock::at_unix(T0));
    let transport = Arc::new(Flappy { clock: clock.clone(), start: Instant::now(), down, requests: Mutex::new(vec![]) });
    let cfg = SessionConfig::default(); // default backoff: 500 ms doubling to 60 s, full jitter
    let max_delay = cfg.retry.max_delay;
    let deps = SessionDeps {
        clock: clock.clone(),
        transport: Some(transport.clone()),
        store: Arc::new(videokit_core::MemoryStore::new()),
        jitter_seed: Some(9),
        hook: None,
        store_queue: None,
    };
    let session = Session::with_deps(cfg, deps, tokio::runtime::Handle::current()).unwrap();
    session.start(Arc::new(BackendSource::new("https://api.example.com/token/{identity}", "alice", vec![], false).unwrap())).await.unwrap();

    let step = Duration::from_secs(5);
    let react = max_delay + Duration::from_secs(10);
    let mut expired_samples = 0u32;
    let mut elapsed = Duration::ZERO;
    while elapsed < DAY {
        tokio::time::sleep(step).await;
        elapsed = Instant::now() - transport.start;
        match session.state() {
            SessionState::Active | SessionState::Refreshing => {
                // (At the very instant of expiry the sampler may run before the engine's own
                // timer marks the session expired; token() itself never returns a lapsed token.)
                let d = session.session_data().unwrap();
                assert!(d.expires_at.unwrap() >= clock.wall(), "a held token is valid at {elapsed:?}");
            }
            SessionState::Expired => {
                expired_samples += 1;
                // A token could have been had if the network had been up for a whole
                // reaction window (the backoff cap plus slack) just before now.
                let mut up_whole_window = true;
                let mut probe = elapsed.saturating_sub(react);
                while probe < elapsed {
                    if !transport.is_up(probe) {
                        up_whole_window = false;
                        break;
                    }
                    probe += Duration::from_secs(1);
                }
                assert!(!up_whole_window, "expired at {elapsed:?} although the network was up for the last {react:?}");
            }
            other => panic!("unexpected state {other} at {elapsed:?}"),
        }
    }
    let reqs = transport.requests.lock().unwrap().clone();
    // Bounded request rate: at most ~one request per backoff cap while down, plus renewals.
    let per_minute_max = reqs.windows(1).fold(std::collections::HashMap::<u64, u32>::new(), |mut m, w| {
        *m.entry(w[0].as_secs() / 60).or_default() += 1;
        m
    });
    let worst = per_minute_max.values().copied().max().unwrap_or(0);
    println!(
        "simulated day: {} requests, worst minute {worst}, {} of {} samples expired (the 2 h outage outlasts a token)",
        reqs.len(),
        expired_samples,
        DAY.as_secs() / step.as_secs()
    );
    assert!(worst <= 10, "worst minute had {worst} requests");
    assert!(reqs.len() < 24 * 60 * 2, "{} requests in a day", reqs.len());
    assert!(expired_samples > 0, "the long outage did expire the token");
    assert_eq!(session.state(), SessionState::Active);
    let _ = SystemTime::now();
}
