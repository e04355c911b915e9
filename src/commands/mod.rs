//! Non-interactive subcommands. Each returns an exit code or an error; `main`
//! prints the error as one line.

pub mod apply;
pub mod attribute;
pub mod audit;
pub mod completions;
pub mod console;
pub mod create;
pub mod credentials;
pub mod delete;
pub mod get;
pub mod import;
pub mod info;
pub mod input;
pub mod list;
pub mod plan;
pub mod profiles;
pub mod recovery;
pub mod script;
pub mod sessions;
pub mod sign;
pub mod update;
pub mod verify;
