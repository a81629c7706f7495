//! Forwarding of the SDK's `log` records to the platform (os_log on iOS, Logcat on Android,
//! or any app logger). The SDK never logs a secret; this only forwards.

use crate::VkError;
use once_cell::sync::Lazy;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum VkLogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct VkLogRecord {
    pub level: VkLogLevel,
    /// "videokit", "videokit::http", …
    pub target: String,
    pub message: String,
}

/// Receives log records, in order, on the SDK's worker thread and never while the engine holds
/// a lock: an implementation may call back into the session.
#[uniffi::export(with_foreign)]
pub trait VkLogger: Send + Sync {
    fn log(&self, record: VkLogRecord) -> Result<(), VkError>;
}

static SINK: Lazy<RwLock<Option<Arc<dyn VkLogger>>>> = Lazy::new(|| RwLock::new(None));

/// Records are handed to the app's logger by one task on the SDK runtime, in order, never on
/// the thread that logged: the engine may log while holding its lock, and an app logger that
/// calls back into the session (or is slow) must not deadlock or stall it.
static QUEUE: Lazy<Option<tokio::sync::mpsc::UnboundedSender<VkLogRecord>>> = Lazy::new(|| {
    let rt = crate::runtime().ok()?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<VkLogRecord>();
    rt.spawn(async move {
        while let Some(record) = rx.recv().await {
            let sink = match SINK.read() {
                Ok(g) => g.clone(),
                Err(p) => p.into_inner().clone(),
            };
            if let Some(s) = sink {
                let _ = s.log(record);
            }
        }
    });
    Some(tx)
});

struct Forwarder;

impl log::Log for Forwarder {
    fn enabled(&self, m: &log::Metadata) -> bool {
        // Only the SDK's own records; dependencies' logs stay out of the app's console.
        m.target().starts_with("videokit")
    }
    fn log(&self, r: &log::Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let has_sink = match SINK.read() {
            Ok(g) => g.is_some(),
            Err(p) => p.into_inner().is_some(),
        };
        if has_sink {
            let level = match r.level() {
                log::Level::Error => VkLogLevel::Error,
                log::Level::Warn => VkLogLevel::Warn,
                log::Level::Info => VkLogLevel::Info,
                log::Level::Debug => VkLogLevel::Debug,
                log::Level::Trace => VkLogLevel::Trace,
            };
            if let Some(q) = QUEUE.as_ref() {
                let _ = q.send(VkLogRecord { level, target: r.target().to_string(), message: r.args().to_string() });
            }
        }
    }
    fn flush(&self) {}
}

static FORWARDER: Forwarder = Forwarder;

/// Send the SDK's logs at `level` and above to `logger` (`None` turns logging off).
/// If the host process already installed a Rust `log` logger, that one keeps receiving.
#[uniffi::export]
pub fn set_logger(logger: Option<Arc<dyn VkLogger>>, level: VkLogLevel) {
    let installed = log::set_logger(&FORWARDER).is_ok();
    let filter = match (&logger, level) {
        (None, _) => log::LevelFilter::Off,
        (_, VkLogLevel::Error) => log::LevelFilter::Error,
        (_, VkLogLevel::Warn) => log::LevelFilter::Warn,
        (_, VkLogLevel::Info) => log::LevelFilter::Info,
        (_, VkLogLevel::Debug) => log::LevelFilter::Debug,
        (_, VkLogLevel::Trace) => log::LevelFilter::Trace,
    };
    match SINK.write() {
        Ok(mut g) => *g = logger,
        Err(p) => *p.into_inner() = logger,
    }
    if installed || log::max_level() != filter {
        log::set_max_level(filter);
    }
}
