//! `idcon` with no subcommand: the interactive console.

use std::process::ExitCode;

use crate::cli::GlobalArgs;

/// Opens the console for the selected profile.
pub fn run(_global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the interactive console is not available in this build yet; see `idcon --help`")
}
