//! Session persistence. A store keeps one opaque record per session key; the record format
//! ([`StoredSession`], versioned JSON) is the engine's, and what a token carries beyond the
//! common fields is an opaque `details` value its source writes and reads. Platforms
//! implement [`SessionStore`] over the Keychain (iOS) or encrypted SharedPreferences
//! (Android); the CLI uses [`FileStore`]; the default is [`MemoryStore`], which keeps records
//! as values (never encoded).
//!
//! Records hold the token: implementations must keep them where the platform keeps secrets.

use crate::error::{Error, ErrorKind, Result};
use crate::secret::Secret;
use crate::source::SourceKind;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// Byte-level storage of session records, keyed by a source's store key.
pub trait SessionStore: Send + Sync + 'static {
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>>;
    fn save(&self, key: &str, record: &[u8]) -> Result<()>;
    fn clear(&self, key: &str) -> Result<()>;
    /// Save a record under its key. Stores that keep values in memory skip the encoding.
    fn save_record(&self, record: StoredSession) -> Result<()> {
        self.save(&record.key.clone(), &record.encode())
    }
    /// The record for `key`: `Ok(None)` when there is none, `Ok(Some(Err))` when there is one
    /// that cannot be used (discard it), `Err` when the store itself failed.
    fn load_record(&self, key: &str) -> Result<Option<Result<StoredSession>>> {
        Ok(self.load(key)?.map(|bytes| StoredSession::decode(&bytes, key)))
    }
    /// Whether a call can block (a disk, the Keychain, a platform store): the engine then
    /// makes its calls on the runtime's blocking pool, one at a time per session, so a slow
    /// store never holds up other sessions' requests and timers. A store that only touches
    /// memory answers `false` and is called in place.
    fn may_block(&self) -> bool {
        true
    }
}

/// A store as one named session sees it: every key is `name.` + key, in the bytes and in the
/// record's own `key` field, so sessions that share a store ([`crate::SessionConfig::name`])
/// never see one another's records, and a record moved from one name to another is refused.
/// Source keys are `kind.hexdigest` and names have no `.`, so a named key never equals an
/// unnamed one or one of another name.
pub struct NamedStore {
    inner: std::sync::Arc<dyn SessionStore>,
    prefix: String,
}

impl NamedStore {
    pub fn new(inner: std::sync::Arc<dyn SessionStore>, name: &str) -> Self {
        NamedStore { inner, prefix: format!("{name}.") }
    }
    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

impl SessionStore for NamedStore {
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.inner.load(&self.key(key))
    }
    fn save(&self, key: &str, record: &[u8]) -> Result<()> {
        self.inner.save(&self.key(key), record)
    }
    fn clear(&self, key: &str) -> Result<()> {
        self.inner.clear(&self.key(key))
    }
    fn save_record(&self, mut record: StoredSession) -> Result<()> {
        record.key = self.key(&record.key);
        self.inner.save_record(record)
    }
    fn load_record(&self, key: &str) -> Result<Option<Result<StoredSession>>> {
        self.inner.load_record(&self.key(key))
    }
    fn may_block(&self) -> bool {
        self.inner.may_block()
    }
}

/// Process-lifetime storage (the default: nothing survives a restart). Records saved by the
/// engine are kept as values; bytes saved through [`SessionStore::save`] as bytes.
#[derive(Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, Entry>>,
}

enum Entry {
    Bytes(Vec<u8>),
    Record(StoredSession),
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SessionStore for MemoryStore {
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.map().get(key).map(|e| match e {
            Entry::Bytes(b) => b.clone(),
            Entry::Record(r) => r.encode(),
        }))
    }
    fn save(&self, key: &str, record: &[u8]) -> Result<()> {
        self.map().insert(key.to_string(), Entry::Bytes(record.to_vec()));
        Ok(())
    }
    fn clear(&self, key: &str) -> Result<()> {
        self.map().remove(key);
        Ok(())
    }
    fn save_record(&self, record: StoredSession) -> Result<()> {
        self.map().insert(record.key.clone(), Entry::Record(record));
        Ok(())
    }
    fn load_record(&self, key: &str) -> Result<Option<Result<StoredSession>>> {
        Ok(self.map().get(key).map(|e| match e {
            Entry::Bytes(b) => StoredSession::decode(b, key),
            Entry::Record(r) => Ok(r.clone()),
        }))
    }
    fn may_block(&self) -> bool {
        false
    }
}

/// One file per key in a directory, written atomically (temp file + rename), mode 0600.
///
/// Each write goes to its own temp file (`.<key>.json.<pid>.<n>.<random>.tmp`, created
/// exclusively), so concurrent writers (threads, or several processes sharing the folder)
/// never write into one another's file: the last rename wins and every reader sees one whole
/// record, never a mix or a truncated one.
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileStore { dir: dir.into() }
    }
    fn path(&self, key: &str) -> PathBuf {
        // Keys are ours ("kind.hexdigest"), but never trust them as paths.
        let safe: String =
            key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' { c } else { '_' }).collect();
        self.dir.join(format!("{safe}.json"))
    }
}

fn storage_err(what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Storage, format!("could not {what} the session file: {e}"))
}

impl SessionStore for FileStore {
    fn load(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(key)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage_err("read", e)),
        }
    }
    fn save(&self, key: &str, record: &[u8]) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| storage_err("create the directory of", e))?;
        let path = self.path(key);
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let (tmp, mut f) = loop {
            let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = format!(
                ".{}.{}.{n}.{:016x}.tmp",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("record.json"),
                std::process::id(),
                fastrand::u64(..)
            );
            let tmp = self.dir.join(name);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            match opts.open(&tmp) {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(storage_err("write", e)),
            }
        };
        let written = {
            use std::io::Write;
            f.write_all(record).and_then(|()| f.sync_all())
        };
        drop(f);
        let result = written.and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(storage_err("write", e));
        }
        Ok(())
    }
    fn clear(&self, key: &str) -> Result<()> {
        match std::fs::remove_file(self.path(key)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(storage_err("remove", e)),
        }
    }
}

/// The largest stored record the core reads (a session's record is well under 8 KiB). The
/// platform layers copy at most one byte more across the FFI, so an oversized record costs a
/// bounded copy before it is refused and cleared.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Current record format version. Version 1 (until 2026-12) kept one vendor's facts in a
/// field of their own; such a record is discarded (the session fetches a new token).
pub const RECORD_VERSION: u32 = 2;

/// The persisted form of a session. Times are Unix milliseconds of server time.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredSession {
    pub v: u32,
    pub key: String,
    pub source: String,
    pub token: String,
    pub expires_at_ms: Option<i64>,
    pub issued_at_ms: Option<i64>,
    pub identity: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// What the source needs to restore the token's details (its own text format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSession")
            .field("key", &self.key)
            .field("source", &self.source)
            .field("token", &Secret::new(""))
            .finish_non_exhaustive()
    }
}

impl StoredSession {
    pub fn encode(&self) -> Vec<u8> {
        // Serialising a struct of strings and integers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
    /// Decode and validate a record for `key`. Any problem is `storage` with a reason.
    pub fn decode(bytes: &[u8], key: &str) -> Result<StoredSession> {
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(Error::new(ErrorKind::Storage, "the stored session record is too large"));
        }
        let r: StoredSession =
            serde_json::from_slice(bytes).map_err(|_| Error::new(ErrorKind::Storage, "the stored session record is not valid"))?;
        if r.v != RECORD_VERSION {
            return Err(Error::new(
                ErrorKind::Storage,
                format!("the stored session record has version {}, expected {RECORD_VERSION}", r.v),
            ));
        }
        if r.key != key {
            return Err(Error::new(ErrorKind::Storage, "the stored session record belongs to another session"));
        }
        if r.token.trim().is_empty() || SourceKind::parse(&r.source).is_none() {
            return Err(Error::new(ErrorKind::Storage, "the stored session record is incomplete"));
        }
        // What no session of ours saves: a token that could not go in a header (or would
        // reach the app with a line break in it), an identity no configuration accepts, a
        // scope with a control character, an issue time that is not before the expiry.
        if crate::source::holds_control_characters(&r.token, r.identity.as_deref(), &r.scopes) {
            return Err(Error::new(ErrorKind::Storage, "the stored session record holds control characters"));
        }
        if let (Some(issued), Some(expires)) = (r.issued_at_ms, r.expires_at_ms) {
            if issued >= expires {
                return Err(Error::new(ErrorKind::Storage, "the stored session record was issued after it expires"));
            }
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: &str) -> StoredSession {
        StoredSession {
            v: RECORD_VERSION,
            key: key.into(),
            source: "backend".into(),
            token: "t0k".into(),
            expires_at_ms: Some(5),
            issued_at_ms: None,
            identity: Some("alice".into()),
            scopes: vec![],
            details: None,
        }
    }

    #[test]
    fn record_round_trip_and_validation() {
        let r = rec("backend.abc");
        let b = r.encode();
        assert_eq!(StoredSession::decode(&b, "backend.abc").unwrap().token, "t0k");
        assert_eq!(StoredSession::decode(&b, "other").unwrap_err().kind(), ErrorKind::Storage);
        assert_eq!(StoredSession::decode(b"{garbage", "backend.abc").unwrap_err().kind(), ErrorKind::Storage);
        let mut bad = rec("k");
        bad.v = 9;
        assert_eq!(StoredSession::decode(&bad.encode(), "k").unwrap_err().kind(), ErrorKind::Storage);
        assert!(!format!("{r:?}").contains("t0k"));
    }

    /// Records no session saves are refused (and so cleared, and a new token fetched): from
    /// the outside test, which planted them in an app's store and saw them resumed.
    #[test]
    fn implausible_records_are_refused() {
        let refused =
            |r: StoredSession| StoredSession::decode(&r.encode(), "k").map(|_| ()).map_err(|e| (e.kind(), e.message().to_string()));
        let control = Err((ErrorKind::Storage, "the stored session record holds control characters".to_string()));
        for token in ["t0k\r\nX-Injected: 1", "t0k\n", "t\u{0}k", "t0k\u{7f}"] {
            assert_eq!(refused(StoredSession { token: token.into(), ..rec("k") }), control, "{token:?}");
        }
        assert_eq!(refused(StoredSession { identity: Some("al\nice".into()), ..rec("k") }), control);
        assert_eq!(refused(StoredSession { scopes: vec!["videos.read".into(), "a\r\nb".into()], ..rec("k") }), control);
        let issued_late = Err((ErrorKind::Storage, "the stored session record was issued after it expires".to_string()));
        assert_eq!(refused(StoredSession { issued_at_ms: Some(5), ..rec("k") }), issued_late);
        assert_eq!(refused(StoredSession { issued_at_ms: Some(6), ..rec("k") }), issued_late);
        assert_eq!(refused(StoredSession { issued_at_ms: Some(4), ..rec("k") }), Ok(()));
        let big = StoredSession { token: "a".repeat(MAX_RECORD_BYTES), ..rec("k") };
        assert_eq!(refused(big), Err((ErrorKind::Storage, "the stored session record is too large".to_string())));
    }

    /// A version-1 record (written before the details moved to the sources) is refused as
    /// `storage`, which makes the engine discard it and fetch a new token.
    #[test]
    fn a_version_1_record_is_refused() {
        let v1 = br#"{"v":1,"key":"k","source":"backend","token":"t0k","expires_at_ms":5,"issued_at_ms":null,"identity":null,"scopes":[]}"#;
        let e = StoredSession::decode(v1, "k").unwrap_err();
        assert_eq!((e.kind(), e.message()), (ErrorKind::Storage, "the stored session record has version 1, expected 2"));
    }

    #[test]
    fn the_memory_store_keeps_records_as_values_and_bytes_as_bytes() {
        let s = MemoryStore::new();
        s.save_record(rec("k")).unwrap();
        assert_eq!(s.load_record("k").unwrap().unwrap().unwrap().token, "t0k");
        assert_eq!(s.load("k").unwrap(), Some(rec("k").encode()));
        s.save("b", &rec("b").encode()).unwrap();
        assert_eq!(s.load_record("b").unwrap().unwrap().unwrap().token, "t0k");
        s.save("x", b"{garbage").unwrap();
        assert_eq!(s.load_record("x").unwrap().unwrap().unwrap_err().kind(), ErrorKind::Storage);
        s.clear("k").unwrap();
        assert!(s.load_record("k").unwrap().is_none());
    }

    #[test]
    fn file_store_round_trip() {
        let dir = std::env::temp_dir().join(format!("vk-store-test-{}", std::process::id()));
        let s = FileStore::new(&dir);
        assert_eq!(s.load("k.1").unwrap(), None);
        s.save("k.1", b"abc").unwrap();
        assert_eq!(s.load("k.1").unwrap().as_deref(), Some(&b"abc"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("k.1.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        s.clear("k.1").unwrap();
        s.clear("k.1").unwrap();
        assert_eq!(s.load("k.1").unwrap(), None);
        assert_eq!(s.path("../../etc/passwd"), dir.join(".._.._etc_passwd.json"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// 30 writers (each its own `FileStore`, as 30 CLI processes would have) and 30 readers
    /// on one key at once: every write succeeds, every read is a whole record of one of the
    /// writers, the final record is one of them, and no temp file is left behind.
    #[test]
    fn thirty_concurrent_writers_never_corrupt_or_lose_a_record() {
        let dir = std::env::temp_dir().join(format!("vk-store-race-{}-{}", std::process::id(), fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let key = "backend.0123456789abcdef";
        let records: Vec<Vec<u8>> = (0..30)
            .map(|i| {
                let mut r = rec(key);
                r.token = format!("token-{i}-{}", "x".repeat(2000 + i));
                r.encode()
            })
            .collect();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(60));
        let mut handles = vec![];
        for rec in &records {
            let (dir, rec, b) = (dir.clone(), rec.clone(), barrier.clone());
            handles.push(std::thread::spawn(move || {
                let s = FileStore::new(&dir);
                b.wait();
                for _ in 0..20 {
                    s.save(key, &rec).map_err(|e| e.to_string())?;
                }
                Ok::<(), String>(())
            }));
        }
        let mut readers = vec![];
        for _ in 0..30 {
            let (dir, b, all) = (dir.clone(), barrier.clone(), records.clone());
            readers.push(std::thread::spawn(move || {
                let s = FileStore::new(&dir);
                b.wait();
                for _ in 0..20 {
                    if let Some(got) = s.load(key).map_err(|e| e.to_string())? {
                        StoredSession::decode(&got, key).map_err(|e| e.to_string())?;
                        if !all.contains(&got) {
                            return Err("a record that no writer wrote".to_string());
                        }
                    }
                }
                Ok::<(), String>(())
            }));
        }
        for h in handles.into_iter().chain(readers) {
            assert_eq!(h.join().unwrap(), Ok(()));
        }
        let last = FileStore::new(&dir).load(key).unwrap().unwrap();
        assert!(records.contains(&last));
        let names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, vec![format!("{key}.json")]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
