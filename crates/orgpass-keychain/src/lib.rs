//! The one secret type and the one OS keychain layer that `orgpass` (sessions) and `orgpass-admin` (client
//! secrets, Management API tokens) share.
//!
//! - [`Secret`]: a redacting, zeroizing string (tokens, client secrets, codes).
//! - [`SecretBackend`]: get/set/delete of strings by account name; [`OsKeychain`] is the platform store through
//!   `keyring` (Secret Service, macOS Keychain, Windows Credential Manager), [`MemoryBackend`] the test double.
//! - [`write_chunked`] / [`read_chunked`] / [`delete_chunked`]: values longer than [`CHUNK_LEN`] split over
//!   numbered entries (Windows Credential Manager's limit).
//! - [`KeychainError`]: one classification of keychain failures (unavailable, locked, corrupt, other); each
//!   product wraps it in its own error whose message says what to do in that product.
//!
//! There is never a plaintext fallback: a missing or locked keychain is an error.

mod chunk;
#[cfg(all(test, windows))]
mod credman_tests;
mod error;
mod memory;
mod os;
mod secret;

pub use chunk::{CHUNK_LEN, delete_chunked, read_chunked, write_chunked};
pub use error::{KeychainError, hint};
pub use memory::MemoryBackend;
pub use os::OsKeychain;
pub use secret::Secret;

/// A flat secret store: account name → value. The OS keychain in production, a map in tests.
///
/// Implementations block (D-Bus, Security.framework): call them off an async runtime's worker threads.
pub trait SecretBackend: Send + Sync {
    /// Read an entry; `Ok(None)` when it does not exist.
    fn get(&self, account: &str) -> Result<Option<String>, KeychainError>;
    /// Create or overwrite an entry.
    fn set(&self, account: &str, value: &str) -> Result<(), KeychainError>;
    /// Delete an entry; `Ok(false)` when it did not exist.
    fn delete(&self, account: &str) -> Result<bool, KeychainError>;
}
