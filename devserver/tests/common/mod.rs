//! Helpers shared by the devserver's integration tests.
#![allow(dead_code)]

use base64::Engine as _;
use serde_json::Value;
use videokit_devserver::{DevServer, DevServerConfig};

/// A server on a free port with this config, its base URL and a client.
pub async fn server(cfg: DevServerConfig) -> (DevServer, String, reqwest::Client) {
    let s = DevServer::start(DevServerConfig { port: 0, ..cfg }).await.expect("start");
    let base = s.base_url();
    (s, base, reqwest::Client::new())
}

/// Unix seconds now (system clock).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The JSON of one base64url JWT segment (0 header, 1 claims).
pub fn jwt_part(jwt: &str, i: usize) -> Value {
    let seg = jwt.split('.').nth(i).expect("segment");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(seg).expect("base64url")).expect("json")
}

/// Seconds between the response's `Date` header and the local clock (server minus local).
pub fn date_skew(r: &reqwest::Response) -> i64 {
    let date = httpdate::parse_http_date(r.headers()["date"].to_str().unwrap()).unwrap();
    let d = date.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    d - now_unix()
}
