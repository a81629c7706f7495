//! Small HTTP helpers: parsed requests and the responses the handlers build.

use bytes::Bytes;
use std::collections::HashMap;

/// A request with its body read and its parameters merged (query, then form or JSON body).
pub(crate) struct Req {
    pub method: hyper::Method,
    pub path: String,
    pub headers: hyper::HeaderMap,
    pub query: HashMap<String, String>,
    pub body: Bytes,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Query, form-body and JSON-body parameters, later ones winning; names as sent.
    pub fn params(&self) -> HashMap<String, String> {
        let mut p = self.query.clone();
        let ct = self.header("content-type").unwrap_or("").to_ascii_lowercase();
        if ct.starts_with("application/json") || (self.body.first() == Some(&b'{')) {
            if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(&self.body) {
                for (k, v) in o {
                    let s = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Null => continue,
                        other => other.to_string(),
                    };
                    p.insert(k, s);
                }
            }
        } else if !self.body.is_empty() {
            for (k, v) in url::form_urlencoded::parse(&self.body) {
                p.insert(k.into_owned(), v.into_owned());
            }
        }
        p
    }
}

/// A response before fault handling.
pub(crate) struct Resp {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(status: u16, v: &serde_json::Value) -> Resp {
        Resp { status, content_type: "application/json", headers: vec![], body: v.to_string().into_bytes() }
    }
    pub fn xml(body: String) -> Resp {
        Resp { status: 200, content_type: "text/xml; charset=utf-8", headers: vec![], body: body.into_bytes() }
    }
    pub fn error(status: u16, msg: &str) -> Resp {
        Self::json(status, &serde_json::json!({ "error": msg }))
    }
}
