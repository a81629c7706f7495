//! The router alone: which path and method go to which handler. Nothing else lives here;
//! the handlers are in the route modules, the serving loop in `server`.

use crate::http::Reply;
use crate::state::App;
use crate::{control, kaltura, videokit, videosdk};
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;

/// Every path the server answers, over the shared state.
pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route("/v1/sessions", post(videokit::sessions))
        .route("/token/{identity}", get(videokit::token))
        .route("/api_v3", any(kaltura::entry))
        .route("/api_v3/", any(kaltura::entry))
        .route("/api_v3/{*rest}", any(kaltura::entry))
        .route("/get-token", get(videosdk::get_token).post(videosdk::get_token))
        .route("/v2/rooms", post(videosdk::create_room))
        .route("/v2/rooms/validate/{room_id}", get(videosdk::validate_room))
        .merge(
            Router::new()
                .route("/_control/faults", post(control::faults))
                .route("/_control/counts", get(control::counts))
                .route("/_control/reset", post(control::reset))
                .route("/_control/config", get(control::get_config).post(control::set_config))
                .route_layer(axum::middleware::from_fn(local_tools_only)),
        )
        .fallback(not_found)
        .with_state(app)
}

async fn not_found(req: Request) -> Response {
    Reply::error(404, &format!("no route for {} {}", req.method(), req.uri().path())).into_response()
}

/// The control endpoints answer only what a web page cannot send: a `Host` that is a loopback
/// address or `localhost` (a page that rebinds its own name to 127.0.0.1 sends that name), and
/// no `Origin` but a loopback one (a page's cross-origin "simple" POST, `text/plain`, needs no
/// preflight, but carries its origin). Tools and tests send neither, or loopback ones.
async fn local_tools_only(req: Request, next: Next) -> Response {
    let loopback = |v: Option<&HeaderValue>, origin: bool| {
        let Some(v) = v else { return true };
        let Ok(v) = v.to_str() else { return false };
        let authority = if origin { v.split_once("://").map_or("", |(_, a)| a) } else { v };
        is_loopback_authority(authority)
    };
    if !loopback(req.headers().get(header::HOST), false) || !loopback(req.headers().get(header::ORIGIN), true) {
        return Reply::error(403, "the control endpoints answer local tools only (a loopback Host, and no Origin but a loopback one)")
            .into_response();
    }
    next.run(req).await
}

/// `127.0.0.1`, `localhost`, `[::1]`, each with or without a port.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((h, port)) if port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())) => h,
            _ => return false,
        },
        None => match authority.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            Some(_) => return false,
            None => authority,
        },
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_authority;

    #[test]
    fn loopback_authorities() {
        for a in ["127.0.0.1", "127.0.0.1:8787", "localhost", "LocalHost:1", "[::1]", "[::1]:8787", "127.9.9.9:80"] {
            assert!(is_loopback_authority(a), "{a}");
        }
        for a in [
            "",
            "x",
            "evil.example",
            "evil.example:8787",
            "10.0.0.1",
            "[::2]:1",
            "[::1]x",
            "127.0.0.1:80x",
            "127.0.0.1.evil.example",
            "null",
            "localhost.evil.example",
        ] {
            assert!(!is_loopback_authority(a), "{a}");
        }
    }
}
