//! Room on disk for the build. `cargo xtask test` from nothing fills the target dir with several GiB (measured,
//! README "Test it"); a machine without that room is told so before the build starts, not by cargo's "No space
//! left on device" half an hour in.

use std::path::Path;
use std::process::Command;

use crate::Result;

/// What `cargo xtask test` left in a target dir it started from empty, in MiB: the debug tree (every suite), then
/// the release build and package, then the Windows toolchain and builds. Measured on a fresh clone (README).
pub(crate) const DEBUG_TREE_MIB: u64 = 5_000;
pub(crate) const FULL_RUN_MIB: u64 = 11_100;

/// Refuses to start when `target` (with what it already holds) cannot grow to `need_mib`: the build would fail
/// for want of space anyway. A target dir with stale artifacts makes the estimate low, never high, so a run that
/// would fit is never refused.
pub(crate) fn check_room(target: &Path, need_mib: u64) -> Result {
    let Some(free) = free_mib(target) else {
        return Ok(());
    };
    // Room for the whole build: no need to walk the target dir (a start-up cost on every run).
    if free >= need_mib {
        return Ok(());
    }
    let have = size_mib(target);
    let missing = need_mib.saturating_sub(have);
    if free >= missing {
        return Ok(());
    }
    Err(format!(
        "not enough disk space for the build: {} holds {have} MiB and needs about {need_mib} MiB, but only {free} \
         MiB are free there. Free at least {} MiB, or point CARGO_TARGET_DIR at a disk with room",
        target.display(),
        missing - free
    ))
}

/// Prints how much the target dir holds, for the next measurement.
pub(crate) fn report(target: &Path) {
    eprintln!(
        "xtask: {} holds {} MiB; {} MiB free there",
        target.display(),
        size_mib(target),
        free_mib(target).map_or_else(|| "unknown".to_owned(), |f| f.to_string())
    );
}

/// After a failed step: a sentence when the disk holding `target` is (nearly) full, since cargo's own "No space
/// left on device" is easy to miss among the lines a failed build prints. Empty otherwise.
pub(crate) fn full_hint(target: &Path) -> String {
    match free_mib(target) {
        Some(free) if free < NEARLY_FULL_MIB => format!(
            "; the disk holding {} is nearly full ({free} MiB free), which alone makes builds fail: free space or \
             point CARGO_TARGET_DIR at a disk with room",
            target.display()
        ),
        _ => String::new(),
    }
}

/// Less free space than this after a failure is named as its likely cause.
const NEARLY_FULL_MIB: u64 = 1024;

/// The bytes in the files below `dir` (symbolic links not followed), in MiB; 0 when it does not exist.
fn size_mib(dir: &Path) -> u64 {
    fn bytes(path: &Path) -> u64 {
        let Ok(meta) = path.symlink_metadata() else {
            return 0;
        };
        if !meta.is_dir() {
            return meta.len();
        }
        std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| bytes(&e.path())).sum())
            .unwrap_or(0)
    }
    bytes(dir) / (1024 * 1024)
}

/// The space free for an unprivileged writer on the file system holding `path` (or its nearest existing
/// ancestor), from POSIX `df -Pk`; `None` when `df` cannot say.
fn free_mib(path: &Path) -> Option<u64> {
    let existing = path.ancestors().find(|p| p.exists())?;
    let out = Command::new("df").arg("-Pk").arg(existing).output().ok()?;
    if !out.status.success() {
        return None;
    }
    parse_df(&String::from_utf8_lossy(&out.stdout))
}

/// The "Available" column (KiB) of `df -P`'s one data line, in MiB.
fn parse_df(text: &str) -> Option<u64> {
    let line = text.lines().nth(1)?;
    let available: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(available / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn df_posix_output_gives_the_available_column_in_mib() {
        let text = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n\
                    /dev/vda         263174212  83886080  11534336      88% /\n";
        assert_eq!(parse_df(text), Some(11264));
        assert_eq!(parse_df("Filesystem 1024-blocks Used Available\n"), None);
        assert_eq!(parse_df("header\n/dev/x 1 2 lots 3% /\n"), None);
    }

    #[test]
    fn a_target_dir_that_cannot_grow_enough_is_refused_with_what_to_free() {
        let dir = std::env::temp_dir().join(format!("xtask-disk-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("debug")).unwrap();
        // 64 MiB as the walk counts it (the file's length), sparse, so it costs no space.
        let file = std::fs::File::create(dir.join("debug/a")).unwrap();
        file.set_len(64 * 1024 * 1024).unwrap();
        assert_eq!(size_mib(&dir), 64);
        let free = free_mib(&dir).expect("df answers for a temporary dir");
        // More than is free, but what the dir holds makes up the difference (32 MiB of slack for other writers).
        assert_eq!(check_room(&dir, free + 32), Ok(()));
        // A terabyte more than is free (other writers cannot free that much meanwhile).
        let need = free + 64 + 1024 * 1024;
        let err = check_room(&dir, need).unwrap_err();
        assert!(
            err.contains(&format!("holds 64 MiB and needs about {need} MiB")),
            "{err}"
        );
        assert!(
            err.contains("point CARGO_TARGET_DIR at a disk with room"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
