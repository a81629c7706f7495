//! The Kaltura and VideoSDK sources through the engine, on a paused clock with a scripted
//! transport: exact requests, request counts (cold start 2, renewal 1), error mapping,
//! renewal timing. (Against a real server: core/tests/devserver_vendors.rs.)

use async_trait::async_trait;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use videokit_core::http::{HttpRequest, HttpResponse, Transport};
use videokit_core::kaltura_protocol::{token_hash, HashType};
use videokit_core::sources::kaltura::{KalturaConfig, KalturaSessionType, KalturaSource};
use videokit_core::sources::videosdk::VideoSdkSource;
use videokit_core::{Clock, ErrorKind, FakeClock, Secret, Session, SessionConfig, SessionDeps, SessionState, TokenDetails};

const T0: u64 = 1_795_305_600; // 2026-11-22T00:00:00Z
const APP_TOKEN: &str = "c9883312395bf5ed4fd5c9a5d86c985c";

type Handler = dyn Fn(&str, &std::collections::HashMap<String, String>, i64) -> (u16, String) + Send + Sync;

struct Fake {
    clock: Arc<FakeClock>,
    log: Mutex<Vec<(String, std::collections::HashMap<String, String>)>>,
    n: AtomicUsize,
    handler: Box<Handler>,
}

#[async_trait]
impl Transport for Fake {
    async fn send(&self, req: HttpRequest, _max: usize) -> Result<HttpResponse, videokit_core::Error> {
        self.n.fetch_add(1, Ordering::SeqCst);
        let mut params: std::collections::HashMap<String, String> =
            req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if let Some(b) = &req.body {
            for (k, v) in url::form_urlencoded::parse(b) {
                params.insert(k.into_owned(), v.into_owned());
            }
        }
        let now = videokit_core::clock::unix_secs(self.clock.wall());
        let path = req.url.path().to_string();
        let (status, body) = (self.handler)(&path, &params, now);
        self.log.lock().unwrap().push((path, params));
        Ok(HttpResponse {
            status,
            headers: vec![("date".into(), httpdate::fmt_http_date(self.clock.wall())), ("content-type".into(), "application/json".into())],
            body: body.into_bytes(),
        })
    }
}

fn rig(
    handler: impl Fn(&str, &std::collections::HashMap<String, String>, i64) -> (u16, String) + Send + Sync + 'static,
) -> (Session, Arc<Fake>) {
    let clock = Arc::new(FakeClock::at_unix(T0));
    let fake = Arc::new(Fake { clock: clock.clone(), log: Mutex::new(vec![]), n: AtomicUsize::new(0), handler: Box::new(handler) });
    let mut cfg = SessionConfig::default();
    cfg.retry.jitter = videokit_core::Jitter::None;
    let deps = SessionDeps {
        clock,
        transport: Some(fake.clone()),
        store: Arc::new(videokit_core::MemoryStore::new()),
        jitter_seed: Some(1),
        hook: None,
        store_queue: None,
    };
    (Session::with_deps(cfg, deps, tokio::runtime::Handle::current()).unwrap(), fake)
}

fn kaltura_cfg() -> KalturaConfig {
    let mut c = KalturaConfig::new(1851571, "0_xeu31jy5", Secret::new(APP_TOKEN));
    c.service_url = "https://kaltura.example".into();
    c.user_id = Some("user@example.com".into());
    c.session_type = Some(KalturaSessionType::User);
    c.expiry = Some(3600);
    c.privileges = Some("sview:*".into());
    c
}

/// A v2 KS of partner 1851571 whose encrypted part is `label`, filled out to the 48 bytes of
/// the shortest real one (a KS in every way the SDK checks).
fn ks(label: &str) -> String {
    use base64::Engine as _;
    assert!(label.len() <= 48);
    base64::engine::general_purpose::STANDARD.encode(format!("v2|1851571|{label:-<48}"))
}

/// A Kaltura server: widget KS `ks("widgetks-N")`, user KS `ks("userks-N")` valid `life` seconds.
fn kaltura_server(
    life: i64,
    bad_widget_once: bool,
) -> impl Fn(&str, &std::collections::HashMap<String, String>, i64) -> (u16, String) + Send + Sync {
    let counter = AtomicUsize::new(0);
    let refused = std::sync::atomic::AtomicBool::new(!bad_widget_once);
    move |path, p, now| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        if path.ends_with("/session/action/startWidgetSession") {
            assert_eq!(p["widgetId"], "_1851571");
            assert_eq!(p["format"], "1");
            (
                200,
                format!(
                    r#"{{"partnerId":1851571,"ks":"{}","userId":0,"objectType":"KalturaStartWidgetSessionResponse"}}"#,
                    ks(&format!("widgetks-{n}"))
                ),
            )
        } else {
            assert!(path.ends_with("/apptoken/action/startSession"), "{path}");
            if !refused.swap(true, Ordering::SeqCst) {
                let ks = &p["ks"];
                return (
                    200,
                    format!(
                        r#"{{"code":"INVALID_KS","message":"Invalid KS \"{ks}\", Error \"-1,INVALID_STR\"","objectType":"KalturaAPIException","args":{{"KSID":"{ks}"}}}}"#
                    ),
                );
            }
            let want = token_hash(HashType::Sha256, &p["ks"], APP_TOKEN);
            if p["tokenHash"] != want {
                return (
                    200,
                    r#"{"code":"INVALID_APP_TOKEN_HASH","message":"Invalid application token hash","objectType":"KalturaAPIException","args":[]}"#.into(),
                );
            }
            assert_eq!(
                (p["id"].as_str(), p["userId"].as_str(), p["type"].as_str(), p["expiry"].as_str(), p["sessionPrivileges"].as_str()),
                ("0_xeu31jy5", "user@example.com", "0", "3600", "sview:*")
            );
            (
                200,
                format!(
                    r#"{{"ks":"{}","sessionType":0,"partnerId":"1851571","userId":"user@example.com","expiry":{},"privileges":"sessionid:0_xeu31jy5,apptoken:0_xeu31jy5,sview:*","objectType":"KalturaSessionInfo"}}"#,
                    ks(&format!("userks-{n}")),
                    now + life
                ),
            )
        }
    }
}

#[tokio::test(start_paused = true)]
async fn kaltura_cold_start_is_two_requests_and_each_renewal_one() {
    let (s, fake) = rig(kaltura_server(3600, false));
    let d = s.start(Arc::new(KalturaSource::new(kaltura_cfg(), false).unwrap())).await.unwrap();
    assert_eq!(d.token.expose(), ks("userks-2"));
    assert_eq!(d.identity.as_deref(), Some("user@example.com"));
    assert_eq!(d.expires_at, Some(SystemTime::UNIX_EPOCH + Duration::from_secs(T0 + 3600)));
    assert_eq!(
        d.details,
        TokenDetails::Kaltura {
            partner_id: 1851571,
            user_id: "user@example.com".into(),
            session_type: KalturaSessionType::User,
            privileges: "sessionid:0_xeu31jy5,apptoken:0_xeu31jy5,sview:*".into()
        }
    );
    assert_eq!(fake.n.load(Ordering::SeqCst), 2);
    // The widget KS travels in the POST body, never the URL (every v2 KS starts "djJ8": "v2|").
    assert!(fake.log.lock().unwrap().iter().all(|(path, _)| !path.contains("djJ8")));
    // Lead = min(300, 360) = 300 → renewal at 3300 s: one request (widget KS cached).
    tokio::time::sleep(Duration::from_secs(3301)).await;
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert_eq!(fake.n.load(Ordering::SeqCst), 3);
    assert_eq!(s.token().await.unwrap().expose(), ks("userks-3"));
    assert_eq!(fake.log.lock().unwrap()[2].1["ks"], ks("widgetks-1"));
}

#[tokio::test(start_paused = true)]
async fn kaltura_invalid_widget_ks_is_retried_once_with_a_fresh_one() {
    let (s, fake) = rig(kaltura_server(3600, true));
    let d = s.start(Arc::new(KalturaSource::new(kaltura_cfg(), false).unwrap())).await.unwrap();
    assert_eq!(d.token.expose(), ks("userks-4"));
    let paths: Vec<String> = fake.log.lock().unwrap().iter().map(|(p, _)| p.rsplit('/').next().unwrap().to_string()).collect();
    assert_eq!(paths, ["startWidgetSession", "startSession", "startWidgetSession", "startSession"]);
}

/// From the outside test (issue 11): a `ks` that is not a KS (not base64, or neither a v1 nor a
/// v2 KS) was handed to the app as its session. It is `malformed_response` now, at once.
#[tokio::test(start_paused = true)]
async fn a_ks_that_is_not_a_ks_is_malformed_response() {
    for bad in ["%%%not-base64%%%", "YWJjfDE7MQ==", "djJ8fHh5eg=="] {
        let (s, fake) = rig(move |path, _, now| {
            if path.ends_with("startWidgetSession") {
                (200, format!(r#"{{"partnerId":1851571,"ks":"{}","userId":0,"objectType":"KalturaStartWidgetSessionResponse"}}"#, ks("w")))
            } else {
                (
                    200,
                    format!(
                        r#"{{"ks":"{bad}","sessionType":0,"partnerId":"1851571","userId":"user@example.com","expiry":{},"objectType":"KalturaSessionInfo"}}"#,
                        now + 3600
                    ),
                )
            }
        });
        let e = s.start(Arc::new(KalturaSource::new(kaltura_cfg(), false).unwrap())).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{bad}: {e}");
        assert!(!e.to_string().contains(bad), "{e}");
        assert_eq!(fake.n.load(Ordering::SeqCst), 2, "{bad}: not retried");
        assert_eq!(s.state(), SessionState::Failed);
    }
}

#[tokio::test(start_paused = true)]
async fn kaltura_errors_are_rejected_with_their_code_and_no_secret() {
    let mut cfg = kaltura_cfg();
    cfg.app_token = Secret::new("wrongwrongwrongwrongwrongwrong00");
    let (s, fake) = rig(kaltura_server(3600, false));
    let e = s.start(Arc::new(KalturaSource::new(cfg, false).unwrap())).await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Rejected, Some("INVALID_APP_TOKEN_HASH")));
    assert!(!e.to_string().contains("wrongwrong") && !e.to_string().contains("djJ8"));
    assert_eq!(fake.n.load(Ordering::SeqCst), 2, "terminal: no retry");
    assert_eq!(s.state(), SessionState::Failed);

    // INVALID_KS twice: the retry is once only, and the KS never appears in the message.
    let (s, fake) = rig(|path, p, _| {
        if path.ends_with("startWidgetSession") {
            (
                200,
                r#"{"partnerId":1851571,"ks":"djJ8MTg1MTU3MXxsecretwidgetkssecretwidgetkssecretwidgetkssecretwidgetkssecretwA=","userId":0,"objectType":"KalturaStartWidgetSessionResponse"}"#
                    .into(),
            )
        } else {
            let ks = &p["ks"];
            (
                200,
                format!(
                    r#"{{"code":"INVALID_KS","message":"Invalid KS \"{ks}\", Error \"-1,INVALID_STR\"","objectType":"KalturaAPIException","args":{{"KSID":"{ks}"}}}}"#
                ),
            )
        }
    });
    let e = s.start(Arc::new(KalturaSource::new(kaltura_cfg(), false).unwrap())).await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Rejected, Some("INVALID_KS")));
    assert!(!e.to_string().contains("secretwidgetks"), "{e}");
    assert_eq!(fake.n.load(Ordering::SeqCst), 4);

    for (code, msg) in [
        ("APP_TOKEN_ID_NOT_FOUND", "Application token id \\\"0_missing\\\" not found"),
        ("APP_TOKEN_NOT_ACTIVE", "x"),
        ("APP_TOKEN_EXPIRED", "x"),
        ("INVALID_WIDGET_ID", "Unknown widget [_999]"),
        ("MISSING_MANDATORY_PARAMETER", "Missing parameter \\\"tokenHash\\\""),
    ] {
        let body = format!(r#"{{"code":"{code}","message":"{msg}","objectType":"KalturaAPIException","args":[]}}"#);
        let (s, _) = rig(move |_, _, _| (200, body.clone()));
        let e = s.start(Arc::new(KalturaSource::new(kaltura_cfg(), false).unwrap())).await.unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Rejected, Some(code)));
    }
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/jwt/videosdk-tokens.json")).unwrap()
}

fn vector(name: &str) -> String {
    vectors()["cases"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["token"].as_str().unwrap().to_string()
}

#[tokio::test(start_paused = true)]
async fn videosdk_tokens_are_checked_before_the_session_is_active() {
    let good = vector("v2_room_participant_rtc");
    let g2 = good.clone();
    let (s, fake) = rig(move |path, p, _| {
        assert_eq!(path, "/get-token");
        assert_eq!((p["roomId"].as_str(), p["participantId"].as_str(), p["peerId"].as_str()), ("2kyv-gzay-64pg", "lxvdplwt", "lxvdplwt"));
        (200, format!(r#"{{"token":"{g2}"}}"#))
    });
    let src =
        VideoSdkSource::new("https://tokens.example/get-token", Some("2kyv-gzay-64pg".into()), Some("lxvdplwt".into()), 0, false).unwrap();
    let d = s.start(Arc::new(src)).await.unwrap();
    assert_eq!(d.token.expose(), good);
    assert_eq!(d.identity.as_deref(), Some("lxvdplwt"));
    assert_eq!(d.scopes, vec!["allow_join".to_string()]);
    match &d.details {
        TokenDetails::VideoSdk(c) => {
            assert_eq!(c.room_id.as_deref(), Some("2kyv-gzay-64pg"));
            assert!(c.can_join() && !c.can_moderate());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.n.load(Ordering::SeqCst), 1);

    for (name, code) in [("expired", "expired"), ("alg_none", "unsupported_algorithm"), ("missing_apikey", "missing_claim")] {
        let tok = vector(name);
        let (s, _) = rig(move |_, _, _| (200, format!(r#"{{"token":"{tok}"}}"#)));
        let src = VideoSdkSource::new("https://tokens.example/get-token", None, None, 0, false).unwrap();
        let e = s.start(Arc::new(src)).await.unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::InvalidToken, Some(code)), "{name}");
        assert_eq!(s.state(), SessionState::Failed);
    }
}

/// From the outside test (issue 11): a token for another room or participant than the one asked
/// was taken (the session `ACTIVE` as "mallory"); the app would have found out only when joining
/// failed. It is `invalid_token` now, at once: `room_mismatch` or `identity_mismatch`. A room or
/// participant not asked for is not checked.
#[tokio::test(start_paused = true)]
async fn a_videosdk_token_for_another_room_or_participant_is_refused() {
    let good = vector("v2_room_participant_rtc"); // room 2kyv-gzay-64pg, participant lxvdplwt
    for (room, participant, code) in [
        (Some("r1"), Some("lxvdplwt"), Some("room_mismatch")),
        (Some("2kyv-gzay-64pg"), Some("mallory"), Some("identity_mismatch")),
        (None, Some("mallory"), Some("identity_mismatch")),
        (Some("2kyv-gzay-64pg"), None, None),
        (None, None, None),
    ] {
        let g = good.clone();
        let (s, fake) = rig(move |_, _, _| (200, format!(r#"{{"token":"{g}"}}"#)));
        let src =
            VideoSdkSource::new("https://tokens.example/get-token", room.map(Into::into), participant.map(Into::into), 0, false).unwrap();
        let got = s.start(Arc::new(src)).await;
        assert_eq!(fake.n.load(Ordering::SeqCst), 1, "{room:?} {participant:?}: one request, not retried");
        match code {
            None => assert_eq!(got.unwrap().token.expose(), good),
            Some(code) => {
                let e = got.unwrap_err();
                assert_eq!((e.kind(), e.code()), (ErrorKind::InvalidToken, Some(code)), "{e}");
                assert!(!e.to_string().contains(&good), "{e}");
                assert_eq!(s.state(), SessionState::Failed);
            }
        }
    }
}

/// The SDK always asks for JSON (`format=1`) and has no XML parser: a server (or a proxy)
/// that answers with Kaltura's XML serialisation anyway fails the start at once with a typed
/// `malformed_response`, after one request, without echoing the KS in the body.
#[tokio::test(start_paused = true)]
async fn kaltura_xml_answer_is_malformed_not_a_panic() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?><xml><result><objectType>KalturaStartWidgetSessionResponse</objectType><partnerId>1851571</partnerId><ks>djJ8MTg1MTU3MXxsecretwidgetkssecretwidgetks</ks><userId>0</userId></result><executionTime>0.0012</executionTime></xml>"#;
    let (s, fake) = rig(move |_, p, _| {
        assert_eq!(p.get("format").map(String::as_str), Some("1"), "the SDK asks for JSON");
        (200, xml.to_string())
    });
    let e = s.start(Arc::new(KalturaSource::new(kaltura_cfg(), false).unwrap())).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedResponse, "{e}");
    assert!(!e.to_string().contains("secretwidgetks"), "{e}");
    assert_eq!(fake.n.load(Ordering::SeqCst), 1);
    assert_eq!(s.state(), SessionState::Failed);
}
