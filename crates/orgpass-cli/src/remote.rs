//! Signing in from where the browser is not (an SSH session, a container, a machine with no display): the
//! authorize URL is printed, the loopback listener stays open (for `ssh -L PORT:127.0.0.1:PORT`), and the address
//! the browser ended on can be pasted on standard input, where it gets the same checks as a real callback.

use std::io::{BufRead, Read};

use orgpass::{PasteError, PasteHandle};

/// Why no browser can be opened here, if none can; `None` when the normal way (open a browser) should work.
/// An explicitly configured browser command (`--browser`, `ORGPASS_BROWSER`) is trusted to work.
pub fn reason(no_browser_flag: bool, browser_configured: bool) -> Option<&'static str> {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if no_browser_flag {
        return Some("--no-browser was given");
    }
    if browser_configured {
        return None;
    }
    if set("SSH_CONNECTION") || set("SSH_TTY") {
        return Some("this is an SSH session");
    }
    // WSL opens the Windows browser (wslview / explorer.exe) without a display of its own.
    let linux_desktop = cfg!(all(unix, not(target_os = "macos"))) && !is_wsl();
    if linux_desktop && !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
        return Some("there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)");
    }
    None
}

fn is_wsl() -> bool {
    std::env::var_os("WSL_DISTRO_NAME").is_some()
        || std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .is_ok_and(|r| r.to_ascii_lowercase().contains("microsoft"))
}

/// What to tell the person, on stderr.
pub fn instructions(why: &str, authorize_url: &str, redirect_uri: &str, port: u16) -> String {
    format!(
        "No browser can be opened here ({why}). To sign in:\n\n\
         1. Open this address in a browser on any computer:\n\n   {authorize_url}\n\n\
         2. Sign in. The browser then goes to {redirect_uri}?… and shows that the page cannot be reached.\n   \
         Copy that whole address from its address bar and paste it here.\n\n\
         Or forward the port before you sign in (`ssh -L {port}:127.0.0.1:{port} THIS-HOST` on your computer, with\n\
         `--port {port}` registered in the tenant): then the browser reaches this sign-in by itself.\n"
    )
}

/// The longest line read from standard input (longer ones are read to their end and refused, not kept).
const MAX_LINE: u64 = 64 * 1024;

/// Read pasted addresses from standard input until one is accepted (or input ends), saying on stderr why each
/// refused one was refused. Input that ends leaves the sign-in waiting for the listener.
pub async fn read_pasted(paste: PasteHandle) {
    // Standard input is read on a thread of its own (a blocking read that ends with the process).
    let (tx, mut lines) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
    std::thread::spawn(move || {
        let mut input = std::io::stdin().lock();
        loop {
            let mut line = Vec::new();
            match (&mut input).take(MAX_LINE).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if !line.ends_with(b"\n") && line.len() as u64 == MAX_LINE {
                // The rest of an endless line is skipped, not kept.
                let _ = input.by_ref().skip_until(b'\n');
            }
            if tx.blocking_send(line).is_err() {
                return;
            }
        }
    });
    loop {
        eprint!("Paste the address here: ");
        let Some(line) = lines.recv().await else {
            eprintln!();
            return;
        };
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        match paste.submit(&text).await {
            Ok(()) => {
                eprintln!("Address accepted; finishing the sign-in …");
                return;
            }
            Err(e @ PasteError::Refused(orgpass::Refusal::AlreadyClaimed)) => {
                eprintln!("{e}");
                return;
            }
            Err(e) => eprintln!("{e}"),
        }
    }
}
