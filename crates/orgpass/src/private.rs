//! Files only this user may read: orgpass's folders are 0700 and its files 0600, written whole (temp file +
//! rename), so another local user never reads the session index (emails, names, organizations) and a crash
//! never leaves half a file.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Create `dir` (and missing parents) private to this user; an existing `dir` is made private too (its parents
/// are left as they are: `~/.config` is not ours to change).
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// Write `bytes` to `path` as a 0600 file in a private folder: into a temp file of this process's own, then
/// renamed over `path`, so readers see the old or the new file, never a mix, and never with wider permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        ensure_dir(dir)?;
    }
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(name);
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| {
        let mut file = options.open(&tmp)?;
        // A temp file left by a crash keeps its old mode when reopened: set it again.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_are_0600_in_a_0700_folder_even_when_they_existed_wider() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("config/orgpass");
        let file = dir.join("sessions.json");
        // What an older orgpass (or a umask of 022) left behind.
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(&file, "[]").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();

        write_atomic(&file, b"[1]").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"[1]");
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from("sessions.json")],
            "no temp file left"
        );

        // A fresh folder is created private.
        let fresh = root.path().join("new/orgpass/recent.json");
        write_atomic(&fresh, b"{}").unwrap();
        assert_eq!(mode(fresh.parent().unwrap()), 0o700);
        assert_eq!(mode(&fresh), 0o600);
    }
}
