//! `orgpass-admin`: provision Auth0 organizations, their connections, members and invitations from the command
//! line. Human tables by default, `--json` for scripts.

mod cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::main().await
}
