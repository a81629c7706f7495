//! # videokit-devserver
//!
//! A local backend on 127.0.0.1 that speaks what real deployments speak, for tests and the
//! demo: the VideoKit session gateway and an app backend, the Kaltura API v3 subset of the
//! appToken flow, and a VideoSDK token server with the meeting API's token check. It has a
//! test-control surface (faults, request counts, clock offset, lifetimes), usable in-process
//! ([`Controls`]) and over HTTP (`/_control/...`) for out-of-process tests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use videokit_devserver::{DevServer, DevServerConfig};
//! let server = DevServer::start(DevServerConfig { port: 0, ..Default::default() }).await?;
//! println!("gateway at {}/v1/sessions", server.base_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod config;
mod faults;
mod http;
pub mod jwt;
mod kaltura;
mod server;
mod videokit;
mod videosdk;

pub use config::{ConfigError, DevServerConfig, KalturaAppToken, KalturaConfig, KalturaPartner, VideoSdkConfig, DEFAULT_APP_TOKEN};
pub use faults::{Fault, FaultKind};
pub use jwt::sign_hs256;
pub use kaltura::{decrypt_ks_v2, encrypt_ks_v2};
pub use server::{Controls, DevServer};
