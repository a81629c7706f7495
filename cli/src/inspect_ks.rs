//! Kaltura KS inspection for `videokit token inspect`.

use crate::fail;
use serde_json::json;
use videokit_core::{clock, kaltura, Error, ErrorKind};

pub fn run(ks: &str, now: i64, json_out: bool) -> i32 {
    let info = match kaltura::decode_ks(ks) {
        Ok(i) => i,
        Err(_) => {
            let e = Error::invalid_token("not a JWT (three dot-separated segments) nor a Kaltura KS").with_code("malformed");
            return fail(&e, json_out);
        }
    };
    let mut out = json!({"type": "kaltura_ks", "version": info.version, "partner_id": info.partner_id});
    if let Some(e) = info.expiry {
        out["expiry"] = json!(e);
        out["expires_at"] = json!(crate::rfc3339(clock::from_unix_secs(e)));
        out["seconds_left"] = json!(e - now);
    }
    if let Some(t) = info.session_type {
        out["session_type"] = json!(if t == 2 { "admin" } else { "user" });
    }
    if let Some(u) = &info.user_id {
        out["user_id"] = json!(u);
    }
    if let Some(p) = &info.privileges {
        out["privileges"] = json!(p);
    }
    if info.version == 2 {
        out["note"] = json!("a v2 KS is encrypted: only the version and partner id can be read without the partner's secret");
    }
    let expired = info.expiry.map(|e| e <= now).unwrap_or(false);
    if json_out {
        out["valid"] = json!(!expired);
        if expired {
            out["error"] = json!({"kind": "expired", "message": "the KS has expired"});
        }
        println!("{out}");
    } else {
        for (k, v) in out.as_object().into_iter().flatten() {
            println!("{k:<13} {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        }
    }
    if expired {
        if !json_out {
            eprintln!("videokit: {}", Error::new(ErrorKind::Expired, "the KS has expired"));
        }
        1
    } else {
        0
    }
}
