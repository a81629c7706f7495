//! The token sources shipped with the SDK.
pub mod videokit;
