//! The `.deb` as an employee gets it: `apt-get install ./Orgpass_….deb` into this machine, then the installed app
//! starts under Xvfb and shows the organization screen (with its version), `orgpass://` links belong to the
//! package's desktop entry (the app does not register itself), the CLI is on `PATH`, and `apt-get purge` leaves no
//! file of ours behind.
//!
//! It installs into the machine, so it needs root and runs alone: `cargo xtask test` builds the package
//! (`cargo xtask package`) after the other suites and runs this test with `ORGPASS_DEB` set to the file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::window::{
    Proc, app_session, free_port, on_path, shot, wait_screen, wait_text, wait_webdriver,
};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where a package may put files; what is here before the install must be all that is here after the purge.
const WATCHED: &[&str] = &["/usr", "/etc", "/opt"];

/// System caches that package triggers rewrite (they are not the package's files; their content is checked).
const CACHES: &[&str] = &[
    "/usr/share/applications/mimeinfo.cache",
    "/usr/share/icons/hicolor/icon-theme.cache",
];

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(run(cmd).stdout)
        .unwrap()
        .trim()
        .to_owned()
}

fn files_under(roots: &[&str]) -> BTreeSet<PathBuf> {
    fn walk(dir: &Path, into: &mut BTreeSet<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => walk(&path, into),
                Ok(_) => {
                    into.insert(path);
                }
                Err(_) => {}
            }
        }
    }
    let mut all = BTreeSet::new();
    for root in roots {
        walk(Path::new(root), &mut all);
    }
    all
}

/// Whether dpkg knows the package as installed (`dpkg -s` succeeds).
fn is_installed(name: &str) -> bool {
    Command::new("dpkg")
        .args(["-s", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Purges the package when the test ends, however it ends, so a failure does not leave it installed.
struct Installed(String);

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("apt-get")
            .args(["purge", "-y", "-q", &self.0])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status();
    }
}

/// `xdg-mime query default x-scheme-handler/orgpass` for a person with a new home (no choice of their own).
fn scheme_handler(home: &Path) -> String {
    stdout(
        Command::new("xdg-mime")
            .args(["query", "default", "x-scheme-handler/orgpass"])
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env_remove("XDG_DATA_DIRS")
            .env_remove("XDG_CONFIG_DIRS"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "installs into this machine as root: `cargo xtask test` runs it after building the package"]
async fn the_installed_package_starts_handles_links_and_uninstalls_cleanly() {
    let deb = PathBuf::from(std::env::var_os("ORGPASS_DEB").expect(
        "ORGPASS_DEB is not set: build the package with `cargo xtask package` and pass its path",
    ));
    assert!(deb.is_file(), "{} is not a file", deb.display());
    let uid = stdout(Command::new("id").arg("-u"));
    assert_eq!(
        uid, "0",
        "installing a package needs root (this test runs apt-get)"
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let name = stdout(
        Command::new("dpkg-deb")
            .args(["-f"])
            .arg(&deb)
            .arg("Package"),
    );
    assert_eq!(name, "orgpass");
    assert_eq!(
        stdout(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Version")),
        VERSION
    );
    // The system trust store the app and CLI verify tenants against (they use no bundled roots).
    let depends = stdout(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Depends"));
    assert!(
        depends.split(',').any(|d| d.trim() == "ca-certificates"),
        "Depends: {depends}"
    );
    assert!(
        !is_installed(&name),
        "{name} is already installed on this machine; `apt-get purge {name}` first"
    );

    let before = files_under(WATCHED);
    let home = tempfile::tempdir().unwrap();
    assert_eq!(
        scheme_handler(home.path()),
        "",
        "nothing handles orgpass:// yet"
    );

    // ---- Install the way a person does.
    // apt-get takes a path (with a slash) as a file, a bare word as a package name.
    let absolute = std::fs::canonicalize(&deb).unwrap();
    run(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .arg(&absolute)
        .env("DEBIAN_FRONTEND", "noninteractive"));
    let installed = Installed(name.clone());
    let listed: BTreeSet<PathBuf> = stdout(Command::new("dpkg").args(["-L", &name]))
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect();
    for want in [
        "/usr/bin/orgpass-app",
        "/usr/bin/orgpass",
        "/usr/share/applications/Orgpass.desktop",
        "/usr/share/icons/hicolor/128x128/apps/orgpass-app.png",
        "/usr/share/man/man1/orgpass.1.gz",
        "/usr/share/bash-completion/completions/orgpass",
    ] {
        assert!(
            listed.contains(Path::new(want)),
            "the package has no {want}: {listed:?}"
        );
    }

    // The desktop entry: valid, starts the app with the link, claims the scheme.
    let entry = std::fs::read_to_string("/usr/share/applications/Orgpass.desktop").unwrap();
    run(Command::new("desktop-file-validate").arg("/usr/share/applications/Orgpass.desktop"));
    assert!(entry.contains("\nExec=orgpass-app %u\n"), "{entry}");
    assert!(
        entry.contains("\nMimeType=x-scheme-handler/orgpass;\n"),
        "{entry}"
    );
    assert_eq!(scheme_handler(home.path()), "Orgpass.desktop");

    // Every binary says the one workspace version.
    assert_eq!(
        stdout(Command::new("orgpass").arg("--version")),
        format!("orgpass {VERSION}")
    );
    assert_eq!(
        stdout(Command::new("/usr/bin/orgpass-app").arg("--version")),
        format!("orgpass-app {VERSION}")
    );
    let man = stdout(Command::new("gzip").args(["-dc", "/usr/share/man/man1/orgpass.1.gz"]));
    assert!(man.contains("\n.TH orgpass 1 "), "{man}");

    // ---- The installed app, configured by IT's system file, shows the organization screen.
    let xdg = home.path().join("xdg");
    std::fs::create_dir_all(xdg.join("orgpass")).unwrap();
    std::fs::write(
        xdg.join("orgpass/app.toml"),
        "issuer = \"http://127.0.0.1:9/\"\nclient_id = \"orgpass-desktop\"\nlocked = [\"issuer\"]\n\n\
         [[organizations]]\nid = \"org_AcmeA1b2C3d4E5f6\"\nname = \"acme\"\ndisplay_name = \"Acme Corporation\"\n",
    )
    .unwrap();
    let tauri_driver = on_path("tauri-driver")
        .expect("tauri-driver not found: `cargo install tauri-driver --locked`");
    let (td_port, native_port) = (free_port(), free_port());
    let mut driver = Proc::group(
        Command::new(tauri_driver)
            .args([
                "--port",
                &td_port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("XDG_CONFIG_DIRS", &xdg)
            .env_remove("XDG_DATA_DIRS")
            .env_remove("ORGPASS_APP_CONFIG")
            .env_remove("ORGPASS_ISSUER")
            .env_remove("ORGPASS_CLIENT_ID")
            .env_remove("ORGPASS_NO_SCHEME_REGISTRATION")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit()),
    );
    wait_webdriver(&mut driver, td_port)
        .await
        .unwrap_or_else(|e| {
            panic!("tauri-driver on {td_port} (WebKitWebDriver on {native_port}): {e}")
        });
    let app = app_session(td_port, Path::new("/usr/bin/orgpass-app")).await;
    wait_screen(&app, "picker").await;
    wait_text(
        &app,
        "[data-testid='directory-org_AcmeA1b2C3d4E5f6']",
        |t| t.contains("Acme Corporation"),
    )
    .await;
    wait_text(&app, "[data-testid='app-version']", |t| {
        t == format!("Orgpass {VERSION}")
    })
    .await;
    shot(&app, "package-installed-app").await;
    app.close().await.unwrap();
    drop(driver);
    // The package's entry is the handler, so the app wrote no entry of its own.
    let own = home.path().join(".local/share/applications");
    let written: Vec<_> = std::fs::read_dir(&own)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        written.is_empty(),
        "the installed app registered itself in {}: {written:?}",
        own.display()
    );
    assert_eq!(scheme_handler(home.path()), "Orgpass.desktop");

    // ---- Uninstall: nothing of ours is left (keychain entries are the person's and are not touched here).
    drop(installed);
    assert!(
        !is_installed(&name),
        "{name} is still installed after apt-get purge"
    );
    let left: Vec<&PathBuf> = listed.iter().filter(|p| p.exists()).collect();
    assert!(left.is_empty(), "purge left the package's files: {left:?}");
    let after = files_under(WATCHED);
    let new: Vec<&PathBuf> = after
        .difference(&before)
        .filter(|p| !CACHES.iter().any(|c| Path::new(c) == p.as_path()))
        // Files of other packages (a dependency apt-get pulled in) are not ours.
        .filter(|p| {
            !Command::new("dpkg")
                .arg("-S")
                .arg(p)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect();
    assert!(new.is_empty(), "files left behind after purge: {new:?}");
    for cache in CACHES {
        let text = String::from_utf8_lossy(&std::fs::read(cache).unwrap_or_default()).into_owned();
        assert!(
            !text.contains("Orgpass.desktop") && !text.contains("orgpass-app"),
            "{cache} still names Orgpass after purge"
        );
    }
    assert_eq!(
        scheme_handler(home.path()),
        "",
        "orgpass:// has no handler after purge"
    );
}
