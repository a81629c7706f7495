//! `videokit token inspect`: offline decoding, like jwt.io but without sending the token
//! anywhere. The judging is the core's (`videokit_core::inspect`, fuzzed); this prints it.

use crate::fail;
use clap::Args;
use serde_json::Value;
use std::time::SystemTime;
use videokit_core::clock;
use videokit_core::inspect::{human_left, inspect};

#[derive(Args)]
pub struct InspectArgs {
    /// The token (JWT, VideoSDK token or KS); `-` reads it from stdin (keeps it out of `ps`).
    token: String,
    /// Seconds of leeway when judging exp/nbf.
    #[arg(long, default_value_t = 0)]
    leeway: i64,
    /// Machine-readable output: the report as one JSON object (with "valid" and, when not
    /// usable, "error").
    #[arg(long)]
    json: bool,
}

pub fn run(a: InspectArgs) -> i32 {
    let now = clock::unix_secs(SystemTime::now());
    let token = match crate::secret_arg(Some(a.token.clone()), None, "token") {
        Ok(Some(t)) => t,
        Ok(None) => return crate::usage_err(a.json, "give the token, or - to read it from stdin"),
        Err(e) => return fail(&e, a.json),
    };
    let i = match inspect(&token, now, a.leeway) {
        Ok(i) => i,
        Err(e) => return fail(&e, a.json),
    };
    if a.json {
        outln!("{}", i.report);
    } else {
        print_human(&i.report, i.seconds_left);
        if i.verdict.is_ok() {
            if i.report["type"] == "kaltura_ks" {
                outln!("verdict:       usable");
            } else {
                outln!("verdict:   usable (signature not verified: that needs the secret)");
            }
        }
    }
    match i.verdict {
        Ok(()) => 0,
        Err(e) => {
            if !a.json {
                eprintln!("videokit: {e}");
            }
            1
        }
    }
}

fn print_human(out: &Value, left: Option<i64>) {
    if out["type"] == "kaltura_ks" {
        for (k, v) in out.as_object().into_iter().flatten() {
            if k == "valid" || k == "error" {
                continue;
            }
            outln!("{k:<13} {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        }
        return;
    }
    outln!("type:      {}", out["type"].as_str().unwrap_or("jwt"));
    outln!("header:    {}", out["header"]);
    outln!("claims:    {}", serde_json::to_string_pretty(&out["claims"]).unwrap_or_default().replace('\n', "\n           "));
    if let Some(e) = out.get("expires_at") {
        outln!("expires:   {} ({})", e.as_str().unwrap_or("?"), left.map(human_left).unwrap_or_default());
    } else {
        outln!("expires:   no exp claim");
    }
}
