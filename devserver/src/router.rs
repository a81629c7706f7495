//! The router alone: which path and method go to which handler. Nothing else lives here;
//! the handlers are in the route modules, the serving loop in `server`.

use crate::http::Reply;
use crate::state::App;
use crate::{control, kaltura, videokit, videosdk};
use axum::extract::Request;
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
        .route("/_control/faults", post(control::faults))
        .route("/_control/counts", get(control::counts))
        .route("/_control/reset", post(control::reset))
        .route("/_control/config", get(control::get_config).post(control::set_config))
        .fallback(not_found)
        .with_state(app)
}

async fn not_found(req: Request) -> Response {
    Reply::error(404, &format!("no route for {} {}", req.method(), req.uri().path())).into_response()
}
