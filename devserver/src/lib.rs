//! # videokit-devserver
//!
//! A local backend on 127.0.0.1 that speaks what real deployments speak, for tests and the
//! demo:
//! - the VideoKit session gateway `POST /v1/sessions` and an app backend
//!   `GET /token/{identity}` issuing through it;
//! - the Kaltura API v3 subset of the appToken flow (`session.startWidgetSession`,
//!   `appToken.startSession`) with KS v2 strings built as the Kaltura server builds them;
//! - a VideoSDK token server `GET /get-token` and the meeting API's token check
//!   (`POST /v2/rooms`, `GET /v2/rooms/validate/{roomId}`).
//!
//! Every response carries a `Date` header from the server's clock (system time plus a
//! configurable offset). Tests control it in-process through [`Controls`] or over HTTP
//! (`/_control/...`): inject [`Fault`]s per route, read per-route request counts, shift the
//! clock, shorten token lifetimes.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use videokit_devserver::{DevServer, DevServerConfig, Fault, FaultKind};
//! let server = DevServer::start(DevServerConfig::default()).await?; // port 0: any free port
//! server.controls().inject(Fault::once("token", FaultKind::Status { status: 503, retry_after: Some(2), body: None }));
//! println!("backend at {}/token/{{identity}}", server.base_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Routes are axum's; connections are served by hand with hyper, so a [`FaultKind::Drop`] can
//! close a connection without writing any response.

#![warn(missing_docs)]

// Three layers; a module imports only from the layers above it and the modules named beside
// it (no cycles; rustfmt sorts each group).
// Leaves, importing nothing from the crate:
mod hash;
mod http;
pub mod jwt;
pub mod ks;
mod route;
// Configuration (hash), faults (route), shared state (config, faults), fault application
// around a route's answer (faults, state):
mod answer;
mod config;
mod faults;
mod state;
// The routes (the layers above), the router (the routes), the server (the router):
mod control;
mod kaltura;
mod router;
mod server;
mod videokit;
mod videosdk;

pub use config::{
    ConfigError, DevServerConfig, KalturaAppToken, KalturaConfig, KalturaPartner, VideoSdkConfig, DEFAULT_APP_TOKEN,
    DEFAULT_KALTURA_ADMIN_SECRET, DEFAULT_KALTURA_APP_TOKEN, DEFAULT_KALTURA_APP_TOKEN_ID, DEFAULT_KALTURA_PARTNER_ID,
    DEFAULT_SIGNING_SECRET, DEFAULT_VIDEOSDK_API_KEY, DEFAULT_VIDEOSDK_SECRET,
};
pub use faults::{Fault, FaultKind};
pub use jwt::{sign_hs256, verify_hs256};
pub use ks::{decrypt_ks_v2, encrypt_ks_v2};
pub use server::DevServer;
pub use state::Controls;

/// The route names used for request counts and faults, in the order of the README.
pub const ROUTES: &[&str] = &route::Route::NAMES;

/// What `videokit-devserver` and `videokit serve` print on start, one string a line: the
/// base URL first, then `app tokens: ...`, then the routes and controls.
pub fn banner(base: &str, config: &DevServerConfig) -> Vec<String> {
    let kaltura: Vec<String> =
        config.kaltura.app_tokens.iter().map(|t| format!("{} (partner {}, {})", t.id, t.partner_id, t.hash_type)).collect();
    vec![
        base.to_string(),
        format!("app tokens: {}", config.app_tokens.join(", ")),
        format!("VideoKit gateway: POST {base}/v1/sessions   app backend: GET {base}/token/{{identity}}"),
        format!("Kaltura: {base}/api_v3/service/...   app tokens: {}", kaltura.join(", ")),
        format!("VideoSDK: GET {base}/get-token   POST {base}/v2/rooms   GET {base}/v2/rooms/validate/{{roomId}}"),
        format!("controls: {base}/_control/{{faults,counts,reset,config}}   Ctrl-C to stop"),
    ]
}
