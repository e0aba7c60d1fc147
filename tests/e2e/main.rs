//! Cross-crate end-to-end tests. One module per scenario family.
mod admin_to_cli;
mod api;
mod app;
mod devtenant_cli;
mod discovery;
mod dpop;
mod keyboard;
mod m2m_organizations;
mod one_sign_in;
mod oracles;
mod package;
mod scale;
mod window;
