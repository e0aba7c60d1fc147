//! The inter-process refresh lock: one lock file per session key, so separate orgpass processes (the CLI as a
//! git credential helper, a script, the desktop app) never redeem the same rotating refresh token twice.
//!
//! Auth0 rotates refresh tokens and revokes the whole token family when a rotated one is presented again, so two
//! processes refreshing the same session at once would sign the person out. [`Client::token`](crate::Client::token)
//! therefore holds an OS file lock (`flock` on Unix, `LockFileEx` on Windows, through `std::fs::File::lock`) around
//! "read the session from the keychain → refresh if still needed → save the rotated tokens". The lock file is
//! empty and named by a hash of the session key, so it holds no secret and does not even name the organization.
//! It is never deleted (deleting a lock file that another process has open would let two holders exist), and the
//! OS releases the lock when its holder exits or crashes, so a stale file never blocks anyone.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::session::SessionKey;

/// How long [`Client::token`](crate::Client::token) waits for another process's refresh before giving up.
pub const DEFAULT_REFRESH_LOCK_WAIT: Duration = Duration::from_secs(30);

/// How often a waiting process tries the lock again.
const POLL: Duration = Duration::from_millis(20);

/// Why the refresh lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another orgpass process has been using this session for {} s and still holds its lock ({}); \
         it may be stuck on a slow network: wait for it to finish or stop it, then try again",
        .waited.as_secs(), .path.display()
    )]
    TimedOut { path: PathBuf, waited: Duration },
    #[error(
        "could not open or lock the session lock file {}: {source}; make sure that directory is writable by you \
         and on a local disk",
        .path.display()
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The lock file for `key` in `dir`: `refresh-<first 32 hex digits of SHA-256(account)>.lock`.
pub fn lock_path(dir: &Path, key: &SessionKey) -> PathBuf {
    let digest = Sha256::digest(key.account().as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("refresh-{hex}.lock"))
}

/// A held refresh lock; released when dropped (or when the process ends, whatever the way).
#[derive(Debug)]
pub struct RefreshLock {
    file: File,
}

impl RefreshLock {
    /// Take the lock at `path`, creating the file (and its directory) if needed, waiting at most `wait`.
    pub async fn acquire(path: &Path, wait: Duration) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            path: path.to_owned(),
            source,
        };
        let file = open_private(path).map_err(io)?;
        let deadline = tokio::time::Instant::now() + wait;
        let mut logged = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { file }),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            if !logged {
                tracing::info!(path = %path.display(), "another process is using this session; waiting for it");
                logged = true;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(LockError::TimedOut {
                    path: path.to_owned(),
                    waited: wait,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Open (creating if needed) a lock file only its owner may open, in a directory only its owner may enter:
/// nobody else can take a lock that would stall this user's orgpass.
pub(crate) fn open_private(path: &Path) -> std::io::Result<File> {
    let mut file = OpenOptions::new();
    file.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        file.mode(0o600);
    }
    if let Some(parent) = path.parent() {
        crate::private::ensure_dir(parent)?;
    }
    file.open(path)
}

/// Take `file`'s lock, polling, for at most `wait` (for short critical sections in blocking code).
pub(crate) fn lock_blocking(file: &File, wait: Duration) -> std::io::Result<()> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::Error(e)) => return Err(e),
            Err(TryLockError::WouldBlock) if std::time::Instant::now() >= deadline => {
                return Err(std::io::Error::other(format!(
                    "another orgpass process has held it for {} s; stop stuck orgpass processes, then try again",
                    wait.as_secs()
                )));
            }
            Err(TryLockError::WouldBlock) => std::thread::sleep(POLL),
        }
    }
}

impl Drop for RefreshLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes the release explicit and immediate.
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(org: &str) -> SessionKey {
        SessionKey {
            issuer: "https://acme.eu.auth0.com/".into(),
            client_id: "cid".into(),
            org_id: Some(org.into()),
        }
    }

    #[test]
    fn lock_names_are_stable_per_key_and_reveal_nothing() {
        let dir = Path::new("/x");
        let a = lock_path(dir, &key("org_A"));
        assert_eq!(a, lock_path(dir, &key("org_A")));
        assert_ne!(a, lock_path(dir, &key("org_B")));
        let name = a.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), "refresh-".len() + 32 + ".lock".len(), "{name}");
        assert!(!name.contains("org_A") && !name.contains("acme"), "{name}");
        // Pinned: the desktop app and the CLI (possibly different builds) must agree on the name.
        assert_eq!(
            lock_path(dir, &key("org_A")),
            Path::new("/x").join(format!(
                "refresh-{}.lock",
                &sha_hex("https://acme.eu.auth0.com/|cid|org_A")[..32]
            ))
        );
    }

    fn sha_hex(s: &str) -> String {
        Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[tokio::test]
    async fn a_held_lock_makes_others_wait_then_time_out_and_release_lets_them_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(&dir.path().join("locks"), &key("org_A"));
        let held = RefreshLock::acquire(&path, Duration::ZERO).await.unwrap();
        // Another open file description (as in another process) cannot take it.
        let start = std::time::Instant::now();
        let err = RefreshLock::acquire(&path, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(200));
        assert!(matches!(err, LockError::TimedOut { .. }), "{err:?}");
        assert!(err.to_string().contains("wait for it to finish or stop it"));
        // Another key is independent.
        let other = lock_path(&dir.path().join("locks"), &key("org_B"));
        RefreshLock::acquire(&other, Duration::ZERO).await.unwrap();
        // A waiter gets the lock as soon as the holder lets go.
        let waiter = tokio::spawn({
            let path = path.clone();
            async move { RefreshLock::acquire(&path, Duration::from_secs(5)).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(held);
        waiter.await.unwrap().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "no content");
    }
}
