//! The command-line interface, defined once with clap so that help, completions
//! and the man page all come from the same source.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Terminal admin console for Ory Kratos-compatible identity services and the
/// Yoti attribute registry.
#[derive(Debug, Parser)]
#[command(name = "idcon", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options that pick and override a profile; accepted by every subcommand so
/// that idcon also runs with no config file at all.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Profile options (any subcommand)")]
pub struct GlobalArgs {
    /// Config file (default: $XDG_CONFIG_HOME/idcon/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Profile to use (default: the config's `default`).
    #[arg(long, global = true, env = "IDCON_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Base URL of the identity service, overriding the profile.
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,

    /// Kratos's public URL, where identity schemas are read (unsigned, no
    /// credentials) instead of following the admin port's redirect.
    #[arg(long, global = true, value_name = "URL")]
    pub public_url: Option<String>,

    /// Path of the identities API under the base URL (Kratos: /admin/identities,
    /// Connhex IAM: /iam/identities).
    #[arg(long, global = true, value_name = "PATH")]
    pub identities_path: Option<String>,

    /// PEM private key (PKCS#1 or PKCS#8 RSA) used to sign requests.
    #[arg(long, global = true, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Client SDK id, sent as X-Yoti-Auth-Id.
    #[arg(long, global = true, value_name = "ID")]
    pub sdk_id: Option<String>,

    /// Refuse every write, whatever the profile says.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Accept a key file that group or others can read (ssh would refuse it).
    #[arg(long, global = true)]
    pub insecure_key_permissions: bool,
}

impl GlobalArgs {
    /// The flags as `config` takes them.
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            config: self.config.clone(),
            profile: self.profile.clone(),
            base_url: self.base_url.clone(),
            public_url: self.public_url.clone(),
            identities_path: self.identities_path.clone(),
            key: self.key.clone(),
            sdk_id: self.sdk_id.clone(),
            read_only: self.read_only,
            insecure_key_permissions: self.insecure_key_permissions,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign a request with the Yoti scheme and print it (JSON or a curl command).
    Sign(crate::commands::sign::SignArgs),
    /// List the configured profiles (secrets are never printed).
    Profiles(crate::commands::profiles::ProfilesArgs),
    /// Run the demo Kratos + attribute-registry server in the foreground.
    ServeDemo(crate::demo::cli::ServeDemoArgs),
    /// Start the demo server in-process and open the console against it.
    Demo(crate::demo::cli::DemoArgs),
    /// Print where idcon reads its config and keeps its log, audit trail and drafts.
    Info(crate::commands::info::InfoArgs),
    /// Read the audit trail of writes.
    Audit(crate::commands::audit::AuditArgs),
    /// List identities, following every page (table, json, jsonl or csv).
    List(crate::commands::list::ListArgs),
    /// Print one identity as the server returns it.
    Get(crate::commands::get::GetArgs),
    /// Change one identity: diff, confirm, lost-update check, signed PUT, audit.
    Update(crate::commands::update::UpdateArgs),
    /// Plan a bulk change from a file of ids or JSON lines: reads each identity, writes a plan to review.
    Plan(crate::commands::plan::PlanArgs),
    /// Send the writes of a plan: re-checks each identity, resumable, audited.
    Apply(crate::commands::apply::ApplyArgs),
    /// Print shell completions (bash, zsh, fish) generated from the command line definitions.
    Completions(crate::commands::completions::CompletionsArgs),
    /// Print the manual page (roff) of idcon or of one subcommand.
    Man(crate::commands::completions::ManArgs),
    /// Update an attribute in the Yoti attribute registry.
    Attribute(crate::commands::attribute::AttributeArgs),
    /// List an identity's sessions, or revoke or extend them (audited writes).
    Sessions(crate::commands::sessions::SessionsArgs),
    /// Make a recovery link or code for an identity; the secret goes to stdout only.
    Recovery(crate::commands::recovery::RecoveryArgs),
    /// Delete an identity with its credentials and sessions: shows what is lost, asks for its identifier, audited.
    Delete(crate::commands::delete::DeleteArgs),
    /// Remove one credential of an identity (a social sign-in link, TOTP, backup codes, security keys): audited.
    Credentials(crate::commands::credentials::CredentialsArgs),
    /// Create one identity (schema-checked traits, optional password from stdin): reviewed, audited.
    Create(crate::commands::create::CreateArgs),
    /// Create many identities from JSON lines (batch PATCH in chunks): resumable, never creating one twice.
    Import(crate::commands::import::ImportArgs),
    /// Mark one of an identity's addresses verified, or back to unverified (JSON Patch, audited).
    Verify(crate::commands::verify::VerifyArgs),
}
