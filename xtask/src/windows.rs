//! `cargo xtask windows`: Orgpass for Windows and macOS from this Debian machine, with Debian's packages only.
//!
//! - **Windows, built and tested.** The engine, the keychain layer, the network layer and the CLI are built for
//!   `x86_64-pc-windows-gnu` with Debian's own Rust compiler (`rustc-web` and its standard library sources,
//!   unpacked under `target/windows-toolchain/`, never installed) and mingw, then run under Wine in a throwaway
//!   prefix: their unit tests, the keychain against Wine's Credential Manager, and the CLI's journey against
//!   devtenant running natively (`crates/orgpass-cli/tests/cli/wine.rs`).
//! - **Windows, type-checked.** The desktop app, the plugin and the embed example: running them needs WebView2,
//!   which Wine does not have.
//! - **macOS, type-checked.** Every crate that compiles without an Apple C toolchain, for `aarch64-apple-darwin`;
//!   the others are named with the reason.
//!
//! Rust's std on Windows asks `bcryptprimitives.dll` for `ProcessPrng`, which Wine 8 lacks: a three-line DLL
//! (`xtask/wine/bcryptprimitives.c`) forwarding to RtlGenRandom is built with mingw and put in the throwaway
//! prefix only. Nothing here touches the system beyond `apt-get install` of the packages below.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{Result, build_ui, cargo, is_root, on_path, root, run, target_dir};

/// The Windows target: mingw's ABI, which Debian can link.
const WINDOWS: &str = "x86_64-pc-windows-gnu";
/// The macOS target type-checked (Apple silicon; the Intel one differs in nothing we check).
const MACOS: &str = "aarch64-apple-darwin";
/// Wine's 64-bit loader and server as Debian's `wine64` installs them (the `wine` wrapper package is not needed).
const WINE: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver64";

/// Debian packages for building and running Windows programs, by a file that shows each is present.
const PACKAGES: &[(&str, &str)] = &[
    ("/usr/bin/x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64"),
    (
        "/usr/bin/x86_64-w64-mingw32-windres",
        "binutils-mingw-w64-x86-64",
    ),
    // aws-lc (under jsonwebtoken and rustls-platform-verifier) assembles its Windows code with nasm.
    ("/usr/bin/nasm", "nasm"),
    (WINE, "wine64"),
];

/// Debian's compiler with its standard library's sources: unpacked, not installed (`rustc-web` conflicts with
/// rustup). Their `libstd-rust-web-*` and `libllvm*` dependencies are found with `apt-cache depends`.
const TOOLCHAIN: &[&str] = &["rustc-web", "libstd-rust-web-dev", "rust-web-src"];

/// Packages built and tested for Windows (`-p` each).
const TESTED: &[&str] = &["orgpass-keychain", "orgpass-net", "orgpass", "orgpass-cli"];
/// Packages only type-checked for Windows (they need WebView2 to run).
const APP: &[&str] = &[
    "orgpass-app",
    "tauri-plugin-orgpass",
    "orgpass-example-embed",
];

/// What does not run under Wine, and why; printed with the summary.
const NOT_UNDER_WINE: &[&str] = &[
    "the desktop app, the plugin and examples/embed: they need Microsoft Edge WebView2, which Wine does not \
     provide (type-checked only)",
    "the engine's and CLI's integration suites (crates/orgpass/tests, crates/orgpass-cli/tests): their fixtures \
     (node's oidc-provider, gnome-keyring, the Linux binaries they start) are Linux programs; the CLI journey \
     covers the same commands with the Windows build",
    "a locked Credential Manager: Windows has no locked state (it opens with the logon session); its nearest \
     failure, ERROR_NO_SUCH_LOGON_SESSION, is not something Wine produces, so only its classification is tested",
];

/// Runs every step, then prints what ran, how long each took and what could not run.
pub fn windows(args: &[String]) -> Result {
    if let Some(extra) = args.first() {
        return Err(format!(
            "`cargo xtask windows` takes no arguments (got `{extra}`)"
        ));
    }
    let started = Instant::now();
    let mut report: Vec<String> = Vec::new();
    let mut step = |name: &str, result: Result, at: Instant| -> Result {
        let took = at.elapsed().as_secs();
        match result {
            Ok(()) => {
                report.push(format!(
                    "  ok    {name} ({} min {} s)",
                    took / 60,
                    took % 60
                ));
                Ok(())
            }
            Err(e) => {
                report.push(format!("  FAIL  {name}: {e}"));
                Err(e)
            }
        }
    };

    let at = Instant::now();
    step("Debian packages", ensure_packages(), at)?;
    let at = Instant::now();
    let toolchain = ensure_toolchain();
    step(
        "Debian's Rust compiler under target/windows-toolchain",
        toolchain.as_ref().map(|_| ()).map_err(Clone::clone),
        at,
    )?;
    let rustc = toolchain?;
    let at = Instant::now();
    let shim = build_shim();
    step(
        "the ProcessPrng shim for Wine",
        shim.as_ref().map(|_| ()).map_err(Clone::clone),
        at,
    )?;
    let shim = shim?;

    let prefix = Prefix::new(&shim)?;
    let mut failures = Vec::new();
    let at = Instant::now();
    let built = build_for_windows(&rustc);
    if step(
        "build the engine, the CLI and their tests for Windows",
        built.clone(),
        at,
    )
    .is_err()
    {
        failures.push("the Windows build");
    } else {
        let at = Instant::now();
        if step("unit tests under Wine (keychain against Wine's Credential Manager, network, engine, CLI)", unit_tests(&rustc, &prefix), at).is_err() {
            failures.push("the unit tests under Wine");
        }
        let at = Instant::now();
        if step(
            "the CLI journey under Wine against devtenant",
            journey(&prefix),
            at,
        )
        .is_err()
        {
            failures.push("the CLI journey under Wine");
        }
    }
    drop(prefix);

    let at = Instant::now();
    if step(
        "type-check the app, the plugin and examples/embed for Windows",
        check_app(&rustc),
        at,
    )
    .is_err()
    {
        failures.push("the app's type-check for Windows");
    }
    let at = Instant::now();
    let mac = check_macos(&rustc);
    let (checked, unchecked) = mac.clone().unwrap_or_default();
    if step(
        &format!("type-check for macOS ({MACOS})"),
        mac.map(|_| ()),
        at,
    )
    .is_err()
    {
        failures.push("the macOS type-check");
    }

    let took = started.elapsed().as_secs();
    eprintln!(
        "\nxtask windows: {} min {} s\n{}",
        took / 60,
        took % 60,
        report.join("\n")
    );
    eprintln!("\nNot run under Wine:");
    for why in NOT_UNDER_WINE {
        eprintln!("  - {why}");
    }
    if !checked.is_empty() {
        eprintln!("\nType-checked for macOS ({MACOS}): {}", checked.join(", "));
    }
    if !unchecked.is_empty() {
        eprintln!(
            "\nNot type-checked for macOS (they compile C, which needs Apple's toolchain and SDK):"
        );
        for (package, why) in &unchecked {
            eprintln!("  - {package}: {why}");
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "windows: {} failed (see above)",
            failures.join(", ")
        ))
    }
}

/// Installs the missing packages with one `apt-get update` first (as root), or says what to run.
fn ensure_packages() -> Result {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(file, _)| !Path::new(file).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() || !on_path("apt-get") {
        return Err(format!(
            "missing Debian packages: {list}\nInstall them with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends {list}"
        ));
    }
    eprintln!("xtask: installing Debian packages for Windows builds: {list}");
    run(Command::new("apt-get").args(["update", "-q"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Where the compiler is unpacked, and the script cargo runs as `RUSTC` (it finds the compiler's libraries).
fn toolchain_dir() -> PathBuf {
    target_dir().join("windows-toolchain")
}

/// The `RUSTC` cargo runs for these builds: Debian's rustc with its libraries, found beside the script itself, so
/// the target dir may be moved or renamed.
const WRAPPER: &str = "#!/bin/sh\n\
# Debian's rustc, unpacked by `cargo xtask windows`; its libraries are beside it, not installed.\n\
here=$(dirname \"$0\")\n\
LD_LIBRARY_PATH=\"$here/sysroot/usr/lib/x86_64-linux-gnu\" exec \"$here/sysroot/usr/bin/rustc\" \"$@\"\n";

/// Whether `wrapper` starts the compiler (`rustc -vV`, as cargo asks first).
fn runs(wrapper: &Path) -> bool {
    Command::new(wrapper)
        .arg("-vV")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Unpacks Debian's compiler and std sources under `target/windows-toolchain/` (`apt-get download` + `dpkg -x`),
/// unless a stamp says this very set of packages is already there and the compiler runs (a target dir that was
/// moved or half deleted is unpacked again). Returns the `RUSTC` wrapper.
fn ensure_toolchain() -> Result<PathBuf> {
    let dir = toolchain_dir();
    let sysroot = dir.join("sysroot");
    let stamp = dir.join("stamp");
    let wrapper = dir.join("rustc");
    if stamp.is_file() && runs(&wrapper) {
        return Ok(wrapper);
    }
    if !on_path("apt-get") {
        return Err(
            "Debian's Rust compiler is unpacked with apt-get download, which this machine lacks: \
                    cargo xtask windows needs Debian 12 or a derivative"
                .into(),
        );
    }
    let mut packages: Vec<String> = TOOLCHAIN.iter().map(|p| p.to_string()).collect();
    let depends = crate::output(
        Command::new("apt-cache")
            .args([
                "depends",
                "--recurse",
                "--no-recommends",
                "--no-suggests",
                "--no-conflicts",
                "--no-breaks",
                "--no-replaces",
                "--no-enhances",
            ])
            .args(TOOLCHAIN),
    )?;
    for line in String::from_utf8_lossy(&depends).lines() {
        let Some(name) = line.trim().strip_prefix("Depends: ") else {
            continue;
        };
        if (name.starts_with("libstd-rust-web-") || name.starts_with("libllvm"))
            && !packages.iter().any(|p| p == name)
        {
            packages.push(name.to_owned());
        }
    }
    let debs = dir.join("debs");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&debs).map_err(|e| format!("cannot create {}: {e}", debs.display()))?;
    eprintln!(
        "xtask: unpacking Debian's Rust compiler under {} ({})",
        dir.display(),
        packages.join(" ")
    );
    // As root apt hands downloads to its sandbox user `_apt`, which may not write into the target dir.
    run(Command::new("apt-get")
        .args(["download", "-q", "-o", "APT::Sandbox::User=root"])
        .args(&packages)
        .current_dir(&debs))?;
    let mut names: Vec<String> = std::fs::read_dir(&debs)
        .map_err(|e| format!("cannot read {}: {e}", debs.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".deb"))
        .collect();
    names.sort();
    if names.len() < packages.len() {
        return Err(format!(
            "apt-get download fetched {} of {} packages ({}); run `apt-get update` and try again",
            names.len(),
            packages.len(),
            packages.join(" ")
        ));
    }
    for name in &names {
        run(Command::new("dpkg-deb")
            .arg("-x")
            .arg(debs.join(name))
            .arg(&sysroot))?;
    }
    std::fs::write(&wrapper, WRAPPER)
        .map_err(|e| format!("cannot write {}: {e}", wrapper.display()))?;
    run(Command::new("chmod").arg("+x").arg(&wrapper))?;
    let version = crate::output(Command::new(&wrapper).arg("--version")).map_err(|e| {
        format!(
            "Debian's rustc, unpacked under {}, does not run ({e}); delete that folder and try again",
            dir.display()
        )
    })?;
    eprintln!("xtask: {}", String::from_utf8_lossy(&version).trim());
    std::fs::write(&stamp, names.join("\n"))
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(wrapper)
}

/// Builds the test-only `bcryptprimitives.dll` (see the module comment).
fn build_shim() -> Result<PathBuf> {
    let source = root().join("xtask/wine/bcryptprimitives.c");
    let dll = toolchain_dir().join("bcryptprimitives.dll");
    let fresh = match (
        source.metadata().and_then(|m| m.modified()),
        dll.metadata().and_then(|m| m.modified()),
    ) {
        (Ok(s), Ok(d)) => d >= s,
        _ => false,
    };
    if !fresh {
        run(Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-Wl,--kill-at", "-o"])
            .arg(&dll)
            .arg(&source)
            .arg("-ladvapi32"))?;
    }
    Ok(dll)
}

/// `cargo` with Debian's compiler building its own std for `target` (`-Zbuild-std`, allowed by
/// `RUSTC_BOOTSTRAP=1` in this command only), into the workspace's target dir.
fn cross_cargo(rustc: &Path, subcommand: &str, target: &str) -> Command {
    let mut command = Command::new(cargo());
    command
        .arg(subcommand)
        .args(["-Zbuild-std=std,panic_abort", "--target", target])
        .env("RUSTC", rustc)
        .env("RUSTC_BOOTSTRAP", "1")
        .env(
            "CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER",
            "x86_64-w64-mingw32-gcc",
        )
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTFLAGS")
        .current_dir(root());
    command
}

fn packages(command: &mut Command, packages: &[&str]) {
    for p in packages {
        command.args(["-p", p]);
    }
}

/// `orgpass.exe` and the unit-test executables of the tested packages.
fn build_for_windows(rustc: &Path) -> Result {
    let mut build = cross_cargo(rustc, "build", WINDOWS);
    build.args(["-p", "orgpass-cli", "--bin", "orgpass"]);
    run(&mut build)?;
    let mut tests = cross_cargo(rustc, "test", WINDOWS);
    tests.args(["--no-run", "--lib", "--bins"]);
    packages(&mut tests, TESTED);
    run(&mut tests)
}

/// A throwaway Wine prefix with the `ProcessPrng` shim in its system folder, removed (and its wineserver stopped)
/// when dropped.
struct Prefix {
    dir: PathBuf,
}

impl Prefix {
    fn new(shim: &Path) -> Result<Self> {
        let dir = env::temp_dir().join(format!("orgpass-wine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let prefix = Self { dir };
        eprintln!(
            "xtask: creating a throwaway Wine prefix in {}",
            prefix.dir.display()
        );
        run(prefix.wine().args(["wineboot", "--init"]))?;
        run(Command::new(WINESERVER).arg("-w").envs(prefix.env()))?;
        let system32 = prefix.dir.join("drive_c/windows/system32");
        std::fs::copy(shim, system32.join("bcryptprimitives.dll")).map_err(|e| {
            format!(
                "cannot put the ProcessPrng shim in {}: {e}",
                system32.display()
            )
        })?;
        Ok(prefix)
    }

    /// What every Wine program here runs with: this prefix, quiet, no Mono or Gecko installer prompts, no display.
    fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        vec![
            ("WINEPREFIX", self.dir.clone().into()),
            ("WINEDEBUG", "-all".into()),
            (
                "WINEDLLOVERRIDES",
                "mscoree,mshtml=;bcryptprimitives=n".into(),
            ),
            ("WINESERVER", WINESERVER.into()),
            ("WINEARCH", "win64".into()),
        ]
    }

    fn wine(&self) -> Command {
        let mut command = Command::new(WINE);
        command.envs(self.env()).env_remove("DISPLAY");
        command
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        let _ = Command::new(WINESERVER).arg("-k").envs(self.env()).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The unit tests of the tested packages, each test executable run by Wine (cargo's target runner).
fn unit_tests(rustc: &Path, prefix: &Prefix) -> Result {
    let mut tests = cross_cargo(rustc, "test", WINDOWS);
    tests
        .args(["--no-fail-fast", "--lib", "--bins"])
        .envs(prefix.env())
        .env_remove("DISPLAY")
        .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER", WINE);
    packages(&mut tests, TESTED);
    // What a passing test prints is kept: the Credential Manager test says whether Wine enforces the blob limit.
    run(tests.args(["--", "--show-output"]))
}

/// The CLI's journey: `crates/orgpass-cli/tests/cli/wine.rs`, built for Linux, runs `orgpass.exe` under Wine
/// against devtenant on 127.0.0.1.
fn journey(prefix: &Prefix) -> Result {
    let exe = target_dir().join(WINDOWS).join("debug/orgpass.exe");
    let mut test = Command::new(cargo());
    // `--workspace` for the features `cargo xtask test` built with: `-p orgpass-cli` would build the tree again.
    test.args([
        "test",
        "--workspace",
        "--test",
        "cli",
        "wine::",
        "--",
        "--ignored",
        "--test-threads=1",
    ])
    .envs(prefix.env())
    .env("ORGPASS_WINE", WINE)
    .env("ORGPASS_WINE_EXE", &exe)
    .env_remove("DISPLAY")
    .current_dir(root());
    run(&mut test)
}

/// The app, the plugin and the embed example for Windows: `cargo check` (their build scripts compile the Windows
/// resource, icon included, with mingw's windres).
fn check_app(rustc: &Path) -> Result {
    build_ui()?;
    let mut check = cross_cargo(rustc, "check", WINDOWS);
    check.arg("--all-targets");
    packages(&mut check, APP);
    run(&mut check)
}

/// The crates type-checked for macOS, and those that could not be, with the reason.
type MacosChecks = (Vec<String>, Vec<(String, String)>);

/// Every workspace crate for macOS, one `cargo check --all-targets` each: those that need C compiled (ring, aws-lc,
/// objc2's exception helper) stop at that build script without Apple's toolchain. Returns the ones that could not be checked, with the reason; fails when
/// one that should compile does not.
fn check_macos(rustc: &Path) -> Result<MacosChecks> {
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    let mut broken = Vec::new();
    for package in workspace_packages()? {
        let mut check = cross_cargo(rustc, "check", MACOS);
        check.args(["-p", &package, "--all-targets", "--message-format=short"]);
        let out = check
            .output()
            .map_err(|e| format!("could not start cargo check for {package}: {e}"))?;
        if out.status.success() {
            eprintln!("xtask: {package} type-checks for {MACOS}");
            checked.push(package);
            continue;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        // A build script that failed compiling C (or Objective-C) with the `cc` crate, or running cmake for it.
        let c_crates: Vec<&str> = stderr
            .split("failed to run custom build command for `")
            .skip(1)
            .filter_map(|rest| rest.split(' ').next())
            .collect();
        let compiled_c = stderr.contains("error occurred in cc-rs") || stderr.contains("cmake");
        if !c_crates.is_empty() && compiled_c {
            let mut names = c_crates.clone();
            names.sort();
            names.dedup();
            skipped.push((package, format!("needs {} (C code)", names.join(", "))));
        } else {
            eprintln!("{stderr}");
            broken.push(package);
        }
    }
    if broken.is_empty() {
        Ok((checked, skipped))
    } else {
        Err(format!(
            "these crates do not type-check for macOS: {}",
            broken.join(", ")
        ))
    }
}

/// The workspace members' package names, from `cargo metadata` without a JSON parser: each member's id
/// (`path+file:///…#name@version`, or `…#version` when the folder is the name).
fn workspace_packages() -> Result<Vec<String>> {
    let out = crate::output(
        Command::new(cargo())
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--offline",
            ])
            .current_dir(root()),
    )?;
    let text = String::from_utf8_lossy(&out);
    let members = text
        .split("\"workspace_members\":[")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .ok_or("cargo metadata gave no workspace_members")?;
    let mut names = Vec::new();
    for id in members.split(',') {
        let id = id.trim().trim_matches('"');
        let (path, fragment) = id
            .split_once('#')
            .ok_or_else(|| format!("unexpected package id {id}"))?;
        let name = match fragment.split_once('@') {
            Some((name, _)) => name.to_owned(),
            None => path.rsplit('/').next().unwrap_or(path).to_owned(),
        };
        names.push(name);
    }
    Ok(names)
}
