//! `orgpass run`: start a command with the access token in its environment (never in its arguments, which every
//! local user can read), wait for it, and exit the way a shell reports it.
//!
//! While the command runs, orgpass outlives it: Ctrl-C (SIGINT) and SIGQUIT, which the terminal sends to the
//! whole foreground process group, are left to the command (it already has them; passing them on would deliver
//! them twice); SIGTERM and SIGHUP, which usually name one process (`kill`, `docker stop` on PID 1), are passed
//! on to it. Then orgpass exits with the command's code, or 128 + the signal that ended it.

use std::ffi::OsString;
use std::io;
use std::process::ExitStatus;

use crate::failure::Failure;

/// The access token, for the command.
pub const TOKEN_VAR: &str = "ORGPASS_ACCESS_TOKEN";
/// The session's organization ID (`org_…`), for the command; unset when the session has none.
pub const ORG_ID_VAR: &str = "ORGPASS_ORG_ID";

/// Exit code when the command does not exist, as shells use.
const NOT_FOUND: u8 = 127;

/// Run `argv` (program first) with `token` and `org_id` in its environment; the code orgpass should exit with.
pub async fn run(argv: &[OsString], token: &str, org_id: Option<&str>) -> Result<i32, Failure> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Failure::new(2, "no command to run: orgpass run -- COMMAND [ARGS...]"))?;
    let mut command = tokio::process::Command::new(program);
    command.args(args).env(TOKEN_VAR, token);
    match org_id {
        Some(id) => command.env(ORG_ID_VAR, id),
        // Not one inherited from an outer `orgpass run` for another organization.
        None => command.env_remove(ORG_ID_VAR),
    };
    // Before the child exists, so there is no moment when Ctrl-C ends orgpass but not the command.
    let mut signals = Signals::register()
        .map_err(|e| Failure::new(1, format!("cannot watch signals for the command: {e}")))?;
    let mut child = command.spawn().map_err(|e| {
        let name = program.to_string_lossy();
        match e.kind() {
            io::ErrorKind::NotFound => Failure::new(
                NOT_FOUND,
                format!("cannot run `{name}`: command not found (is it on PATH?)"),
            ),
            _ => Failure::new(1, format!("cannot run `{name}`: {e}")),
        }
    })?;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            received = signals.next() => {
                // `id()` is None once the child is reaped, so a signal never reaches a reused pid.
                if let (Some(signal), Some(pid)) = (received, child.id()) {
                    forward(pid, signal);
                }
            }
        }
    };
    let status = status.map_err(|e| {
        Failure::new(
            1,
            format!("lost track of `{}`: {e}", program.to_string_lossy()),
        )
    })?;
    Ok(exit_code(status))
}

/// The command's exit code; on Unix 128 + the signal that killed it, as shells report it.
fn exit_code(status: ExitStatus) -> i32 {
    if let Some(code) = status.code() {
        return code;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    1
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn register() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// The next signal orgpass received: `Some` when it is to be passed on to the command.
    async fn next(&mut self) -> Option<libc::c_int> {
        tokio::select! {
            // The terminal sent these to the whole foreground process group: the command has them already.
            _ = self.interrupt.recv() => None,
            _ = self.quit.recv() => None,
            _ = self.terminate.recv() => Some(libc::SIGTERM),
            _ = self.hangup.recv() => Some(libc::SIGHUP),
        }
    }
}

#[cfg(unix)]
fn forward(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Elsewhere Ctrl-C reaches every process on the console: orgpass just waits for the command to end.
#[cfg(windows)]
struct Signals {
    ctrl_c: tokio::signal::windows::CtrlC,
}

#[cfg(windows)]
impl Signals {
    fn register() -> io::Result<Self> {
        Ok(Self {
            ctrl_c: tokio::signal::windows::ctrl_c()?,
        })
    }

    async fn next(&mut self) -> Option<()> {
        self.ctrl_c.recv().await;
        None
    }
}

#[cfg(windows)]
fn forward(_pid: u32, _signal: ()) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn exit_codes_like_a_shell() {
        // Raw wait statuses: exit code in the high byte, terminating signal in the low bits.
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(ExitStatus::from_raw(libc::SIGKILL)), 128 + 9);
        assert_eq!(exit_code(ExitStatus::from_raw(libc::SIGTERM)), 128 + 15);
    }
}
