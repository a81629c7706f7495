//! A small stderr logger for the `log` facade. Level from `-v` flags or `VIDEOKIT_LOG`
//! (error, warn, info, debug, trace). The SDK never hands it a secret; this logger adds none.

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;
use std::time::Instant;

struct StderrLogger {
    start: Instant,
}

impl Log for StderrLogger {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let lvl = match r.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        let t = self.start.elapsed().as_secs_f64();
        let _ = writeln!(std::io::stderr().lock(), "[{t:8.3}s {lvl} {}] {}", r.target(), r.args());
    }
    fn flush(&self) {}
}

/// The level: `VIDEOKIT_LOG` (off, error, warn, info, debug, trace) when set, else the `-v`
/// count. A bad `VIDEOKIT_LOG` value is warned about on stderr and ignored; `RUST_LOG` is not
/// read (one variable), which is said when it is set and `VIDEOKIT_LOG` is not.
pub fn level_from(verbose: u8) -> LevelFilter {
    match std::env::var("VIDEOKIT_LOG") {
        Ok(v) => match v.trim().parse::<LevelFilter>() {
            Ok(l) => return l,
            Err(_) => eprintln!(
                "videokit: warning: ignoring VIDEOKIT_LOG={:?}: use off, error, warn, info, debug or trace",
                v.chars().take(40).collect::<String>()
            ),
        },
        Err(_) => {
            if std::env::var_os("RUST_LOG").is_some() {
                eprintln!(
                    "videokit: warning: RUST_LOG is not read; set VIDEOKIT_LOG (off, error, warn, info, debug, trace) or use -v/-vv/-vvv"
                );
            }
        }
    }
    match verbose {
        0 => LevelFilter::Warn,
        1 => LevelFilter::Info,
        2 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    }
}

pub fn init(level: LevelFilter) {
    if log::set_boxed_logger(Box::new(StderrLogger { start: Instant::now() })).is_ok() {
        log::set_max_level(level);
    }
}
