//! `videokit token inspect`: offline decoding, like jwt.io but without sending the token
//! anywhere. Recognises VideoSDK access tokens (checked against VideoSDK's claim rules) and
//! Kaltura KS strings; any other JWT is decoded generically.

use crate::fail;
use clap::Args;
use serde_json::{json, Value};
use std::time::SystemTime;
use videokit_core::{clock, jwt, Error, ErrorKind};

#[derive(Args)]
pub struct InspectArgs {
    /// The token (JWT, VideoSDK token or KS).
    token: String,
    /// Seconds of leeway when judging exp/nbf.
    #[arg(long, default_value_t = 0)]
    leeway: i64,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

fn human_left(secs: i64) -> String {
    let a = secs.unsigned_abs();
    let s = if a >= 86400 {
        format!("{}d {}h", a / 86400, (a % 86400) / 3600)
    } else if a >= 3600 {
        format!("{}h {}m", a / 3600, (a % 3600) / 60)
    } else if a >= 60 {
        format!("{}m {}s", a / 60, a % 60)
    } else {
        format!("{a}s")
    };
    if secs < 0 {
        format!("expired {s} ago")
    } else {
        format!("{s} left")
    }
}

pub fn run(a: InspectArgs) -> i32 {
    let now = clock::unix_secs(SystemTime::now());
    let token = a.token.trim();
    if !token.contains('.') {
        return crate::inspect_ks::run(token, now, a.json);
    }
    let j = match jwt::decode(token) {
        Ok(j) => j,
        Err(e) => return fail(&e, a.json),
    };
    let is_videosdk = j.claims.contains_key("apikey") || j.claims.contains_key("permissions");
    let mut out = json!({
        "type": if is_videosdk { "videosdk" } else { "jwt" },
        "header": Value::Object(j.header.clone()),
        "claims": Value::Object(j.claims.clone()),
    });
    let mut verdict: Result<(), Error> = Ok(());
    if is_videosdk {
        match videokit_core::videosdk::check(token, now, a.leeway) {
            Ok(c) => out["checked_claims"] = c.to_json(),
            Err(e) => verdict = Err(e),
        }
    } else {
        if let Some(nbf) = j.nbf() {
            if now + a.leeway < nbf {
                verdict = Err(Error::new(ErrorKind::InvalidToken, format!("the token is not valid before {}", crate::rfc3339(clock::from_unix_secs(nbf)))).with_code("not_yet_valid"));
            }
        }
        if let Some(exp) = j.exp() {
            if now - a.leeway >= exp {
                verdict = Err(Error::new(ErrorKind::Expired, format!("the token expired at {}", crate::rfc3339(clock::from_unix_secs(exp)))));
            }
        }
    }
    if let Some(exp) = j.exp() {
        out["expires_at"] = json!(crate::rfc3339(clock::from_unix_secs(exp)));
        out["seconds_left"] = json!(exp - now);
    }
    if let Some(iat) = j.iat() {
        out["issued_at"] = json!(crate::rfc3339(clock::from_unix_secs(iat)));
    }
    out["signature_verified"] = json!(false);
    match verdict {
        Ok(()) => {
            out["valid"] = json!(true);
            if a.json {
                println!("{out}");
            } else {
                print_human(&out, j.exp().map(|e| e - now));
                println!("verdict:   usable (signature not verified: that needs the secret)");
            }
            0
        }
        Err(e) => {
            if a.json {
                let mut err = json!({"kind": e.kind().as_str(), "message": e.message()});
                if let Some(c) = e.code() {
                    err["code"] = json!(c);
                }
                out["valid"] = json!(false);
                out["error"] = err;
                println!("{out}");
            } else {
                print_human(&out, j.exp().map(|e| e - now));
                eprintln!("videokit: {e}");
            }
            1
        }
    }
}

fn print_human(out: &Value, left: Option<i64>) {
    println!("type:      {}", out["type"].as_str().unwrap_or("jwt"));
    println!("header:    {}", out["header"]);
    println!("claims:    {}", serde_json::to_string_pretty(&out["claims"]).unwrap_or_default().replace('\n', "\n           "));
    if let Some(e) = out.get("expires_at") {
        println!("expires:   {} ({})", e.as_str().unwrap_or("?"), left.map(human_left).unwrap_or_default());
    } else {
        println!("expires:   no exp claim");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_time_left() {
        assert_eq!(super::human_left(59), "59s left");
        assert_eq!(super::human_left(3661), "1h 1m left");
        assert_eq!(super::human_left(-90), "expired 1m 30s ago");
        assert_eq!(super::human_left(90000), "1d 1h left");
    }
}
