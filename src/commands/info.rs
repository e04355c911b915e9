//! `idcon info`: where idcon reads and writes its files, so support staff can
//! find the log, audit trail and drafts on a shared host.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use crate::config::Overrides;
use crate::paths;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Print the paths as one JSON object.
    #[arg(long)]
    pub json: bool,
}

fn shown(path: Option<&Path>) -> String {
    path.map_or_else(|| "(unknown: HOME is not set)".to_owned(), |p| p.display().to_string())
}

pub fn run(global: &Overrides, args: &InfoArgs) -> anyhow::Result<ExitCode> {
    let config = global.config.clone().or_else(paths::config_file);
    let state = paths::state_dir();
    let log = paths::log_file();
    let audit = paths::audit_file();
    let drafts = paths::drafts_dir();
    let rows: [(&str, Option<PathBuf>); 5] = [
        ("config", config),
        ("state", state),
        ("log", log),
        ("audit", audit),
        ("drafts", drafts),
    ];
    if args.json {
        let object: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v.as_ref().map(|p| p.display().to_string()))))
            .collect();
        println!("{}", serde_json::Value::Object(object));
    } else {
        println!("idcon {}", env!("CARGO_PKG_VERSION"));
        for (name, path) in &rows {
            println!("{name:<8} {}", shown(path.as_deref()));
        }
    }
    Ok(ExitCode::SUCCESS)
}
