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
    let (code, j, _) = videokit(&[
        "session",
        "start",
        "--api-token",
        "vk_dev_app_token",
        "--identity",
        "bob",
        "--scope",
        "videos.read",
        "--gateway",
        &srv.base_url(),
        "--json",
    ]);
    assert_eq!((code, j["state"].as_str(), j["source"].as_str()), (0, Some("active"), Some("api_token")));
    let token = j["token"].as_str().unwrap().to_string();
    let (code, j, _) = videokit(&["session", "start", "--session-token", &token, "--json"]);
    assert_eq!((code, j["identity"].as_str(), j["source"].as_str()), (0, Some("bob"), Some("session_token")));
    let (code, j, _) =
        videokit(&["session", "start", "--api-token", "wrong-token", "--identity", "bob", "--gateway", &srv.base_url(), "--json"]);
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

fn kaltura_server() -> DevServer {
    let mut cfg = DevServerConfig { port: 0, ..Default::default() };
    for (i, h) in ["MD5", "SHA1", "SHA512"].iter().enumerate() {
        cfg.kaltura.app_tokens.push(videokit_devserver::KalturaAppToken {
            id: format!("0_hash{i}"),
            token: format!("token-for-{h}"),
            partner_id: 1851571,
            hash_type: h.to_string(),
            status: 2,
            session_duration: 7200,
            expiry: None,
            session_user_id: None,
            session_type: None,
            session_privileges: None,
        });
    }
    DevServer::start_background(cfg).unwrap()
}

#[test]
fn kaltura_session_for_each_hash_type_and_a_wrong_token() {
    let srv = kaltura_server();
    let base = srv.base_url();
    let cases = [
        ("SHA256", "0_xeu31jy5", "c9883312395bf5ed4fd5c9a5d86c985c"),
        ("MD5", "0_hash0", "token-for-MD5"),
        ("SHA1", "0_hash1", "token-for-SHA1"),
        ("SHA512", "0_hash2", "token-for-SHA512"),
    ];
    for (hash, id, token) in cases {
        let (code, j, err) = videokit(&[
            "kaltura",
            "session",
            "--service-url",
            &base,
            "--partner-id",
            "1851571",
            "--app-token-id",
            id,
            "--app-token",
            token,
            "--hash-type",
            hash,
            "--user-id",
            "u1",
            "--json",
        ]);
        assert_eq!(code, 0, "{hash}: {err}");
        assert!(j["token"].as_str().unwrap().starts_with("djJ8"), "{hash}: a v2 KS");
        assert_eq!((j["state"].as_str(), j["source"].as_str(), j["identity"].as_str()), (Some("active"), Some("kaltura"), Some("u1")));
        assert_eq!(
            (j["partner_id"].as_i64(), j["user_id"].as_str(), j["session_type"].as_str()),
            (Some(1851571), Some("u1"), Some("user")),
            "{hash}"
        );
        assert_eq!(j["privileges"], format!("sessionid:{id},apptoken:{id}"));
    }
    // Each cold start: one widget session and one appToken.startSession.
    assert_eq!(srv.controls().request_count("kaltura.startWidgetSession"), 4);
    assert_eq!(srv.controls().request_count("kaltura.appToken.startSession"), 4);
    let (code, j, _) = videokit(&[
        "kaltura",
        "session",
        "--service-url",
        &base,
        "--partner-id",
        "1851571",
        "--app-token-id",
        "0_xeu31jy5",
        "--app-token",
        "wrong-wrong-wrong-wrong",
        "--json",
    ]);
    assert_eq!(code, 1);
    assert_eq!((j["error"]["kind"].as_str(), j["error"]["code"].as_str()), (Some("rejected"), Some("INVALID_APP_TOKEN_HASH")));
    assert!(!j["error"]["message"].as_str().unwrap().contains("djJ8"), "no KS in the message");
    let (code, j, _) = videokit(&[
        "kaltura",
        "session",
        "--service-url",
        &base,
        "--partner-id",
        "1851571",
        "--app-token-id",
        "0_missing",
        "--app-token",
        "x",
        "--json",
    ]);
    assert_eq!((code, j["error"]["code"].as_str()), (1, Some("APP_TOKEN_ID_NOT_FOUND")));
}

#[test]
fn videosdk_token_prints_exact_claims_and_600s_expiry() {
    let srv = server();
    let url = format!("{}/get-token", srv.base_url());
    let (code, j, err) = videokit(&["videosdk", "token", "--url", &url, "--room-id", "r-1", "--participant-id", "p-1", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(j["state"], "active");
    let c = &j["claims"];
    assert_eq!(c["permissions"], serde_json::json!(["allow_join", "allow_mod"]));
    assert_eq!((c["version"].as_i64(), c["roomId"].as_str(), c["participantId"].as_str()), (Some(2), Some("r-1"), Some("p-1")));
    assert_eq!(c["roles"], serde_json::json!(["rtc"]));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 600);
    // sign → inspect round trip, and the meeting API judges signatures.
    let tok = Command::new(env!("CARGO_BIN_EXE_videokit"))
        .args(["videosdk", "sign", "--api-key", "k", "--secret", "s", "--permission", "allow_mod", "--room-id", "r"])
        .output()
        .unwrap();
    let tok = String::from_utf8(tok.stdout).unwrap();
    let (code, j, _) = videokit(&["token", "inspect", tok.trim(), "--json"]);
    assert_eq!(
        (code, j["checked_claims"]["permissions"][0].as_str(), j["checked_claims"]["version"].as_i64()),
        (0, Some("allow_mod"), Some(2))
    );
}

fn jwt_with(header: &str, claims: &str) -> String {
    use base64::Engine as _;
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.{}", e(header), e(claims), e("signature"))
}

/// Issue 12, item 2: no timestamp panics the CLI (exit 101 before); out of range is
/// invalid_token, exit 1.
#[test]
fn timestamps_at_or_after_year_10000_exit_1_never_101() {
    for claims in [
        r#"{"exp":253402300800}"#,
        r#"{"iat":253402300800}"#,
        r#"{"nbf":253402300800}"#,
        r#"{"exp":-9223372036854775808}"#,
        r#"{"exp":9223372036854775807}"#,
    ] {
        let t = jwt_with(r#"{"alg":"HS256"}"#, claims);
        let (code, j, err) = videokit(&["token", "inspect", &t, "--json"]);
        assert_eq!(
            (code, j["valid"].as_bool(), j["error"]["kind"].as_str(), j["error"]["code"].as_str()),
            (1, Some(false), Some("invalid_token"), Some("invalid_claim")),
            "{claims} {err}"
        );
        let (code, _, err) = videokit(&["token", "inspect", &t]);
        assert_eq!(code, 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
        let (code, j, _) = videokit(&["session", "start", "--session-token", &t, "--json"]);
        assert_eq!((code, j["error"]["kind"].as_str()), (1, Some("invalid_token")), "{claims}");
        let vs = jwt_with(r#"{"alg":"HS256"}"#, &claims.replace('{', r#"{"apikey":"k","permissions":["allow_join"],"#));
        let (code, j, _) = videokit(&["token", "inspect", &vs, "--json"]);
        assert_eq!((code, j["error"]["kind"].as_str()), (1, Some("invalid_token")), "{vs}");
    }
}

/// Issue 12, item 7: a generic JWT with alg none / NONE / missing / numeric, or a malformed
/// time claim, is not `valid: true`.
#[test]
fn token_inspect_flags_unsecured_jwts_and_malformed_times() {
    for (h, c, code_want) in [
        (r#"{"alg":"none"}"#, r#"{"sub":"a"}"#, "unsupported_algorithm"),
        (r#"{"alg":"NONE"}"#, r#"{"sub":"a"}"#, "unsupported_algorithm"),
        (r#"{"typ":"JWT"}"#, r#"{"sub":"a"}"#, "unsupported_algorithm"),
        (r#"{"alg":256}"#, r#"{"sub":"a"}"#, "unsupported_algorithm"),
        (r#"{"alg":"HS256"}"#, r#"{"sub":"a","exp":"tomorrow"}"#, "invalid_claim"),
        (r#"{"alg":"HS256"}"#, r#"{"sub":"a","exp":null}"#, "invalid_claim"),
        (r#"{"alg":"HS256"}"#, r#"{"sub":"a","nbf":[1]}"#, "invalid_claim"),
    ] {
        let (code, j, _) = videokit(&["token", "inspect", &jwt_with(h, c), "--json"]);
        assert_eq!(
            (code, j["valid"].as_bool(), j["error"]["kind"].as_str(), j["error"]["code"].as_str()),
            (1, Some(false), Some("invalid_token"), Some(code_want)),
            "{h} {c}"
        );
    }
    let (code, j, _) = videokit(&["token", "inspect", &jwt_with(r#"{"alg":"RS256"}"#, r#"{"sub":"a"}"#), "--json"]);
    assert_eq!((code, j["valid"].as_bool()), (0, Some(true)));
}

/// Runs the CLI with `env` added and `stdin` fed.
fn videokit_with(args: &[&str], env: &[(&str, &str)], stdin: &str) -> (i32, serde_json::Value, String, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_videokit"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env_remove("VIDEOKIT_LOG").env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, stdout, String::from_utf8_lossy(&out.stderr).to_string())
}

/// Issue 12, item 4: `videosdk sign` refuses what would be unusable, exit 2 (JSON under --json).
#[test]
fn videosdk_sign_refuses_unusable_tokens() {
    let base = ["videosdk", "sign", "--api-key", "k", "--secret", "s"];
    for extra in [
        &["--expires-in", "0"][..],
        &["--expires-in", "18446744073709551615"],
        &["--expires-in", "1000000000000"],
        &["--expires-in", "315360001"],
        &["--room-id", ""],
        &["--participant-id", ""],
    ] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let (code, _, out, err) = videokit_with(&args, &[], "");
        assert_eq!((code, out.as_str()), (2, ""), "{extra:?}: {err}");
        let mut args = args.clone();
        args.push("--json");
        let (code, j, _, _) = videokit_with(&args, &[], "");
        assert_eq!((code, j["error"]["kind"].as_str()), (2, Some("usage")), "{extra:?}");
    }
    for args in [
        &["videosdk", "sign", "--api-key", "", "--secret", "s"][..],
        &["videosdk", "sign", "--api-key", "k", "--secret", ""],
        &["videosdk", "sign", "--api-key", "  ", "--secret", "s"],
    ] {
        assert_eq!(videokit_with(args, &[], "").0, 2, "{args:?}");
    }
    // The longest lifetime signs, and inspects as valid.
    let (code, j, _, err) =
        videokit_with(&["videosdk", "sign", "--api-key", "k", "--secret", "s", "--expires-in", "315360000", "--json"], &[], "");
    assert_eq!(code, 0, "{err}");
    assert_eq!(j["claims"]["exp"].as_i64().unwrap() - j["claims"]["iat"].as_i64().unwrap(), 315_360_000);
    let (code, i, _) = videokit(&["token", "inspect", j["token"].as_str().unwrap(), "--json"]);
    assert_eq!((code, i["valid"].as_bool()), (0, Some(true)));
}

/// Issue 12, item 11: every secret can come from the environment or stdin (not `ps`).
#[test]
fn secrets_come_from_the_environment_or_stdin() {
    let srv = server();
    let (code, j, _, err) = videokit_with(&["videosdk", "sign", "--api-key", "k", "--json"], &[("VIDEOSDK_SECRET", "s3cr3t")], "");
    assert_eq!(code, 0, "{err}");
    let from_env = j["token"].as_str().unwrap().to_string();
    let (code, j, _, _) = videokit_with(&["videosdk", "sign", "--api-key", "k", "--secret", "-", "--json"], &[], "s3cr3t\n");
    assert_eq!(code, 0);
    // Same key: the signatures agree whenever both were made in the same second.
    assert_eq!(j["token"].as_str().unwrap().split('.').count(), 3);
    assert_eq!(from_env.split('.').count(), 3);
    let (code, j, _, err) = videokit_with(
        &["session", "start", "--api-token-env", "--identity", "ann", "--gateway", &srv.base_url(), "--json"],
        &[("VIDEOKIT_API_TOKEN", "vk_dev_app_token")],
        "",
    );
    assert_eq!((code, j["state"].as_str(), j["identity"].as_str()), (0, Some("active"), Some("ann")), "{err}");
    let token = j["token"].as_str().unwrap().to_string();
    let (code, j, _, _) = videokit_with(
        &["session", "start", "--api-token", "-", "--identity", "ann", "--gateway", &srv.base_url(), "--json"],
        &[],
        "vk_dev_app_token\n",
    );
    assert_eq!((code, j["state"].as_str()), (0, Some("active")));
    let (code, j, _, _) = videokit_with(&["session", "start", "--session-token-env", "--json"], &[("VIDEOKIT_SESSION_TOKEN", &token)], "");
    assert_eq!((code, j["source"].as_str()), (0, Some("session_token")));
    let (code, j, _, _) = videokit_with(&["session", "start", "--session-token", "-", "--json"], &[], &format!("{token}\n"));
    assert_eq!((code, j["identity"].as_str()), (0, Some("ann")));
    let (code, j, _, _) = videokit_with(&["token", "inspect", "-", "--json"], &[], &format!("{token}\n"));
    assert_eq!((code, j["valid"].as_bool()), (0, Some(true)));
    let (code, j, _, _) = videokit_with(&["session", "start", "--api-token-env", "--identity", "ann", "--json"], &[], "");
    assert_eq!((code, j["error"]["kind"].as_str()), (2, Some("usage")));
    let base = srv.base_url();
    let (code, j, _, err) = videokit_with(
        &["kaltura", "session", "--service-url", &base, "--partner-id", "1851571", "--app-token-id", "0_xeu31jy5", "--json"],
        &[("KALTURA_APP_TOKEN", "c9883312395bf5ed4fd5c9a5d86c985c")],
        "",
    );
    assert_eq!((code, j["state"].as_str()), (0, Some("active")), "{err}");
    // A service URL ending in /api_v3 works too.
    let (code, j, _, err) = videokit_with(
        &[
            "kaltura",
            "session",
            "--service-url",
            &format!("{base}/api_v3"),
            "--partner-id",
            "1851571",
            "--app-token-id",
            "0_xeu31jy5",
            "--app-token",
            "-",
            "--json",
        ],
        &[],
        "c9883312395bf5ed4fd5c9a5d86c985c\n",
    );
    assert_eq!((code, j["source"].as_str()), (0, Some("kaltura")), "{err}");
}

/// Issue 12, item 11: under --json, usage errors are JSON on stdout too, exit 2.
#[test]
fn usage_errors_are_json_under_json() {
    for args in [
        &["session", "start", "--json"][..],
        &["session", "start", "--json", "--token-url", "x", "--session-token", "y"],
        &["session", "start", "--json", "--token-url", "http://127.0.0.1:1/t/{identity}"],
        &["kaltura", "session", "--json", "--partner-id", "not-a-number", "--app-token-id", "a", "--app-token", "b"],
        &["kaltura", "session", "--json", "--partner-id", "1", "--app-token-id", "a", "--app-token", "b", "--hash-type", "SHA3"],
        &["kaltura", "session", "--json", "--partner-id", "1", "--app-token-id", "a", "--app-token", "b", "--type", "root"],
        &["videosdk", "sign", "--json", "--api-key", "k", "--secret", "s", "--permission", "nope"],
        &["videosdk", "token", "--json"],
        &["token", "inspect", "--json"],
        &["demo", "--json", "--lifetime", "soon"],
        // Outside test (issue 11): 0 and 1 became 2 s without a word; a lifetime of hours made
        // the demo wait two of them for its renewals.
        &["demo", "--json", "--lifetime", "0"],
        &["demo", "--json", "--lifetime", "1"],
        &["demo", "--json", "--lifetime", "301"],
    ] {
        let (code, j, out, err) = videokit_with(args, &[], "");
        assert_eq!((code, j["error"]["kind"].as_str()), (2, Some("usage")), "{args:?}: {out} {err}");
        assert!(!j["error"]["message"].as_str().unwrap().is_empty());
    }
}

/// Issue 12, item 11: one logging variable; a bad value is warned about, RUST_LOG is said
/// not to be read.
#[test]
fn a_bad_videokit_log_value_is_warned_about() {
    let (code, _, _, err) = videokit_with(&["token", "inspect", "not-a-token"], &[("VIDEOKIT_LOG", "loud")], "");
    assert_eq!(code, 1);
    assert!(err.contains("ignoring VIDEOKIT_LOG=\"loud\""), "{err}");
    let (_, _, _, err) = videokit_with(&["token", "inspect", "not-a-token"], &[("RUST_LOG", "debug")], "");
    assert!(err.contains("RUST_LOG is not read"), "{err}");
    let (_, _, _, err) = videokit_with(&["token", "inspect", "not-a-token"], &[("VIDEOKIT_LOG", "debug")], "");
    assert!(!err.contains("warning"), "{err}");
}

fn subcommands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["demo"],
        vec!["serve"],
        vec!["session", "start"],
        vec!["token", "inspect"],
        vec!["kaltura", "session"],
        vec!["videosdk", "token"],
        vec!["videosdk", "sign"],
    ]
}

/// Issue 12, item 11: every flag of every subcommand has help text, and the README shows
/// every subcommand.
#[test]
fn every_flag_has_help_and_every_subcommand_is_in_the_readme() {
    let readme = include_str!("../../README.md");
    for sub in subcommands() {
        let mut args = sub.clone();
        args.push("--help");
        let (code, _, out, _) = videokit_with(&args, &[], "");
        assert_eq!(code, 0);
        let lines: Vec<&str> = out.lines().collect();
        let mut in_options = false;
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("Options:") || line.starts_with("Arguments:") {
                in_options = true;
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            let spec = line.trim_start();
            if !in_options || indent == 0 || indent > 6 || !(spec.starts_with('-') || spec.starts_with('<')) {
                continue;
            }
            // Help on the same line after two spaces, or on the next, more indented, line.
            let same = spec.split_once("  ").map(|(_, h)| h.trim()).unwrap_or("");
            let next = lines.get(i + 1).filter(|n| n.len() - n.trim_start().len() > 6).map(|n| n.trim()).unwrap_or("");
            let help = if same.is_empty() { next } else { same };
            assert!(!help.is_empty() && !help.starts_with('['), "{sub:?}: no help for `{spec}`");
        }
        assert!(readme.contains(&format!("videokit {}", sub.join(" "))), "README lacks `videokit {}`", sub.join(" "));
    }
}

/// Issue 12, item 11: the JSON of every command that makes a session has the same fields.
#[test]
fn session_json_has_one_shape() {
    let srv = server();
    let base = srv.base_url();
    let outs = [
        videokit(&["session", "start", "--token-url", &format!("{base}/token/{{identity}}"), "--identity", "al", "--json"]).1,
        videokit(&[
            "kaltura",
            "session",
            "--service-url",
            &base,
            "--partner-id",
            "1851571",
            "--app-token-id",
            "0_xeu31jy5",
            "--app-token",
            "c9883312395bf5ed4fd5c9a5d86c985c",
            "--json",
        ])
        .1,
        videokit(&["videosdk", "token", "--url", &format!("{base}/get-token"), "--json"]).1,
    ];
    for (o, source) in outs.iter().zip(["backend", "kaltura", "videosdk"]) {
        for k in ["state", "identity", "token", "expires_at", "source"] {
            assert!(o.get(k).is_some(), "{source}: no {k} in {o}");
        }
        assert_eq!((o["state"].as_str(), o["source"].as_str()), (Some("active"), Some(source)));
    }
}

/// Issue 12, item 11: what devserver/README.md says `serve` prints: the base URL on the first
/// line, the app tokens on the second.
#[test]
fn serve_prints_the_base_url_first_then_the_app_tokens() {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_videokit"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.starts_with("http://127.0.0.1:") && first["http://127.0.0.1:".len()..].parse::<u16>().is_ok(), "{first}");
    assert_eq!(second, "app tokens: vk_dev_app_token");
}

/// `demo --json` prints one JSON summary.
#[test]
fn demo_json_prints_one_summary() {
    let (code, j, out, err) = videokit_with(&["demo", "--json", "--lifetime", "2"], &[], "");
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out.trim().lines().count(), 1);
    assert_eq!(j["failed"], 0);
    assert!(j["passed"].as_u64().unwrap() > 5);
}

/// `serve` refuses a configuration that would issue unusable tokens (issue 12, item 10).
#[test]
fn serve_refuses_a_zero_lifetime() {
    let (code, j, _, _) = videokit_with(&["serve", "--port", "0", "--token-lifetime", "0", "--json"], &[], "");
    assert_eq!((code, j["error"]["kind"].as_str()), (2, Some("usage")));
}

/// `videokit demo | head -1` and any command whose stdout reader has gone: the CLI ends
/// quietly with 141 (128 + SIGPIPE, what a Unix tool killed by SIGPIPE reports), never with
/// a panic (it used to panic, "failed printing to stdout: Broken pipe", exit 101).
#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    use std::io::BufRead;
    use std::process::Stdio;
    let spawn = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_videokit")).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    };
    let finish = |child: std::process::Child, what: &str| {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        for bad in ["panicked", "Broken pipe", "failed printing"] {
            assert!(!stderr.contains(bad), "{what}: {stderr}");
        }
        assert_eq!(out.status.code(), Some(141), "{what}: {stderr}");
    };

    // `| head -1`: the first line is read, then the reader goes away while the demo runs
    // (it writes again within a second or two).
    let mut child = spawn(&["demo", "--lifetime", "2"]);
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("VideoKit demo: local backend at http://127.0.0.1:"), "{first}");
    let t0 = Instant::now();
    finish(child, "demo | head -1");
    assert!(t0.elapsed() < Duration::from_secs(20));

    // Lots of output (about 100 KB, more than a pipe holds) to a reader that has gone: a
    // 15 KB token whose claims print one array element a line.
    let claims = format!(r#"{{"sub":"a","exp":4102444800,"pad":[{}]}}"#, vec!["0"; 5800].join(","));
    let jwt = jwt_with(r#"{"alg":"HS256","typ":"JWT"}"#, &claims);
    let mut child = spawn(&["token", "inspect", &jwt]);
    drop(child.stdout.take());
    finish(child, "token inspect (100 KB of output)");
}
