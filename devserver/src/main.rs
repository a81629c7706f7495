//! `videokit-devserver [--port N] [--config FILE]`: the local backend on 127.0.0.1 until
//! Ctrl-C. (`videokit serve` does the same with more options.)
use videokit_devserver::{DevServer, DevServerConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut port: u16 = 8787;
    let mut config = DevServerConfig::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => usage("--port needs a number"),
            },
            "--config" => match args.next().map(DevServerConfig::from_json_file) {
                Some(Ok(c)) => config = c,
                Some(Err(e)) => usage(&format!("bad config: {e}")),
                None => usage("--config needs a file"),
            },
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    config.port = port;
    let tokens = config.app_tokens.clone();
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1)
        }
    };
    rt.block_on(async move {
        match DevServer::start(config).await {
            Ok(s) => {
                println!("listening on {}", s.base_url());
                println!("app tokens: {}", tokens.join(", "));
                let _ = tokio::signal::ctrl_c().await;
                s.shutdown().await;
            }
            Err(e) => {
                eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
                std::process::exit(1)
            }
        }
    });
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("videokit-devserver: {msg}");
    }
    eprintln!("usage: videokit-devserver [--port N] [--config FILE]");
    std::process::exit(2)
}
