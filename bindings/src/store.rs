//! The platform session store (Keychain on iOS, encrypted SharedPreferences on Android),
//! adapted to the engine's `SessionStore`.

use crate::VkError;
use std::sync::Arc;
use videokit_core::SessionStore;

/// Byte storage for session records. Records contain the token: keep them where the
/// platform keeps secrets. Errors are logged and never stop a session.
#[uniffi::export(with_foreign)]
pub trait VkSessionStore: Send + Sync {
    fn load(&self, key: String) -> Result<Option<Vec<u8>>, VkError>;
    fn save(&self, key: String, record: Vec<u8>) -> Result<(), VkError>;
    fn clear(&self, key: String) -> Result<(), VkError>;
}

pub(crate) struct StoreAdapter(pub Arc<dyn VkSessionStore>);

fn storage(e: VkError) -> videokit_core::Error {
    let e = e.into_core();
    videokit_core::Error::new(videokit_core::ErrorKind::Storage, format!("the app's session store failed: {}", e.message()))
}

impl SessionStore for StoreAdapter {
    fn load(&self, key: &str) -> videokit_core::Result<Option<Vec<u8>>> {
        self.0.load(key.to_string()).map_err(storage)
    }
    fn save(&self, key: &str, record: &[u8]) -> videokit_core::Result<()> {
        self.0.save(key.to_string(), record.to_vec()).map_err(storage)
    }
    fn clear(&self, key: &str) -> videokit_core::Result<()> {
        self.0.clear(key.to_string()).map_err(storage)
    }
}
