//! VideoSDK: a token server as VideoSDK's own example (`GET /get-token`), and the meeting
//! API's token check (`POST /v2/rooms`, `GET /v2/rooms/validate/{roomId}`), where a token is
//! finally judged: signature with the secret, `exp`/`nbf`, and the claim rules.

use crate::http::{Req, Resp};
use crate::server::State;
use serde_json::{json, Map, Value};

pub(crate) fn handle(state: &State, route: &str, req: &Req) -> Resp {
    match route {
        "videosdk.getToken" => get_token(state, req),
        "videosdk.createRoom" => match check(state, req) {
            Ok(_) => {
                let id = room_id();
                if let Ok(mut rooms) = state.rooms.lock() {
                    rooms.push(id.clone());
                }
                Resp::json(200, &json!({"roomId": id}))
            }
            Err(r) => r,
        },
        _ => match check(state, req) {
            Ok(_) => {
                let id = req.path.trim_start_matches("/v2/rooms/validate/").to_string();
                let known = state.rooms.lock().map(|r| r.contains(&id)).unwrap_or(false);
                if known {
                    Resp::json(200, &json!({"roomId": id, "disabled": false}))
                } else {
                    Resp::json(400, &json!({"message": "Invalid room id", "statusCode": 400}))
                }
            }
            Err(r) => r,
        },
    }
}

fn room_id() -> String {
    let part = |n| (0..n).map(|_| (b'a' + fastrand::u8(0..26)) as char).collect::<String>();
    format!("{}-{}-{}", part(4), part(4), part(4))
}

fn get_token(state: &State, req: &Req) -> Resp {
    let cfg = state.config().videosdk;
    let iat = state.now_unix();
    let mut claims = json!({
        "apikey": cfg.api_key,
        "permissions": ["allow_join", "allow_mod"],
        "iat": iat,
        "exp": iat + cfg.token_lifetime_secs as i64,
    });
    let room = req.query.get("roomId").filter(|s| !s.is_empty());
    let peer = req.query.get("peerId").or_else(|| req.query.get("participantId")).filter(|s| !s.is_empty());
    if room.is_some() || peer.is_some() {
        claims["version"] = json!(2);
        claims["roles"] = json!(["rtc"]);
        if let Some(r) = room {
            claims["roomId"] = json!(r);
        }
        if let Some(p) = peer {
            claims["participantId"] = json!(p);
        }
    }
    Resp::json(200, &json!({"token": crate::jwt::sign_hs256(&claims, cfg.secret.as_bytes())}))
}

fn unauthorized() -> Resp {
    Resp::json(401, &json!({"message": "Token is invalid or expired", "statusCode": 401}))
}

/// The meeting API's judgement of the raw token in `Authorization`.
fn check(state: &State, req: &Req) -> Result<Map<String, Value>, Resp> {
    let cfg = state.config().videosdk;
    let raw = req.header("authorization").unwrap_or("").trim();
    let token = raw.strip_prefix("Bearer ").unwrap_or(raw);
    let claims = crate::jwt::verify_hs256(token, cfg.secret.as_bytes()).ok_or_else(unauthorized)?;
    if claims_ok(&claims, &cfg.api_key, state.now_unix()) {
        Ok(claims)
    } else {
        Err(unauthorized())
    }
}

/// VideoSDK's claim rules. Public to the crate for tests.
pub(crate) fn claims_ok(c: &Map<String, Value>, api_key: &str, now: i64) -> bool {
    let str_of = |k: &str| c.get(k).and_then(Value::as_str);
    if str_of("apikey") != Some(api_key) {
        return false;
    }
    let perms = match c.get("permissions").and_then(Value::as_array) {
        Some(p) if !p.is_empty() => p,
        _ => return false,
    };
    if !perms.iter().all(|p| matches!(p.as_str(), Some("allow_join" | "ask_join" | "allow_mod"))) {
        return false;
    }
    let v2 = match c.get("version") {
        None => false,
        Some(v) if v.as_i64() == Some(2) => true,
        Some(_) => return false,
    };
    for k in ["roomId", "participantId"] {
        if let Some(v) = c.get(k) {
            if !v2 || v.as_str().map(str::is_empty).unwrap_or(true) {
                return false;
            }
        }
    }
    if let Some(r) = c.get("roles") {
        let ok = v2 && r.as_array().map(|a| a.iter().all(|x| matches!(x.as_str(), Some("crawler" | "rtc")))).unwrap_or(false);
        if !ok {
            return false;
        }
    }
    let num = |k: &str| c.get(k).and_then(Value::as_f64);
    if let Some(nbf) = num("nbf") {
        if nbf > now as f64 {
            return false;
        }
    }
    match num("exp") {
        Some(exp) => exp > now as f64,
        None => c.get("exp").is_none(),
    }
}
