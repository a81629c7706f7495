//! The `videokit-devserver` binary: arguments, the first line it prints, a config file, and
//! odd requests that must get error responses, never a crash.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_videokit-devserver");

/// Kills the child (which this test started) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start the binary with these arguments; its base URL (first line) and the rest it printed
/// at start.
fn start(args: &[&str]) -> (Running, String, Vec<String>) {
    let mut child = Running(Command::new(BIN).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn"));
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base = lines.next().expect("a first line").unwrap();
    let rest: Vec<String> = lines.by_ref().take(5).map(|l| l.unwrap()).collect();
    (child, base, rest)
}

/// A raw HTTP/1.1 exchange (Connection: close); the whole answer as text.
fn raw(base: &str, request: &[u8]) -> String {
    exchange(base, request, false)
}

/// The same, optionally closing our sending side after the request (for requests that are
/// cut short: the server then sees the end of the stream instead of waiting for more).
fn exchange(base: &str, request: &[u8], half_close: bool) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(request);
    if half_close {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get(base: &str, path: &str) -> String {
    raw(base, format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n").as_bytes())
}

#[test]
fn prints_the_base_url_and_app_tokens_then_serves() {
    let (_child, base, rest) = start(&["--port", "0"]);
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(rest[0].starts_with("app tokens: vk_dev_app_token"), "{rest:?}");
    let answer = get(&base, "/token/alice");
    assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.contains("\"sessionToken\":\""), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("\r\ndate: "));
}

#[test]
fn a_config_file_adds_app_tokens_and_sets_the_port() {
    let dir = std::env::temp_dir().join(format!("videokit-devserver-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("devserver.json");
    std::fs::write(&path, r#"{"appTokens": ["vk_from_file"], "tokenLifetimeSecs": 5, "port": 0}"#).unwrap();
    let (_child, base, rest) = start(&["--config", path.to_str().unwrap(), "--port=0"]);
    assert!(rest[0].contains("vk_dev_app_token, vk_from_file"), "{rest:?}");
    let body = r#"{"identity":"a"}"#;
    let req = format!("POST /v1/sessions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer vk_from_file\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
    assert!(raw(&base, req.as_bytes()).starts_with("HTTP/1.1 200"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_arguments_exit_2() {
    for args in [&["--port"][..], &["--port", "x"], &["--port", "70000"], &["--nope"], &["--config", "/nonexistent/devserver.json"]] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage: videokit-devserver"));
    }
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("--config FILE"));
}

fn with_body(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn malformed_requests_get_errors_and_the_server_lives_on() {
    let (_child, base, _) = start(&["--port", "0"]);
    let big = "x".repeat(2 * 1024 * 1024);
    let huge_body = format!("POST /v1/sessions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer vk_dev_app_token\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{big}", big.len());
    let cases: Vec<Vec<u8>> = vec![
        b"garbage\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"\xff\xfe\xfd\r\n\r\n".to_vec(),
        b"GET /token/%ZZ%FF HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
        b"GET /token/\xc3\x28 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
        b"POST /v1/sessions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer \xff\xfe\r\ncontent-length: 3\r\nconnection: close\r\n\r\n{\"i".to_vec(),
        b"POST /v1/sessions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer vk_dev_app_token\r\ncontent-length: 4\r\nconnection: close\r\n\r\n\xff\xfe\xfd\xfc".to_vec(),
        b"POST /v1/sessions HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\nconnection: close\r\n\r\nshort".to_vec(),
        b"POST /v1/sessions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nzz\r\n".to_vec(),
        huge_body.into_bytes(),
        b"POST /api_v3/service/apptoken/action/startSession?format=2 HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 9\r\nconnection: close\r\n\r\n{\"ks\":[1]".to_vec(),
        b"POST /api_v3/service/%FF/action/%00 HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
        b"GET /api_v3/service/apptoken/action/startSession?ks=%FF%FE&id=%00&tokenHash= HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
        b"GET /get-token?roomId=%FF HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
        b"POST /v2/rooms HTTP/1.1\r\nhost: x\r\nauthorization: \xff.\xfe.\xfd\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
        b"GET /v2/rooms/validate/%FF%FE HTTP/1.1\r\nhost: x\r\nauthorization: a.b.c\r\nconnection: close\r\n\r\n".to_vec(),
        b"POST /_control/faults HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 5\r\nconnection: close\r\n\r\n[[[[[".to_vec(),
        b"POST /_control/config HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 30\r\nconnection: close\r\n\r\n{\"clock_offset_secs\": 1e400}  ".to_vec(),
        with_body("/_control/faults", r#"{"kind":"oversize","bytes":99999999999999999999999}"#),
        with_body("/_control/faults", r#"{"kind":"oversize","bytes":999999999999}"#),
        with_body("/_control/config", r#"{"clock_offset_secs": 9223372036854775807}"#),
        b"GET /token/far-future HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
        b"GET /get-token HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
        b"GET /api_v3/service/session/action/startWidgetSession?widgetId=_1851571&expiry=9223372036854775807 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
        with_body("/_control/config", r#"{"clock_offset_secs": -9223372036854775808, "token_lifetime_secs": 18446744073709551615, "videosdk_lifetime_secs": 18446744073709551615}"#),
        b"GET /token/far-past HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
        b"GET /get-token?roomId=r HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
    ];
    for c in &cases {
        let cut_short = c.windows(5).any(|w| w == b"short") || c.windows(4).any(|w| w == b"zz\r\n");
        let answer = exchange(&base, c, cut_short);
        // Every one gets an HTTP answer (hyper answers unparseable requests with 400 itself).
        assert!(answer.starts_with("HTTP/1.1 "), "{:?} -> {answer:?}", String::from_utf8_lossy(&c[..c.len().min(80)]));
        assert!(get(&base, "/token/still-alive").starts_with("HTTP/1.1 200"), "after {:?}", String::from_utf8_lossy(&c[..c.len().min(80)]));
    }
    // The extreme clock offset above must not break the clock: requests still get a Date.
    let answer = get(&base, "/token/after-extreme-offset");
    assert!(answer.starts_with("HTTP/1.1 200") && answer.to_ascii_lowercase().contains("\r\ndate: "), "{answer}");
    let counts = get(&base, "/_control/counts");
    assert!(counts.starts_with("HTTP/1.1 200"), "{counts}");
    // Nothing panicked on the way (a panic in a connection task would print here).
    let mut child = _child;
    let _ = child.0.kill();
    let mut stderr = String::new();
    child.0.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
}
