//! The Kaltura routes: the API v3 subset of the Application Token flow
//! (`session.startWidgetSession`, `appToken.startSession`), answered as the Kaltura server does.
//!
//! As the server implements them (SessionService, AppTokenService, kSessionBase): its rules for expiry, user, type and privileges, its check order, errors as
//! `KalturaAPIException` objects with HTTP 200, `format=1` JSON (the default here) and
//! `format=2` XML as its serializers write them, and KS v2 strings built and validated as it
//! does (see [`crate::ks`]).
//!
//! Requests: `/api_v3/service/<service>/action/<action>` (service and action
//! case-insensitive, `index.php/` optional, further `/name/value` path pairs are parameters),
//! or `/api_v3/?service=..&action=..`; parameters from the query, a form body or a JSON body
//! (the official clients' `clientTag`, `apiVersion`, `kalsig`, ... are accepted and ignored).

use crate::answer::{answer, Payload};
use crate::config::{DevServerConfig, KalturaAppToken};
use crate::hash::hash_hex;
use crate::http::{header, params, Reply};
use crate::ks::{generate_ks_v2, ks_partner_id, parse_ks, KsInfo};
use crate::route::Route;
use crate::state::{conn_of, elapsed_secs, read_body, App};
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

/// What both calls' answers look like to the faults that imitate them.
const PAYLOAD: Payload = Payload { field: "ks", malformed: "{\"partnerId\": 1851571, \"ks\": abc.def.ghi" };

/// The widget session's privileges (kSessionBase::WIDGET_PRIVILEGE).
const WIDGET_PRIVILEGE: &str = "view:*,widget:1";

/// Privilege names the server reserves (kSessionBase::PRIVILEGE_*): a `sessionPrivileges`
/// request parameter cannot add these.
const SERVER_PRIVILEGES: &[&str] = &[
    "edit",
    "sview",
    "list",
    "download",
    "downloadasset",
    "editplaylist",
    "sviewplaylist",
    "actionslimit",
    "setrole",
    "limitentry",
    "iprestrict",
    "urirestrict",
    "enableentitlement",
    "disableentitlement",
    "disableentitlementforentry",
    "disableentitlementforplaylist",
    "privacycontext",
    "enablecategorymoderation",
    "reftime",
    "sessionkey",
    "preview",
    "sessionid",
    "jobtype",
    "apptoken",
    "enablechangeaccount",
    "edituser",
    "enablecaptionmoderation",
    "editadmintags",
    "restrictexplicitliveview",
    "virtualeventid",
    "searchcontext",
];

/// A result object: its class and its properties in declared order.
struct KObject {
    class: &'static str,
    props: Vec<(&'static str, Value)>,
}

/// A `KalturaAPIException`.
#[derive(Debug)]
struct KError {
    code: &'static str,
    message: String,
    args: Vec<(&'static str, String)>,
}

impl KError {
    fn new(code: &'static str, message: String, args: Vec<(&'static str, String)>) -> Self {
        KError { code, message, args }
    }
}

fn missing(name: &'static str) -> KError {
    KError::new("MISSING_MANDATORY_PARAMETER", format!("Missing parameter \"{name}\""), vec![("PARAM_NAME", name.to_string())])
}

fn invalid_ks(ks: &str, code: i32, desc: &str) -> KError {
    KError::new(
        "INVALID_KS",
        format!("Invalid KS \"{ks}\", Error \"{code},{desc}\""),
        vec![("KSID", ks.to_string()), ("ERR_CODE", code.to_string()), ("ERR_DESC", desc.to_string())],
    )
}

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// JSON as the server writes it: properties in order, nulls dropped, `objectType` last.
fn object_json(o: &KObject) -> String {
    let mut parts: Vec<String> = o.props.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| format!("{}:{}", js(k), v)).collect();
    parts.push(format!("\"objectType\":{}", js(o.class)));
    format!("{{{}}}", parts.join(","))
}

/// `{"code", "message", "objectType": "KalturaAPIException", "args"}`; args `[]` when empty.
fn error_json(e: &KError) -> String {
    let args = if e.args.is_empty() {
        "[]".to_string()
    } else {
        format!("{{{}}}", e.args.iter().map(|(k, v)| format!("{}:{}", js(k), js(v))).collect::<Vec<_>>().join(","))
    };
    format!("{{\"code\":{},\"message\":{},\"objectType\":\"KalturaAPIException\",\"args\":{}}}", js(e.code), js(&e.message), args)
}

/// kString::xmlEncode.
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

fn xml_value(v: &Value) -> String {
    match v {
        Value::String(s) => xml_escape(s),
        Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Value::Null => String::new(),
        Value::Array(a) => a.iter().map(|x| format!("<item>{}</item>", xml_value(x))).collect(),
        other => xml_escape(&other.to_string()),
    }
}

/// XML as KalturaXmlSerializer writes it: `objectType` first, then the properties.
fn object_xml(o: &KObject) -> String {
    let mut s = format!("<objectType>{}</objectType>", o.class);
    for (k, v) in o.props.iter().filter(|(_, v)| !v.is_null()) {
        s.push_str(&format!("<{k}>{}</{k}>", xml_value(v)));
    }
    s
}

fn error_xml(e: &KError) -> String {
    let args: String = e
        .args
        .iter()
        .map(|(k, v)| {
            format!(
                "<item><objectType>KalturaApiExceptionArg</objectType><name>{}</name><value>{}</value></item>",
                xml_escape(k),
                xml_escape(v)
            )
        })
        .collect();
    format!(
        "<error><code>{}</code><message>{}</message><objectType>KalturaAPIException</objectType><args>{args}</args></error>",
        xml_escape(e.code),
        xml_escape(&e.message)
    )
}

/// `format=2` is XML; anything else (1, missing, unknown) JSON.
fn wants_xml(p: &HashMap<String, String>) -> bool {
    p.get("format").is_some_and(|f| f.trim() == "2")
}

fn render(xml: bool, started: Instant, result: Result<KObject, KError>) -> Reply {
    if xml {
        let inner = match &result {
            Ok(o) => object_xml(o),
            Err(e) => error_xml(e),
        };
        Reply::xml(format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result>{inner}</result><executionTime>{:.6}</executionTime></xml>",
            elapsed_secs(started)
        ))
    } else {
        Reply::json_text(
            200,
            match &result {
                Ok(o) => object_json(o),
                Err(e) => error_json(e),
            },
        )
    }
}

/// Service and action (lower case) from the path, else from the parameters; `/name/value`
/// pairs after them in the path are added to the parameters.
fn service_action(path: &str, p: &mut HashMap<String, String>) -> (String, String) {
    let rest = path.strip_prefix("/api_v3").unwrap_or(path).trim_start_matches('/');
    let rest = rest.strip_prefix("index.php").unwrap_or(rest);
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let (mut service, mut action) = (None, None);
    for pair in segs.chunks(2) {
        let [k, v] = pair else { break };
        let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned();
        if k.eq_ignore_ascii_case("service") {
            service = Some(v.to_ascii_lowercase());
        } else if k.eq_ignore_ascii_case("action") {
            action = Some(v.to_ascii_lowercase());
        } else {
            let k = percent_encoding::percent_decode_str(k).decode_utf8_lossy().into_owned();
            p.entry(k).or_insert(v);
        }
    }
    let from_params = |name: &str| p.get(name).map(|s| s.to_ascii_lowercase()).unwrap_or_default();
    (service.unwrap_or_else(|| from_params("service")), action.unwrap_or_else(|| from_params("action")))
}

/// The route of a service and action.
fn route_of(service: &str, action: &str) -> Option<Route> {
    match (service, action) {
        ("session", "startwidgetsession") => Some(Route::KalturaStartWidgetSession),
        ("apptoken", "startsession") => Some(Route::KalturaAppTokenStartSession),
        _ => None,
    }
}

/// One call of the subset, answered.
fn run_call(app: &App, route: Route, cfg: &DevServerConfig, now: i64, p: &HashMap<String, String>) -> Result<KObject, KError> {
    if route == Route::KalturaStartWidgetSession {
        start_widget_session(cfg, now, p)
    } else {
        start_session(app, cfg, now, p)
    }
}

/// Everything under `/api_v3`.
pub(crate) async fn entry(State(app): State<App>, req: Request) -> Response {
    let started = Instant::now();
    let conn = conn_of(&req);
    let (parts, body) = req.into_parts();
    let body = match read_body(&app, body).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let mut p = params(parts.uri.query(), header(&parts.headers, "content-type"), &body);
    let (service, action) = service_action(parts.uri.path(), &mut p);
    let xml = wants_xml(&p);
    if service == "multirequest" {
        return multirequest(&app, &p, xml, started).into_response();
    }
    let Some(route) = route_of(&service, &action) else {
        // Not part of the subset: the server's own errors, not counted.
        return render(xml, started, Err(unknown_call(&service, &action))).into_response();
    };
    answer(&app, route, &PAYLOAD, conn, || {
        let result = run_call(&app, route, &app.config(), app.now_unix(), &p);
        if let Err(e) = &result {
            log::debug!(target: "videokit_devserver", "{route}: {}", e.code);
        }
        render(xml, started, result)
    })
    .await
}

/// The server's error for a service or action outside the subset.
fn unknown_call(service: &str, action: &str) -> KError {
    if service != "session" && service != "apptoken" {
        KError::new("SERVICE_DOES_NOT_EXISTS", format!("Service \"{service}\" does not exist"), vec![("SERVICE", service.to_string())])
    } else {
        KError::new(
            "ACTION_DOES_NOT_EXISTS",
            format!("Action \"{action}\" does not exists for service \"{service}\""),
            vec![("ACTION", action.to_string()), ("SERVICE", service.to_string())],
        )
    }
}

/// Most calls in one multirequest.
const MAX_MULTIREQUEST_CALLS: usize = 50;

/// The calls of a multirequest, in index order: JSON `{"0": {"service", "action", ...},
/// "1": {...}}` (the Python and Node clients; 0- or 1-based) or form/query `1:service=..`,
/// `1:action=..`, `1:name=..`. Other parameters (`ks`, `format`, `clientTag`, ...) are shared
/// by every call; a call's own win.
fn multirequest_calls(p: &HashMap<String, String>) -> Vec<HashMap<String, String>> {
    let mut calls: std::collections::BTreeMap<u32, HashMap<String, String>> = std::collections::BTreeMap::new();
    let mut shared: HashMap<String, String> = HashMap::new();
    for (k, v) in p {
        if let Ok(i) = k.parse::<u32>() {
            if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(v) {
                let call = calls.entry(i).or_default();
                for (name, val) in o {
                    let s = match val {
                        Value::String(s) => s,
                        Value::Null => continue,
                        other => other.to_string(),
                    };
                    call.insert(name, s);
                }
                continue;
            }
        }
        match k.split_once(':').and_then(|(i, name)| Some((i.parse::<u32>().ok()?, name))) {
            Some((i, name)) => {
                calls.entry(i).or_default().insert(name.to_string(), v.clone());
            }
            None => {
                shared.insert(k.clone(), v.clone());
            }
        }
    }
    shared.remove("service");
    shared.remove("action");
    calls
        .into_values()
        .take(MAX_MULTIREQUEST_CALLS)
        .map(|own| {
            let mut all = shared.clone();
            all.extend(own);
            all
        })
        .collect()
}

/// `{K:result}` or `{K:result:prop[:prop]}` (K 1-based) → the value of an earlier result.
fn substitute(value: &str, results: &[Result<KObject, KError>]) -> Option<String> {
    let inner = value.strip_prefix('{')?.strip_suffix('}')?;
    let mut parts = inner.split(':');
    let k: usize = parts.next()?.parse().ok()?;
    if parts.next()? != "result" {
        return None;
    }
    let obj = results.get(k.checked_sub(1)?)?.as_ref().ok()?;
    let prop = parts.next()?;
    let v = obj.props.iter().find(|(name, _)| *name == prop).map(|(_, v)| v)?;
    Some(match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// `service=multirequest`: each call answered in order, as the server does (a failing call
/// gives its exception in its place; the others still run). Each call is counted on its own
/// route; faults apply to single calls only.
fn multirequest(app: &App, p: &HashMap<String, String>, xml: bool, started: Instant) -> Reply {
    let cfg = app.config();
    let now = app.now_unix();
    let mut results: Vec<Result<KObject, KError>> = Vec::new();
    for mut call in multirequest_calls(p) {
        for v in call.values_mut() {
            if let Some(s) = substitute(v, &results) {
                *v = s;
            }
        }
        let service = call.get("service").map(|s| s.to_ascii_lowercase()).unwrap_or_default();
        let action = call.get("action").map(|s| s.to_ascii_lowercase()).unwrap_or_default();
        let result = match route_of(&service, &action) {
            Some(route) => {
                app.count(route);
                run_call(app, route, &cfg, now, &call)
            }
            None => Err(unknown_call(&service, &action)),
        };
        results.push(result);
    }
    if xml {
        let items: String = results
            .iter()
            .map(|r| match r {
                Ok(o) => format!("<item>{}</item>", object_xml(o)),
                Err(e) => format!("<item>{}</item>", error_xml(e)),
            })
            .collect();
        Reply::xml(format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><xml><result>{items}</result><executionTime>{:.6}</executionTime></xml>",
            elapsed_secs(started)
        ))
    } else {
        let items: Vec<String> = results
            .iter()
            .map(|r| match r {
                Ok(o) => object_json(o),
                Err(e) => error_json(e),
            })
            .collect();
        Reply::json_text(200, format!("[{}]", items.join(",")))
    }
}

/// A parameter that is present and not empty.
fn param<'a>(p: &'a HashMap<String, String>, k: &str) -> Option<&'a str> {
    p.get(k).map(String::as_str).filter(|s| !s.is_empty())
}

/// An integer parameter (0, empty or not a number: absent).
fn int_param(p: &HashMap<String, String>, k: &str) -> Option<i64> {
    param(p, k).and_then(|s| s.trim().parse::<i64>().ok()).filter(|v| *v != 0)
}

/// `session.startWidgetSession(widgetId, expiry = 86400)`: a USER KS for user 0 with
/// `view:*,widget:1`.
fn start_widget_session(cfg: &DevServerConfig, now: i64, p: &HashMap<String, String>) -> Result<KObject, KError> {
    let widget = p.get("widgetId").ok_or_else(|| missing("widgetId"))?;
    let partner = widget
        .strip_prefix('_')
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| cfg.kaltura.partners.iter().find(|pt| pt.id == id))
        .ok_or_else(|| KError::new("INVALID_WIDGET_ID", format!("Unknown widget [{widget}]"), vec![("WIDGET_ID", widget.to_string())]))?;
    let lifetime = int_param(p, "expiry").unwrap_or(86_400);
    let ks = generate_ks_v2(partner.id, &partner.admin_secret, now.saturating_add(lifetime), 0, "0", WIDGET_PRIVILEGE);
    Ok(KObject {
        class: "KalturaStartWidgetSessionResponse",
        props: vec![("partnerId", json!(partner.id)), ("ks", json!(ks)), ("userId", json!(0))],
    })
}

/// A KS this server can read: its partner is configured and it decrypts (v2) or verifies
/// (v1) with that partner's admin secret. Expiry is not checked here.
fn read_ks(cfg: &DevServerConfig, ks: &str) -> Option<KsInfo> {
    let pid = ks_partner_id(ks)?;
    let partner = cfg.kaltura.partners.iter().find(|p| p.id == pid)?;
    parse_ks(ks, &partner.admin_secret).filter(|i| i.partner_id == pid)
}

/// kSessionBase::parsePrivileges: name → values (split on '/'), in first-seen order.
fn parse_privileges(s: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for p in s.split(',') {
        let (name, value) = match p.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (p, None),
        };
        let values: Vec<String> = value.filter(|v| !v.is_empty()).map(|v| v.split('/').map(str::to_string).collect()).unwrap_or_default();
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, vs)) => vs.extend(values),
            None => out.push((name.to_string(), values)),
        }
    }
    out
}

/// array_merge_recursive of two parsed privilege lists.
fn merge_privileges(into: &mut Vec<(String, Vec<String>)>, more: Vec<(String, Vec<String>)>) {
    for (name, values) in more {
        match into.iter_mut().find(|(n, _)| *n == name) {
            Some((_, vs)) => vs.extend(values),
            None => into.push((name, values)),
        }
    }
}

/// kSessionBase::buildPrivileges.
fn build_privileges(list: &[(String, Vec<String>)]) -> String {
    list.iter().map(|(n, vs)| if vs.is_empty() { n.clone() } else { format!("{n}:{}", vs.join("/")) }).collect::<Vec<_>>().join(",")
}

/// The KS privileges of an app-token session: `sessionid:<id>,apptoken:<id>`, then the
/// token's sessionPrivileges, then those requested that are neither server-reserved nor
/// already set.
fn session_privileges(tok: &KalturaAppToken, requested: Option<&str>) -> String {
    let mut list = vec![("sessionid".to_string(), vec![tok.id.clone()]), ("apptoken".to_string(), vec![tok.id.clone()])];
    if let Some(sp) = tok.session_privileges.as_deref().filter(|s| !s.is_empty()) {
        merge_privileges(&mut list, parse_privileges(sp));
    }
    if let Some(req) = requested.filter(|s| !s.is_empty()) {
        let taken: Vec<String> = list.iter().map(|(n, _)| n.trim().to_string()).collect();
        let allowed = parse_privileges(req)
            .into_iter()
            .filter(|(n, _)| !SERVER_PRIVILEGES.contains(&n.trim()) && !taken.contains(&n.trim().to_string()))
            .collect();
        merge_privileges(&mut list, allowed);
    }
    build_privileges(&list)
}

/// `appToken.startSession(id, tokenHash, userId?, type?, expiry?, sessionPrivileges?)`.
/// Check order (api-responses.json): INVALID_KS, MISSING_MANDATORY_PARAMETER, KS expiry,
/// permissions (MISSING_KS), then APP_TOKEN_ID_NOT_FOUND, APP_TOKEN_NOT_ACTIVE,
/// INVALID_APP_TOKEN_HASH, APP_TOKEN_EXPIRED.
fn start_session(app: &App, cfg: &DevServerConfig, now: i64, p: &HashMap<String, String>) -> Result<KObject, KError> {
    let ks = param(p, "ks");
    let info = match ks {
        Some(ks) => Some(read_ks(cfg, ks).ok_or_else(|| invalid_ks(ks, -1, "INVALID_STR"))?),
        None => None,
    };
    let id = p.get("id").ok_or_else(|| missing("id"))?;
    let token_hash = p.get("tokenHash").ok_or_else(|| missing("tokenHash"))?;
    let (ks, info) = match (ks, info) {
        (Some(ks), Some(info)) => {
            if info.expiry <= now {
                return Err(invalid_ks(ks, -5, "EXPIRED"));
            }
            (ks, info)
        }
        _ => return Err(KError::new("MISSING_KS", "Missing KS, session not established".into(), vec![])),
    };

    let tok = cfg.kaltura.app_tokens.iter().find(|t| t.id == *id && t.partner_id == info.partner_id && t.status != 3).ok_or_else(|| {
        KError::new("APP_TOKEN_ID_NOT_FOUND", format!("Application token id \"{id}\" not found"), vec![("ID", id.to_string())])
    })?;
    if tok.status != 2 {
        return Err(KError::new("APP_TOKEN_NOT_ACTIVE", format!("Application token id \"{id}\" not active"), vec![("ID", id.to_string())]));
    }
    // AppToken::calcHash: hash(hashType, ks . token), compared with !== (so upper case fails).
    if hash_hex(&tok.hash_type, &format!("{ks}{}", tok.token)).as_deref() != Some(token_hash.as_str()) {
        return Err(KError::new("INVALID_APP_TOKEN_HASH", "Invalid application token hash".into(), vec![]));
    }
    let expired = || KError::new("APP_TOKEN_EXPIRED", format!("Application token id \"{id}\" expired"), vec![("ID", id.to_string())]);
    let mut token_expiry = app.kaltura_duration_override(id).unwrap_or(tok.session_duration).min(i64::MAX as u64) as i64;
    if let Some(te) = tok.expiry {
        if te <= now {
            return Err(expired());
        }
        token_expiry = token_expiry.min(te - now);
    }
    // expiry = min(requested or sessionDuration, sessionDuration, token.expiry - now)
    let lifetime = int_param(p, "expiry").unwrap_or(token_expiry).min(token_expiry);
    // The token's sessionType replaces the requested type; default USER. Only USER (0) and
    // ADMIN (2) are session types; anything else counts as not given.
    let requested_type = param(p, "type").and_then(|t| t.trim().parse::<i32>().ok()).filter(|t| *t == 0 || *t == 2);
    let session_type = tok.session_type.or(requested_type).unwrap_or(0);
    // The token's sessionUserId replaces the requested userId; "" when neither is set.
    let user = tok.session_user_id.clone().or_else(|| p.get("userId").cloned()).unwrap_or_default();
    let privileges = session_privileges(tok, param(p, "sessionPrivileges"));
    let admin_secret =
        cfg.kaltura.partners.iter().find(|pt| pt.id == info.partner_id).map(|pt| pt.admin_secret.as_str()).unwrap_or_default();
    let expiry = now.saturating_add(lifetime);
    let user_ks = generate_ks_v2(info.partner_id, admin_secret, expiry, session_type, &user, &privileges);
    Ok(KObject {
        class: "KalturaSessionInfo",
        props: vec![
            ("ks", json!(user_ks)),
            ("sessionType", json!(session_type)),
            ("partnerId", json!(info.partner_id.to_string())),
            ("userId", json!(user)),
            ("expiry", json!(expiry)),
            ("privileges", json!(privileges)),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_payload_is_not_json() {
        assert!(serde_json::from_str::<Value>(PAYLOAD.malformed).is_err());
    }

    #[test]
    fn shapes_match_the_server() {
        let data: Value = serde_json::from_str(include_str!("../../core/tests/data/kaltura/api-responses.json")).unwrap();
        for e in data["errors"].as_array().unwrap() {
            let args: Vec<(&'static str, String)> = match e["args"].as_object() {
                Some(m) => m.iter().map(|(k, v)| (&*Box::leak(k.clone().into_boxed_str()), v.as_str().unwrap().to_string())).collect(),
                None => vec![],
            };
            let code: &'static str = Box::leak(e["code"].as_str().unwrap().to_string().into_boxed_str());
            let mine = error_json(&KError::new(code, e["message"].as_str().unwrap().into(), args));
            assert_eq!(serde_json::from_str::<Value>(&mine).unwrap(), *e);
        }
        assert_eq!(
            error_json(&invalid_ks("bad", -1, "INVALID_STR")),
            r#"{"code":"INVALID_KS","message":"Invalid KS \"bad\", Error \"-1,INVALID_STR\"","objectType":"KalturaAPIException","args":{"KSID":"bad","ERR_CODE":"-1","ERR_DESC":"INVALID_STR"}}"#
        );
        let o = KObject {
            class: "KalturaStartWidgetSessionResponse",
            props: vec![("partnerId", json!(1851571)), ("ks", json!("k")), ("userId", json!(0)), ("gone", Value::Null)],
        };
        assert_eq!(object_json(&o), r#"{"partnerId":1851571,"ks":"k","userId":0,"objectType":"KalturaStartWidgetSessionResponse"}"#);
        assert_eq!(
            object_xml(&o),
            "<objectType>KalturaStartWidgetSessionResponse</objectType><partnerId>1851571</partnerId><ks>k</ks><userId>0</userId>"
        );
        assert_eq!(
            error_xml(&invalid_ks("a<b", -1, "INVALID_STR")),
            "<error><code>INVALID_KS</code><message>Invalid KS &quot;a&lt;b&quot;, Error &quot;-1,INVALID_STR&quot;</message><objectType>KalturaAPIException</objectType><args><item><objectType>KalturaApiExceptionArg</objectType><name>KSID</name><value>a&lt;b</value></item><item><objectType>KalturaApiExceptionArg</objectType><name>ERR_CODE</name><value>-1</value></item><item><objectType>KalturaApiExceptionArg</objectType><name>ERR_DESC</name><value>INVALID_STR</value></item></args></error>"
        );
    }

    #[test]
    fn privileges_rules() {
        let mut t = crate::config::KalturaConfig::default().app_tokens.remove(0);
        assert_eq!(session_privileges(&t, None), "sessionid:0_xeu31jy5,apptoken:0_xeu31jy5");
        t.session_privileges = Some("edit:*,list:1/2,setrole:5".into());
        assert_eq!(
            session_privileges(&t, Some("edit:x,actionslimit:3,custom:a,list:9,mine")),
            "sessionid:0_xeu31jy5,apptoken:0_xeu31jy5,edit:*,list:1/2,setrole:5,custom:a,mine"
        );
        t.session_privileges = Some("sessionid:other".into());
        assert_eq!(session_privileges(&t, None), "sessionid:0_xeu31jy5/other,apptoken:0_xeu31jy5");
    }

    #[test]
    fn service_and_action_from_path_or_params() {
        let mut p = HashMap::new();
        assert_eq!(
            service_action("/api_v3/service/APPTOKEN/action/StartSession/ks/abc%3D", &mut p),
            ("apptoken".into(), "startsession".into())
        );
        assert_eq!(p["ks"], "abc=");
        let mut p: HashMap<String, String> =
            [("service".to_string(), "Session".to_string()), ("action".to_string(), "startWidgetSession".to_string())].into();
        assert_eq!(service_action("/api_v3/index.php", &mut p), ("session".into(), "startwidgetsession".into()));
        assert_eq!(service_action("/api_v3/", &mut HashMap::new()), (String::new(), String::new()));
    }
}
