//! Project automation: `cargo xtask test` (the README's test command) and `cargo xtask demo` (the run command).
//!
//! Only the standard library is used so that `cargo xtask` starts in seconds on a fresh clone.
//!
//! `test` prepares what the test suites need and that a developer's desktop has but a CI box does not: node
//! packages from the lockfiles, the built UI, a private D-Bus session with an unlocked gnome-keyring in a
//! throwaway home (the real Secret Service), and an X server (Xvfb) for the app window. It then runs
//! `cargo test --workspace` inside that environment.

mod demo;
mod disk;
mod package;
#[cfg(test)]
mod tidy;
mod windows;

use demo::demo;
use package::{bundle, package};

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Set in the environment of the re-executed xtask once the D-Bus session and keyring are up.
const INNER_MARK: &str = "ORGPASS_XTASK_INNER";

/// Starts an unlocked gnome-keyring in the D-Bus session `dbus-run-session` made, waits (up to about 15 s) until it
/// owns the Secret Service's name (`--unlock` returns before it does), then runs `"$0" "$@"`; if it never does, one
/// clear message instead of every keychain test failing on D-Bus. `$ORGPASS_KEYRING_PASSWORD` is the throwaway
/// keyring's password.
const PRIVATE_KEYRING: &str = "printf %s \"$ORGPASS_KEYRING_PASSWORD\" | gnome-keyring-daemon --unlock \
     --components=secrets >/dev/null \
     && for i in $(seq 300); do gdbus call --session --dest org.freedesktop.DBus \
        --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.NameHasOwner \
        org.freedesktop.secrets | grep -q true && break; sleep 0.05; done \
     && { gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets | grep -q true \
        || { echo 'xtask: gnome-keyring did not start the Secret Service (org.freedesktop.secrets) within 15 s' >&2; \
        exit 1; }; } \
     && exec \"$0\" \"$@\"";

/// `program args…` in a new D-Bus session with its own unlocked gnome-keyring (the real Secret Service) and a
/// throwaway `home` (HOME and the XDG folders; the keyring file lives there), cargo and rustup keeping their homes.
fn in_private_keyring(program: &Path, args: &[String], home: &Path) -> Result<Command> {
    std::fs::create_dir_all(home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let real_home = env::var_os("HOME").unwrap_or_else(|| OsString::from("/root"));
    let rustup_home =
        env::var_os("RUSTUP_HOME").unwrap_or_else(|| Path::new(&real_home).join(".rustup").into());
    let mut command = Command::new("dbus-run-session");
    command
        .args(["--", "sh", "-c", PRIVATE_KEYRING])
        .arg(program)
        .args(args)
        .env("ORGPASS_KEYRING_PASSWORD", "orgpass-throwaway-keyring")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("CARGO_HOME", cargo_home())
        .env("RUSTUP_HOME", &rustup_home);
    // tauri-driver is installed by `cargo install` into the real cargo home.
    if let Some(path) = env::var_os("PATH") {
        let mut paths: Vec<PathBuf> = env::split_paths(&path).collect();
        paths.push(cargo_home().join("bin"));
        command.env("PATH", env::join_paths(paths).map_err(|e| e.to_string())?);
    }
    Ok(command)
}

/// Whether this process's D-Bus session has a Secret Service (running, or started on demand).
fn secret_service_reachable() -> bool {
    let call = |method: &str, args: &[&str]| {
        Command::new("gdbus")
            .args([
                "call",
                "--session",
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
            ])
            .arg(format!("org.freedesktop.DBus.{method}"))
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        && (call("NameHasOwner", &["org.freedesktop.secrets"]).is_some_and(|o| o.contains("true"))
            || call("ListActivatableNames", &[])
                .is_some_and(|o| o.contains("'org.freedesktop.secrets'")))
}

/// Debian packages the tests and the app need, by the command or file that shows each is present.
const SYSTEM_PACKAGES: &[(&str, &str)] = &[
    ("dbus-run-session", "dbus"),
    ("gnome-keyring-daemon", "gnome-keyring"),
    ("secret-tool", "libsecret-tools"),
    ("Xvfb", "xvfb"),
    ("chromium", "chromium"),
    ("chromedriver", "chromium-driver"),
    ("WebKitWebDriver", "webkit2gtk-driver"),
    ("import", "imagemagick"),
    ("pkg-config", "pkg-config"),
    // The OS side of orgpass:// deep links (the app registers its scheme handler; the e2e opens a link).
    ("xdg-open", "xdg-utils"),
    ("update-desktop-database", "desktop-file-utils"),
    // gdbus: the keychain tests lock the keyring through it; the wrapper below waits for the Secret Service.
    ("gdbus", "libglib2.0-bin"),
    // The CLI tests hand `orgpass token --format header` to curl (`curl -H @-`); tests/measure-app.sh uses it too.
    ("curl", "curl"),
    // API instances sharing the DPoP proofs they have seen (tests/e2e/dpop.rs starts one on a loopback port).
    ("redis-server", "redis-server"),
];

/// Development libraries for building the Tauri app, by their pkg-config name.
const BUILD_LIBRARIES: &[(&str, &str)] = &[
    ("webkit2gtk-4.1", "libwebkit2gtk-4.1-dev"),
    ("gtk+-3.0", "libgtk-3-dev"),
    ("ayatana-appindicator3-0.1", "libayatana-appindicator3-dev"),
    ("librsvg-2.0", "librsvg2-dev"),
    ("libsoup-3.0", "libsoup-3.0-dev"),
    ("dbus-1", "libdbus-1-dev"),
];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("demo") => demo(&args[1..]),
        Some("deps") => ensure_system_packages(true).and_then(|_| ensure_tauri_driver()),
        Some("package") => package().map(|deb| println!("{}", deb.display())),
        Some("ui") => build_ui(),
        Some("windows") => windows::windows(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 commands:\n  \
                 test [ARGS…]  run every test suite (real Secret Service, Xvfb, browsers); ARGS go to `cargo test`\n  \
                 demo          start devtenant with the demo seed and the desktop app pointed at it\n  \
                 deps          install the Debian packages (as root, or print the command) and tauri-driver\n  \
                 package       build the installable .deb (release, stripped) into target/release/bundle/deb\n  \
                 ui            build the frontend into ui/dist\n  \
                 windows       build the engine and CLI for Windows and test them under Wine; type-check the app\n                \
                 for Windows and the crates without C for macOS"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

/// The workspace. `cargo run` says where xtask's manifest is at run time; the path compiled in is only the
/// fallback, since a binary built from another clone sharing the target dir can be the one `cargo run` finds
/// (cargo does not copy a fresh build over it again).
fn root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn on_path(program: &str) -> bool {
    let Some(paths) = env::var_os("PATH") else {
        return false;
    };
    env::split_paths(&paths).any(|dir| dir.join(program).is_file())
        || Path::new("/usr/sbin").join(program).is_file()
}

fn run(command: &mut Command) -> Result {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown} failed with {status}{}",
            disk::full_hint(&target_dir())
        ))
    }
}

/// Checks the Debian packages; installs the missing ones when running as root and `install` is set,
/// otherwise says exactly what to run. Returns whether everything is present.
fn ensure_system_packages(install: bool) -> Result<bool> {
    let mut missing: Vec<&str> = SYSTEM_PACKAGES
        .iter()
        .filter(|(program, _)| !on_path(program))
        .map(|(_, package)| *package)
        .collect();
    for (module, package) in BUILD_LIBRARIES {
        let present = Command::new("pkg-config")
            .args(["--exists", module])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !present && !missing.contains(package) {
            missing.push(package);
        }
    }
    if missing.is_empty() {
        return Ok(true);
    }
    let list = missing.join(" ");
    if install && is_root() && on_path("apt-get") {
        eprintln!("xtask: installing missing Debian packages: {list}");
        run(Command::new("apt-get").arg("update").arg("-q"))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
        return Ok(true);
    }
    Err(format!(
        "missing Debian packages: {list}\nInstall them with:\n  sudo apt-get update && sudo apt-get install -y {list}"
    ))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The cargo that runs this xtask (`$CARGO`), else `cargo` on `PATH`.
fn cargo() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The cargo home: where `cargo install` puts binaries.
fn cargo_home() -> PathBuf {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&env::var_os("HOME").unwrap_or_else(|| OsString::from("/root")))
                .join(".cargo")
        })
}

/// tauri-driver (the WebDriver front for the app window) is a crates.io binary, not a Debian package:
/// `cargo install --locked` it into the cargo home unless it is already there or on `PATH`.
fn ensure_tauri_driver() -> Result {
    if on_path("tauri-driver") || cargo_home().join("bin/tauri-driver").is_file() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing tauri-driver from crates.io (`cargo install tauri-driver --locked`)"
    );
    let cargo = cargo();
    run(Command::new(cargo).args(["install", "tauri-driver", "--locked", "--version", "^2"]))
}

/// The Tauri CLI (`cargo tauri`, whose bundler makes the `.deb`) from crates.io, like tauri-driver.
fn ensure_tauri_cli() -> Result {
    if on_path("cargo-tauri") || cargo_home().join("bin/cargo-tauri").is_file() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing the Tauri CLI from crates.io (`cargo install tauri-cli --locked --debug`)"
    );
    let cargo = cargo();
    // Unoptimised (`--debug`): on a two-core machine it installs in 4 min instead of 23, and bundling with it takes
    // seconds either way (it copies files and writes one archive). The app and CLI it packages are release builds.
    run(Command::new(cargo).args([
        "install",
        "tauri-cli",
        "--locked",
        "--version",
        "^2",
        "--debug",
    ]))
}

/// `npm ci` in a folder with a lockfile, unless its node_modules is already newer than the lockfile.
fn npm_ci(dir: &Path) -> Result {
    let lock = dir.join("package-lock.json");
    if !lock.is_file() {
        return Ok(());
    }
    let stamp = dir.join("node_modules/.package-lock.json");
    let fresh = match (
        lock.metadata().and_then(|m| m.modified()),
        stamp.metadata().and_then(|m| m.modified()),
    ) {
        (Ok(lock), Ok(stamp)) => stamp >= lock,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir))
}

/// Builds the plugin's guest bindings (`tauri-plugin-orgpass-api`, which the windows import), then the app's frontend
/// into `ui/dist` and the embed example's into `examples/embed/ui/dist`, which their Tauri builds embed. A build whose
/// output is newer than all its inputs is skipped: rewriting `dist/` would make cargo rebuild the apps for nothing.
fn build_ui() -> Result {
    let root = root();
    let guest = root.join("crates/tauri-plugin-orgpass");
    let bindings = guest.join("dist-js");
    let builds = [
        (
            guest.clone(),
            bindings.join("index.js"),
            vec![guest.join("guest-js")],
        ),
        (
            root.join("ui"),
            root.join("ui/dist/index.html"),
            vec![
                root.join("ui/src"),
                root.join("ui/index.html"),
                root.join("ui/vite.config.ts"),
                bindings.clone(),
            ],
        ),
        (
            root.join("examples/embed/ui"),
            root.join("examples/embed/ui/dist/index.html"),
            vec![
                root.join("examples/embed/ui/main.ts"),
                root.join("examples/embed/ui/index.html"),
                root.join("examples/embed/ui/vite.config.ts"),
                bindings.clone(),
            ],
        ),
    ];
    for (dir, output, mut inputs) in builds {
        npm_ci(&dir)?;
        inputs.push(dir.join("package-lock.json"));
        inputs.push(dir.join("node_modules/.package-lock.json"));
        let built = output.metadata().and_then(|m| m.modified()).ok();
        if built.is_some_and(|b| inputs.iter().all(|i| newest(i).is_none_or(|t| t <= b))) {
            continue;
        }
        run(Command::new("npm").args(["run", "build"]).current_dir(&dir))?;
    }
    Ok(())
}

/// The newest modification time of a file, or of any file below a folder.
fn newest(path: &Path) -> Option<std::time::SystemTime> {
    let meta = path.metadata().ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .flatten()
        .filter_map(|e| newest(&e.path()))
        .max()
}

fn test(cargo_args: &[String]) -> Result {
    if env::var_os(INNER_MARK).is_some() {
        return test_inner(cargo_args);
    }
    // Extra arguments skip the package and Windows steps: the debug tree is what they build.
    let need = if cargo_args.is_empty() {
        disk::FULL_RUN_MIB
    } else {
        disk::DEBUG_TREE_MIB
    };
    disk::check_room(&target_dir(), need)?;
    ensure_system_packages(true)?;
    ensure_tauri_driver()?;
    let root = root();
    npm_ci(&root.join("tests"))?;
    build_ui()?;
    // The window's unit tests (vitest, the plugin faked with @tauri-apps/api/mocks): seconds, no display needed.
    run(Command::new("npm")
        .args(["test"])
        .current_dir(root.join("ui")))?;

    // A throwaway home: a keyring left from another run (with another password) would stay locked, and nothing a
    // test stores may touch the developer's own keychain. Cargo and rustup keep their real homes.
    let home = env::temp_dir().join(format!("orgpass-xtask-home-{}", std::process::id()));
    let mut xvfb = start_xvfb()?;
    let me = env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
    let mut args = vec!["test".to_owned()];
    args.extend(cargo_args.iter().cloned());
    let mut command = in_private_keyring(&me, &args, &home)?;
    command
        .env(INNER_MARK, "1")
        .env("ORGPASS_REPO_ROOT", &root)
        .current_dir(&root);
    if let Some(display) = xvfb.as_ref().map(|(d, _)| d.clone()) {
        command.env("DISPLAY", display);
    }
    let result = run(&mut command);
    if let Some((_, child)) = xvfb.as_mut() {
        stop_xvfb(child);
    }
    let _ = std::fs::remove_dir_all(&home);
    result?;
    // Windows and macOS last, outside the private keyring: Wine brings its own Credential Manager.
    if cargo_args.is_empty() {
        windows::windows(&[])?;
        disk::report(&target_dir());
    }
    Ok(())
}

fn test_inner(cargo_args: &[String]) -> Result {
    let cargo = cargo();
    // Binaries first: the end-to-end tests run `orgpass`, `devtenant`, `orgpass-admin` and the app as users do.
    // `--tests` makes the features resolve as `cargo test` resolves them, so nothing is built twice.
    run(Command::new(&cargo).args(["build", "--workspace", "--bins", "--tests"]))?;
    // `cargo xtask test -p orgpass` tests that package only (`--workspace` would override `-p`).
    let narrowed = cargo_args
        .iter()
        .any(|a| a == "-p" || a.starts_with("--package") || (a.starts_with("-p") && a.len() > 2));
    let mut test = Command::new(&cargo);
    test.args(["test", "--no-fail-fast"]);
    if !narrowed {
        test.arg("--workspace");
    }
    run(test.args(cargo_args))?;
    if !cargo_args.is_empty() {
        return Ok(());
    }
    // The package last and alone: its test installs it into this machine, which the other suites must not see. The
    // system packages and the UI are ready (the outer `test` made them); building the UI again would only touch
    // ui/dist and make cargo rebuild the app.
    ensure_tauri_cli()?;
    let deb = bundle()?;
    if !is_root() {
        eprintln!(
            "xtask: built {}; its install test needs root (it runs apt-get): `sudo ORGPASS_DEB={} cargo test --workspace --test e2e -- --ignored package::`",
            deb.display(),
            deb.display()
        );
        return Ok(());
    }
    // `--workspace`, not `-p orgpass-e2e`: one package alone resolves its dependencies' features differently, and
    // cargo would build the whole debug tree a second time (minutes, and gigabytes a CI disk may not have).
    run(Command::new(&cargo)
        .args([
            "test",
            "--workspace",
            "--test",
            "e2e",
            "--",
            "--ignored",
            "package::",
        ])
        .env("ORGPASS_DEB", &deb))
}

/// Starts Xvfb on a free display unless one is already set. Returns the display and the server process.
fn start_xvfb() -> Result<Option<(String, Child)>> {
    if env::var_os("DISPLAY").is_some() {
        return Ok(None);
    }
    for number in 99..120 {
        if display_taken(number) {
            continue;
        }
        let display = format!(":{number}");
        let mut child = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start Xvfb: {e}"))?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists() {
                return Ok(Some((display, child)));
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("Xvfb {display} exited at start with {status}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        return Err(format!("Xvfb {display} did not come up within 10 s"));
    }
    Err("no free X display between :99 and :119".into())
}

/// Whether X display `number` is in use: its lock file names a live process (or cannot be read), or it has a
/// socket but no lock. The lock and socket of a server that died without cleaning up are removed, so displays are
/// not used up one per killed run (and the socket, which says the new server is up, is its own).
fn display_taken(number: u32) -> bool {
    let lock = format!("/tmp/.X{number}-lock");
    let socket = format!("/tmp/.X11-unix/X{number}");
    if !Path::new(&lock).exists() {
        return Path::new(&socket).exists();
    }
    let Ok(text) = std::fs::read_to_string(&lock) else {
        return true;
    };
    let alive = text
        .trim()
        .parse::<u32>()
        .is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
    if alive {
        return true;
    }
    let _ = std::fs::remove_file(&socket);
    std::fs::remove_file(&lock).is_err()
}

/// Stops Xvfb with SIGTERM, so that it removes its lock file and socket; SIGKILL if it is still there after 5 s.
fn stop_xvfb(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let asked = Instant::now();
    while asked.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Cargo's target directory (`CARGO_TARGET_DIR`, else `target/` in the workspace).
fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Captures a command's standard output, failing on a non-zero exit.
fn output(command: &mut Command) -> Result<Vec<u8>> {
    let shown = format!("{command:?}");
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!("{shown} failed with {}", out.status))
    }
}

/// A JSON string literal (for the bundler's `--config`).
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
