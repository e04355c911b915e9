//! The `idcon` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser};
use idcon::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let global = cli.global.overrides();
    let global = &global;
    let result = match cli.command {
        Some(Command::Sign(args)) => idcon::commands::sign::run(global, &args),
        Some(Command::Profiles(args)) => idcon::commands::profiles::run(global, &args),
        Some(Command::ServeDemo(args)) => idcon::demo::cli::run_serve_demo(&args),
        Some(Command::Demo(args)) => idcon::demo::cli::run_demo(global, &args),
        Some(Command::Info(args)) => idcon::commands::info::run(global, &args),
        Some(Command::Audit(args)) => idcon::commands::audit::run(global, &args),
        Some(Command::List(args)) => idcon::commands::list::run(global, &args),
        Some(Command::Get(args)) => idcon::commands::get::run(global, &args),
        Some(Command::Update(args)) => idcon::commands::update::run(global, &args),
        Some(Command::Plan(args)) => idcon::commands::plan::run(global, &args),
        Some(Command::Apply(args)) => idcon::commands::apply::run(global, &args),
        Some(Command::Completions(args)) => idcon::commands::completions::run_completions(Cli::command(), &args),
        Some(Command::Man(args)) => idcon::commands::completions::run_man(Cli::command(), &args),
        Some(Command::Attribute(args)) => idcon::commands::attribute::run(global, &args),
        Some(Command::Sessions(args)) => idcon::commands::sessions::run(global, &args),
        Some(Command::Recovery(args)) => idcon::commands::recovery::run(global, &args),
        Some(Command::Delete(args)) => idcon::commands::delete::run(global, &args),
        Some(Command::Credentials(args)) => idcon::commands::credentials::run(global, &args),
        Some(Command::Create(args)) => idcon::commands::create::run(global, &args),
        Some(Command::Import(args)) => idcon::commands::import::run(global, &args),
        Some(Command::Verify(args)) => idcon::commands::verify::run(global, &args),
        None => idcon::commands::console::run(global),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // One plain line, no backtrace: the chain of contexts says what and where.
            eprintln!("idcon: {}", idcon::text::error_line(&err));
            ExitCode::FAILURE
        }
    }
}
