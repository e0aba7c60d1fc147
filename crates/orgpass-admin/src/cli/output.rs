//! What the CLI prints: JSON under `--json`, else aligned tables and sentences on stdout; the progress bar on stderr.

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::CliError;
use super::args::Cli;

pub(super) fn progress(cli: &Cli) -> ProgressBar {
    if cli.json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

pub(super) struct Out {
    pub(super) json: bool,
}

impl Out {
    pub(super) fn json<T: Serialize>(&self, v: &T) -> Result<(), CliError> {
        let mut o = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut o, v).map_err(std::io::Error::other)?;
        writeln!(o)?;
        Ok(())
    }
    pub(super) fn line(&self, s: impl AsRef<str>) -> Result<(), CliError> {
        writeln!(std::io::stdout().lock(), "{}", s.as_ref())?;
        Ok(())
    }
    pub(super) fn table(&self, headers: &[&str], rows: Vec<Vec<String>>) -> Result<(), CliError> {
        self.line(render_table(headers, &rows))
    }
    /// JSON under --json, else a table.
    pub(super) fn show<T: Serialize>(
        &self,
        v: &T,
        headers: &[&str],
        rows: Vec<Vec<String>>,
    ) -> Result<(), CliError> {
        if self.json {
            self.json(v)
        } else {
            self.table(headers, rows)
        }
    }
    /// `v` as JSON under --json (e.g. `{"disabled": …}` or the changed object), else a sentence.
    pub(super) fn done<T: Serialize>(&self, v: &T, text: impl AsRef<str>) -> Result<(), CliError> {
        if self.json {
            self.json(&v)
        } else {
            self.line(text)
        }
    }
}

/// A plain aligned table.
fn render_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let fmt_row = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_owned()
    };
    let mut out = vec![fmt_row(headers.to_vec())];
    for r in rows {
        out.push(fmt_row(r.iter().map(String::as_str).collect()));
    }
    if rows.is_empty() {
        out.push("(none)".into());
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = render_table(
            &["A", "BB"],
            &[vec!["xxx".into(), "y".into()], vec!["z".into(), "w".into()]],
        );
        assert_eq!(t, "A    BB\nxxx  y\nz    w");
        assert_eq!(render_table(&["A"], &[]), "A\n(none)");
    }
}
