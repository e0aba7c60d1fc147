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
    pub fn parse(command: &str) -> Result<Self, OpenError> {
        let argv = shell_words::split(command).map_err(|e| OpenError::BadCommand {
            command: command.to_owned(),
            reason: e.to_string(),
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

    #[test]
    fn command_is_split_like_a_shell() {
        let o = CommandOpener::parse(r#"node "tests/my browser.mjs" --flag='a b'"#).unwrap();
        assert_eq!(o.argv(), ["node", "tests/my browser.mjs", "--flag=a b"]);
        assert!(matches!(
            CommandOpener::parse("node 'unterminated"),
            Err(OpenError::BadCommand { .. })
        ));
        assert!(matches!(
            CommandOpener::parse("   "),
            Err(OpenError::EmptyCommand)
        ));
    }

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
