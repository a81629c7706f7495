//! Answering a counted route: count the request, take the next matching fault and apply it
//! instead of (or around) the handler's reply. Generic: what a route's answer looks like
//! comes from the route itself, as a [`Payload`].

use crate::faults::FaultKind;
use crate::http::Reply;
use crate::route::Route;
use crate::state::{until_stopped, App, ConnCtl};
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use std::time::Duration;

/// What a route's answer looks like, for the faults that imitate it (malformed, oversize,
/// invalid UTF-8). Each route module defines its own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Payload {
    /// The JSON field the answer is about (`sessionToken`, `token`, `ks`, `roomId`).
    pub field: &'static str,
    /// A 200 body that is not JSON, making the vendor's own mistake on that field (the
    /// VideoKit vendor's `{"sessionToken": abc.def.ghi`).
    pub malformed: &'static str,
}

/// Answer a request to `route`: count it, apply the next matching fault, otherwise (or
/// around it) the handler's reply. `payload` shapes the bodies of the faults that imitate
/// the route's answer.
pub(crate) async fn answer(app: &App, route: Route, payload: &Payload, conn: Option<ConnCtl>, handler: impl FnOnce() -> Reply) -> Response {
    let fault = app.begin(route);
    if let Some(f) = &fault {
        log::debug!(target: "videokit_devserver", "{route}: fault {f:?}");
    }
    let reply = match fault {
        None => handler(),
        Some(FaultKind::Drop) => {
            if let Some(c) = conn {
                c.drop_now();
                std::future::pending::<()>().await;
            }
            return Reply::error(500, "fault: drop (no connection to drop)").into_response();
        }
        Some(FaultKind::Stall) => {
            app.stopped().await;
            if let Some(c) = conn {
                c.drop_now();
                std::future::pending::<()>().await;
            }
            return Reply::error(503, "fault: stall ended by shutdown").into_response();
        }
        Some(FaultKind::Delay { ms }) => {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                _ = app.stopped() => {}
            }
            handler()
        }
        Some(FaultKind::Status { status, retry_after, body }) => {
            let mut r = match body {
                Some(b) if serde_json::from_str::<serde_json::Value>(&b).is_ok() => Reply::json_text(status, b),
                Some(b) => Reply::raw(status, "text/plain; charset=utf-8", b.into_bytes()),
                None => Reply::error(status, &format!("fault injected: status {status}")),
            };
            if let Some(ra) = retry_after {
                r.headers.push(("retry-after", ra.to_string()));
            }
            r
        }
        Some(FaultKind::Html) => Reply::raw(502, "text/html", HTML_502.as_bytes().to_vec()),
        Some(FaultKind::Malformed) => Reply::json_text(200, payload.malformed),
        Some(FaultKind::Oversize { bytes }) => Reply::json_text(200, oversize_body(payload.field, bytes)),
        Some(FaultKind::InvalidUtf8) => {
            let mut body = format!("{{\"{}\":\"", payload.field).into_bytes();
            body.extend_from_slice(&[0xff, 0xfe, 0xfd, b'a', 0xc3, 0x28]);
            body.extend_from_slice(b"\"}");
            Reply::json_text(200, body)
        }
        Some(FaultKind::WrongContentType) => {
            let mut r = handler();
            r.status = 200;
            r.content_type = "text/plain; charset=utf-8";
            r
        }
        Some(FaultKind::Truncated) => {
            let mut r = handler();
            r.status = 200;
            let half = r.body.len() / 2;
            r.body.truncate(half);
            r
        }
        Some(FaultKind::SlowBody { bytes_per_sec }) => return slow_body(app, handler(), bytes_per_sec),
    };
    log::debug!(target: "videokit_devserver", "{route}: {}", reply.status);
    reply.into_response()
}

const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// A valid JSON body of exactly `bytes` bytes (at least 2): `{"<field>":"xxxx…"}`, or `{}`
/// padded with spaces when too small for that.
fn oversize_body(field: &str, bytes: usize) -> Vec<u8> {
    let head = format!("{{\"{field}\":\"");
    let overhead = head.len() + 2;
    if bytes < overhead {
        let mut b = vec![b' '; bytes.max(2)];
        b[0] = b'{';
        let last = b.len() - 1;
        b[last] = b'}';
        return b;
    }
    let mut b = Vec::with_capacity(bytes);
    b.extend_from_slice(head.as_bytes());
    b.resize(bytes - 2, b'x');
    b.extend_from_slice(b"\"}");
    b
}

/// The reply with its headers (and full `Content-Length`) at once and the body trickled at
/// `bytes_per_sec`, in up to ten chunks a second. Shutdown ends the body with an error.
fn slow_body(app: &App, mut reply: Reply, bytes_per_sec: u32) -> Response {
    let rate = bytes_per_sec.max(1);
    let chunk = (rate / 10).max(1) as usize;
    let gap = Duration::from_secs_f64(chunk as f64 / f64::from(rate));
    let body = Bytes::from(std::mem::take(&mut reply.body));
    reply.headers.push(("content-length", body.len().to_string()));
    let stop = app.stop_signal();
    let stream = futures::stream::unfold((body, 0usize, stop), move |(body, at, mut stop)| async move {
        if at >= body.len() {
            return None;
        }
        tokio::select! {
            _ = tokio::time::sleep(gap) => {}
            _ = until_stopped(&mut stop) => {
                return Some((Err(std::io::Error::other("devserver shutting down")), (body, usize::MAX, stop)));
            }
        }
        let end = (at + chunk).min(body.len());
        let piece = body.slice(at..end);
        Some((Ok(piece), (body, end, stop)))
    });
    reply.into_response_with(Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversize_bodies_are_exact_and_valid() {
        for n in [0, 1, 2, 5, 19, 20, 21, 1000] {
            let b = oversize_body("sessionToken", n);
            assert_eq!(b.len(), n.max(2));
            assert!(serde_json::from_slice::<serde_json::Value>(&b).is_ok(), "{n}");
        }
        assert_eq!(oversize_body("ks", 13), br#"{"ks":"xxxx"}"#);
        assert_eq!(oversize_body("ks", 5), b"{   }");
    }
}
