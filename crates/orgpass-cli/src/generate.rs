//! `orgpass completions SHELL` and `orgpass man`: text generated from the clap definition alone, so it never
//! drifts from the flags (no settings, keychain or runtime needed).

use std::process::ExitCode;

use clap::CommandFactory;

use crate::Cli;

/// The completion script for `shell`, for the binary named `orgpass`.
pub fn completions(shell: clap_complete::Shell) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "orgpass", &mut out);
    Ok(out)
}

/// The manual page, section 1, in roff.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

/// Write generated text to stdout; a closed pipe or full disk is exit 1 with a message, not a panic.
pub fn print_generated(text: std::io::Result<Vec<u8>>) -> ExitCode {
    use std::io::Write;
    let written = text.and_then(|t| {
        let mut out = std::io::stdout().lock();
        out.write_all(&t)?;
        out.flush()
    });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orgpass: could not write to standard output: {e}");
            ExitCode::from(1)
        }
    }
}
