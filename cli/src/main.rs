//! `videokit`: the SDK's command-line companion.
//!
//! Exit codes: 0 success, 1 the operation failed (with `--json`, `{"error": {"kind",
//! "message"}}` on stdout), 2 usage error.

#[macro_use]
mod out;

mod demo;
mod inspect;
mod logger;
mod vendors;

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use videokit_core::sources::generic::FixedTokenSource;
use videokit_core::sources::videokit::{ApiTokenSource, BackendSource, DEFAULT_GATEWAY_URL};
use videokit_core::{Error, ErrorKind, FileStore, Secret, Session, SessionConfig, SessionData, SessionDeps, TokenSource};

#[derive(Parser)]
#[command(name = "videokit", version, about = "VideoKit SDK command line: demo, local backend, sessions, token inspection")]
struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace). Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start the local backend in-process and walk through every flow, printing each state
    /// transition. Exits 0 when every check holds.
    Demo(demo::DemoArgs),
    /// Run the local backend (VideoKit gateway, app backend, Kaltura, VideoSDK) on 127.0.0.1.
    Serve(ServeArgs),
    /// Session commands.
    #[command(subcommand)]
    Session(SessionCmd),
    /// Token commands.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Kaltura Sessions through the appToken flow.
    #[command(subcommand)]
    Kaltura(vendors::KalturaCmd),
    /// VideoSDK access tokens.
    #[command(subcommand)]
    Videosdk(vendors::VideoSdkCmd),
}

#[derive(Args)]
struct ServeArgs {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Lifetime of the VideoKit session tokens it issues, in seconds.
    #[arg(long)]
    token_lifetime: Option<u64>,
    /// JSON config file adding app tokens, Kaltura partners and app tokens, VideoSDK keys.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Print one JSON line {"base_url", "app_tokens"} instead of text (for test harnesses);
    /// the text form starts with the base URL line, then "app tokens: ...".
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum SessionCmd {
    /// Start a session with exactly one of: --api-token (or --api-token-env) + --identity,
    /// --token-url + --identity, --session-token (or --session-token-env). Prints the session
    /// and exits.
    Start(StartArgs),
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["api_token", "api_token_env", "token_url", "session_token", "session_token_env"])))]
struct StartArgs {
    /// VideoKit app (API) token, development only: the value, or - to read it from stdin.
    #[arg(long)]
    api_token: Option<String>,
    /// Take the app token from the environment variable VIDEOKIT_API_TOKEN (keeps it out of `ps`).
    #[arg(long)]
    api_token_env: bool,
    /// Backend token URL template containing {identity}.
    #[arg(long)]
    token_url: Option<String>,
    /// A session token you already have: the value, or - to read it from stdin.
    #[arg(long)]
    session_token: Option<String>,
    /// Take the session token from the environment variable VIDEOKIT_SESSION_TOKEN.
    #[arg(long)]
    session_token_env: bool,
    /// User or device identity (with --api-token or --token-url).
    #[arg(long)]
    identity: Option<String>,
    /// Scopes to request (with --api-token); repeatable.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Gateway base URL (with --api-token).
    #[arg(long, default_value = DEFAULT_GATEWAY_URL)]
    gateway: String,
    /// Seconds before giving up on a request (one retry after a transient failure: 2 attempts in all).
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Allow plain http:// to non-loopback hosts (never in production).
    #[arg(long)]
    allow_insecure_http: bool,
    /// Keep the session in this directory and resume it while still valid.
    #[arg(long)]
    store: Option<std::path::PathBuf>,
    /// Machine-readable output: {"state", "identity", "token", "expires_at", "source"} or
    /// {"error": {"kind", "message"}}.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Decode a token offline (JWT, VideoSDK access token, Kaltura KS): header, claims,
    /// expiry, time left. Nothing is sent anywhere.
    Inspect(inspect::InspectArgs),
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if !e.use_stderr() {
                // --help, --version
                let _ = e.print();
                std::process::exit(0);
            }
            // Under --json a usage error is JSON too, on stdout like every other error.
            if std::env::args().skip(1).any(|a| a == "--json") {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or("usage error").trim_start_matches("error: ").trim().to_string();
                outln!("{}", json!({"error": {"kind": "usage", "message": first, "usage": text.trim_end()}}));
            } else {
                let _ = e.print();
            }
            std::process::exit(2);
        }
    };
    logger::init(logger::level_from(cli.verbose));
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("videokit: could not start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = rt.block_on(async move {
        match cli.cmd {
            Cmd::Demo(a) => demo::run(a).await,
            Cmd::Serve(a) => serve(a).await,
            Cmd::Session(SessionCmd::Start(a)) => session_start(a).await,
            Cmd::Token(TokenCmd::Inspect(a)) => inspect::run(a),
            Cmd::Kaltura(c) => vendors::kaltura(c).await,
            Cmd::Videosdk(c) => vendors::videosdk(c).await,
        }
    });
    std::process::exit(code);
}

/// Print an error the CLI way and return exit code 1.
pub fn fail(e: &Error, json_out: bool) -> i32 {
    if json_out {
        let mut err = json!({"kind": e.kind().as_str(), "message": e.message()});
        if let Some(c) = e.code() {
            err["code"] = json!(c);
        }
        if let Some(s) = e.status() {
            err["status"] = json!(s);
        }
        outln!("{}", json!({ "error": err }));
    } else {
        eprintln!("videokit: {e}");
    }
    1
}

pub fn usage(msg: &str) -> i32 {
    eprintln!("videokit: {msg}");
    2
}

/// A usage error (exit 2): under `--json`, `{"error": {"kind": "usage", "message"}}` on
/// stdout like every other error; otherwise text on stderr.
pub fn usage_err(json_out: bool, msg: &str) -> i32 {
    if json_out {
        outln!("{}", json!({"error": {"kind": "usage", "message": msg}}));
        2
    } else {
        usage(msg)
    }
}

/// A secret given on the command line, as `-` (read one line from stdin), or through the
/// environment variable `env` when the flag is absent: secrets need not be arguments, which
/// any user can see in `ps`.
pub fn secret_arg(value: Option<String>, env: Option<&str>, what: &str) -> Result<Option<String>, Error> {
    match value.as_deref() {
        Some("-") => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| Error::invalid_argument(format!("could not read the {what} from stdin: {e}")))?;
            let v = line.trim_end_matches(['\r', '\n']).to_string();
            if v.is_empty() {
                return Err(Error::invalid_argument(format!("the {what} read from stdin is empty")));
            }
            Ok(Some(v))
        }
        Some(_) => Ok(value),
        None => Ok(env.and_then(|k| std::env::var(k).ok()).filter(|v| !v.is_empty())),
    }
}

pub fn rfc3339(t: std::time::SystemTime) -> String {
    videokit_core::clock::format_rfc3339(t)
}

pub fn session_json(state: &str, d: &SessionData) -> Value {
    json!({
        "state": state,
        "identity": d.identity,
        "token": d.token.expose(),
        "expires_at": d.expires_at.map(rfc3339),
        "source": d.source.as_str(),
    })
}

async fn serve(a: ServeArgs) -> i32 {
    let mut cfg = match &a.config {
        Some(p) => match videokit_devserver::DevServerConfig::from_json_file(p) {
            Ok(c) => c,
            Err(e) => return usage_err(a.json, &format!("cannot use the config file {}: {e}", p.display())),
        },
        None => videokit_devserver::DevServerConfig::default(),
    };
    cfg.port = a.port;
    if let Some(l) = a.token_lifetime {
        cfg.token_lifetime = Duration::from_secs(l);
    }
    if let Err(e) = cfg.validate() {
        return usage_err(a.json, &e.to_string());
    }
    let tokens = cfg.app_tokens.clone();
    let server = match videokit_devserver::DevServer::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("videokit: cannot start the local backend on port {}: {e}", a.port);
            return 1;
        }
    };
    let base = server.base_url();
    if a.json {
        outln!("{}", json!({"base_url": base, "app_tokens": tokens}));
    } else {
        // The same lines as the videokit-devserver binary (devserver/README.md): the base URL
        // first, the accepted app tokens second.
        for line in videokit_devserver::banner(&base, &server.controls().config()) {
            outln!("{line}");
        }
    }
    out::flush();
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    0
}

async fn session_start(a: StartArgs) -> i32 {
    let mut config = SessionConfig::default();
    config.http.request_timeout = Duration::from_secs(a.timeout.max(1));
    config.http.connect_timeout = Duration::from_secs(a.timeout.clamp(1, 10));
    config.http.allow_insecure_http = a.allow_insecure_http;
    // The CLI gives up on transient failures quickly: one retry.
    config.retry.start_attempts = 2;
    let insecure = a.allow_insecure_http;
    let from = |flag: &Option<String>, use_env: bool, env: &str, what: &str| -> Result<Option<String>, i32> {
        let r = if use_env {
            match std::env::var(env) {
                Ok(v) if !v.is_empty() => Ok(Some(v)),
                _ => return Err(usage_err(a.json, &format!("{env} is not set or empty"))),
            }
        } else {
            secret_arg(flag.clone(), None, what)
        };
        r.map_err(|e| fail(&e, a.json))
    };
    let api_token = match from(&a.api_token, a.api_token_env, "VIDEOKIT_API_TOKEN", "app token") {
        Ok(v) => v,
        Err(code) => return code,
    };
    let session_token = match from(&a.session_token, a.session_token_env, "VIDEOKIT_SESSION_TOKEN", "session token") {
        Ok(v) => v,
        Err(code) => return code,
    };
    let source: Result<Arc<dyn TokenSource>, Error> = if let Some(t) = &api_token {
        match &a.identity {
            Some(id) => ApiTokenSource::new(&a.gateway, Secret::new(t.as_str()), id, a.scopes.clone(), insecure)
                .map(|s| Arc::new(s) as Arc<dyn TokenSource>),
            None => return usage_err(a.json, "--api-token needs --identity"),
        }
    } else if let Some(u) = &a.token_url {
        match &a.identity {
            Some(id) => BackendSource::new(u, id, vec![], insecure).map(|s| Arc::new(s) as Arc<dyn TokenSource>),
            None => return usage_err(a.json, "--token-url needs --identity"),
        }
    } else if let Some(t) = &session_token {
        FixedTokenSource::new(Secret::new(t.as_str())).map(|s| Arc::new(s) as Arc<dyn TokenSource>)
    } else {
        return usage_err(a.json, "give one of --api-token, --token-url, --session-token");
    };
    let source = match source {
        Ok(s) => s,
        Err(e) => return fail(&e, a.json),
    };
    let mut deps = SessionDeps::default();
    if let Some(dir) = &a.store {
        deps.store = Arc::new(FileStore::new(dir));
    }
    let session = match Session::with_deps(config, deps, tokio::runtime::Handle::current()) {
        Ok(s) => s,
        Err(e) => return fail(&e, a.json),
    };
    let overall = Duration::from_secs(a.timeout.max(1));
    let result = match tokio::time::timeout(overall, session.start(source)).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(ErrorKind::Timeout, format!("no session within {} s", overall.as_secs()))),
    };
    match result {
        Ok(d) => {
            let state = session.state().as_str();
            if a.json {
                outln!("{}", session_json(state, &d));
            } else {
                outln!("state:      {state}");
                outln!("identity:   {}", d.identity.as_deref().unwrap_or("-"));
                outln!("source:     {}", d.source);
                outln!("expires at: {}", d.expires_at.map(rfc3339).unwrap_or_else(|| "unknown (no renewal scheduled)".into()));
                outln!("token:      {}", d.token.expose());
            }
            0
        }
        Err(e) => fail(&e, a.json),
    }
}
