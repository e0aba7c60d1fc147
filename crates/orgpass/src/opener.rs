//! Opening the authorize URL in the system browser, a configured command, or just printing it.

use std::process::{Command, Stdio};

/// Why the browser could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("browser command `{command}` is not valid shell syntax: {reason}")]
    BadCommand { command: String, reason: String },
    #[error("browser command is empty; set a command or use --no-browser")]
    EmptyCommand,
    #[error(
        "could not start the browser `{program}`: {source}; set --browser CMD or use --no-browser and open the URL yourself"
    )]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("could not open the system browser: {0}; use --no-browser and open the URL yourself")]
    System(String),
}

/// Opens the authorize URL for the user.
pub trait Opener: Send + Sync {
    /// Open (or show) `url`.
    fn open(&self, url: &str) -> Result<(), OpenError>;
}

/// The OS's default browser (`xdg-open`, `open`, `start`).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemOpener;

impl Opener for SystemOpener {
    fn open(&self, url: &str) -> Result<(), OpenError> {
        open::that_detached(url).map_err(|e| OpenError::System(e.to_string()))
    }
}

/// A configured command, split like a shell would, with the URL appended as its last argument.
/// Its stdout goes to our stderr, so it never mixes with `--json` output.
#[derive(Debug, Clone)]
pub struct CommandOpener {
    argv: Vec<String>,
}

impl CommandOpener {
    /// Parse `command` (e.g. `firefox --private-window`).
    /// On Windows the command is split by the Windows command line's rules instead, so a path such as
    /// `"C:\Program Files\Mozilla Firefox\firefox.exe" -private-window` keeps its backslashes.
    pub fn parse(command: &str) -> Result<Self, OpenError> {
        #[cfg(not(windows))]
        let argv = shell_words::split(command).map_err(|e| e.to_string());
        #[cfg(windows)]
        let argv = split_windows(command);
        let argv = argv.map_err(|reason| OpenError::BadCommand {
            command: command.to_owned(),
            reason,
        })?;
        if argv.is_empty() {
            return Err(OpenError::EmptyCommand);
        }
        Ok(Self { argv })
    }

    /// The program and its arguments, without the URL.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }
}

impl Opener for CommandOpener {
    fn open(&self, url: &str) -> Result<(), OpenError> {
        let mut cmd = Command::new(&self.argv[0]);
        cmd.args(&self.argv[1..])
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::from(std::io::stderr()))
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().map_err(|source| OpenError::Spawn {
            program: self.argv[0].clone(),
            source,
        })?;
        // Reap the child in the background; a failing browser command is logged, the flow's timeout decides.
        let program = self.argv[0].clone();
        std::thread::spawn(move || match child.wait() {
            Ok(status) if !status.success() => {
                tracing::warn!(%program, %status, "browser command exited with an error")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(%program, error = %e, "could not wait for the browser command")
            }
        });
        Ok(())
    }
}

/// Splits a command line as Windows programs split theirs (`CommandLineToArgvW`): blanks separate arguments,
/// double quotes group, a backslash is literal unless it comes before a quote (`\"` is a quote, `\\"` a backslash
/// and a quote that groups).
#[cfg(any(windows, test))]
fn split_windows(command: &str) -> Result<Vec<String>, String> {
    let mut argv = Vec::new();
    let mut arg = String::new();
    let (mut quoted, mut started, mut backslashes) = (false, false, 0usize);
    for c in command.chars() {
        match c {
            '\\' => {
                backslashes += 1;
                started = true;
                continue;
            }
            '"' => {
                arg.extend(std::iter::repeat_n('\\', backslashes / 2));
                if backslashes % 2 == 1 {
                    arg.push('"');
                } else {
                    quoted = !quoted;
                }
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                arg.extend(std::iter::repeat_n('\\', backslashes));
                if started {
                    argv.push(std::mem::take(&mut arg));
                }
                started = false;
            }
            c => {
                arg.extend(std::iter::repeat_n('\\', backslashes));
                arg.push(c);
                started = true;
            }
        }
        backslashes = 0;
    }
    if quoted {
        return Err("a double quote is not closed".into());
    }
    arg.extend(std::iter::repeat_n('\\', backslashes));
    if started {
        argv.push(arg);
    }
    Ok(argv)
}

/// Print the URL (to stderr) for the user to open; used by `--no-browser`.
#[derive(Debug, Default, Clone, Copy)]
pub struct PrintOpener;

impl Opener for PrintOpener {
    fn open(&self, url: &str) -> Result<(), OpenError> {
        eprintln!("Open this URL in your browser to sign in:\n\n  {url}\n");
        Ok(())
    }
}

/// Pick the opener: `--no-browser` prints, a command runs, otherwise the OS default.
pub fn opener_for(browser: Option<&str>, no_browser: bool) -> Result<Box<dyn Opener>, OpenError> {
    Ok(match (no_browser, browser) {
        (true, _) => Box::new(PrintOpener),
        (false, Some(cmd)) => Box::new(CommandOpener::parse(cmd)?),
        (false, None) => Box::new(SystemOpener),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Windows paths keep their backslashes; quotes group as in `CommandLineToArgvW`.
    #[test]
    fn windows_command_lines_are_split_by_windows_rules() {
        let rows: &[(&str, &[&str])] = &[
            (
                r#""C:\Program Files\Mozilla Firefox\firefox.exe" -private-window"#,
                &[
                    r"C:\Program Files\Mozilla Firefox\firefox.exe",
                    "-private-window",
                ],
            ),
            (
                r"C:\Windows\system32\winebrowser.exe",
                &[r"C:\Windows\system32\winebrowser.exe"],
            ),
            (r#"a\"b "c d"e  f"#, &[r#"a"b"#, "c de", "f"]),
            (r#"x\\"y z""#, &[r"x\y z"]),
            (r"trailing\\ ", &[r"trailing\\"]),
            (r#""""#, &[""]),
        ];
        for (line, want) in rows {
            assert_eq!(split_windows(line).unwrap(), *want, "{line}");
        }
        assert_eq!(
            split_windows(r#""open"#).unwrap_err(),
            "a double quote is not closed"
        );
    }

    #[test]
    fn command_is_split_like_the_platforms_shell() {
        #[cfg(not(windows))]
        let (line, want, unterminated) = (
            r#"node "tests/my browser.mjs" --flag='a b'"#,
            ["node", "tests/my browser.mjs", "--flag=a b"],
            "node 'unterminated",
        );
        #[cfg(windows)]
        let (line, want, unterminated) = (
            r#"node "tests\my browser.mjs" --flag="a b""#,
            ["node", r"tests\my browser.mjs", "--flag=a b"],
            r#"node "unterminated"#,
        );
        assert_eq!(CommandOpener::parse(line).unwrap().argv(), want);
        assert!(matches!(
            CommandOpener::parse(unterminated),
            Err(OpenError::BadCommand { .. })
        ));
        assert!(matches!(
            CommandOpener::parse("   "),
            Err(OpenError::EmptyCommand)
        ));
    }

    // `sh` writes the arguments it got; on Windows the CLI's journey under Wine runs a browser command instead.
    #[cfg(unix)]
    #[test]
    fn url_is_the_last_argument() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("args");
        let script = format!("sh -c 'printf \"%s|\" \"$@\" > {}' sh first", out.display());
        CommandOpener::parse(&script)
            .unwrap()
            .open("http://127.0.0.1:1/authorize?a=1&b=2")
            .unwrap();
        for _ in 0..200 {
            if let Ok(text) = std::fs::read_to_string(&out)
                && !text.is_empty()
            {
                assert_eq!(text, "first|http://127.0.0.1:1/authorize?a=1&b=2|");
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("browser command did not run");
    }

    #[test]
    fn missing_program_is_a_clear_error() {
        let e = CommandOpener::parse("/nonexistent/browser")
            .unwrap()
            .open("http://x")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("could not start the browser `/nonexistent/browser`"),
            "{e}"
        );
    }
}
