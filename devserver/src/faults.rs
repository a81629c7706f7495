//! Injectable faults: what a request gets instead of (or on top of) its normal answer.

use crate::route::Route;
use serde::Deserialize;

/// What to do instead of (or before, or on top of) answering normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status, a `Retry-After` header when given, and this body (default
    /// `{"error": "fault injected: status N"}`; a body that is not JSON goes as text/plain).
    Status {
        /// HTTP status, 100..=599 (anything else answers 500).
        status: u16,
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
        /// The body to send instead of the default.
        body: Option<String>,
    },
    /// 200 with a body that is not valid JSON: the VideoKit vendor's own
    /// `{"sessionToken": abc.def.ghi`, or the analogue for the route (`{"token": abc.def.ghi`,
    /// `{"partnerId": 1851571, "ks": abc.def.ghi`, `{"roomId": abc-def`).
    Malformed,
    /// Close the connection without any response.
    Drop,
    /// Wait this long, then answer normally (cut short by shutdown).
    Delay {
        /// Milliseconds to wait before answering.
        ms: u64,
    },
    /// Never answer: the connection is closed at shutdown.
    Stall,
    /// 200 with a valid JSON body of exactly this many bytes (at least 2).
    Oversize {
        /// Body size in bytes.
        bytes: usize,
    },
    /// The normal answer, headers at once (with the full `Content-Length`), then the body
    /// trickled at this rate.
    SlowBody {
        /// Body bytes per second (at least 1).
        bytes_per_sec: u32,
    },
    /// 502 with a text/html error page, as a proxy in front of a dead backend sends.
    Html,
    /// The normal answer as 200 `text/plain`.
    WrongContentType,
    /// 200 `application/json` with bytes that are not UTF-8 inside a JSON string.
    InvalidUtf8,
    /// The normal answer with its body cut in half (`Content-Length` of the half).
    Truncated,
}

/// A fault for the next `count` requests to `route` (a route name, or `*` for any route).
/// Faults are consumed in the order they were injected, by the requests they match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// A route name (`sessions`, `token`, `kaltura.startWidgetSession`,
    /// `kaltura.appToken.startSession`, `videosdk.getToken`, `videosdk.createRoom`,
    /// `videosdk.validateRoom`) or `*`.
    pub route: String,
    /// What happens.
    pub kind: FaultKind,
    /// How many matching requests it applies to (0 counts as 1).
    pub count: u32,
}

impl Fault {
    /// A fault for the next matching request only.
    pub fn once(route: impl Into<String>, kind: FaultKind) -> Fault {
        Fault { route: route.into(), kind, count: 1 }
    }
}

/// The JSON form of a fault, for `POST /_control/faults`:
/// `{"route": "token", "kind": "status", "status": 503, "retry_after": 2, "count": 1}`.
/// Defaults: route `*`, count 1, status 503, ms 1000, bytes 2 MiB, bytes_per_sec 1.
/// Parameters a kind does not use are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct FaultSpec {
    #[serde(default = "any")]
    route: String,
    kind: String,
    #[serde(default = "one")]
    count: u32,
    status: Option<u16>,
    #[serde(alias = "retryAfter")]
    retry_after: Option<u64>,
    body: Option<String>,
    ms: Option<u64>,
    bytes: Option<usize>,
    #[serde(alias = "bytesPerSec")]
    bytes_per_sec: Option<u32>,
}

fn any() -> String {
    "*".into()
}
fn one() -> u32 {
    1
}

/// Largest body an oversize fault may ask for over HTTP.
const MAX_OVERSIZE: usize = 256 * 1024 * 1024;

impl FaultSpec {
    pub(crate) fn into_fault(self) -> Result<Fault, String> {
        let kind = match self.kind.to_ascii_lowercase().replace('-', "_").as_str() {
            "status" => {
                let status = self.status.unwrap_or(503);
                if !(100..=599).contains(&status) {
                    return Err("status must be 100..=599".into());
                }
                FaultKind::Status { status, retry_after: self.retry_after, body: self.body }
            }
            "malformed" => FaultKind::Malformed,
            "drop" => FaultKind::Drop,
            "delay" => FaultKind::Delay { ms: self.ms.unwrap_or(1000) },
            "stall" => FaultKind::Stall,
            "oversize" => {
                let bytes = self.bytes.unwrap_or(2 * 1024 * 1024);
                if bytes > MAX_OVERSIZE {
                    return Err(format!("bytes must be at most {MAX_OVERSIZE}"));
                }
                FaultKind::Oversize { bytes }
            }
            "slow_body" => FaultKind::SlowBody { bytes_per_sec: self.bytes_per_sec.unwrap_or(1).max(1) },
            "html" => FaultKind::Html,
            "wrong_content_type" => FaultKind::WrongContentType,
            "invalid_utf8" => FaultKind::InvalidUtf8,
            "truncated" => FaultKind::Truncated,
            other => return Err(format!("unknown fault kind \"{other}\" (status, malformed, drop, delay, stall, oversize, slow_body, html, wrong_content_type, invalid_utf8, truncated)")),
        };
        if self.route != "*" && Route::from_name(&self.route).is_none() {
            return Err(format!("unknown route \"{}\" (one of {} or *)", self.route, Route::NAMES.join(", ")));
        }
        Ok(Fault { route: self.route, kind, count: self.count.max(1) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: serde_json::Value) -> Result<Fault, String> {
        serde_json::from_value::<FaultSpec>(v).map_err(|e| e.to_string()).and_then(FaultSpec::into_fault)
    }

    #[test]
    fn specs() {
        let f = spec(serde_json::json!({"route": "token", "kind": "status", "status": 503, "retry_after": 2})).unwrap();
        assert_eq!(f, Fault { route: "token".into(), kind: FaultKind::Status { status: 503, retry_after: Some(2), body: None }, count: 1 });
        assert_eq!(
            spec(serde_json::json!({"kind": "slow_body", "bytes_per_sec": 0, "count": 3})).unwrap(),
            Fault { route: "*".into(), kind: FaultKind::SlowBody { bytes_per_sec: 1 }, count: 3 }
        );
        assert!(spec(serde_json::json!({"kind": "status", "status": 42})).is_err());
        assert_eq!(spec(serde_json::json!({"kind": "delay"})).unwrap().kind, FaultKind::Delay { ms: 1000 });
        assert_eq!(spec(serde_json::json!({"kind": "stall", "ms": 10000})).unwrap().kind, FaultKind::Stall);
        assert!(spec(serde_json::json!({"kind": "bogus"})).is_err());
        assert!(spec(serde_json::json!({"kind": "drop", "route": "nope"})).is_err());
    }
}
