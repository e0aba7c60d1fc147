//! Black-box tests of the `orgpass` binary against its CLI contract: real sign-ins against `oidc-provider` (by organization, and by work email: `discovery`), a
//! malicious provider's table of attacks, bad input, what scripts, curl and kubectl lean on
//! (`scripts`), what `status` tells from the index alone (`status`), the generated completions and man
//! page (`manual`), IT's locks holding in every command (`locks`), HTTPS with a company CA and a company proxy against devtenant (`tls`), with sessions in the
//! real Secret Service; a locked keyring and a bus without a Secret Service
//! in private D-Bus sessions of their own (`keychain`); and the Windows build, `orgpass.exe`, under Wine against
//! devtenant (`wine`, ignored unless `cargo xtask windows` runs it).
//!
//! Needs `npm ci --prefix tests` (node fixtures) and, for the keychain tests, a D-Bus session with an unlocked
//! gnome-keyring (`cargo xtask test` sets both up).

mod discovery;
mod input;
mod keychain;
mod locks;
mod login_options;
mod malicious;
mod manual;
mod op;
mod refresh;
mod remote;
mod scripts;
mod status;
mod support;
mod tls;
mod wine;
