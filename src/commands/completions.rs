//! `idcon completions SHELL` and `idcon man [SUBCOMMAND]`: shell completions
//! and roff manual pages generated from the clap definitions in
//! [`crate::cli`], so they can never drift from what the binary accepts.
//! The definition is handed in (`Cli::command()`), since `cli` names every
//! command's arguments, these included: taking it from there would make an
//! import cycle.
//!
//! Both print to stdout; packagers redirect them into place, e.g.
//! `idcon completions bash > /usr/share/bash-completion/completions/idcon` and
//! `idcon man > /usr/share/man/man1/idcon.1`.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::script::{self, Failure};

/// The name completions are registered for: what people type.
const BIN_NAME: &str = "idcon";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// For ~/.local/share/bash-completion/completions/idcon.
    Bash,
    /// For a file named _idcon in a folder on $fpath.
    Zsh,
    /// For ~/.config/fish/completions/idcon.fish.
    Fish,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Print the page of this subcommand (idcon-SUBCOMMAND(1)) instead of idcon(1).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

/// The completion script of `command` (idcon's clap definition) for `shell`.
pub fn completions(mut command: clap::Command, shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    match shell {
        Shell::Bash => clap_complete::generate(clap_complete::Shell::Bash, &mut command, BIN_NAME, &mut out),
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, &mut command, BIN_NAME, &mut out),
        Shell::Fish => clap_complete::generate(clap_complete::Shell::Fish, &mut command, BIN_NAME, &mut out),
    }
    out
}

/// The roff page of idcon, or of one of its subcommands; an unknown
/// subcommand is an error listing the known ones.
pub fn man_page(command: clap::Command, subcommand: Option<&str>) -> Result<Vec<u8>, String> {
    let mut command = command.disable_help_subcommand(true);
    // Building fills in the display names (idcon-update) the pages are titled with.
    command.build();
    let page_of = match subcommand {
        None => command,
        Some(name) => {
            let found = command
                .get_subcommands()
                .find(|sub| !sub.is_hide_set() && sub.get_name() == name)
                .cloned();
            match found {
                Some(sub) => sub,
                None => {
                    let known: Vec<&str> = command
                        .get_subcommands()
                        .filter(|sub| !sub.is_hide_set())
                        .map(|sub| sub.get_name())
                        .collect();
                    return Err(format!(
                        "no subcommand {:?}; pages exist for: {}",
                        script::one_line(name),
                        known.join(", ")
                    ));
                }
            }
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page_of)
        // Subcommands carry no version of their own: name the program's.
        .source(format!("idcon {}", env!("CARGO_PKG_VERSION")))
        .render(&mut out)
        .map_err(|err| format!("cannot render the manual page: {err}"))?;
    Ok(out)
}

pub fn run_completions(command: clap::Command, args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    Ok(print(&completions(command, args.shell)))
}

pub fn run_man(command: clap::Command, args: &ManArgs) -> anyhow::Result<ExitCode> {
    Ok(match man_page(command, args.subcommand.as_deref()) {
        Ok(page) => print(&page),
        Err(message) => script::report(&Failure::usage(message), false),
    })
}

fn print(bytes: &[u8]) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if script::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => script::report(&script::stdout_failure(&err), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_subcommand_page_names_the_known_ones() {
        use clap::CommandFactory as _;
        let err = man_page(crate::cli::Cli::command(), Some("nonsense"))
            .err()
            .unwrap_or_default();
        assert!(err.contains("nonsense") && err.contains("update"), "{err}");
    }
}
