//! idcon: a terminal admin console for identity services that speak the Ory Kratos
//! admin API (Kratos itself, Connhex IAM) and for the Yoti attribute registry.
//!
//! The crate is split by concern so that each piece can be tested on its own:
//! - [`config`]: profiles from TOML, environment and command-line flags.
//! - [`signing`]: Yoti-compatible request signing and verification (no I/O).
//! - [`api`]: Kratos and attribute-registry models and the async HTTP client.
//! - [`demo`]: the embedded demo server (Kratos-compatible, verifies signatures).
//! - [`commands`]: the non-interactive subcommands (`sign`, `profiles`, ...).
//! - [`sanitize`]: makes untrusted text safe to draw on a terminal.
//! - [`app`]: console state and `update` (messages in, effects out; no I/O).
//! - [`ui`]: pure rendering of the app state.
//! - [`cli`]: the command-line definition shared by the binary and the docs.

pub mod api;
pub mod app;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod diff;
pub mod drafts;
pub mod hashes;
pub mod meaning;
pub mod paths;
pub mod registry;
pub mod sanitize;
pub mod signing;
pub mod text;
pub mod tui;
pub mod ui;
pub mod who;
pub mod write;
