//! The token sources shipped with the SDK.
pub mod kaltura;
pub mod videokit;
pub mod videosdk;
