//! `idcon serve-demo` and `idcon demo`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::{DEMO_SDK_ID, DemoOptions, KratosVersion, MAX_SEED_COUNT, RunningDemo, start, validate_prefix};
use crate::config::Overrides;
use crate::signing::VerifyingKey;

/// `idcon serve-demo`. The subcommand's one-line summary lives in
/// `src/cli.rs` (and wins over a struct-level about); how the two listeners
/// work is told after the options.
#[derive(Debug, Args)]
#[command(after_help = SERVE_DEMO_AFTER_HELP)]
pub struct ServeDemoArgs {
    /// Address of the admin API (port 0 picks a free port; the chosen address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4455")]
    pub listen: SocketAddr,

    /// Port of the public API, on the --listen IP (0 picks a free port; it is printed).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub public_port: u16,

    /// Where the identities API lives: /admin (Ory Kratos) or /iam (Connhex IAM).
    #[arg(long, value_name = "PATH", default_value = "/admin", value_parser = parse_prefix)]
    pub prefix: String,

    /// Public key (PEM) request signatures must verify with [default: the embedded demo key].
    #[arg(long, value_name = "FILE", conflicts_with = "no_auth")]
    pub pubkey: Option<PathBuf>,

    /// The X-Yoti-Auth-Id requests must carry.
    #[arg(long, value_name = "ID", default_value = DEMO_SDK_ID)]
    pub sdk_id: String,

    /// Accept unsigned requests.
    #[arg(long)]
    pub no_auth: bool,

    #[command(flatten)]
    pub served: ServedArgs,

    /// Also require `Authorization: Bearer <token>`, the token read from this
    /// environment variable (as the Connhex gateway does).
    #[arg(long, value_name = "VAR")]
    pub bearer_token_env: Option<String>,

    /// Refuse request lines longer than this many bytes with 414, as the
    /// reverse proxy in front of a real deployment does (nginx: 8192); 0
    /// turns the limit off.
    #[arg(long, value_name = "BYTES", default_value_t = super::GATEWAY_MAX_REQUEST_LINE)]
    pub max_request_line: usize,
}

const SERVE_DEMO_AFTER_HELP: &str = "\
Like a self-hosted Ory Kratos it listens twice: the admin API on --listen \
(signed requests; GET /schemas answers 307 Temporary Redirect to the public \
API), and the public API on the same IP at --public-port (GET /schemas and \
GET /schemas/{id}, no authentication; identities' schema_url points there).

The first line printed is `listening on http://ADMIN` (scripts read the port \
from it); then the public API's address, the Kratos version imitated and an \
idcon profile to paste into config.toml. Unless --pubkey or --no-auth is \
given, the profile's key_file is a 0600 copy of the embedded demo key that \
idcon writes to $XDG_STATE_HOME/idcon/demo-private-key.pem (reused when it is \
there already; a symbolic link there is refused).";

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub served: ServedArgs,
    /// Only run the server and print how to reach it; no console.
    #[arg(long)]
    pub server_only: bool,
}

/// What both demo commands serve, defined once so that they take the same
/// values: which Kratos it imitates, which identities, which faults.
#[derive(Debug, Clone, Args)]
pub struct ServedArgs {
    /// The Ory Kratos release to imitate: 1.3 (no external_id, filters combine,
    /// no ids/page_size limits, PUT keeps updated_at), 25 or 26.
    #[arg(long, value_name = "VERSION", default_value = "26", value_parser = parse_kratos_version)]
    pub kratos_version: KratosVersion,

    /// Total identities to serve: the 240 curated ones, then generated ones
    /// (deterministic, up to 1000000).
    #[arg(long, value_name = "N", value_parser = parse_seed_count)]
    pub seed_count: Option<usize>,

    /// Add identities whose traits carry terminal escape sequences.
    #[arg(long)]
    pub hostile: bool,

    #[command(flatten)]
    pub faults: FaultArgs,
}

/// The faults the demo server can inject, for trying how idcon copes.
#[derive(Debug, Clone, Args)]
pub struct FaultArgs {
    /// Delay every answer by this many milliseconds (a slow link).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Answer every Nth request with a 500.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub fail_every: Option<u64>,

    /// Close the connection of every Nth request without answering.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub drop_every: Option<u64>,
}

impl ServedArgs {
    /// These settings on top of `options`.
    fn apply_to(&self, options: &mut DemoOptions) {
        options.kratos_version = self.kratos_version;
        options.seed_count = self.seed_count;
        options.hostile = self.hostile;
        options.latency = Duration::from_millis(self.faults.latency_ms);
        options.fail_every = self.faults.fail_every;
        options.drop_every = self.faults.drop_every;
    }
}

fn parse_prefix(text: &str) -> Result<String, String> {
    validate_prefix(text).map(|()| text.to_owned())
}

fn parse_kratos_version(text: &str) -> Result<KratosVersion, String> {
    KratosVersion::parse(text)
}

fn parse_seed_count(text: &str) -> Result<usize, String> {
    let count: usize = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of identities"))?;
    if count > MAX_SEED_COUNT {
        return Err(format!("at most {MAX_SEED_COUNT} identities"));
    }
    Ok(count)
}

impl ServeDemoArgs {
    fn options(&self) -> anyhow::Result<DemoOptions> {
        let verifying_key = if self.no_auth {
            None
        } else if let Some(path) = &self.pubkey {
            Some(VerifyingKey::from_pem_file(path).context("--pubkey")?)
        } else {
            Some(super::demo_verifying_key())
        };
        let bearer_token = match &self.bearer_token_env {
            None => None,
            Some(var) => {
                let token = std::env::var(var).with_context(|| {
                    format!("--bearer-token-env {var}: the environment variable is not set (or not UTF-8)")
                })?;
                anyhow::ensure!(
                    !token.trim().is_empty(),
                    "--bearer-token-env {var}: the environment variable is empty"
                );
                Some(token.trim().to_owned())
            }
        };
        let mut options = DemoOptions {
            listen: self.listen,
            public_port: self.public_port,
            prefix: self.prefix.clone(),
            verifying_key,
            sdk_id: self.sdk_id.clone(),
            bearer_token,
            max_request_line: (self.max_request_line > 0).then_some(self.max_request_line),
            ..DemoOptions::for_tests()
        };
        self.served.apply_to(&mut options);
        Ok(options)
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `text` as a TOML string, quoted and escaped by the toml crate.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Where the profile's `key_file` points: a 0600 copy of the embedded demo
/// key in idcon's state folder ([`crate::paths::demo_key_file`]), written
/// once and reused; `Err` says why there is none (no state folder, a
/// symbolic link or someone else's file in the way, a path TOML cannot
/// hold). The demo key is public, so the copy is no secret; it is private
/// only because idcon refuses keys that others can read.
pub fn demo_key_copy() -> Result<PathBuf, String> {
    let path = crate::paths::demo_key_file()
        .ok_or_else(|| "no state folder for it ($HOME and $XDG_STATE_HOME are not set)".to_owned())?;
    if path.to_str().is_none() {
        return Err(format!(
            "{} is not UTF-8, which config.toml cannot hold",
            path.display()
        ));
    }
    crate::paths::ensure_private_copy(&path, super::DEMO_PRIVATE_KEY_PEM.as_bytes())
        .map_err(|err| format!("cannot write the demo key to {}: {err}", path.display()))?;
    Ok(path)
}

/// The `key_file` line of a printed profile: the copy, or a comment saying
/// why there is none (also said on stderr).
fn key_file_line(copy: &Result<PathBuf, String>) -> String {
    match copy {
        Ok(path) => format!(
            "key_file = {}  # a 0600 copy of the embedded demo key\n",
            toml_string(&path.to_string_lossy())
        ),
        Err(why) => {
            eprintln!("idcon: warning: {}", crate::sanitize::for_display(why));
            "# key_file = \"...\"  # none written (see stderr): a chmod 600 copy of assets/demo/demo-private-key.pem\n"
                .to_owned()
        }
    }
}

/// What `serve-demo` prints once both listeners accept connections.
fn serve_demo_banner(args: &ServeDemoArgs, server: &RunningDemo) -> String {
    let version = server.kratos_version();
    let mut out = format!("listening on {}\n", server.base_url());
    out.push_str(&format!(
        "public API on {} (GET /schemas, no authentication)\n",
        server.public_url()
    ));
    out.push_str(&format!(
        "imitating Ory Kratos {version} (read from its source at {})\n",
        version.tag()
    ));
    out.push_str("# an idcon profile for this server (config.toml):\n");
    out.push_str("[profiles.demo]\n");
    out.push_str(&format!("base_url = {}\n", toml_string(&server.base_url())));
    out.push_str(&format!("public_url = {}\n", toml_string(&server.public_url())));
    out.push_str(&format!(
        "identities_path = {}\n",
        toml_string(&format!("{}/identities", args.prefix))
    ));
    out.push_str(&format!(
        "attribute_registry_url = {}\n",
        toml_string(&server.attribute_registry_url())
    ));
    if args.no_auth {
        out.push_str("# requests need no signature (--no-auth): no key_file\n");
    } else {
        out.push_str(&format!("sdk_id = {}\n", toml_string(&args.sdk_id)));
        if args.pubkey.is_some() {
            out.push_str("# key_file = the private key matching --pubkey\n");
        } else {
            out.push_str(&key_file_line(&demo_key_copy()));
        }
    }
    if let Some(var) = &args.bearer_token_env {
        out.push_str(&format!("bearer_token_env = {}\n", toml_string(var)));
    }
    out
}

/// Runs the server in the foreground. The first line on stdout is
/// `listening on http://ADMIN` (scripts and tests read the port from it);
/// the public address, the Kratos version and a profile snippet follow. Stops
/// cleanly on Ctrl-C or SIGTERM.
pub fn run_serve_demo(args: &ServeDemoArgs) -> anyhow::Result<ExitCode> {
    let opts = args.options()?;
    runtime()?.block_on(async {
        let server = start(opts).await?;
        {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(serve_demo_banner(args, &server).as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write to stdout")?;
        }
        shutdown_signal().await;
        server.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// What `idcon demo` prints when it only serves: the addresses, then a
/// ready profile (its `key_file` a 0600 copy of the demo key) to paste into
/// config.toml.
fn print_demo_banner(server: &RunningDemo) -> std::io::Result<()> {
    let key_copy = demo_key_copy();
    let mut out = std::io::stdout().lock();
    let version = server.kratos_version();
    writeln!(out, "idcon demo server running (Ctrl-C to stop)")?;
    writeln!(out, "  admin base URL:     {}", server.base_url())?;
    writeln!(out, "  identities:         {}", server.identities_url())?;
    writeln!(
        out,
        "  identity schemas:   {}/schemas (public API, no authentication; the admin URL answers 307)",
        server.public_url()
    )?;
    writeln!(out, "  attribute registry: {}", server.attribute_registry_url())?;
    writeln!(out, "  imitating:          Ory Kratos {version} ({})", version.tag())?;
    writeln!(out, "  client SDK id:      {DEMO_SDK_ID}")?;
    match &key_copy {
        Ok(path) => writeln!(
            out,
            "  signing key:        the embedded demo key, copied (0600) to {}",
            crate::sanitize::for_display(&path.to_string_lossy())
        )?,
        Err(_) => writeln!(
            out,
            "  signing key:        the embedded demo key (assets/demo/demo-private-key.pem; chmod 600 a copy)"
        )?,
    }
    writeln!(out, "  identities seeded:  {}", server.identity_count())?;
    writeln!(out)?;
    let config = crate::paths::config_file()
        .map(|path| path.display().to_string())
        .unwrap_or_else(|| "config.toml".to_owned());
    writeln!(
        out,
        "# an idcon profile for this server, to paste into {}",
        crate::sanitize::for_display(&config)
    )?;
    writeln!(
        out,
        "# (good while this server runs: its ports change every run; `idcon serve-demo` keeps 127.0.0.1:4455)"
    )?;
    write!(out, "{}", demo_profile(server, &key_copy))?;
    out.flush()
}

/// The `[profiles.demo]` table for a running demo server, as TOML.
fn demo_profile(server: &RunningDemo, key_copy: &Result<PathBuf, String>) -> String {
    let mut out = String::from("[profiles.demo]\n");
    out.push_str(&format!("base_url = {}\n", toml_string(&server.base_url())));
    out.push_str(&format!("public_url = {}\n", toml_string(&server.public_url())));
    let identities_path = server
        .identities_url()
        .strip_prefix(&server.base_url())
        .map(str::to_owned)
        .unwrap_or_else(|| "/admin/identities".to_owned());
    out.push_str(&format!("identities_path = {}\n", toml_string(&identities_path)));
    out.push_str(&format!("sdk_id = {}\n", toml_string(DEMO_SDK_ID)));
    out.push_str(&key_file_line(key_copy));
    out.push_str(&format!(
        "attribute_registry_url = {}\n",
        toml_string(&server.attribute_registry_url())
    ));
    out
}

/// Starts the demo server in-process on a free loopback port and opens the
/// console on it, signed with the embedded demo key. Without a terminal (or
/// with `--server-only`) it prints how to reach the server and waits.
pub fn run_demo(global: &Overrides, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let mut options = DemoOptions::for_tests();
        args.served.apply_to(&mut options);
        let server = start(options).await?;
        let interactive = std::io::IsTerminal::is_terminal(&std::io::stdout());
        let result = if args.server_only || !interactive {
            print_demo_banner(&server).context("cannot write to stdout")?;
            shutdown_signal().await;
            Ok(())
        } else {
            open_console(global, &server).await
        };
        server.stop().await;
        result.map(|()| ExitCode::SUCCESS)
    })
}

async fn open_console(global: &Overrides, server: &RunningDemo) -> anyhow::Result<()> {
    let base = url::Url::parse(&server.base_url()).context("demo server URL")?;
    let mut profile = crate::config::Profile::for_base_url("demo", base);
    // Schemas are read on the public listener, unsigned, as for a real Kratos.
    profile.public_url = Some(url::Url::parse(&server.public_url()).context("demo public URL")?);
    profile.sdk_id = Some(DEMO_SDK_ID.to_owned());
    profile.attribute_registry_url = url::Url::parse(&server.attribute_registry_url()).ok();
    profile.read_only = global.read_only;
    let key = crate::signing::SigningKey::from_pem_str(crate::demo::DEMO_PRIVATE_KEY_PEM, "embedded demo key")?;
    crate::commands::console::open_with_key(profile, Some(key)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_demo_commands_refuse_the_same_fault_values() {
        use clap::Args as _;
        for command in [
            ServeDemoArgs::augment_args(clap::Command::new("serve-demo")),
            DemoArgs::augment_args(clap::Command::new("demo")),
        ] {
            let name = command.get_name().to_owned();
            for flag in ["--fail-every", "--drop-every"] {
                let zero = command.clone().try_get_matches_from([name.as_str(), flag, "0"]);
                assert!(zero.is_err(), "{name} {flag} 0 was accepted");
                let three = command.clone().try_get_matches_from([name.as_str(), flag, "3"]);
                assert!(three.is_ok(), "{name} {flag} 3: {three:?}");
            }
        }
    }

    #[test]
    fn seed_count_is_bounded() {
        assert_eq!(parse_seed_count("1000000"), Ok(1_000_000));
        assert!(parse_seed_count("1000001").is_err());
        assert!(parse_seed_count("many").is_err());
    }
}
