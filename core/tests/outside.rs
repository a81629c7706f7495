//! Regression tests for what testing from outside found (issue 12): plain HTTP judged by the
//! address connected to, timestamps out of range, identities, header values that cannot be
//! sent, credentials in URLs, a 414. Real engine and transport; servers on 127.0.0.1:0 only.
//! No traffic leaves loopback: names are resolved by an injected resolver, and a name mapped
//! to a non-loopback address is refused before any connection is attempted.

use async_trait::async_trait;
use base64::Engine as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use videokit_core::http::{choose_plain_http_addr, parse_url, ReqwestTransport, Resolver};
use videokit_core::sources::generic::{CustomSource, FixedTokenSource, ProvidedToken, TokenProvider};
use videokit_core::sources::videokit::{ApiTokenSource, BackendSource};
use videokit_core::{ErrorKind, HttpConfig, Secret, Session, SessionConfig, SessionDeps, StateChange, TokenSource};
use videokit_devserver::{DevServer, DevServerConfig, DEFAULT_APP_TOKEN};

fn quick_config() -> SessionConfig {
    let mut c = SessionConfig::default();
    c.http.request_timeout = Duration::from_secs(5);
    c.http.connect_timeout = Duration::from_secs(5);
    c.retry.initial_delay = Duration::from_millis(10);
    c.retry.max_delay = Duration::from_millis(20);
    c.retry.start_attempts = 4;
    c
}

/// Maps every name to fixed addresses and records what it was asked.
struct MapResolver {
    to: Vec<std::net::IpAddr>,
    asked: Mutex<Vec<String>>,
}

#[async_trait]
impl Resolver for MapResolver {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        self.asked.lock().unwrap().push(host.to_string());
        Ok(self.to.iter().map(|ip| SocketAddr::new(*ip, port)).collect())
    }
}

fn session_with(cfg: SessionConfig, resolver: Option<Arc<MapResolver>>) -> (Session, mpsc::UnboundedReceiver<StateChange>) {
    let mut deps = SessionDeps::default();
    if let Some(r) = resolver {
        deps.transport = Some(Arc::new(ReqwestTransport::with_resolver(&cfg.http, r).unwrap()));
    }
    let s = Session::with_deps(cfg, deps, tokio::runtime::Handle::current()).unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    s.subscribe(Arc::new(move |c: &StateChange| {
        let _ = tx.send(c.clone());
    }));
    (s, rx)
}

/// The transitions delivered so far, up to and including the first into a final state
/// (`failed`, `active`, `stopped`); waits for it (events are dispatched in order on the
/// SDK's task), at most 5 s.
async fn states(rx: &mut mpsc::UnboundedReceiver<StateChange>) -> Vec<String> {
    let mut out = vec![];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(c)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if c.from != c.to {
            let to = c.to.as_str().to_string();
            let done = matches!(to.as_str(), "failed" | "active" | "stopped");
            out.push(to);
            if done {
                break;
            }
        }
    }
    out
}

async fn devserver() -> DevServer {
    DevServer::start(DevServerConfig { port: 0, ..Default::default() }).await.unwrap()
}

// ---- 1. plain http:// only to real loopback ----

#[test]
fn plain_http_is_judged_by_address_not_by_a_name_ending_in_localhost() {
    for ok in ["http://localhost:1/x", "http://LOCALHOST:1/x", "http://127.0.0.2:1/x", "http://[::1]:1/x", "https://evil.localhost/x"] {
        assert!(parse_url(ok, false).is_ok(), "{ok}");
    }
    for bad in [
        "http://evil.localhost:1/x",
        "http://a.b.localhost/x",
        "http://localhost.example.com/x",
        "http://10.0.0.1/x",
        "http://[::ffff:10.0.0.1]/x",
    ] {
        assert_eq!(parse_url(bad, false).unwrap_err().kind(), ErrorKind::InsecureTransport, "{bad}");
    }
}

#[test]
fn a_name_is_used_for_plain_http_only_when_every_address_is_loopback() {
    let lo4: SocketAddr = "127.0.0.1:80".parse().unwrap();
    let lo6: SocketAddr = "[::1]:80".parse().unwrap();
    let away: SocketAddr = "192.0.2.7:80".parse().unwrap();
    assert_eq!(choose_plain_http_addr("localhost", &[lo4, lo6]).unwrap(), lo4);
    assert_eq!(choose_plain_http_addr("localhost", &[lo6]).unwrap(), lo6);
    let e = choose_plain_http_addr("localhost", &[away]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsecureTransport);
    assert!(e.message().contains("192.0.2.7"), "{}", e.message());
    assert_eq!(choose_plain_http_addr("localhost", &[lo4, away]).unwrap_err().kind(), ErrorKind::InsecureTransport);
    assert_eq!(choose_plain_http_addr("localhost", &[]).unwrap_err().kind(), ErrorKind::Network);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_resolving_elsewhere_gets_no_app_token() {
    let srv = devserver().await;
    let port = srv.addr().port();
    for to in [vec!["192.0.2.7".parse().unwrap()], vec!["127.0.0.1".parse().unwrap(), "192.0.2.7".parse().unwrap()]] {
        let r = Arc::new(MapResolver { to, asked: Mutex::new(vec![]) });
        let (s, mut rx) = session_with(quick_config(), Some(r.clone()));
        let src = ApiTokenSource::new(&format!("http://localhost:{port}"), Secret::new(DEFAULT_APP_TOKEN), "alice", vec![], false).unwrap();
        let e = s.start(Arc::new(src)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InsecureTransport);
        assert_eq!(*r.asked.lock().unwrap(), ["localhost"], "resolved once, refused, not retried");
        assert_eq!(states(&mut rx).await, ["starting", "failed"]);
    }
    assert_eq!(srv.controls().request_count("sessions"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_connected_to_is_the_one_checked() {
    let srv = devserver().await;
    let port = srv.addr().port();
    // localhost → 127.0.0.1, where the devserver listens: works, the name goes in Host.
    let r = Arc::new(MapResolver { to: vec!["127.0.0.1".parse().unwrap()], asked: Mutex::new(vec![]) });
    let (s, _rx) = session_with(quick_config(), Some(r.clone()));
    let src = BackendSource::new(&format!("http://localhost:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
    let d = s.start(Arc::new(src)).await.unwrap();
    assert_eq!(d.identity.as_deref(), Some("alice"));
    assert_eq!(srv.controls().request_count("token"), 1);
    // localhost → [::1, 127.0.0.1] (the usual /etc/hosts order; the devserver listens on the
    // second only): the checked addresses are tried in order.
    let r = Arc::new(MapResolver { to: vec!["::1".parse().unwrap(), "127.0.0.1".parse().unwrap()], asked: Mutex::new(vec![]) });
    let (s, _rx) = session_with(quick_config(), Some(r.clone()));
    let src = BackendSource::new(&format!("http://localhost:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
    assert!(s.start(Arc::new(src)).await.is_ok());
    assert_eq!(srv.controls().request_count("token"), 2);
    // localhost → 127.0.0.2 (loopback, nothing listens there): the transport connects to the
    // resolved address, not to whatever the name resolves to later.
    let r = Arc::new(MapResolver { to: vec!["127.0.0.2".parse().unwrap()], asked: Mutex::new(vec![]) });
    let mut cfg = quick_config();
    cfg.retry.start_attempts = 1;
    let (s, _rx) = session_with(cfg, Some(r.clone()));
    let src = BackendSource::new(&format!("http://localhost:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
    assert_eq!(s.start(Arc::new(src)).await.unwrap_err().kind(), ErrorKind::Network);
    assert_eq!(srv.controls().request_count("token"), 2);
}

// ---- 2. timestamps out of range ----

fn jwt_with(claims: &str) -> String {
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.{}", e(r#"{"alg":"HS256","typ":"JWT"}"#), e(claims), e("sig"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_tokens_with_times_past_year_9999_are_invalid_not_a_panic() {
    for claims in [
        r#"{"sub":"a","exp":253402300800}"#,
        r#"{"sub":"a","exp":9223372036854775807}"#,
        r#"{"sub":"a","exp":-9223372036854775808}"#,
        r#"{"sub":"a","iat":253402300800,"exp":1795305600}"#,
        r#"{"sub":"a","nbf":99999999999999}"#,
        r#"{"sub":"a","exp":"soon"}"#,
    ] {
        let e = FixedTokenSource::new(Secret::new(jwt_with(claims))).err().unwrap();
        assert_eq!((e.kind(), e.code()), (ErrorKind::InvalidToken, Some("invalid_claim")), "{claims}");
    }
    // The last representable second is fine, and formats.
    let ok = FixedTokenSource::new(Secret::new(jwt_with(r#"{"sub":"a","exp":253402300799}"#))).unwrap();
    let (s, _rx) = session_with(quick_config(), None);
    let d = s.start(Arc::new(ok)).await.unwrap();
    assert_eq!(d.expires_at.map(videokit_core::clock::format_rfc3339).as_deref(), Some("9999-12-31T23:59:59.000Z"));
    assert!(format!("{d:?}").contains("9999-12-31"));
}

/// A hand-made backend: answers every request on one connection with `response`, counts
/// connections. With `read_whole_head` it reads the request's head first; without, it answers
/// as soon as the request's first bytes arrive, the rest unread (as a server that refuses an
/// over-long request line does). It never speaks before the client has: a response to no
/// request is not HTTP, and hyper drops it as unexpected.
async fn raw_backend(response: Vec<u8>, read_whole_head: bool) -> (u16, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    tokio::spawn(async move {
        while let Ok((mut c, _)) = l.accept().await {
            n2.fetch_add(1, Ordering::SeqCst);
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut got = Vec::new();
                loop {
                    match c.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => got.extend_from_slice(&buf[..k]),
                    }
                    if !read_whole_head || got.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let _ = c.write_all(&response).await;
                let _ = c.shutdown().await;
                // Drain what the client still sends before dropping the socket: closing with
                // unread bytes makes the kernel send a reset, which can overtake the response
                // on its way to the client ("connection reset" instead of the answer).
                while let Ok(k) = c.read(&mut buf).await {
                    if k == 0 {
                        break;
                    }
                }
            });
        }
    });
    (port, n)
}

fn http_json(status: &str, body: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_token_past_year_9999_is_invalid_token_at_start() {
    for body in [
        format!(r#"{{"sessionToken":"{}"}}"#, jwt_with(r#"{"sub":"alice","exp":253402300800}"#)),
        r#"{"sessionToken":"opaque","expiresAt":253402300800}"#.to_string(),
        r#"{"sessionToken":"opaque","expiresAt":-9223372036854775808}"#.to_string(),
    ] {
        let (port, conns) = raw_backend(http_json("200 OK", &body), true).await;
        let (s, mut rx) = session_with(quick_config(), None);
        let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
        let e = s.start(Arc::new(src)).await.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::InvalidToken | ErrorKind::MalformedResponse), "{body}: {e}");
        assert_eq!(conns.load(Ordering::SeqCst), 1, "terminal, not retried");
        assert_eq!(states(&mut rx).await, ["starting", "failed"]);
    }
}

/// From the outside test (issue 11): a backend token with CR/LF, NUL or ESC was handed to the
/// app (which puts it in a header) and saved, as a record the SDK then refused to resume. It
/// is `malformed_response` now, as is such an identity or scope; a fixed session token with
/// one is `invalid_argument`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_with_control_characters_is_refused_never_handed_out() {
    for body in [
        r#"{"sessionToken":"eyJ.tok\r\nX-Evil: 1"}"#,
        r#"{"sessionToken":"eyJ.tok\u0000\u001b[31m"}"#,
        r#"{"sessionToken":"eyJ.tok","scopes":["read\nwrite"]}"#,
    ] {
        let (port, conns) = raw_backend(http_json("200 OK", body), true).await;
        let (s, mut rx) = session_with(quick_config(), None);
        let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
        let e = s.start(Arc::new(src)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{body}");
        assert!(!e.message().contains("eyJ.tok") && !e.message().contains("X-Evil"), "{e}");
        assert_eq!(conns.load(Ordering::SeqCst), 1, "terminal at start, not retried");
        assert_eq!(states(&mut rx).await, ["starting", "failed"]);
        assert!(s.token().await.is_err());
    }
    for token in ["abc\u{0}def", "abc\r\nX-Evil: 1", "abc\u{1b}def"] {
        let e = FixedTokenSource::new(Secret::new(token)).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{token:?}");
    }
}

/// From the outside test (issue 11): a backend's `expiresAt` in year 9999 beside a JWT whose
/// `exp` is an hour away won: the token would have been served, never renewed, long after it
/// expired. The earlier of the two is the token's expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwt_expires_at_its_exp_whatever_the_answer_says_beside_it() {
    use videokit_core::clock::{format_rfc3339, from_unix_secs};
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let jwt = jwt_with(&format!(r#"{{"sub":"alice","exp":{}}}"#, now + 3600));
    // Later than the JWT's exp: the exp. Earlier: the answer's (a backend may end it sooner).
    for (said, want) in [("9999-12-31T23:59:59.999Z".to_string(), now + 3600), (format_rfc3339(from_unix_secs(now + 600)), now + 600)] {
        let body = format!(r#"{{"sessionToken":"{jwt}","expiresAt":"{said}"}}"#);
        let (port, _) = raw_backend(http_json("200 OK", &body), true).await;
        let (s, _rx) = session_with(quick_config(), None);
        let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
        let d = s.start(Arc::new(src)).await.unwrap();
        assert_eq!(d.expires_at, Some(from_unix_secs(want)), "{said}");
    }
}

/// An app's token provider that hands out one token, with the expiry the app gives.
struct OneToken(String, Option<std::time::SystemTime>);

#[async_trait]
impl TokenProvider for OneToken {
    async fn fetch_token(&self, _identity: Option<String>) -> videokit_core::Result<ProvidedToken> {
        Ok(ProvidedToken { token: Secret::new(self.0.clone()), expires_at: self.1 })
    }
}

/// From the outside test (issue 11): a provider's token was taken as given. One read from a
/// file ends in a newline, which the control-character check then refused, and an expiry the
/// app computed (a day) won over the JWT's own `exp` (an hour). A provider's token is trimmed
/// like every other source's, and expires at the earlier of the two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_providers_token_is_trimmed_and_expires_at_its_jwt_exp_at_the_latest() {
    use videokit_core::clock::from_unix_secs;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let jwt = jwt_with(&format!(r#"{{"sub":"alice","exp":{}}}"#, now + 3600));
    let cases = [
        (format!(" {jwt}\n"), Some(from_unix_secs(now + 86_400)), jwt.clone(), Some(from_unix_secs(now + 3600))),
        (format!("{jwt}\r\n"), Some(from_unix_secs(now + 600)), jwt.clone(), Some(from_unix_secs(now + 600))),
        ("\topaque-token\n".to_string(), None, "opaque-token".to_string(), None),
    ];
    for (given, said, token, expires_at) in cases {
        let (s, _rx) = session_with(quick_config(), None);
        let src = CustomSource::new(Arc::new(OneToken(given.clone(), said)), Some("alice".into())).unwrap();
        let d = s.start(Arc::new(src)).await.unwrap();
        assert_eq!((d.token.expose(), d.expires_at), (token.as_str(), expires_at), "{given:?}");
    }
    // Inside the token, a control character is still refused.
    let (s, _rx) = session_with(quick_config(), None);
    let src = CustomSource::new(Arc::new(OneToken("abc\r\nX-Evil: 1".into(), None)), None).unwrap();
    assert_eq!(s.start(Arc::new(src)).await.unwrap_err().kind(), ErrorKind::MalformedResponse);
}

/// From the outside test (issue 11): a provider's token that arrived expired was reported as
/// "the backend issued…", pointing the app at a backend it may not have. The message names the
/// token provider; a backend's answer keeps its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_from_a_provider_is_reported_as_the_providers() {
    use videokit_core::clock::from_unix_secs;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let cases = [
        ("opaque-token".to_string(), Some(from_unix_secs(now - 60))),
        (jwt_with(&format!(r#"{{"sub":"alice","exp":{}}}"#, now - 60)), None),
        (jwt_with(&format!(r#"{{"sub":"alice","exp":{}}}"#, now - 60)), Some(from_unix_secs(now + 3600))),
    ];
    for (token, said) in cases {
        let (s, mut rx) = session_with(quick_config(), None);
        let src = CustomSource::new(Arc::new(OneToken(token.clone(), said)), Some("alice".into())).unwrap();
        let e = s.start(Arc::new(src)).await.unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (
                ErrorKind::Expired,
                "the token provider returned a token that is already expired (check the expiry it gives, the token's own exp and the device's clock)"
            ),
            "{said:?}"
        );
        assert!(!e.to_string().contains(&token));
        assert_eq!(states(&mut rx).await, ["starting", "failed"]);
    }
}

// ---- 3. identities ----

#[test]
fn a_token_url_without_identity_is_refused() {
    let e = BackendSource::new("https://api.example.com/token", "alice", vec![], false).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("{identity}"));
    assert!(BackendSource::new("https://api.example.com/token?user={identity}", "alice", vec![], false).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_answering_another_identity_is_refused() {
    let body = r#"{"sessionToken":"opaque-token-for-alice","identity":"alice"}"#;
    let (port, conns) = raw_backend(http_json("200 OK", body), true).await;
    let (s, mut rx) = session_with(quick_config(), None);
    let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}"), "bob", vec![], false).unwrap();
    let e = s.start(Arc::new(src)).await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::InvalidToken, Some("identity_mismatch")));
    assert!(!e.message().contains("opaque-token-for-alice"));
    assert_eq!(conns.load(Ordering::SeqCst), 1);
    assert_eq!(states(&mut rx).await, ["starting", "failed"]);
    // The same answer for the identity asked is fine; a JWT sub is not taken for the identity.
    let (port, _) = raw_backend(http_json("200 OK", body), true).await;
    let (s, _rx) = session_with(quick_config(), None);
    let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
    assert_eq!(s.start(Arc::new(src)).await.unwrap().identity.as_deref(), Some("alice"));
    let body = format!(r#"{{"sessionToken":"{}"}}"#, jwt_with(r#"{"sub":"user-123","exp":253402300799}"#));
    let (port, _) = raw_backend(http_json("200 OK", &body), true).await;
    let (s, _rx) = session_with(quick_config(), None);
    let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}"), "bob", vec![], false).unwrap();
    assert_eq!(s.start(Arc::new(src)).await.unwrap().identity.as_deref(), Some("bob"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_answering_another_identity_is_refused() {
    let srv = devserver().await;
    let (port, conns) = raw_backend(http_json("200 OK", r#"{"sessionToken":"t0k3n-value","identity":"mallory"}"#), true).await;
    let (s, _rx) = session_with(quick_config(), None);
    let src = ApiTokenSource::new(&format!("http://127.0.0.1:{port}"), Secret::new(DEFAULT_APP_TOKEN), "bob", vec![], false).unwrap();
    let e = s.start(Arc::new(src)).await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::InvalidToken, Some("identity_mismatch")));
    assert_eq!(conns.load(Ordering::SeqCst), 1);
    drop(srv);
}

// ---- 5. credentials in URLs ----

#[test]
fn url_credentials_are_never_echoed() {
    for raw in [
        "http://user:hunter2pass@[::1",
        "https://user:hunter2pass@host:99999/x",
        "https://user:hunter2pass@exa mple.com/x",
        "http://user:hunter2pass@/x",
        "ht!tp://user:hunter2pass@h/x",
        "https://user:hunter2pass@h:99999/a@b",
    ] {
        let e = parse_url(raw, false).unwrap_err();
        assert!(!e.message().contains("hunter2pass"), "{raw}: {}", e.message());
        assert!(!format!("{e:?}").contains("hunter2pass"));
        let e = BackendSource::new(&format!("{raw}/{{identity}}"), "alice", vec![], false).err().unwrap();
        assert!(!e.to_string().contains("hunter2pass"), "{raw}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_credentials_are_not_in_transport_errors() {
    // Nothing listens on the port: a connection error that names the host only.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let mut cfg = quick_config();
    cfg.retry.start_attempts = 1;
    let (s, _rx) = session_with(cfg, None);
    let src = BackendSource::new(&format!("http://user:hunter2pass@127.0.0.1:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
    let e = s.start(Arc::new(src)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert!(!e.to_string().contains("hunter2pass"));
}

// ---- 6. requests that cannot be sent as asked; 414 ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_value_with_crlf_is_invalid_argument_never_sent() {
    let srv = devserver().await;
    for bad in ["vk_dev\r\nx-injected: 1", "vk\ndev", "vk\0dev"] {
        let e = ApiTokenSource::new(&srv.base_url(), Secret::new(bad), "alice", vec![], false).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(!e.message().contains("vk_dev") && !e.message().contains("x-injected"), "{}", e.message());
        let e = BackendSource::new(
            &format!("{}/token/{{identity}}", srv.base_url()),
            "alice",
            vec![("x-app-auth".into(), Secret::new(bad))],
            false,
        )
        .err()
        .unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    // Through the HTTP layer too (a source that skips the constructor check): never sent.
    let http = videokit_core::http::Http::new(
        Arc::new(ReqwestTransport::new(&HttpConfig::default()).unwrap()),
        Arc::new(videokit_core::clock::ServerTime::new()),
        Arc::new(videokit_core::SystemClock),
        HttpConfig::default(),
    );
    let req = videokit_core::http::HttpRequest::get(url::Url::parse(&format!("{}/token/alice", srv.base_url())).unwrap())
        .bearer(&Secret::new("a\r\nb"));
    let e = http.send(req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(!e.is_transient());
    assert_eq!(srv.controls().request_count("token"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_too_long_to_send_is_invalid_argument_never_sent() {
    let (port, conns) = raw_backend(http_json("200 OK", r#"{"sessionToken":"x"}"#), true).await;
    let long = "a".repeat(70_000);
    let (s, mut rx) = session_with(quick_config(), None);
    let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}?pad={long}"), "alice", vec![], false).unwrap();
    let e = s.start(Arc::new(src)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert_eq!(conns.load(Ordering::SeqCst), 0);
    assert_eq!(states(&mut rx).await, ["starting", "failed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_414_is_http_status_and_not_retried() {
    for read_whole_head in [true, false] {
        let (port, conns) = raw_backend(http_json("414 URI Too Long", ""), read_whole_head).await;
        let (s, mut rx) = session_with(quick_config(), None);
        let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
        let e = s.start(Arc::new(src)).await.unwrap_err();
        assert_eq!((e.kind(), e.status()), (ErrorKind::HttpStatus, Some(414)), "read_whole_head={read_whole_head}: {e}");
        assert_eq!(conns.load(Ordering::SeqCst), 1, "read_whole_head={read_whole_head}");
        assert_eq!(states(&mut rx).await, ["starting", "failed"]);
    }
}

/// From the outside test (issue 11, O6): a token of any size was taken, from a backend (up to
/// the 1 MiB body cap), from the app's provider or as a fixed token: saved in a record the next
/// launch refuses as too large to read, and carried across the FFI in every snapshot. A token
/// over 16 KiB, or scopes over 8 KiB in all, is refused at once (not retried), naming the size
/// and not the value; one at the limit is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_16_kib_or_scopes_over_8_kib_are_refused_at_the_door() {
    use videokit_core::{MAX_SCOPES_BYTES, MAX_TOKEN_BYTES};
    assert_eq!((MAX_TOKEN_BYTES, MAX_SCOPES_BYTES), (16 * 1024, 8 * 1024));
    let at_limit = "t".repeat(MAX_TOKEN_BYTES);
    let over = "t".repeat(MAX_TOKEN_BYTES + 1);
    let scope = "s".repeat(1024);
    let scopes_at_limit = vec![format!("\"{scope}\""); 8].join(",");
    let scopes_over = vec![format!("\"{scope}\""); 9].join(",");
    let backend = |body: String| async move {
        let (port, conns) = raw_backend(http_json("200 OK", &body), true).await;
        let (s, mut rx) = session_with(quick_config(), None);
        let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
        let r = s.start(Arc::new(src)).await;
        (r, conns.load(Ordering::SeqCst), states(&mut rx).await)
    };
    for (body, want) in [
        (format!(r#"{{"sessionToken":"{over}"}}"#), "the token source answered a token of 16385 bytes, over the 16384 a token may have"),
        (
            format!(r#"{{"sessionToken":"tok","scopes":[{scopes_over}]}}"#),
            "the token source answered scopes of 9216 bytes in all, over the 8192 they may have",
        ),
    ] {
        let (r, conns, states) = backend(body).await;
        let e = r.unwrap_err();
        assert_eq!((e.kind(), e.message()), (ErrorKind::MalformedResponse, want));
        assert_eq!(conns, 1, "terminal at start, not retried");
        assert_eq!(states, ["starting", "failed"]);
    }
    for body in [format!(r#"{{"sessionToken":"{at_limit}"}}"#), format!(r#"{{"sessionToken":"tok","scopes":[{scopes_at_limit}]}}"#)] {
        let (r, _, states) = backend(body).await;
        assert!(r.is_ok(), "{:?}", r.err());
        assert_eq!(states, ["starting", "active"]);
    }
    // The app's provider: the same rule, the same kind.
    let (s, _rx) = session_with(quick_config(), None);
    let src = CustomSource::new(Arc::new(OneToken(over.clone(), None)), None).unwrap();
    assert_eq!(s.start(Arc::new(src)).await.unwrap_err().kind(), ErrorKind::MalformedResponse);
    let (s, _rx) = session_with(quick_config(), None);
    let src = CustomSource::new(Arc::new(OneToken(at_limit.clone(), None)), None).unwrap();
    assert_eq!(s.start(Arc::new(src)).await.unwrap().token.expose(), at_limit);
    // A fixed token: refused when it is given, as any other bad argument.
    let e = FixedTokenSource::new(Secret::new(over.clone())).err().unwrap();
    assert_eq!(
        (e.kind(), e.message()),
        (ErrorKind::InvalidArgument, "the session token is 16385 bytes long, over the 16384 a token may have")
    );
    assert!(FixedTokenSource::new(Secret::new(at_limit)).is_ok());
    // Scopes the app asks for: refused before anything is sent (the answer would carry them
    // back, and be blamed on the backend), as is a scope with a control character.
    let api = |scopes: Vec<String>| ApiTokenSource::new("http://127.0.0.1:9/", Secret::new("vk_app"), "alice", scopes, true);
    let e = api(vec![scope.clone(); 9]).err().unwrap();
    assert_eq!((e.kind(), e.message()), (ErrorKind::InvalidArgument, "the scopes are 9216 bytes in all, over the 8192 they may have"));
    assert!(api(vec![scope.clone(); 8]).is_ok());
    assert_eq!(api(vec!["read\nwrite".into()]).err().unwrap().message(), "a scope holds control characters");
}

/// A provider's source whose saved details are as long as asked: a record of any size.
struct BigDetails(CustomSource, usize);

#[async_trait]
impl TokenSource for BigDetails {
    fn info(&self) -> &videokit_core::source::SourceInfo {
        self.0.info()
    }
    async fn fetch(&self, ctx: &videokit_core::source::FetchContext<'_>) -> videokit_core::Result<videokit_core::FetchedToken> {
        self.0.fetch(ctx).await
    }
    fn save_details(&self, _details: &videokit_core::TokenDetails) -> Option<String> {
        Some("d".repeat(self.1))
    }
}

/// With the token capped, a record can still outgrow what a resume reads through its source's
/// details (Kaltura's privileges, escaped twice): such a record is not written, rather than
/// written and then refused as too large at every launch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_a_resume_could_not_read_is_not_saved() {
    use videokit_core::store::{MemoryStore, SessionStore, MAX_RECORD_BYTES};
    let expires = Some(std::time::SystemTime::now() + Duration::from_secs(3600));
    for (details, saved) in [(MAX_RECORD_BYTES - 200, true), (MAX_RECORD_BYTES, false)] {
        let store = Arc::new(MemoryStore::new());
        let deps = SessionDeps { store: store.clone(), ..Default::default() };
        let s = Session::with_deps(quick_config(), deps, tokio::runtime::Handle::current()).unwrap();
        let src = BigDetails(CustomSource::new(Arc::new(OneToken("opaque-token".into(), expires)), Some("alice".into())).unwrap(), details);
        let key = src.info().store_key.clone();
        s.start(Arc::new(src)).await.unwrap();
        let record = store.load(&key).unwrap();
        assert_eq!(record.is_some(), saved, "details of {details} bytes");
        if let Some(r) = record {
            assert!(r.len() <= MAX_RECORD_BYTES, "{}", r.len());
        }
    }
}

/// From the outside test (issue 11, O4): `Retry-After: 99999999999999999999` overflowed the
/// parse and was ignored, so the start retried on its usual backoff a server that asked to be
/// left alone. It reads as the longest wait now, which a start does not wait for: it ends at
/// once, with the server's error, after one request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overflowing_retry_after_ends_a_start_at_once() {
    let body = r#"{"error":"busy"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nretry-after: 99999999999999999999\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (port, conns) = raw_backend(response.into_bytes(), true).await;
    let (s, mut rx) = session_with(quick_config(), None);
    let src = BackendSource::new(&format!("http://127.0.0.1:{port}/token/{{identity}}"), "alice", vec![], false).unwrap();
    let e = s.start(Arc::new(src)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpStatus);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(24 * 3600)));
    assert_eq!(conns.load(Ordering::SeqCst), 1, "not retried (quick_config allows 4 attempts)");
    assert_eq!(states(&mut rx).await, ["starting", "failed"]);
}
