//! Integration tests of orgpass-admin (library and binary) against devtenant over real sockets.

mod apply;
mod cli;
mod clients;
mod domains;
mod faults;
mod grants;
mod library;
mod measure;
mod qa;
mod support;
