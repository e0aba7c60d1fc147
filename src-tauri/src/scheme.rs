//! Registering the `orgpass://` scheme with a freedesktop.org desktop (Linux), so the OS hands deep links to us.
//!
//! A `.desktop` entry in `$XDG_DATA_HOME/applications` names this binary with `MimeType=x-scheme-handler/orgpass`,
//! and `xdg-mime default` makes it the handler. tauri-plugin-deep-link's `register_all` does the same but always
//! quotes the binary's path in `Exec`, which the `xdg-open` of xdg-utils 1.1.3 (Debian 12, Ubuntu 22.04) cannot
//! parse outside GNOME and KDE: `xdg-open orgpass://…` then fails with "Permission denied". Here the path is quoted
//! only when the Desktop Entry Specification requires it, and nothing is rewritten or re-run when it is already
//! registered.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The URL scheme of deep links (also in `tauri.conf.json` under `plugins.deep-link`).
pub const SCHEME: &str = "orgpass";

/// File name of the entry (the one tauri-plugin-deep-link used, so an older registration is replaced).
pub const ENTRY_FILE: &str = "orgpass-app-handler.desktop";

/// The `Exec` value that runs `program` with the URL: quoted (with the spec's escapes) only when needed.
pub fn exec_line(program: &Path) -> String {
    let path = program.to_string_lossy();
    let plain = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._+-,:@=".contains(c));
    if plain {
        return format!("{path} %u");
    }
    let mut quoted = String::with_capacity(path.len() + 2);
    quoted.push('"');
    for c in path.chars() {
        // Inside quotes: `"`, `` ` ``, `$` and `\` are escaped with a backslash; the backslash is then escaped
        // once more because desktop entry values are themselves backslash-escaped strings.
        match c {
            '"' | '`' | '$' => {
                quoted.push_str("\\\\");
                quoted.push(c);
            }
            '\\' => quoted.push_str("\\\\\\\\"),
            '%' => quoted.push_str("%%"),
            '\n' => quoted.push_str("\\n"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    format!("{quoted} %u")
}

/// The whole entry.
pub fn desktop_entry(program: &Path) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Orgpass\nComment=Opens orgpass:// sign-in links\nExec={}\nTerminal=false\nMimeType=x-scheme-handler/{SCHEME};\nNoDisplay=true\n",
        exec_line(program)
    )
}

/// Write the entry into `applications_dir` unless it is already there as is; returns whether it changed.
pub fn write_entry(applications_dir: &Path, program: &Path) -> io::Result<bool> {
    let target = applications_dir.join(ENTRY_FILE);
    let want = desktop_entry(program);
    if std::fs::read_to_string(&target).is_ok_and(|have| have == want) {
        return Ok(false);
    }
    std::fs::create_dir_all(applications_dir)?;
    let temp = applications_dir.join(format!(".{ENTRY_FILE}.{}", std::process::id()));
    std::fs::write(&temp, want)?;
    std::fs::rename(&temp, &target)?;
    Ok(true)
}

/// `$XDG_DATA_HOME/applications` (or `~/.local/share/applications`).
pub fn applications_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("applications"))
}

/// The program the desktop should start: the AppImage when running from one, else this binary. `APPIMAGE` is
/// trusted only when this binary runs from inside that image's mount (`APPDIR`): a program started from another
/// AppImage inherits its `APPIMAGE`, and must not register that other program as our handler.
pub fn program() -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(appimage_of(
        &exe,
        std::env::var_os("APPIMAGE"),
        std::env::var_os("APPDIR"),
    )
    .unwrap_or(exe))
}

fn appimage_of(
    exe: &Path,
    appimage: Option<std::ffi::OsString>,
    appdir: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let (appimage, appdir) = (PathBuf::from(appimage?), PathBuf::from(appdir?));
    (!appdir.as_os_str().is_empty() && exe.starts_with(&appdir)).then_some(appimage)
}

/// Name of the desktop entry the `.deb` installs (the bundler names it after `productName`); it carries
/// `MimeType=x-scheme-handler/orgpass`, so an installed app is the handler without registering anything.
pub const PACKAGED_ENTRY_FILE: &str = "Orgpass.desktop";

/// The system's `$XDG_DATA_DIRS` (default `/usr/local/share:/usr/share`), where packages put desktop entries.
pub fn system_data_dirs() -> Vec<PathBuf> {
    match std::env::var_os("XDG_DATA_DIRS").filter(|v| !v.is_empty()) {
        Some(v) => std::env::split_paths(&v).collect(),
        None => vec!["/usr/local/share".into(), "/usr/share".into()],
    }
}

/// The packaged desktop entry that already hands `orgpass://` links to `program`, if any: an entry named
/// [`PACKAGED_ENTRY_FILE`] in one of `data_dirs` whose `MimeType` has the scheme and whose `Exec` runs `program`
/// (an absolute path, or a bare name found on `search_path`).
pub fn packaged_entry(
    data_dirs: &[PathBuf],
    program: &Path,
    search_path: Option<&std::ffi::OsStr>,
) -> Option<PathBuf> {
    let mime = format!("x-scheme-handler/{SCHEME}");
    data_dirs.iter().find_map(|dir| {
        let entry = dir.join("applications").join(PACKAGED_ENTRY_FILE);
        let text = std::fs::read_to_string(&entry).ok()?;
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(str::trim)
        };
        let handles = value("MimeType")?.split(';').any(|m| m == mime);
        let exec = value("Exec")?.split_whitespace().next()?;
        let exec = Path::new(exec);
        let runs_us = if exec.is_absolute() {
            exec == program
        } else {
            std::env::split_paths(search_path?).any(|d| d.join(exec) == program)
        };
        (handles && runs_us).then_some(entry)
    })
}

/// Register this binary as the `orgpass://` handler for the current user, unless the installed package's own
/// entry already names it. Needs `xdg-mime` (xdg-utils); `update-desktop-database` (desktop-file-utils) is used
/// when present.
pub fn register() -> io::Result<()> {
    let program = program()?;
    if let Some(entry) = packaged_entry(
        &system_data_dirs(),
        &program,
        std::env::var_os("PATH").as_deref(),
    ) {
        tracing::debug!(entry = %entry.display(), "orgpass:// is handled by the installed package's entry");
        return Ok(());
    }
    let dir = applications_dir()
        .ok_or_else(|| io::Error::other("no data directory: set HOME or XDG_DATA_HOME"))?;
    let changed = write_entry(&dir, &program)?;
    if changed {
        // Refresh the MIME cache; desktops without desktop-file-utils read the entries directly.
        let _ = Command::new("update-desktop-database").arg(&dir).output();
    }
    let mime = format!("x-scheme-handler/{SCHEME}");
    let current = Command::new("xdg-mime")
        .args(["query", "default", &mime])
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("xdg-mime (install xdg-utils): {e}")))?;
    if String::from_utf8_lossy(&current.stdout).trim() != ENTRY_FILE {
        let status = Command::new("xdg-mime")
            .args(["default", ENTRY_FILE, &mime])
            .status()?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "`xdg-mime default {ENTRY_FILE} {mime}` failed with {status}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_quotes_only_when_the_spec_requires_it() {
        assert_eq!(
            exec_line(Path::new("/opt/orgpass/orgpass-app")),
            "/opt/orgpass/orgpass-app %u"
        );
        assert_eq!(
            exec_line(Path::new("/home/a b/orgpass-app")),
            "\"/home/a b/orgpass-app\" %u"
        );
        assert_eq!(
            exec_line(Path::new("/tmp/x\"$y`/app")),
            "\"/tmp/x\\\\\"\\\\$y\\\\`/app\" %u"
        );
        assert_eq!(
            exec_line(Path::new("/tmp/100%/app")),
            "\"/tmp/100%%/app\" %u"
        );
    }

    #[test]
    fn appimage_is_trusted_only_from_inside_its_mount() {
        let image = || Some("/home/a/Orgpass.AppImage".into());
        assert_eq!(
            appimage_of(
                Path::new("/tmp/.mount_OrgpaX/usr/bin/orgpass-app"),
                image(),
                Some("/tmp/.mount_OrgpaX".into())
            ),
            Some(PathBuf::from("/home/a/Orgpass.AppImage"))
        );
        // Started from a terminal that another AppImage launched: its APPIMAGE/APPDIR are not ours.
        assert_eq!(
            appimage_of(
                Path::new("/usr/bin/orgpass-app"),
                image(),
                Some("/tmp/.mount_OtherX".into())
            ),
            None
        );
        assert_eq!(
            appimage_of(Path::new("/usr/bin/orgpass-app"), image(), None),
            None
        );
    }

    #[test]
    fn a_packaged_entry_that_runs_this_binary_makes_registering_unnecessary() {
        let dir = tempfile::tempdir().unwrap();
        let (local, usr) = (dir.path().join("local"), dir.path().join("usr"));
        std::fs::create_dir_all(usr.join("applications")).unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        let write = |text: &str| {
            std::fs::write(usr.join("applications").join(PACKAGED_ENTRY_FILE), text).unwrap()
        };
        let dirs = [local.clone(), usr.clone()];
        let bin = dir.path().join("bin");
        let search = std::env::join_paths([Path::new("/nowhere"), &bin]).unwrap();
        let us = bin.join("orgpass-app");
        let found = |program: &Path| packaged_entry(&dirs, program, Some(search.as_os_str()));

        assert_eq!(found(&us), None, "no entry installed");
        write("[Desktop Entry]\nExec=orgpass-app %u\nMimeType=x-scheme-handler/orgpass;\n");
        assert_eq!(found(&us), Some(usr.join("applications/Orgpass.desktop")));
        // A development build elsewhere is not what the package's entry starts: it registers itself.
        assert_eq!(found(Path::new("/work/target/debug/orgpass-app")), None);
        write(&format!(
            "[Desktop Entry]\nExec={} %u\nMimeType=text/plain;x-scheme-handler/orgpass\n",
            us.display()
        ));
        assert_eq!(found(&us), Some(usr.join("applications/Orgpass.desktop")));
        // An entry without the scheme (an older package) does not handle links.
        write("[Desktop Entry]\nExec=orgpass-app\nMimeType=text/plain;\n");
        assert_eq!(found(&us), None);
    }

    #[test]
    fn entry_is_written_once_and_replaced_when_the_binary_moves() {
        let dir = tempfile::tempdir().unwrap();
        let apps = dir.path().join("applications");
        assert!(write_entry(&apps, Path::new("/opt/a/orgpass-app")).unwrap());
        assert!(!write_entry(&apps, Path::new("/opt/a/orgpass-app")).unwrap());
        let text = std::fs::read_to_string(apps.join(ENTRY_FILE)).unwrap();
        assert!(text.contains("\nExec=/opt/a/orgpass-app %u\n"), "{text}");
        assert!(
            text.contains("\nMimeType=x-scheme-handler/orgpass;\n"),
            "{text}"
        );
        assert!(write_entry(&apps, Path::new("/opt/b/orgpass-app")).unwrap());
        let text = std::fs::read_to_string(apps.join(ENTRY_FILE)).unwrap();
        assert!(text.contains("\nExec=/opt/b/orgpass-app %u\n"), "{text}");
        assert_eq!(
            std::fs::read_dir(&apps).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}
