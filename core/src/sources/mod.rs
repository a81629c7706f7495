//! The token sources shipped with the SDK, one module per kind of backend: [`generic`] (a
//! fixed token, an app-supplied provider), [`videokit`] (the gateway, the app's backend),
//! [`kaltura`] (the appToken flow) and [`videosdk`] (a token server). Each keeps its vendor's
//! facts to itself, including what it saves and restores with a stored session.
pub mod generic;
pub mod kaltura;
pub mod videokit;
pub mod videosdk;
