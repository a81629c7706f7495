//! The 24 vendor-made VideoSDK token vectors (`data/jwt/videosdk-tokens.json`): each valid one
//! gives exactly its claims, each invalid one exactly its error kind, at 2026-11-22T00:00:00Z
//! with no leeway.

use serde_json::Value;
use videokit_core::videosdk_claims::{self, error_kind_of, Permission, Role, VideoSdkTokenErrorKind};
use videokit_core::ErrorKind;

/// 2026-11-22T00:00:00Z.
const NOW: i64 = 1_795_305_600;

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/jwt/videosdk-tokens.json")).expect("vector file is JSON")
}

fn cases() -> Vec<Value> {
    vectors()["cases"].as_array().expect("cases").clone()
}

#[test]
fn now_is_2026_11_22() {
    let d = time::OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    assert_eq!((d.year(), d.month() as u8, d.day(), d.hour(), d.minute(), d.second()), (2026, 11, 22, 0, 0, 0));
}

#[test]
fn there_are_24_vectors_with_unique_names() {
    let cs = cases();
    assert_eq!(cs.len(), 24);
    let mut names: Vec<&str> = cs.iter().map(|c| c["name"].as_str().unwrap()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 24);
}

#[test]
fn every_vector_gives_its_claims_or_its_error_kind() {
    let mut valid = 0;
    let mut invalid = 0;
    for c in cases() {
        let name = c["name"].as_str().unwrap();
        let token = c["token"].as_str().unwrap();
        let expect = &c["expect"];
        let got = videosdk_claims::check(token, NOW, 0);
        if expect["valid"].as_bool().unwrap() {
            let claims = got.unwrap_or_else(|e| panic!("{name}: expected valid, got {e}"));
            assert_eq!(claims.to_json(), expect["claims"], "{name}: claims differ");
            // The time-free decoder agrees.
            assert_eq!(videosdk_claims::decode_unchecked_time(token).unwrap(), claims, "{name}");
            assert_eq!(claims.apikey, vectors()["apikey"].as_str().unwrap(), "{name}");
            valid += 1;
        } else {
            let want = expect["error"].as_str().unwrap();
            let e = match got {
                Ok(c) => panic!("{name}: expected {want}, got valid claims {c:?}"),
                Err(e) => e,
            };
            let kind = error_kind_of(&e).unwrap_or_else(|| panic!("{name}: no VideoSDK kind in {e:?}"));
            assert_eq!(kind.as_str(), want, "{name}: {e}");
            assert_eq!(e.code(), Some(want), "{name}");
            let engine_kind = if want == "expired" { ErrorKind::Expired } else { ErrorKind::InvalidToken };
            assert_eq!(e.kind(), engine_kind, "{name}");
            // The message never carries the token (nor any of its non-trivial segments).
            let shown = format!("{e} {e:?}");
            for seg in token.split('.').filter(|s| s.len() >= 8) {
                assert!(!shown.contains(seg), "{name}: message shows the token: {shown}");
            }
            assert!(!e.message().is_empty(), "{name}");
            invalid += 1;
        }
    }
    assert_eq!((valid, invalid), (8, 16));
}

#[test]
fn time_free_decoding_only_skips_the_clock() {
    for c in cases() {
        let name = c["name"].as_str().unwrap();
        let token = c["token"].as_str().unwrap();
        let r = videosdk_claims::decode_unchecked_time(token);
        match c["expect"]["error"].as_str() {
            Some("expired") | Some("not_yet_valid") => assert!(r.is_ok(), "{name}: {r:?}"),
            Some(want) => assert_eq!(r.map_err(|e| error_kind_of(&e).map(|k| k.as_str())).unwrap_err(), Some(want), "{name}"),
            None => assert!(r.is_ok(), "{name}"),
        }
    }
}

fn token(name: &str) -> String {
    cases()
        .into_iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["token"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no vector {name}"))
}

#[test]
fn leeway_on_exp_with_the_expired_vector() {
    // exp = 1600000000.
    let t = token("expired");
    assert!(videosdk_claims::check(&t, 1_599_999_999, 0).is_ok());
    assert_eq!(videosdk_claims::check(&t, 1_600_000_000, 0).unwrap_err().kind(), ErrorKind::Expired);
    assert!(videosdk_claims::check(&t, 1_600_000_059, 60).is_ok());
    let e = videosdk_claims::check(&t, 1_600_000_060, 60).unwrap_err();
    assert_eq!(error_kind_of(&e), Some(VideoSdkTokenErrorKind::Expired));
    // Leeway large enough to cover until NOW.
    assert!(videosdk_claims::check(&t, NOW, NOW - 1_600_000_000 + 1).is_ok());
}

#[test]
fn leeway_on_nbf_with_the_not_yet_valid_vector() {
    // nbf = 4102444790, exp = 4102444800.
    let t = token("not_yet_valid");
    assert!(videosdk_claims::check(&t, 4_102_444_790, 0).is_ok());
    assert!(videosdk_claims::check(&t, 4_102_444_789, 0).is_err());
    assert!(videosdk_claims::check(&t, 4_102_444_780, 10).is_ok());
    let e = videosdk_claims::check(&t, 4_102_444_779, 10).unwrap_err();
    assert_eq!(error_kind_of(&e), Some(VideoSdkTokenErrorKind::NotYetValid));
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    // Past exp it is expired, whatever the nbf.
    assert_eq!(videosdk_claims::check(&t, 4_102_444_800, 0).unwrap_err().kind(), ErrorKind::Expired);
}

#[test]
fn typed_claims_and_helpers_on_vectors() {
    let c = videosdk_claims::check(&token("v2_room_participant_rtc"), NOW, 0).unwrap();
    assert_eq!(c.version, Some(2));
    assert_eq!(c.room_id.as_deref(), Some("2kyv-gzay-64pg"));
    assert_eq!(c.participant_id.as_deref(), Some("lxvdplwt"));
    assert_eq!(c.roles, vec![Role::Rtc]);
    assert_eq!(c.exp, Some(4_102_444_800));
    assert!(c.can_join() && !c.can_moderate() && !c.must_ask_to_join());

    let mods = videosdk_claims::check(&token("v1_join_and_mod"), NOW, 0).unwrap();
    assert_eq!(mods.permissions, vec![Permission::AllowJoin, Permission::AllowMod]);
    assert!(mods.can_join() && mods.can_moderate());

    let ask = videosdk_claims::check(&token("v1_ask_join"), NOW, 0).unwrap();
    assert!(!ask.can_join() && ask.must_ask_to_join());

    let crawler = videosdk_claims::check(&token("v2_crawler"), NOW, 0).unwrap();
    assert!(!crawler.can_join(), "a crawler-only token cannot join a meeting");

    let no_exp = videosdk_claims::check(&token("no_exp"), i64::MAX, 0).unwrap();
    assert_eq!(no_exp.exp, None);
}
