//! Small HTTP pieces shared by the handlers: the reply a handler builds (before fault
//! handling turns it into a response) and request parameter merging.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use std::collections::HashMap;

/// Largest request body read (larger ones get 413).
pub(crate) const MAX_REQUEST_BODY: usize = 1024 * 1024;

/// A complete reply: status, content type, extra headers, body bytes.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// `application/json` from a serde value.
    pub fn json(status: u16, v: &serde_json::Value) -> Reply {
        Reply::raw(status, "application/json", v.to_string().into_bytes())
    }
    /// `application/json` from text already serialized (order-preserving writers, faults).
    pub fn json_text(status: u16, text: impl Into<Vec<u8>>) -> Reply {
        Reply::raw(status, "application/json", text.into())
    }
    /// `text/xml`, as the Kaltura server sends format=2.
    pub fn xml(body: String) -> Reply {
        Reply::raw(200, "text/xml", body.into_bytes())
    }
    /// `{"error": msg}` with this status (the VideoKit gateway's error shape).
    pub fn error(status: u16, msg: &str) -> Reply {
        Reply::json(status, &serde_json::json!({ "error": msg }))
    }
    /// Any content type.
    pub fn raw(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply { status, content_type, headers: Vec::new(), body }
    }

    /// The response headers (status, content type, extras) over `body`. An impossible status
    /// (an in-process fault can carry any u16) becomes 500 rather than a panic.
    pub fn into_response_with(self, body: Body) -> Response {
        let mut resp = Response::new(body);
        *resp.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                resp.headers_mut().insert(*name, v);
            }
        }
        resp
    }

    /// The whole response.
    pub fn into_response(mut self) -> Response {
        let body = std::mem::take(&mut self.body);
        self.into_response_with(Body::from(body))
    }
}

/// A JSON object with its keys in this order (serde_json's map sorts them).
pub(crate) fn ordered_json(fields: &[(&str, serde_json::Value)]) -> String {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}:{}", serde_json::Value::from(*k), v)).collect();
    format!("{{{}}}", body.join(","))
}

/// A header as text, if present and visible ASCII.
pub(crate) fn header<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Query-string, then form-body or JSON-body parameters (later ones win), names as sent.
/// JSON values that are not strings are kept as their JSON text; nulls are skipped.
pub(crate) fn params(query: Option<&str>, content_type: Option<&str>, body: &[u8]) -> HashMap<String, String> {
    let mut p: HashMap<String, String> =
        query.map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if ct.starts_with("application/json") || first == Some(&b'{') {
        if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(body) {
            for (k, v) in o {
                let s = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => continue,
                    other => other.to_string(),
                };
                p.insert(k, s);
            }
        }
    } else if !body.is_empty() && !ct.starts_with("multipart/") {
        for (k, v) in url::form_urlencoded::parse(body) {
            p.insert(k.into_owned(), v.into_owned());
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_merge_query_then_body() {
        let p = params(Some("format=2&a=1"), Some("application/json"), br#"{"format": 1, "ks": "x", "n": null}"#);
        assert_eq!((p["format"].as_str(), p["a"].as_str(), p["ks"].as_str()), ("1", "1", "x"));
        assert!(!p.contains_key("n"));
        let p = params(None, Some("application/x-www-form-urlencoded"), b"widgetId=_1&x=a%20b");
        assert_eq!((p["widgetId"].as_str(), p["x"].as_str()), ("_1", "a b"));
        let p = params(None, None, b"{not json");
        assert!(p.is_empty() || p.contains_key("{not json"));
        assert_eq!(ordered_json(&[("b", 1.into()), ("a", "x\"".into())]), r#"{"b":1,"a":"x\""}"#);
        assert_eq!(Reply::raw(1000, "text/plain", vec![]).into_response().status(), 500);
    }
}
