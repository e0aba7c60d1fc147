//! Cross-crate end-to-end tests. One module per scenario family.
mod app;
mod devtenant_cli;
