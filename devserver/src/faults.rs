//! Injectable faults.

use serde::Deserialize;

/// What to do instead of (or before) answering normally.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this status (and `Retry-After`, and a body; default `{"error": "..."}`).
    Status { status: u16, retry_after: Option<u64>, body: Option<String> },
    /// 200 with a body that is not valid JSON: the vendor's `{"sessionToken": abc.def.ghi`.
    Malformed,
    /// Close the connection without any response.
    Drop,
    /// Wait, then answer normally.
    Delay { ms: u64 },
    /// Never answer (until shutdown).
    Stall,
    /// 200 with a JSON body of this many bytes.
    Oversize { bytes: usize },
    /// Headers at once, then the body trickled at this many bytes a second.
    SlowBody { bytes_per_sec: u32 },
    /// 502 with a text/html error page, as a proxy in front of a dead backend sends.
    Html,
    /// 200 `text/plain` with the normal (valid) body.
    WrongContentType,
    /// 200 `application/json` with bytes that are not UTF-8.
    InvalidUtf8,
    /// 200 with the normal body cut in half.
    Truncated,
}

/// A fault for the next `count` requests to `route` (a route name, or `*` for any).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub route: String,
    pub kind: FaultKind,
    pub count: u32,
}

/// The JSON form of a fault, for `POST /_control/faults`.
#[derive(Debug, Deserialize)]
pub(crate) struct FaultSpec {
    #[serde(default = "any")]
    route: String,
    kind: String,
    #[serde(default = "one")]
    count: u32,
    status: Option<u16>,
    retry_after: Option<u64>,
    body: Option<String>,
    ms: Option<u64>,
    bytes: Option<usize>,
    bytes_per_sec: Option<u32>,
}

fn any() -> String {
    "*".into()
}
fn one() -> u32 {
    1
}

impl FaultSpec {
    pub(crate) fn into_fault(self) -> Result<Fault, String> {
        let kind = match self.kind.as_str() {
            "status" => FaultKind::Status { status: self.status.unwrap_or(503), retry_after: self.retry_after, body: self.body },
            "malformed" => FaultKind::Malformed,
            "drop" => FaultKind::Drop,
            "delay" => FaultKind::Delay { ms: self.ms.unwrap_or(1000) },
            "stall" => FaultKind::Stall,
            "oversize" => FaultKind::Oversize { bytes: self.bytes.unwrap_or(2 * 1024 * 1024).min(64 * 1024 * 1024) },
            "slow_body" => FaultKind::SlowBody { bytes_per_sec: self.bytes_per_sec.unwrap_or(1).max(1) },
            "html" => FaultKind::Html,
            "wrong_content_type" => FaultKind::WrongContentType,
            "invalid_utf8" => FaultKind::InvalidUtf8,
            "truncated" => FaultKind::Truncated,
            other => return Err(format!("unknown fault kind '{other}'")),
        };
        if let FaultKind::Status { status, .. } = &kind {
            if !(100..=599).contains(status) {
                return Err("status must be 100..=599".into());
            }
        }
        Ok(Fault { route: self.route, kind, count: self.count.max(1) })
    }
}
