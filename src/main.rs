//! The `idcon` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use idcon::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Sign(args)) => idcon::commands::sign::run(&cli.global, &args),
        Some(Command::Profiles(args)) => idcon::commands::profiles::run(&cli.global, &args),
        Some(Command::ServeDemo(args)) => idcon::demo::cli::run_serve_demo(&args),
        Some(Command::Demo(args)) => idcon::demo::cli::run_demo(&cli.global, &args),
        Some(Command::Info(args)) => idcon::commands::info::run(&cli.global, &args),
        Some(Command::Audit(args)) => idcon::commands::audit::run(&cli.global, &args),
        Some(Command::List(args)) => idcon::commands::list::run(&cli.global, &args),
        Some(Command::Get(args)) => idcon::commands::get::run(&cli.global, &args),
        Some(Command::Update(args)) => idcon::commands::update::run(&cli.global, &args),
        Some(Command::Plan(args)) => idcon::commands::plan::run(&cli.global, &args),
        Some(Command::Apply(args)) => idcon::commands::apply::run(&cli.global, &args),
        Some(Command::Completions(args)) => idcon::commands::completions::run_completions(&args),
        Some(Command::Man(args)) => idcon::commands::completions::run_man(&args),
        Some(Command::Attribute(args)) => idcon::commands::attribute::run(&cli.global, &args),
        None => idcon::commands::console::run(&cli.global),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // One plain line, no backtrace: the chain of contexts says what and where.
            eprintln!("idcon: {}", idcon::commands::one_line(&err));
            ExitCode::FAILURE
        }
    }
}
