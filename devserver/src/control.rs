//! The control routes: test controls over HTTP, for out-of-process tests.
//!
//! JSON in and out; not counted, never faulted:
//! - `POST /_control/faults` — one fault object or an array of them (see [`crate::FaultKind`]
//!   and the README); all are queued or, if one is invalid, none (400).
//! - `GET /_control/counts` — `{"token": 3, ...}`.
//! - `POST /_control/reset` — clear faults and counts.
//! - `GET|POST /_control/config` — read or change `clock_offset_secs`, `token_lifetime_secs`,
//!   `videosdk_lifetime_secs`, and a Kaltura app token's session duration
//!   (`kaltura_app_token_id` + `kaltura_session_duration_secs`).

use crate::config::MAX_LIFETIME_SECS;
use crate::faults::FaultSpec;
use crate::http::Reply;
use crate::state::{read_body, App, Controls};
use axum::extract::{Request, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

async fn body_json(app: &App, req: Request) -> Result<Value, Reply> {
    let body = read_body(app, req.into_body()).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&body).map_err(|e| Reply::error(400, &format!("the body is not valid JSON: {e}")))
}

/// `POST /_control/faults`.
pub(crate) async fn faults(State(app): State<App>, req: Request) -> Response {
    let v = match body_json(&app, req).await {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let specs = match v {
        Value::Array(a) => a,
        other => vec![other],
    };
    let mut parsed = Vec::with_capacity(specs.len());
    for s in specs {
        match serde_json::from_value::<FaultSpec>(s).map_err(|e| e.to_string()).and_then(FaultSpec::into_fault) {
            Ok(f) => parsed.push(f),
            Err(e) => return Reply::error(400, &e).into_response(),
        }
    }
    let controls = Controls::new(app);
    let n = parsed.len();
    for f in parsed {
        controls.inject(f);
    }
    Reply::json(200, &json!({"ok": true, "queued": n})).into_response()
}

/// `GET /_control/counts`.
pub(crate) async fn counts(State(app): State<App>) -> Response {
    Reply::json(200, &json!(Controls::new(app).request_counts())).into_response()
}

/// `POST /_control/reset`.
pub(crate) async fn reset(State(app): State<App>) -> Response {
    Controls::new(app).reset();
    Reply::json(200, &json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigPatch {
    clock_offset_secs: Option<i64>,
    token_lifetime_secs: Option<u64>,
    videosdk_lifetime_secs: Option<u64>,
    kaltura_app_token_id: Option<String>,
    kaltura_session_duration_secs: Option<u64>,
}

fn settings(app: &App) -> Value {
    let c = app.config();
    json!({
        "clock_offset_secs": c.clock_offset_secs,
        "token_lifetime_secs": c.token_lifetime.as_secs(),
        "videosdk_lifetime_secs": c.videosdk.token_lifetime_secs,
    })
}

/// `GET /_control/config`.
pub(crate) async fn get_config(State(app): State<App>) -> Response {
    Reply::json(200, &settings(&app)).into_response()
}

/// `POST /_control/config`: the fields given are changed; the settings in force come back.
pub(crate) async fn set_config(State(app): State<App>, req: Request) -> Response {
    let patch: ConfigPatch =
        match body_json(&app, req).await.and_then(|v| serde_json::from_value(v).map_err(|e| Reply::error(400, &e.to_string()))) {
            Ok(p) => p,
            Err(r) => return r.into_response(),
        };
    let controls = Controls::new(app.clone());
    let max = MAX_LIFETIME_SECS;
    for l in [patch.token_lifetime_secs, patch.videosdk_lifetime_secs, patch.kaltura_session_duration_secs].into_iter().flatten() {
        if !(1..=max).contains(&l) {
            return Reply::error(400, &format!("lifetimes must be between 1 and {max} seconds")).into_response();
        }
    }
    match (&patch.kaltura_app_token_id, patch.kaltura_session_duration_secs) {
        (Some(id), Some(secs)) => controls.set_kaltura_session_duration(id, secs),
        (None, None) => {}
        _ => return Reply::error(400, "kaltura_app_token_id and kaltura_session_duration_secs go together").into_response(),
    }
    if let Some(o) = patch.clock_offset_secs {
        controls.set_clock_offset(o);
    }
    if let Some(l) = patch.token_lifetime_secs {
        controls.set_token_lifetime(Duration::from_secs(l));
    }
    if let Some(l) = patch.videosdk_lifetime_secs {
        controls.set_videosdk_lifetime(Duration::from_secs(l));
    }
    Reply::json(200, &settings(&app)).into_response()
}
