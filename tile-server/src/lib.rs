//! The `riskmap` command and the RiskMap tile server.
//!
//! [`cli`] is the command line; [`server`] the HTTP application (`server::routes::router`
//! is testable without a socket).

pub mod args;
pub mod cli;
pub mod commands;
pub mod glyphs;
pub mod pages;
pub mod progress;
pub mod server;
