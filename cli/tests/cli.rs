//! The `videokit` binary end to end: exit codes, JSON shapes, the acceptance cases.

use std::process::Command;
use std::time::{Duration, Instant};
use videokit_devserver::{DevServer, DevServerConfig, Fault, FaultKind};

fn videokit(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_videokit")).args(args).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string())
}

fn server() -> DevServer {
    DevServer::start_background(DevServerConfig { port: 0, ..Default::default() }).unwrap()
}

#[test]
fn session_start_with_a_token_url_prints_the_token_active() {
    let srv = server();
    let url = format!("{}/token/{{identity}}", srv.base_url());
    let (code, j, _) = videokit(&["session", "start", "--token-url", &url, "--identity", "alice", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(j["state"], "active");
    assert_eq!(j["identity"], "alice");
    assert_eq!(j["source"], "backend");
    assert_eq!(j["token"].as_str().unwrap().split('.').count(), 3);
    assert!(j["expires_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn a_malformed_backend_answer_exits_1_with_malformed_response_quickly() {
    let srv = server();
    srv.controls().inject(Fault { route: "token".into(), kind: FaultKind::Malformed, count: 1 });
    let url = format!("{}/token/{{identity}}", srv.base_url());
    let t = Instant::now();
    let (code, j, _) = videokit(&["session", "start", "--token-url", &url, "--identity", "alice", "--json"]);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_eq!(code, 1);
    assert_eq!(j["error"]["kind"], "malformed_response");
    assert!(j["error"]["message"].as_str().unwrap().contains("not valid JSON"));
}

#[test]
fn api_token_and_session_token_modes() {
    let srv = server();
    let (code, j, _) = videokit(&["session", "start", "--api-token", "vk_dev_app_token", "--identity", "bob", "--scope", "videos.read", "--gateway", &srv.base_url(), "--json"]);
    assert_eq!((code, j["state"].as_str(), j["source"].as_str()), (0, Some("active"), Some("api_token")));
    let token = j["token"].as_str().unwrap().to_string();
    let (code, j, _) = videokit(&["session", "start", "--session-token", &token, "--json"]);
    assert_eq!((code, j["identity"].as_str(), j["source"].as_str()), (0, Some("bob"), Some("session_token")));
    let (code, j, _) = videokit(&["session", "start", "--api-token", "wrong-token", "--identity", "bob", "--gateway", &srv.base_url(), "--json"]);
    assert_eq!((code, j["error"]["kind"].as_str()), (1, Some("unauthorized")));
    assert!(!j.to_string().contains("wrong-token"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(videokit(&["session", "start", "--json"]).0, 2);
    assert_eq!(videokit(&["session", "start", "--token-url", "x", "--session-token", "y"]).0, 2);
    assert_eq!(videokit(&["session", "start", "--token-url", "http://127.0.0.1:1/t/{identity}"]).0, 2);
    assert_eq!(videokit(&["nope"]).0, 2);
}

#[test]
fn a_request_never_hangs_past_the_timeout() {
    let srv = server();
    srv.controls().inject(Fault { route: "token".into(), kind: FaultKind::Stall, count: 5 });
    let url = format!("{}/token/{{identity}}", srv.base_url());
    let t = Instant::now();
    let (code, j, _) = videokit(&["session", "start", "--token-url", &url, "--identity", "a", "--timeout", "1", "--json"]);
    assert_eq!((code, j["error"]["kind"].as_str()), (1, Some("timeout")));
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}

#[test]
fn insecure_http_is_refused() {
    let (code, j, _) = videokit(&["session", "start", "--token-url", "http://videokit.example/t/{identity}", "--identity", "a", "--json"]);
    assert_eq!((code, j["error"]["kind"].as_str()), (1, Some("insecure_transport")));
}

fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("../../core/tests/data/jwt/videosdk-tokens.json")).unwrap()
}

#[test]
fn token_inspect_checks_videosdk_tokens_and_decodes_ks() {
    for c in vectors()["cases"].as_array().unwrap() {
        let tok = c["token"].as_str().unwrap();
        if tok.is_empty() {
            continue;
        }
        let (code, j, _) = videokit(&["token", "inspect", tok, "--json"]);
        if c["expect"]["valid"] == true {
            assert_eq!(code, 0, "{}", c["name"]);
            assert_eq!(j["checked_claims"], c["expect"]["claims"], "{}", c["name"]);
        } else {
            assert_eq!(code, 1, "{}", c["name"]);
            let kind = j["error"]["kind"].as_str().unwrap();
            assert!(kind == "invalid_token" || kind == "expired", "{}: {kind}", c["name"]);
        }
    }
    let ks: serde_json::Value = serde_json::from_str(include_str!("../../core/tests/data/kaltura/ks.json")).unwrap();
    let v1 = &ks["cases"][0];
    let (code, j, _) = videokit(&["token", "inspect", v1["ks"].as_str().unwrap(), "--json"]);
    // The vector's KS expired at 2026-11-22T10:13:45Z: decoded in full, and judged on the clock.
    let expired = j["seconds_left"].as_i64().unwrap() <= 0;
    assert_eq!(code, if expired { 1 } else { 0 });
    assert_eq!(j["valid"], !expired);
    assert_eq!(j["expiry"], v1["expect"]["expiry"]);
    assert_eq!(j["partner_id"], v1["expect"]["partner_id"]);
    assert_eq!(j["user_id"], v1["expect"]["user_id"]);
    let (code, j, _) = videokit(&["token", "inspect", "not-a-token", "--json"]);
    assert_eq!((code, j["error"]["kind"].as_str()), (1, Some("invalid_token")));
}
