//! `orgpass completions SHELL` and `orgpass man`: generated from the clap definition, checked the way a shell and
//! `man` take them (bash parses, sources and completes with the script; `man` renders the page without warnings).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{Home, Run};

/// Every subcommand in the main help (clap's `help` aside; the hidden `man` is completed too, but not listed).
const SUBCOMMANDS: [&str; 6] = ["login", "status", "token", "run", "logout", "completions"];

fn generated(home: &Home, args: &[&str]) -> String {
    let run = home.run(args);
    run.expect_code(0);
    assert_eq!(run.stderr, "", "orgpass {args:?}");
    assert!(
        !run.stdout.trim().is_empty(),
        "orgpass {args:?} printed nothing"
    );
    run.stdout
}

/// `bash -c SCRIPT` with the completion file as `$1`.
fn bash(script: &str, file: &Path) -> Run {
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script, "bash"])
        .arg(file)
        .output()
        .expect("bash runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn completions_for_bash_zsh_and_fish_name_every_subcommand() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = generated(&home, &["completions", shell]);
        for name in SUBCOMMANDS {
            assert!(
                script.contains(name),
                "{shell} completions do not name `{name}`:\n{script}"
            );
        }
    }
    // A shell clap does not generate for is bad usage.
    home.run(&["completions", "tcsh"])
        .expect_code(2)
        .expect_stderr("invalid value 'tcsh'");
}

#[test]
fn bash_accepts_sources_and_completes_with_its_script() {
    let home = Home::new();
    let file = home.config_dir().join("orgpass.bash");
    std::fs::write(&file, generated(&home, &["completions", "bash"])).expect("write script");

    let syntax = bash(r#"bash -n "$1""#, &file);
    assert_eq!((syntax.code, syntax.stderr.as_str()), (0, ""), "bash -n");

    let registered = bash(r#"source "$1" && complete -p orgpass"#, &file);
    assert_eq!(registered.code, 0, "{registered:?}");
    assert!(
        registered.stdout.contains("-F _orgpass orgpass"),
        "{registered:?}"
    );

    // What Tab offers: `orgpass lo<Tab>` and `orgpass token --f<Tab>`.
    let complete = |words: &str, cword: usize, cur: &str, prev: &str| {
        let script = format!(
            r#"source "$1"; COMP_WORDS=({words}); COMP_CWORD={cword}; _orgpass orgpass {cur} {prev}; printf '%s\n' "${{COMPREPLY[@]}}""#
        );
        let run = bash(&script, &file);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
    };
    assert_eq!(
        complete("orgpass lo", 1, "lo", "orgpass"),
        "login\nlogout\n"
    );
    assert_eq!(
        complete("orgpass token --f", 2, "--f", "token"),
        "--format\n"
    );
}

#[test]
fn man_page_is_roff_that_man_renders() {
    let home = Home::new();
    let page = generated(&home, &["man"]);
    // clap_mangen's preamble (an apostrophe string for groff and other troffs), then the title line.
    let head: Vec<&str> = page.lines().take(4).collect();
    assert_eq!(
        head,
        [
            r".ie \n(.g .ds Aq \(aq",
            ".el .ds Aq '",
            &format!(r#".TH orgpass 1  "orgpass {}" "#, env!("CARGO_PKG_VERSION")),
            ".SH NAME",
        ],
        "{page}"
    );
    assert!(page.contains("\n.SH SUBCOMMANDS\n"), "{page}");
    for name in SUBCOMMANDS {
        // roff spells the hyphen `\-`.
        let entry = format!("\n.TP\norgpass\\-{name}(1)\n");
        assert!(page.contains(&entry), "no {entry:?} in:\n{page}");
    }
    assert!(!page.contains("orgpass\\-man"), "the page lists itself");

    // `man` is a hidden subcommand: not in the main help.
    let help = home.run(&["--help"]);
    help.expect_code(0);
    assert!(help.stdout.contains("\n  completions "), "{}", help.stdout);
    assert!(!help.stdout.contains("\n  man "), "{}", help.stdout);
    // `--config` names the user's and IT's places on each system the CLI is built for.
    for place in [
        "$XDG_CONFIG_HOME or ~/.config on Linux",
        "%APPDATA% on Windows",
        "~/Library/Application Support on macOS",
        r"%ProgramData%\Orgpass\ on Windows",
        "/Library/Application Support/Orgpass/ on macOS",
    ] {
        assert!(
            help.stdout
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(place),
            "--help does not name {place:?}:\n{}",
            help.stdout
        );
    }

    if Command::new("man").arg("--version").output().is_err() {
        println!("note: no `man` on PATH; skipping the rendering check of the man page");
        return;
    }
    let mut man = Command::new("man")
        .args(["--warnings", "-l", "-"])
        .env("LC_ALL", "C")
        .env("MANWIDTH", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("man starts");
    man.stdin
        .take()
        .expect("stdin piped")
        .write_all(page.as_bytes())
        .expect("page to man");
    let out = man.wait_with_output().expect("man ends");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        (out.status.code(), stderr.as_ref()),
        (Some(0), ""),
        "man -l - rendered:\n{stdout}"
    );
    assert!(stdout.starts_with("orgpass(1) "), "{stdout}");
    assert!(stdout.contains("\nSUBCOMMANDS\n"), "{stdout}");
    assert!(stdout.contains("       orgpass-logout(1)\n"), "{stdout}");
}
