//! Where devtenant keeps secrets on disk (`--data`: the state with its signing keys, the CA key): files 0600 in
//! a folder 0700 when devtenant makes it, and nothing read from or written to a folder or file that belongs to
//! another user (who could have planted a CA key or a state of their choosing, or read ours).

use std::io;
use std::path::Path;

/// The user devtenant runs as (its effective uid).
#[cfg(unix)]
fn me() -> u32 {
    // SAFETY: geteuid(2) takes no arguments, touches no memory of ours and cannot fail.
    unsafe { libc::geteuid() }
}

/// Refuses `path` (when it exists) if it belongs to another user than the one devtenant runs as.
pub fn check_owner(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let owner = match std::fs::symlink_metadata(path) {
            Ok(m) => m.uid(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if owner != me() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} belongs to another user (uid {owner}, devtenant runs as uid {}); devtenant keeps signing \
                     keys there, so it uses only a directory of its own user: pick another --data",
                    path.display(),
                    me()
                ),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// `dir`, checked to be this user's, or made (with its missing parents) readable by this user only.
pub fn own_dir(dir: &Path) -> io::Result<()> {
    if dir.exists() {
        return check_owner(dir);
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `bytes` to `path`, a new file (an existing one is an error) readable by this user only.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<std::fs::File> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    Ok(file)
}

/// Makes `path` (a file of this user's) readable by this user only: a state file written by an older devtenant
/// was 0644.
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Reads `path` after checking that it is this user's.
pub fn read_own(path: &Path) -> io::Result<Vec<u8>> {
    check_owner(path)?;
    std::fs::read(path)
}

#[cfg(all(test, unix))]
pub(crate) mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    /// The permission bits of `path`.
    pub fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// A directory that belongs to `nobody` (65534); `None` when the tests cannot chown (not root).
    pub fn foreign_dir(parent: &Path) -> Option<std::path::PathBuf> {
        let dir = parent.join("someone-elses");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534))
            .ok()
            .map(|()| dir)
    }

    #[test]
    fn made_folders_are_0700_and_files_0600() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        own_dir(&dir).unwrap();
        assert_eq!((mode(&tmp.path().join("a")), mode(&dir)), (0o700, 0o700));
        write_new(&dir.join("f"), b"x").unwrap();
        assert_eq!(mode(&dir.join("f")), 0o600);
        assert!(
            write_new(&dir.join("f"), b"y").is_err(),
            "never over a file"
        );
    }

    #[test]
    fn a_folder_or_file_of_another_user_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let Some(foreign) = foreign_dir(tmp.path()) else {
            assert_ne!(me(), 0, "root can chown");
            eprintln!("skipped: not root, cannot make a folder of another user");
            return;
        };
        let err = own_dir(&foreign).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(
            err.to_string(),
            format!(
                "{} belongs to another user (uid 65534, devtenant runs as uid 0); devtenant keeps signing keys \
                 there, so it uses only a directory of its own user: pick another --data",
                foreign.display()
            )
        );
        let file = tmp.path().join("planted");
        std::fs::write(&file, b"key").unwrap();
        std::os::unix::fs::chown(&file, Some(65534), None).unwrap();
        assert_eq!(
            read_own(&file).unwrap_err().kind(),
            io::ErrorKind::PermissionDenied
        );
        own_dir(tmp.path()).expect("our own folder");
    }
}
