//! `videokit-devserver [--port N] [--config FILE]`: the local backend on 127.0.0.1 until
//! Ctrl-C. Prints the base URL (first line) and the app tokens it accepts.
//! `videokit serve` does the same from the `videokit` CLI.

use videokit_devserver::{DevServer, DevServerConfig};

/// The port when neither `--port` nor the config file names one.
const DEFAULT_PORT: u16 = 8787;

const USAGE: &str = "usage: videokit-devserver [--port N] [--config FILE]\n\
  --port N       port on 127.0.0.1 (0 = any free port; default 8787, or the config file's)\n\
  --config FILE  JSON config adding app tokens, Kaltura partners/app tokens, VideoSDK keys (see devserver/README.md)";

fn main() {
    let mut args = std::env::args().skip(1);
    let mut port: Option<u16> = None;
    let mut config_path: Option<String> = None;
    while let Some(a) = args.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        match flag.as_str() {
            "--port" => match inline.or_else(|| args.next()).and_then(|p| p.parse().ok()) {
                Some(p) => port = Some(p),
                None => usage("--port needs a number 0..=65535"),
            },
            "--config" => match inline.or_else(|| args.next()) {
                Some(p) => config_path = Some(p),
                None => usage("--config needs a file"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let mut config = match &config_path {
        Some(p) => match DevServerConfig::from_json_file(p) {
            Ok(c) => c,
            Err(e) => usage(&format!("cannot use the config file: {e}")),
        },
        None => DevServerConfig::default(),
    };
    config.port = match (port, config_path.is_some() && config.port != 0) {
        (Some(p), _) => p,
        (None, true) => config.port,
        (None, false) => DEFAULT_PORT,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("videokit-devserver: cannot start the runtime: {e}");
            std::process::exit(1)
        }
    };
    let port = config.port;
    rt.block_on(async move {
        match DevServer::start(config).await {
            Ok(s) => {
                for line in videokit_devserver::banner(&s.base_url(), &s.controls().config()) {
                    println!("{line}");
                }
                let _ = tokio::signal::ctrl_c().await;
                s.shutdown().await;
            }
            Err(e) => {
                eprintln!("videokit-devserver: cannot listen on 127.0.0.1:{port}: {e}");
                std::process::exit(1)
            }
        }
    });
}

fn usage(msg: &str) -> ! {
    eprintln!("videokit-devserver: {msg}");
    eprintln!("{USAGE}");
    std::process::exit(2)
}
