//! `videokit-bench`: measures the SDK against the devserver on loopback and prints a report
//! (markdown) with p50/p99. It asserts nothing: targets are compared and stated.
//!
//!   cargo run --release -p videokit-bench -- [--iterations N] [--idle-secs S] [--node-json FILE] [--only PART]

use std::sync::Arc;
use std::time::{Duration, Instant};
use videokit_core::kaltura_protocol::{token_hash, HashType};
use videokit_core::sources::kaltura::{KalturaConfig, KalturaSource};
use videokit_core::sources::videokit::BackendSource;
use videokit_core::{Secret, Session, SessionConfig};
use videokit_devserver::{DevServer, DevServerConfig, Fault, FaultKind};

const APP_TOKEN: &str = "c9883312395bf5ed4fd5c9a5d86c985c";

struct Stats {
    p50: Duration,
    p99: Duration,
    n: usize,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    Stats { p50: at(0.50), p99: at(0.99), n: v.len() }
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn row(name: &str, s: &Stats) -> String {
    format!("| {name} | {} | {} | {} |", s.n, us(s.p50), us(s.p99))
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn arg_str(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn proc_status(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn threads() -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc/self/task") {
        for e in rd.flatten() {
            let name = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default().trim().to_string();
            out.push((e.file_name().to_string_lossy().to_string(), name));
        }
    }
    out
}

fn ctx_switches(tid: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap_or_default();
    s.lines()
        .filter(|l| l.starts_with("voluntary_ctxt_switches") || l.starts_with("nonvoluntary_ctxt_switches"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}

fn main() {
    let iterations = arg("--iterations", 2000) as usize;
    let idle_secs = arg("--idle-secs", 60);
    let node_json = arg_str("--node-json");
    let mut report = Vec::new();
    report.push(format!(
        "Run: {} iterations per measurement, release build, devserver on 127.0.0.1, {} cores.\n",
        iterations,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    ));

    // `--only overhead|engine|kaltura|single-flight|footprint`: one part (for profiling).
    let only = arg_str("--only");
    let want = |part: &str| only.as_deref().is_none_or(|o| o == part);

    // Footprint first, before anything else starts threads in this process.
    if want("footprint") {
        footprint(&mut report, idle_secs);
    }

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let server = DevServer::start_background(DevServerConfig { port: 0, ..Default::default() }).expect("devserver");
    let base = server.base_url();
    // Latency side by side on the runtime the SDK ships with: one current-thread runtime (the
    // mobile library's "videokit-worker"), which both the SDK and the bare client run on, so
    // neither pays cross-thread wake-ups the other does not. The devserver has its own threads.
    let rt_one = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt_one.block_on(async {
        if want("overhead") {
            overhead(&mut report, &base, iterations).await;
        }
        if want("overhead") || want("engine") {
            engine_only(&mut report, &base, iterations * 10).await;
        }
        if want("kaltura") {
            kaltura(&mut report, &base, iterations / 4, node_json.as_deref()).await;
        }
    });
    if want("single-flight") {
        rt.block_on(single_flight(&mut report, &server));
    }
    println!("{}", report.join("\n"));
}

/// Answers every request at once with a canned backend token response: the engine's own
/// cost per `start`, without a network.
struct CannedTransport {
    body: Vec<u8>,
}

#[async_trait::async_trait]
impl videokit_core::http::Transport for CannedTransport {
    async fn send(&self, _req: videokit_core::http::HttpRequest, _max: usize) -> videokit_core::Result<videokit_core::http::HttpResponse> {
        Ok(videokit_core::http::HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: self.body.clone(),
        })
    }
}

async fn engine_only(report: &mut Vec<String>, base: &str, n: usize) {
    let body = reqwest::get(format!("{base}/token/alice")).await.expect("get").bytes().await.expect("body").to_vec();
    let deps = videokit_core::SessionDeps { transport: Some(Arc::new(CannedTransport { body })), ..Default::default() };
    let session = Session::with_deps(SessionConfig::default(), deps, tokio::runtime::Handle::current()).expect("session");
    let template = format!("{base}/token/{{identity}}");
    let mut v = Vec::with_capacity(n);
    for i in 0..n + 100 {
        let src = Arc::new(BackendSource::new(&template, "alice", vec![], false).expect("src"));
        let t = Instant::now();
        session.start(src).await.expect("start");
        if i >= 100 {
            v.push(t.elapsed());
        }
        session.stop();
        tokio::task::yield_now().await; // let the stop's events drain outside the timing
    }
    let s = stats(v);
    report.push(format!(
        "Engine cost alone (the same `start` over an in-memory transport answering at once): p50 {}, p99 {} over {}.\n",
        us(s.p50),
        us(s.p99),
        s.n
    ));
}

async fn overhead(report: &mut Vec<String>, base: &str, n: usize) {
    let url = format!("{base}/token/alice");
    let client = reqwest::Client::builder().build().expect("client");
    let session = Session::new(SessionConfig::default(), tokio::runtime::Handle::current()).expect("session");
    let template = format!("{base}/token/{{identity}}");
    // Warm both connections.
    for _ in 0..50 {
        let _ = client.get(&url).send().await.expect("get").bytes().await;
        let _ = session.start(Arc::new(BackendSource::new(&template, "alice", vec![], false).expect("src"))).await.expect("start");
        session.stop();
    }
    let mut bare = Vec::with_capacity(n);
    let mut sdk = Vec::with_capacity(n);
    for _ in 0..n {
        // Interleaved, so that drift on the machine affects both alike.
        let t = Instant::now();
        let body = client.get(&url).send().await.expect("get").bytes().await.expect("body");
        bare.push(t.elapsed());
        assert!(!body.is_empty());
        let src = Arc::new(BackendSource::new(&template, "alice", vec![], false).expect("src"));
        let t = Instant::now();
        let d = session.start(src).await.expect("start");
        sdk.push(t.elapsed());
        assert!(d.expiry_known());
        session.stop();
    }
    let (b, s) = (stats(bare), stats(sdk));
    let ratio = s.p50.as_secs_f64() / b.p50.as_secs_f64();
    report
        .push("## SDK overhead: `start` with a backend token URL vs a bare reqwest GET (one current-thread runtime, as shipped)\n".into());
    report.push("| what | n | p50 | p99 |\n|---|---|---|---|".into());
    report.push(row("bare reqwest GET /token/alice (kept-alive)", &b));
    report.push(row("SDK `start` (engine, parse, JWT exp, store, events)", &s));
    report.push(format!("\nRatio at p50: **{ratio:.2}** (target ≤ 1.10: {}).\n", if ratio <= 1.10 { "met" } else { "missed" }));
}

async fn kaltura(report: &mut Vec<String>, base: &str, n: usize, node_json: Option<&str>) {
    let session = Session::new(SessionConfig::default(), tokio::runtime::Handle::current()).expect("session");
    let mut cfg = KalturaConfig::new(1851571, "0_xeu31jy5", Secret::new(APP_TOKEN));
    cfg.service_url = base.to_string();
    for _ in 0..20 {
        let _ = session.start(Arc::new(KalturaSource::new(cfg.clone(), false).expect("src"))).await.expect("start");
        session.stop();
    }
    let mut cold = Vec::with_capacity(n);
    let mut renew = Vec::with_capacity(n);
    for _ in 0..n {
        let src = Arc::new(KalturaSource::new(cfg.clone(), false).expect("src"));
        let t = Instant::now();
        session.start(src).await.expect("start");
        cold.push(t.elapsed());
        let t = Instant::now();
        session.refresh().await.expect("refresh");
        renew.push(t.elapsed());
        session.stop();
    }
    // The vendor's sample: three sequential blocking calls, each on a fresh connection.
    let mut vendor = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let c1 = reqwest::Client::new();
        let w: serde_json::Value = c1
            .post(format!("{base}/api_v3/service/session/action/startWidgetSession"))
            .form(&[("widgetId", "_1851571"), ("format", "1")])
            .send()
            .await
            .expect("w")
            .json()
            .await
            .expect("wj");
        let ks = w["ks"].as_str().unwrap_or_default().to_string();
        let hash = token_hash(HashType::Sha256, &ks, APP_TOKEN);
        let c2 = reqwest::Client::new();
        let s: serde_json::Value = c2
            .post(format!("{base}/api_v3/service/apptoken/action/startSession"))
            .form(&[("ks", ks.as_str()), ("id", "0_xeu31jy5"), ("tokenHash", hash.as_str()), ("format", "1")])
            .send()
            .await
            .expect("s")
            .json()
            .await
            .expect("sj");
        let user_ks = s["ks"].as_str().unwrap_or_default().to_string();
        let c3 = reqwest::Client::new();
        let _ = c3
            .post(format!("{base}/api_v3/service/session/action/get"))
            .form(&[("ks", user_ks.as_str()), ("format", "1")])
            .send()
            .await
            .expect("g")
            .bytes()
            .await;
        vendor.push(t.elapsed());
    }
    let (c, r, v) = (stats(cold), stats(renew), stats(vendor));
    report.push("## Kaltura: cold KS and renewal through the SDK vs the alternatives\n".into());
    report.push("| what | n | p50 | p99 |\n|---|---|---|---|".into());
    report.push(row("SDK cold start (startWidgetSession + appToken.startSession, kept-alive)", &c));
    report.push(row("SDK renewal (appToken.startSession; widget KS cached)", &r));
    report.push(row("vendor sample flow (3 sequential requests, fresh connections)", &v));
    let mut node_p50 = None;
    if let Some(path) = node_json {
        if let Ok(text) = std::fs::read_to_string(path) {
            if let Ok(j) = serde_json::from_str::<serde_json::Value>(&text) {
                let p50 = Duration::from_secs_f64(j["p50_ms"].as_f64().unwrap_or(0.0) / 1000.0);
                let p99 = Duration::from_secs_f64(j["p99_ms"].as_f64().unwrap_or(0.0) / 1000.0);
                report.push(format!("| official kaltura-client for Node (same 2 calls) | {} | {} | {} |", j["n"], us(p50), us(p99)));
                node_p50 = Some(p50);
            }
        }
    }
    let ratio = r.p50.as_secs_f64() / c.p50.as_secs_f64();
    report.push(format!(
        "\nRenewal / cold start at p50: **{ratio:.2}** (target ≤ 0.6: {}). SDK cold start vs vendor sample: {:.2}× {}{}.\n",
        if ratio <= 0.6 { "met" } else { "missed" },
        v.p50.as_secs_f64() / c.p50.as_secs_f64(),
        if c.p50 < v.p50 { "faster (ahead)" } else { "slower" },
        match node_p50 {
            Some(np) => format!(
                "; vs kaltura-client for Node: {:.2}× {}",
                np.as_secs_f64() / c.p50.as_secs_f64(),
                if c.p50 < np { "faster (ahead)" } else { "slower" }
            ),
            None => String::new(),
        }
    ));
}

async fn single_flight(report: &mut Vec<String>, server: &DevServer) {
    let base = server.base_url();
    let session = Arc::new(Session::new(SessionConfig::default(), tokio::runtime::Handle::current()).expect("session"));
    session
        .start(Arc::new(BackendSource::new(&format!("{base}/token/{{identity}}"), "alice", vec![], false).expect("src")))
        .await
        .expect("start");
    server.controls().reset();
    // Make the refresh take 50 ms so the burst lands while it is in flight.
    server.controls().inject(Fault { route: "token".into(), kind: FaultKind::Delay { ms: 50 }, count: 1 });
    let refresher = {
        let s = session.clone();
        tokio::spawn(async move { s.refresh().await })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    let t = Instant::now();
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let s = session.clone();
            tokio::spawn(async move { s.refresh().await })
        })
        .collect();
    let mut ok = 0;
    for c in calls {
        if matches!(c.await, Ok(Ok(_))) {
            ok += 1;
        }
    }
    let burst = t.elapsed();
    let _ = refresher.await;
    let reqs = server.controls().request_count("token");
    report.push("## Single-flight: 1000 concurrent refresh/token calls while a renewal is in flight\n".into());
    report.push(format!("{ok}/1000 callers got a token; backend requests: **{reqs}** (target 1); wall time of the burst: {:.1} ms (the renewal itself takes ≥ 50 ms).\n", burst.as_secs_f64() * 1000.0));
}

/// A stand-in for the platform's HTTP stack (URLSession / HttpURLConnection), as the shipped
/// mobile library uses it: each request on its own "platform-http" thread, blocking std::net,
/// `Connection: close`. Its threads are the platform's, not the SDK's.
struct StdNetClient;

#[async_trait::async_trait]
impl videokit_ffi::VkHttpClient for StdNetClient {
    async fn send(&self, request: videokit_ffi::VkHttpRequest) -> Result<videokit_ffi::VkHttpResponse, videokit_ffi::VkHttpError> {
        let (tx, rx) = futures::channel::oneshot::channel();
        std::thread::Builder::new()
            .name("platform-http".into())
            .spawn(move || {
                let _ = tx.send(std_net_exchange(&request));
            })
            .map_err(|e| videokit_ffi::VkHttpError::Network { detail: e.to_string() })?;
        rx.await.map_err(|_| videokit_ffi::VkHttpError::Network { detail: "the platform thread died".into() })?
    }
}

fn std_net_exchange(r: &videokit_ffi::VkHttpRequest) -> Result<videokit_ffi::VkHttpResponse, videokit_ffi::VkHttpError> {
    use std::io::{Read, Write};
    let net = |e: std::io::Error| videokit_ffi::VkHttpError::Network { detail: e.to_string() };
    let rest = r.url.strip_prefix("http://").ok_or(videokit_ffi::VkHttpError::Connect { detail: "http only".into() })?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host).map_err(|e| videokit_ffi::VkHttpError::Connect { detail: e.to_string() })?;
    let mut head = format!("{} {} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n", r.method, if path.is_empty() { "/" } else { path });
    for h in &r.headers {
        head.push_str(&format!("{}: {}\r\n", h.name, h.value));
    }
    let body = r.body.clone().unwrap_or_default();
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).map_err(net)?;
    stream.write_all(&body).map_err(net)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(net)?;
    let split =
        raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(videokit_ffi::VkHttpError::Network { detail: "no header end".into() })?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: Vec<videokit_ffi::VkHttpHeader> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| videokit_ffi::VkHttpHeader { name: k.trim().to_ascii_lowercase(), value: v.trim().to_string() })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|h| h.name == "transfer-encoding" && h.value.contains("chunked")) {
        body = dechunk(&body);
    }
    Ok(videokit_ffi::VkHttpResponse { status, headers, body })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 || b.len() < eol + 2 + n {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[(eol + 4 + n).min(b.len())..];
    }
    out
}

/// Threads, memory and idle wake-ups of the mobile library after `start`, with the HTTP
/// client it ships with (the platform's; here a std::net stand-in) and with the optional
/// built-in reqwest client (feature `rust-transport`).
fn footprint(report: &mut Vec<String>, idle_secs: u64) {
    report.push("## Footprint of the mobile library (videokit-ffi) after `start`\n".into());
    footprint_with(report, idle_secs, true);
    footprint_with(report, idle_secs, false);
}

fn footprint_with(report: &mut Vec<String>, idle_secs: u64, platform_http: bool) {
    use videokit_ffi::{VkConfig, VkSession};
    let server = DevServer::start_background(DevServerConfig { port: 0, ..Default::default() }).expect("devserver");
    let rss_before = proc_status("VmRSS:").unwrap_or(0);
    let client: Option<Arc<dyn videokit_ffi::VkHttpClient>> = if platform_http { Some(Arc::new(StdNetClient)) } else { None };
    let core = VkSession::new(VkConfig::default(), None, client, None).expect("session");
    let url = format!("{}/token/{{identity}}", server.base_url());
    let data = futures::executor::block_on(core.start_token_url(url, "alice".into(), Default::default()).wait()).expect("start");
    assert!(!data.token.is_empty());
    let rss_after = proc_status("VmRSS:").unwrap_or(0);
    // The SDK names its threads "videokit-*" (the runtime is process-wide: the second
    // measurement finds the worker the first one started).
    // (comm names are cut at 15 bytes: "videokit-blocking" reads "videokit-blocki"; the bench's
    // own and the devserver's threads are "videokit-bench" and "videokit-devser...".)
    let sdk_threads: Vec<(String, String)> =
        threads().into_iter().filter(|(_, n)| n == "videokit-worker" || n.starts_with("videokit-blocki")).collect();
    let names: Vec<String> = sdk_threads.iter().map(|(_, n)| n.clone()).collect();
    let sw0: u64 = sdk_threads.iter().map(|(t, _)| ctx_switches(t)).sum();
    std::thread::sleep(Duration::from_secs(idle_secs));
    let alive: Vec<(String, String)> = threads().into_iter().filter(|(t, _)| sdk_threads.iter().any(|(s, _)| s == t)).collect();
    let sw1: u64 = alive.iter().map(|(t, _)| ctx_switches(t)).sum();
    let per_min = (sw1.saturating_sub(sw0)) as f64 * 60.0 / idle_secs as f64;
    report.push(format!(
        "### HTTP through {}\n",
        if platform_http {
            "the platform client (as shipped; a std::net stand-in for URLSession/HttpURLConnection)"
        } else {
            "the built-in reqwest client (feature `rust-transport`)"
        }
    ));
    report.push(format!(
        "- threads the SDK started: **{}** ({}); after {idle_secs} s idle: {} ({})",
        names.len(),
        names.join(", "),
        alive.len(),
        alive.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")
    ));
    report.push(format!(
        "- resident memory: {} KiB before, {} KiB after `start` (+{} KiB, including the devserver thread of this process)",
        rss_before,
        rss_after,
        rss_after.saturating_sub(rss_before)
    ));
    report.push(format!(
        "- idle wake-ups of SDK threads: {:.1} per minute over {idle_secs} s (token valid 1 h: the renewal timer is not due)\n",
        per_min
    ));
    let _ = core.stop();
    drop(server);
}
