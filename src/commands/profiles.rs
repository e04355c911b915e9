//! `idcon profiles`: lists the configured profiles, so a person can see which
//! service each one points at and which one idcon would use.
//!
//! Secrets are never printed: for a bearer token only the *name* of its
//! environment variable, for a key only its path, for static headers only
//! their names.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use crate::config::Overrides;
use crate::config::{self, ConfigFile, ProfileEntry};
use crate::sanitize::for_display;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfilesOutput {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ProfilesOutput::Table)]
    pub output: ProfilesOutput,
}

pub fn run(global: &Overrides, args: &ProfilesArgs) -> anyhow::Result<ExitCode> {
    let (path, explicit) = match &global.config {
        Some(path) => (Some(path.clone()), true),
        None => (config::default_config_path(), false),
    };
    let config = match &path {
        Some(path) if explicit || path.exists() => Some(config::load_config(path)?),
        _ => None,
    };
    let selected = config.as_ref().and_then(|c| config::selected_profile_name(c, global));
    if let (Some(config), Some(name)) = (&config, &global.profile)
        && config.profile(name).is_none()
    {
        // Say so, but still list what there is.
        eprintln!(
            "idcon: no profile \"{}\" in {} (from --profile or IDCON_PROFILE)",
            for_display(name),
            config.path.display()
        );
    }
    if let Some(config) = &config {
        for entry in config.profiles.iter().filter(|p| p.danger_accept_invalid_certs) {
            eprintln!(
                "idcon: WARNING: profile \"{}\" has danger_accept_invalid_certs = true: TLS certificates are NOT verified",
                for_display(&entry.name)
            );
        }
    } else {
        let place = path.as_ref().map_or_else(
            || "no config folder could be found ($HOME is not set)".to_owned(),
            |p| format!("no config file at {}", p.display()),
        );
        eprintln!("idcon: {place}; profiles are optional when --base-url is given");
    }

    let mut out = std::io::stdout().lock();
    match args.output {
        ProfilesOutput::Json => {
            let doc = to_json(config.as_ref(), selected.as_deref());
            let text = serde_json::to_string_pretty(&doc).context("cannot encode the profile list")?;
            writeln!(out, "{text}").context("cannot write to stdout")?;
        }
        ProfilesOutput::Table => {
            let text = to_table(config.as_ref(), selected.as_deref());
            out.write_all(text.as_bytes()).context("cannot write to stdout")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn to_json(config: Option<&ConfigFile>, selected: Option<&str>) -> Value {
    let profiles: Vec<Value> = config
        .map(|c| {
            c.profiles
                .iter()
                .map(|p| entry_json(p, c.default.as_deref() == Some(&p.name), selected == Some(&p.name)))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "config_file": config.map(|c| c.path.display().to_string()),
        "default": config.and_then(|c| c.default.clone()),
        "selected": selected,
        "profiles": profiles,
    })
}

fn entry_json(p: &ProfileEntry, is_default: bool, is_selected: bool) -> Value {
    json!({
        "name": p.name,
        "default": is_default,
        "selected": is_selected,
        "base_url": p.base_url.as_ref().map(|u| u.as_str()),
        "public_url": p.public_url.as_ref().map(|u| u.as_str()),
        "identities_path": p.identities_path.as_deref().unwrap_or(config::DEFAULT_IDENTITIES_PATH),
        "schemas_path": p.schemas_path.as_deref().unwrap_or(config::DEFAULT_SCHEMAS_PATH),
        "sessions_path": effective_family_path(p, p.sessions_path.as_deref(), "sessions", config::DEFAULT_SESSIONS_PATH),
        "recovery_path": effective_family_path(p, p.recovery_path.as_deref(), "recovery", config::DEFAULT_RECOVERY_PATH),
        "read_only": p.read_only,
        "danger": p.danger,
        "danger_accept_invalid_certs": p.danger_accept_invalid_certs,
        "key_file": p.key_file.as_ref().map(|k| k.display().to_string()),
        "sdk_id": p.sdk_id,
        "bearer_token_env": p.bearer_token_env,
        "attribute_registry_url": p.attribute_registry_url.as_ref().map(|u| u.as_str()),
        "ca_file": p.ca_file.as_ref().map(|k| k.display().to_string()),
        "timeout_secs": p.timeout.unwrap_or(std::time::Duration::from_secs(config::DEFAULT_TIMEOUT_SECS)).as_secs(),
        "connect_timeout_secs": p.connect_timeout.unwrap_or(std::time::Duration::from_secs(config::DEFAULT_CONNECT_TIMEOUT_SECS)).as_secs(),
        "header_names": p.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        "line": p.line,
    })
}

/// The path a family of endpoints is reached at: the profile's own setting,
/// else beside its identities path as `resolve_profile` derives it, so the
/// listing says what idcon will really call.
fn effective_family_path(p: &ProfileEntry, set: Option<&str>, family: &str, default: &str) -> String {
    match set {
        Some(path) => path.to_owned(),
        None => config::sibling_path(
            p.identities_path.as_deref().unwrap_or(config::DEFAULT_IDENTITIES_PATH),
            family,
            default,
        ),
    }
}

fn to_table(config: Option<&ConfigFile>, selected: Option<&str>) -> String {
    let header = [
        "",
        "NAME",
        "BASE URL",
        "PUBLIC URL",
        "IDENTITIES",
        "READ-ONLY",
        "DANGER",
        "KEY FILE",
        "SDK ID",
        "BEARER ENV",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    let dash = || "-".to_owned();
    let yes_no = |b: bool| if b { "yes".to_owned() } else { "no".to_owned() };
    if let Some(config) = config {
        for p in &config.profiles {
            let mut marker = String::new();
            if config.default.as_deref() == Some(&p.name) {
                marker.push('*');
            }
            if selected == Some(p.name.as_str()) {
                marker.push('>');
            }
            rows.push(vec![
                marker,
                for_display(&p.name).into_owned(),
                p.base_url
                    .as_ref()
                    .map_or_else(dash, |u| for_display(u.as_str()).into_owned()),
                p.public_url
                    .as_ref()
                    .map_or_else(dash, |u| for_display(u.as_str()).into_owned()),
                for_display(p.identities_path.as_deref().unwrap_or(config::DEFAULT_IDENTITIES_PATH)).into_owned(),
                yes_no(p.read_only),
                if p.danger_accept_invalid_certs {
                    "NO-TLS-VERIFY".to_owned()
                } else {
                    yes_no(p.danger)
                },
                p.key_file
                    .as_ref()
                    .map_or_else(dash, |k| for_display(&k.display().to_string()).into_owned()),
                p.sdk_id.as_deref().map_or_else(dash, |s| for_display(s).into_owned()),
                p.bearer_token_env
                    .as_deref()
                    .map_or_else(dash, |s| for_display(s).into_owned()),
            ]);
        }
    }
    let columns = header.len();
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < columns {
                line.push_str(&" ".repeat(widths[i] - cell.chars().count()));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    match config {
        Some(config) if !config.profiles.is_empty() => {
            text.push_str(&format!(
                "\n* default   > used now (--profile, IDCON_PROFILE or default)   config: {}\n",
                config.path.display()
            ));
        }
        Some(config) => text.push_str(&format!("\n(no profiles in {})\n", config.path.display())),
        None => text.push_str("\n(no config file)\n"),
    }
    text
}
