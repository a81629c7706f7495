//! Vendor-made Kaltura vectors (`data/kaltura/`): KS strings from the official Python client,
//! token hashes from hashlib, and API v3 bodies and errors as the server writes them.

use serde_json::Value;
use videokit_core::kaltura_protocol::{
    decode_ks, is_retryable_widget_error, parse_session_info, parse_widget_session, token_hash, HashType, KsInfo,
};
use videokit_core::ErrorKind;

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("vector file is JSON")
}

fn ks_cases() -> Vec<Value> {
    json(include_str!("data/kaltura/ks.json"))["cases"].as_array().unwrap().clone()
}

#[test]
fn every_ks_vector_decodes_exactly() {
    let cases = ks_cases();
    assert_eq!(cases.len(), 10);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let ks = c["ks"].as_str().unwrap();
        let expect = &c["expect"];
        if let Some(err) = expect["error"].as_str() {
            assert_eq!(err, "malformed");
            let e = decode_ks(ks).expect_err(name);
            assert_eq!(e.kind(), ErrorKind::InvalidToken, "{name}");
            assert_eq!(e.code(), Some("malformed"), "{name}");
            if ks.len() >= 4 {
                assert!(!format!("{e} {e:?}").contains(ks), "{name}");
            }
            continue;
        }
        let info = decode_ks(ks).unwrap_or_else(|e| panic!("{name}: {e}"));
        let version = expect["version"].as_u64().unwrap() as u8;
        let want = if version == 1 {
            KsInfo {
                version,
                partner_id: expect["partner_id"].as_i64().unwrap(),
                expiry: Some(expect["expiry"].as_i64().unwrap()),
                session_type: Some(expect["type"].as_i64().unwrap() as i32),
                user_id: Some(expect["user_id"].as_str().unwrap().to_string()),
                privileges: Some(expect["privileges"].as_str().unwrap().to_string()),
            }
        } else {
            KsInfo {
                version,
                partner_id: expect["partner_id"].as_i64().unwrap(),
                expiry: None,
                session_type: None,
                user_id: None,
                privileges: None,
            }
        };
        assert_eq!(info, want, "{name}");
    }
}

#[test]
fn ks_vectors_decode_in_every_base64_flavour() {
    // v1 is standard base64 and v2 URL-safe in the vectors; accept either alphabet, with or
    // without padding, and surrounding whitespace.
    for c in ks_cases() {
        let Some(ks) = c["ks"].as_str().filter(|_| c["expect"]["error"].is_null()) else { continue };
        let want = decode_ks(ks).unwrap();
        let url = ks.replace('+', "-").replace('/', "_");
        let std = ks.replace('-', "+").replace('_', "/");
        for variant in
            [url.clone(), std.clone(), url.trim_end_matches('=').to_string(), std.trim_end_matches('=').to_string(), format!(" {ks}\n")]
        {
            assert_eq!(decode_ks(&variant).unwrap(), want, "{}", c["name"]);
        }
    }
}

#[test]
fn every_token_hash_vector() {
    let v = json(include_str!("data/kaltura/token-hash.json"));
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    let mut seen = Vec::new();
    for c in cases {
        let hash: HashType = c["hash_type"].as_str().unwrap().parse().unwrap();
        assert_eq!(hash.as_str(), c["hash_type"].as_str().unwrap());
        let got = token_hash(hash, c["widget_ks"].as_str().unwrap(), c["app_token"].as_str().unwrap());
        assert_eq!(got, c["token_hash"].as_str().unwrap(), "{hash}");
        seen.push(hash);
    }
    assert_eq!(seen, HashType::ALL);
}

#[test]
fn hash_type_names_match_the_server_rules() {
    let v = json(include_str!("data/kaltura/api-responses.json"));
    let names: Vec<&str> = v["rules"]["app_token_hash_types"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    let ours: Vec<&str> = HashType::ALL.iter().map(|h| h.as_str()).collect();
    assert_eq!(names, ours);
    assert_eq!(HashType::default(), HashType::Sha256);
}

fn api() -> Value {
    json(include_str!("data/kaltura/api-responses.json"))
}

/// The vector's body with its KS in full. The vector elides it ("djJ8MTg1MTU3MXx..."), and the
/// SDK refuses a `ks` that is not a KS; the widget KS of the token-hash vectors, of the same
/// partner, takes its place.
fn with_whole_ks(name: &str) -> (Vec<u8>, String) {
    let ks = json(include_str!("data/kaltura/token-hash.json"))["cases"][0]["widget_ks"].as_str().unwrap().to_string();
    let mut v = api()[name].clone();
    assert_eq!(v["ks"], "djJ8MTg1MTU3MXx...");
    v["ks"] = Value::String(ks.clone());
    (serde_json::to_vec(&v).unwrap(), ks)
}

#[test]
fn start_widget_session_body() {
    let (body, ks) = with_whole_ks("start_widget_session");
    let w = parse_widget_session(&body, &[]).unwrap();
    assert_eq!(w.ks.expose(), ks);
    assert_eq!(w.partner_id, 1851571);
    assert_eq!(w.user_id, "0");
    assert!(!format!("{w:?}").contains("djJ8"), "Debug must not show the KS");
}

#[test]
fn app_token_start_session_body() {
    let (body, ks) = with_whole_ks("app_token_start_session");
    let s = parse_session_info(&body, &[]).unwrap();
    assert_eq!(s.ks.expose(), ks);
    assert_eq!(s.session_type, 0);
    assert_eq!(s.partner_id, 1851571, "partnerId arrives as a string");
    assert_eq!(s.user_id, "user@example.com");
    assert_eq!(s.expiry, 1763337600);
    assert_eq!(s.privileges, "sessionid:0_xeu31jy5,apptoken:0_xeu31jy5");
    assert!(!format!("{s:?}").contains("djJ8"));

    // The same body with partnerId as a number, userId "" and expiry as a string.
    let mut v = api()["app_token_start_session"].clone();
    v["ks"] = ks.into();
    v["partnerId"] = 1851571.into();
    v["userId"] = "".into();
    v["expiry"] = "1763337600".into();
    let s2 = parse_session_info(&serde_json::to_vec(&v).unwrap(), &[]).unwrap();
    assert_eq!((s2.partner_id, s2.user_id.as_str(), s2.expiry), (1851571, "", 1763337600));
}

#[test]
fn every_api_error_is_rejected_with_its_code_and_no_ks() {
    let errors = api()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 8);
    for err in errors {
        let code = err["code"].as_str().unwrap();
        let body = serde_json::to_vec(&err).unwrap();
        for (step, e) in [("widget", parse_widget_session(&body, &[]).unwrap_err()), ("start", parse_session_info(&body, &[]).unwrap_err())]
        {
            assert_eq!(e.kind(), ErrorKind::Rejected, "{code} {step}");
            assert_eq!(e.code(), Some(code), "{code} {step}");
            assert!(!e.is_transient());
            assert_eq!(is_retryable_widget_error(&e), code == "INVALID_KS", "{code}");
            let shown = format!("{e} {e:?}");
            if code == "INVALID_KS" {
                // The server echoes the KS it refused ("bad") in quotes: it must be gone, even
                // though the caller did not pass it as a secret.
                assert!(!shown.contains("\"bad\""), "{shown}");
                assert!(shown.contains("Invalid KS"), "{shown}");
            } else {
                // Other messages pass through (scrubbed) so the user sees the server's words.
                let msg = err["message"].as_str().unwrap();
                assert!(e.message().contains(msg), "{code}: {}", e.message());
            }
        }
    }
}

#[test]
fn invalid_ks_with_a_real_ks_and_known_secrets() {
    let real_ks = json(include_str!("data/kaltura/ks.json"))["cases"][1]["ks"].as_str().unwrap().to_string();
    let app_token = "c9883312395bf5ed4fd5c9a5d86c985c";
    let mut err = api()["errors"].as_array().unwrap().iter().find(|e| e["code"] == "INVALID_KS").unwrap().clone();
    err["message"] = format!("Invalid KS \"{real_ks}\", Error \"-1,INVALID_STR\" for {app_token}").into();
    err["args"]["KSID"] = real_ks.clone().into();
    let body = serde_json::to_vec(&err).unwrap();
    // Not told about the KS: it is still stripped.
    let e = parse_session_info(&body, &[app_token]).unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(&real_ks) && !shown.contains(&real_ks[..12]), "{shown}");
    assert!(!shown.contains(app_token), "{shown}");
    assert!(is_retryable_widget_error(&e));
    // The KS in an unquoted position is stripped too.
    err["message"] = format!("session {real_ks} refused").into();
    let e = parse_widget_session(&serde_json::to_vec(&err).unwrap(), &[]).unwrap_err();
    assert!(!e.message().contains(&real_ks[..12]), "{}", e.message());
}

#[test]
fn rules_agree_with_the_types() {
    let v = api();
    assert_eq!(v["rules"]["session_type"]["USER"], 0);
    assert_eq!(v["rules"]["session_type"]["ADMIN"], 2);
    // KS vectors carry those session types.
    let types: Vec<Option<i32>> =
        ks_cases().iter().filter_map(|c| c["ks"].as_str()).filter_map(|k| decode_ks(k).ok()).map(|i| i.session_type).collect();
    assert!(types.contains(&Some(0)) && types.contains(&Some(2)));
}

#[test]
fn no_panic_on_arbitrary_input() {
    // A small deterministic fuzz over truncations and byte flips of every vector.
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for c in ks_cases() {
        inputs.push(c["ks"].as_str().unwrap().as_bytes().to_vec());
    }
    let v = api();
    inputs.push(serde_json::to_vec(&v["start_widget_session"]).unwrap());
    inputs.push(serde_json::to_vec(&v["app_token_start_session"]).unwrap());
    for e in v["errors"].as_array().unwrap() {
        inputs.push(serde_json::to_vec(e).unwrap());
    }
    let mut seed: u32 = 12345;
    for base in &inputs {
        for cut in 0..=base.len() {
            let part = &base[..cut];
            let _ = parse_widget_session(part, &[]);
            let _ = parse_session_info(part, &[]);
            let _ = decode_ks(&String::from_utf8_lossy(part));
        }
        for _ in 0..200 {
            let mut m = base.clone();
            if m.is_empty() {
                break;
            }
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let i = (seed as usize >> 8) % m.len();
            m[i] = (seed >> 3) as u8;
            let _ = parse_widget_session(&m, &["secret-1"]);
            let _ = parse_session_info(&m, &["secret-1"]);
            let _ = decode_ks(&String::from_utf8_lossy(&m));
        }
    }
}
