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

pub fn level_from(verbose: u8) -> LevelFilter {
    if let Ok(v) = std::env::var("VIDEOKIT_LOG") {
        if let Ok(l) = v.parse::<LevelFilter>() {
            return l;
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
