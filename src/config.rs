//! Profiles from TOML, environment and flags.
//!
//! A config file holds named profiles and a default:
//!
//! ```toml
//! default = "staging"
//!
//! [profiles.staging]
//! base_url = "https://kratos-admin.staging.example.com"
//! key_file = "~/.config/idcon/staging.pem"
//! sdk_id = "0123-abcd"
//!
//! [profiles.kratos]
//! base_url = "https://kratos-admin.example.com"
//! public_url = "https://kratos.example.com"   # where /schemas is answered
//!
//! [profiles.connhex]
//! base_url = "https://connhex.example.com"
//! identities_path = "/iam/identities"
//! bearer_token_env = "CONNHEX_TOKEN"
//! danger = true
//! require_reason = true                       # every write needs --reason
//! audit_file = "/var/log/idcon/connhex-audit.jsonl"
//! audit_syslog = true
//! ```
//!
//! Every value is checked while the file is read, so a typo or a bad URL is
//! reported with the file, line and column where it sits, before anything is
//! sent. Unknown keys are errors for the same reason: a misspelt `read_only`
//! must not silently leave a production profile writable.
//!
//! Relative `key_file`, `ca_file` and `audit_file` paths are relative to the
//! folder of the config file; a leading `~/` is the home directory.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

/// Default path of the identities API under the base URL (Ory Kratos admin API).
pub const DEFAULT_IDENTITIES_PATH: &str = "/admin/identities";
/// Default path of the identity schemas under the base URL.
pub const DEFAULT_SCHEMAS_PATH: &str = "/schemas";
/// Kratos's path of the sessions API (`session/handler.go`
/// `RegisterAdminRoutes`: `/sessions` under the admin prefix).
pub const DEFAULT_SESSIONS_PATH: &str = "/admin/sessions";
/// Kratos's path of the admin recovery endpoints (`/link`, `/code` below it;
/// `selfservice/strategy/link/strategy_recovery.go`
/// `RouteAdminCreateRecoveryLink`, `selfservice/strategy/code/
/// strategy_recovery_admin.go` `RouteAdminCreateRecoveryCode`).
pub const DEFAULT_RECOVERY_PATH: &str = "/admin/recovery";

/// The path of another API family (`sessions`, `recovery`) when the profile
/// does not set one: beside the identities API, under the same prefix, as a
/// gateway mounts Kratos's admin API whole (`/iam/identities` →
/// `/iam/sessions`); Kratos's own `default` when `identities_path` does not
/// end in `/identities`.
pub fn sibling_path(identities_path: &str, family: &str, default: &str) -> String {
    match identities_path.trim_end_matches('/').strip_suffix("/identities") {
        Some(prefix) => format!("{prefix}/{family}"),
        None => default.to_owned(),
    }
}
/// Total time a request may take, unless the profile says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Time to establish a connection (TCP + TLS), unless the profile says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
/// Name of the profile made from flags alone, when no config profile applies.
pub const FLAGS_PROFILE_NAME: &str = "(flags)";
/// Where the attribute-registry form finds an identity's Yoti issuance token,
/// unless the profile says otherwise (a JSON pointer into the identity).
pub const DEFAULT_ISSUANCE_TOKEN_POINTER: &str = "/metadata_admin/yoti/issuance_token";

/// Longest timeout a profile may ask for; anything longer is surely a typo
/// (milliseconds written as seconds).
const MAX_TIMEOUT_SECS: u64 = 3600;

/// What the command line says about the profile: which one to use and the
/// settings that override it. Its own type rather than the clap struct, so
/// that `config` does not depend on the command-line definition (which
/// depends on it): `cli::GlobalArgs::overrides` makes one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--config`: read this file instead of the default one.
    pub config: Option<PathBuf>,
    /// `--profile` / `IDCON_PROFILE`.
    pub profile: Option<String>,
    pub base_url: Option<String>,
    pub public_url: Option<String>,
    pub identities_path: Option<String>,
    /// `--key`: the signing key file.
    pub key: Option<PathBuf>,
    pub sdk_id: Option<String>,
    /// Can only make a profile read-only, never writable.
    pub read_only: bool,
    pub insecure_key_permissions: bool,
}

/// Everything idcon needs to talk to one identity service, resolved from the
/// config file and the command-line flags.
#[derive(Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub base_url: Url,
    pub identities_path: String,
    pub schemas_path: String,
    /// Where sessions live: `GET|DELETE {sessions_path}/{id}`, `PATCH
    /// {sessions_path}/{id}/extend`. An identity's sessions are under
    /// `identities_path` (`{identities_path}/{id}/sessions`), as in Kratos.
    pub sessions_path: String,
    /// Where recovery links and codes are made: `POST {recovery_path}/link`,
    /// `POST {recovery_path}/code`.
    pub recovery_path: String,
    /// Kratos's *public* URL. Its admin port answers `/schemas` with a 307 to
    /// the public port; with this set, schemas are read there directly,
    /// unsigned and without credentials (the public port needs none).
    pub public_url: Option<Url>,
    pub sdk_id: Option<String>,
    pub key_file: Option<PathBuf>,
    pub attribute_registry_url: Option<Url>,
    pub read_only: bool,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub danger_accept_invalid_certs: bool,
    pub headers: Vec<(String, String)>,
    pub bearer_token_env: Option<String>,
    pub danger: bool,
    pub insecure_key_permissions: bool,
    /// The audit trail of this profile's writes; `None` only when no state
    /// folder can be found (no `$XDG_STATE_HOME`, no `$HOME`) and the profile
    /// names none: writes are then refused, since they would leave no trace.
    pub audit_file: Option<PathBuf>,
    /// Also send every audit line to the local syslog.
    pub audit_syslog: bool,
    /// JSON pointer into an identity where its Yoti issuance token sits.
    pub issuance_token_pointer: String,
    /// Every write needs a reason (`--reason TEXT`, the console's reason
    /// line), recorded in the audit trail as `why`: support writes are made
    /// for a ticket. Sensible with `danger`.
    pub require_reason: bool,
}

impl fmt::Debug for Profile {
    // Static headers may carry API keys: show their names only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("base_url", &self.base_url.as_str())
            .field("identities_path", &self.identities_path)
            .field("schemas_path", &self.schemas_path)
            .field("sessions_path", &self.sessions_path)
            .field("recovery_path", &self.recovery_path)
            .field("public_url", &self.public_url.as_ref().map(Url::as_str))
            .field("sdk_id", &self.sdk_id)
            .field("key_file", &self.key_file)
            .field(
                "attribute_registry_url",
                &self.attribute_registry_url.as_ref().map(Url::as_str),
            )
            .field("read_only", &self.read_only)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("ca_file", &self.ca_file)
            .field("danger_accept_invalid_certs", &self.danger_accept_invalid_certs)
            .field("header_names", &header_names)
            .field("bearer_token_env", &self.bearer_token_env)
            .field("danger", &self.danger)
            .field("insecure_key_permissions", &self.insecure_key_permissions)
            .field("audit_file", &self.audit_file)
            .field("audit_syslog", &self.audit_syslog)
            .field("issuance_token_pointer", &self.issuance_token_pointer)
            .field("require_reason", &self.require_reason)
            .finish()
    }
}

impl Profile {
    /// A profile with every setting at its default, for `base_url`. Handy for
    /// tests and for the embedded demo.
    pub fn for_base_url(name: &str, base_url: Url) -> Profile {
        Profile {
            name: name.to_owned(),
            base_url,
            identities_path: DEFAULT_IDENTITIES_PATH.to_owned(),
            schemas_path: DEFAULT_SCHEMAS_PATH.to_owned(),
            sessions_path: DEFAULT_SESSIONS_PATH.to_owned(),
            recovery_path: DEFAULT_RECOVERY_PATH.to_owned(),
            public_url: None,
            sdk_id: None,
            key_file: None,
            attribute_registry_url: None,
            read_only: false,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS),
            ca_file: None,
            danger_accept_invalid_certs: false,
            headers: Vec::new(),
            bearer_token_env: None,
            danger: false,
            insecure_key_permissions: false,
            audit_file: crate::paths::audit_file(),
            audit_syslog: false,
            issuance_token_pointer: DEFAULT_ISSUANCE_TOKEN_POINTER.to_owned(),
            require_reason: false,
        }
    }

    /// The warning every command prints when this profile does not verify TLS
    /// certificates; `None` when it does.
    pub fn tls_warning(&self) -> Option<String> {
        self.danger_accept_invalid_certs.then(|| {
            format!(
                "WARNING: profile \"{}\" has danger_accept_invalid_certs = true: TLS certificates are NOT \
                 verified, anyone on the network path can read and change this traffic",
                self.name
            )
        })
    }
}

/// A config file as read: the default profile name and each profile's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub default: Option<String>,
    /// Sorted by name.
    pub profiles: Vec<ProfileEntry>,
}

impl ConfigFile {
    /// The profile called `name`.
    pub fn profile(&self, name: &str) -> Option<&ProfileEntry> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The profile idcon uses when no `--profile` is given: the `default`, or
    /// the only profile there is.
    pub fn implicit_profile(&self) -> Option<&ProfileEntry> {
        match &self.default {
            Some(name) => self.profile(name),
            None if self.profiles.len() == 1 => self.profiles.first(),
            None => None,
        }
    }
}

/// One `[profiles.NAME]` table, validated, with paths already expanded. Unset
/// values are `None`; defaults are applied when a [`Profile`] is resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileEntry {
    pub name: String,
    /// Line of the `[profiles.NAME]` table, for messages.
    pub line: usize,
    pub base_url: Option<Url>,
    pub identities_path: Option<String>,
    pub schemas_path: Option<String>,
    pub sessions_path: Option<String>,
    pub recovery_path: Option<String>,
    pub public_url: Option<Url>,
    pub sdk_id: Option<String>,
    pub key_file: Option<PathBuf>,
    pub attribute_registry_url: Option<Url>,
    pub read_only: bool,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub ca_file: Option<PathBuf>,
    pub danger_accept_invalid_certs: bool,
    /// Header names and values; never print the values (they may be API keys).
    pub headers: Vec<(String, String)>,
    pub bearer_token_env: Option<String>,
    pub danger: bool,
    pub audit_file: Option<PathBuf>,
    pub audit_syslog: bool,
    pub issuance_token_pointer: Option<String>,
    pub require_reason: bool,
}

/// Why no profile could be made. Displays as one line that names the file
/// (and line and column when the problem sits in the file).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config {}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "no profile to use: {} and no --base-url was given (create a profile there or pass --base-url; \
         `idcon demo` tries idcon on its built-in demo server)",
        match path { Some(p) => format!("there is no config file at {}", p.display()), None => "no config folder could be found ($HOME is not set)".to_owned() }
    )]
    NothingConfigured { path: Option<PathBuf> },
    #[error("no profile \"{name}\" in {}{}", path.display(), available_list(available))]
    UnknownProfile {
        name: String,
        path: PathBuf,
        available: Vec<String>,
    },
    #[error("profile \"{name}\" was asked for, but there is no config file at {}", path.display())]
    NoConfigForProfile { name: String, path: PathBuf },
    #[error(
        "config {} has several profiles and no default: pick one with --profile or IDCON_PROFILE, or set `default = \"NAME\"`{}",
        path.display(), available_list(available)
    )]
    NoDefault { path: PathBuf, available: Vec<String> },
    #[error("config {}:{line}: profile \"{name}\" has no base_url (add one, or pass --base-url)", path.display())]
    MissingBaseUrl { name: String, path: PathBuf, line: usize },
    #[error("{flag}: {message}")]
    BadFlag { flag: &'static str, message: String },
}

impl ConfigError {
    /// What to do next, beyond the one line: on a first run (nothing
    /// configured) how to try idcon on its demo server and a profile to copy.
    /// Several lines; for a person at a terminal, not for `--output json`.
    pub fn hint(&self) -> Option<String> {
        let ConfigError::NothingConfigured { path } = self else {
            return None;
        };
        let place = match path {
            Some(path) => format!("create {} with a profile, e.g.:", path.display()),
            None => "write a config file with a profile and pass it with --config FILE, e.g.:".to_owned(),
        };
        Some(format!(
            "First run? Try idcon on its built-in demo server (no config needed):\n\n    idcon demo\n\n\
             To use your own service, {place}\n\n{}\n\
             or give it all as flags: idcon --base-url URL [--key FILE --sdk-id ID] ...",
            EXAMPLE_CONFIG
                .lines()
                .map(|line| if line.is_empty() {
                    "\n".to_owned()
                } else {
                    format!("    {line}\n")
                })
                .collect::<String>()
        ))
    }
}

/// A first profile to copy into `config.toml` (shown by [`ConfigError::hint`];
/// a test checks that it reads as a valid config).
pub const EXAMPLE_CONFIG: &str = r#"default = "staging"

[profiles.staging]
base_url = "https://kratos-admin.staging.example.com"  # the admin API
identities_path = "/admin/identities"   # Connhex IAM: "/iam/identities"
sdk_id = "your-client-sdk-id"           # sent as X-Yoti-Auth-Id
key_file = "staging.pem"                # next to config.toml; chmod 600
read_only = true                        # until you mean to change identities
# danger = true                         # production: a red banner on every screen
# require_reason = true                 # with danger: every write needs --reason (a ticket)
"#;

fn available_list(names: &[String]) -> String {
    if names.is_empty() {
        " (it has no profiles)".to_owned()
    } else {
        format!(" (profiles: {})", names.join(", "))
    }
}

/// `$XDG_CONFIG_HOME/idcon/config.toml`, else `~/.config/idcon/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    crate::paths::config_file()
}

/// Reads and validates a config file.
pub fn load_config(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_config(&text, path)
}

/// Parses config text; `path` names it in errors and anchors relative paths.
pub fn parse_config(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    let invalid = |offset: usize, message: String| {
        let (line, column) = line_and_column(text, offset);
        ConfigError::Invalid {
            path: path.to_owned(),
            line,
            column,
            message,
        }
    };
    let raw: RawConfig = toml::from_str(text).map_err(|err| {
        let offset = err.span().map(|s| s.start).unwrap_or(0);
        invalid(offset, one_line(err.message()))
    })?;
    let base_dir = path.parent().unwrap_or_else(|| Path::new("."));

    let mut profiles = Vec::with_capacity(raw.profiles.len());
    for (name, spanned) in raw.profiles {
        let offset = spanned.span().start;
        let (line, _) = line_and_column(text, offset);
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            return Err(invalid(offset, format!("invalid profile name {name:?}")));
        }
        let raw = spanned.into_inner();
        let mut headers = Vec::new();
        for (header_name, value) in raw.headers.iter().flatten() {
            check_header(header_name.get_ref(), value.get_ref())
                .map_err(|message| invalid(header_name.span().start, message))?;
            headers.push((header_name.get_ref().clone(), value.get_ref().clone()));
        }
        profiles.push(ProfileEntry {
            name,
            line,
            base_url: raw.base_url.map(|u| u.0),
            identities_path: raw.identities_path.map(|p| p.0),
            schemas_path: raw.schemas_path.map(|p| p.0),
            sessions_path: raw.sessions_path.map(|p| p.0),
            recovery_path: raw.recovery_path.map(|p| p.0),
            public_url: raw.public_url.map(|u| u.0),
            sdk_id: raw.sdk_id.map(|s| s.0),
            key_file: raw.key_file.map(|p| resolve_file(&p.0, base_dir)),
            attribute_registry_url: raw.attribute_registry_url.map(|u| u.0),
            read_only: raw.read_only.unwrap_or(false),
            timeout: raw.timeout_secs.map(|s| s.0),
            connect_timeout: raw.connect_timeout_secs.map(|s| s.0),
            ca_file: raw.ca_file.map(|p| resolve_file(&p.0, base_dir)),
            danger_accept_invalid_certs: raw.danger_accept_invalid_certs.unwrap_or(false),
            headers,
            bearer_token_env: raw.bearer_token_env.map(|v| v.0),
            danger: raw.danger.unwrap_or(false),
            audit_file: raw.audit_file.map(|p| resolve_file(&p.0, base_dir)),
            audit_syslog: raw.audit_syslog.unwrap_or(false),
            issuance_token_pointer: raw.issuance_token_pointer.map(|p| p.0),
            require_reason: raw.require_reason.unwrap_or(false),
        });
    }

    let default = match raw.default {
        Some(spanned) => {
            let offset = spanned.span().start;
            let name = spanned.into_inner();
            if !profiles.iter().any(|p| p.name == name) {
                let names: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
                return Err(invalid(
                    offset,
                    format!("default = \"{name}\" names no profile{}", available_list(&names)),
                ));
            }
            Some(name)
        }
        None => None,
    };

    Ok(ConfigFile {
        path: path.to_owned(),
        default,
        profiles,
    })
}

/// Picks the profile (`--profile` / `IDCON_PROFILE`, else the config's
/// `default`, else its only profile, else one made from flags alone) and
/// applies the flag overrides. Prints the loud TLS warning to stderr when the
/// profile does not verify certificates, so every command shows it.
pub fn resolve_profile(overrides: &Overrides) -> Result<Profile, ConfigError> {
    let profile = resolve_profile_quietly(overrides)?;
    if let Some(warning) = profile.tls_warning() {
        eprintln!("idcon: {warning}");
    }
    Ok(profile)
}

/// [`resolve_profile`] without printing anything.
pub fn resolve_profile_quietly(overrides: &Overrides) -> Result<Profile, ConfigError> {
    resolve_profile_from(overrides, default_config_path().as_deref())
}

/// [`resolve_profile_quietly`] with the config path used when `--config` is
/// not given (`None`: there is none); a missing file there is not an error.
pub fn resolve_profile_from(overrides: &Overrides, default_path: Option<&Path>) -> Result<Profile, ConfigError> {
    let (path, explicit) = match &overrides.config {
        Some(path) => (Some(path.clone()), true),
        None => (default_path.map(Path::to_owned), false),
    };
    let config = match &path {
        Some(path) if explicit || path.exists() => Some(load_config(path)?),
        _ => None,
    };
    let entry = choose_entry(config.as_ref(), path.as_deref(), overrides)?;
    build_profile(entry, config.as_ref(), overrides)
}

/// Which profile the flags and config select, if any, without building it.
pub fn selected_profile_name(config: &ConfigFile, overrides: &Overrides) -> Option<String> {
    match &overrides.profile {
        Some(name) => config.profile(name).map(|p| p.name.clone()),
        None => config.implicit_profile().map(|p| p.name.clone()),
    }
}

fn choose_entry<'c>(
    config: Option<&'c ConfigFile>,
    path: Option<&Path>,
    overrides: &Overrides,
) -> Result<Option<&'c ProfileEntry>, ConfigError> {
    let flags_suffice = overrides.base_url.is_some();
    if let Some(name) = &overrides.profile {
        return match config {
            Some(config) => config
                .profile(name)
                .map(Some)
                .ok_or_else(|| ConfigError::UnknownProfile {
                    name: name.clone(),
                    path: config.path.clone(),
                    available: config.profiles.iter().map(|p| p.name.clone()).collect(),
                }),
            None => Err(ConfigError::NoConfigForProfile {
                name: name.clone(),
                path: path.map(Path::to_owned).unwrap_or_else(|| PathBuf::from("config.toml")),
            }),
        };
    }
    match config {
        Some(config) => match config.implicit_profile() {
            Some(entry) => Ok(Some(entry)),
            None if flags_suffice => Ok(None),
            None if config.profiles.is_empty() => Err(ConfigError::NothingConfigured {
                path: Some(config.path.clone()),
            }),
            None => Err(ConfigError::NoDefault {
                path: config.path.clone(),
                available: config.profiles.iter().map(|p| p.name.clone()).collect(),
            }),
        },
        None if flags_suffice => Ok(None),
        None => Err(ConfigError::NothingConfigured {
            path: path.map(Path::to_owned),
        }),
    }
}

fn build_profile(
    entry: Option<&ProfileEntry>,
    config: Option<&ConfigFile>,
    overrides: &Overrides,
) -> Result<Profile, ConfigError> {
    let flag_base_url = overrides
        .base_url
        .as_deref()
        .map(|raw| {
            HttpUrl::try_from(raw.to_owned())
                .map(|u| u.0)
                .map_err(|message| ConfigError::BadFlag {
                    flag: "--base-url",
                    message,
                })
        })
        .transpose()?;
    let flag_public_url = overrides
        .public_url
        .as_deref()
        .map(|raw| {
            HttpUrl::try_from(raw.to_owned())
                .map(|u| u.0)
                .map_err(|message| ConfigError::BadFlag {
                    flag: "--public-url",
                    message,
                })
        })
        .transpose()?;
    let flag_identities_path = overrides
        .identities_path
        .as_deref()
        .map(|raw| {
            ApiPath::try_from(raw.to_owned())
                .map(|p| p.0)
                .map_err(|message| ConfigError::BadFlag {
                    flag: "--identities-path",
                    message,
                })
        })
        .transpose()?;
    let flag_sdk_id = overrides
        .sdk_id
        .as_deref()
        .map(|raw| {
            SdkId::try_from(raw.to_owned())
                .map(|s| s.0)
                .map_err(|message| ConfigError::BadFlag {
                    flag: "--sdk-id",
                    message,
                })
        })
        .transpose()?;

    let blank = ProfileEntry::default();
    let settings = entry.unwrap_or(&blank);
    let name = entry.map_or_else(|| FLAGS_PROFILE_NAME.to_owned(), |e| e.name.clone());
    let identities_path = flag_identities_path
        .or_else(|| settings.identities_path.clone())
        .unwrap_or_else(|| DEFAULT_IDENTITIES_PATH.to_owned());
    let base_url = match (flag_base_url, &settings.base_url) {
        (Some(url), _) => url,
        (None, Some(url)) => url.clone(),
        (None, None) => {
            return Err(ConfigError::MissingBaseUrl {
                name,
                path: config.map(|c| c.path.clone()).unwrap_or_default(),
                line: settings.line,
            });
        }
    };
    Ok(Profile {
        name,
        base_url,
        sessions_path: settings
            .sessions_path
            .clone()
            .unwrap_or_else(|| sibling_path(&identities_path, "sessions", DEFAULT_SESSIONS_PATH)),
        recovery_path: settings
            .recovery_path
            .clone()
            .unwrap_or_else(|| sibling_path(&identities_path, "recovery", DEFAULT_RECOVERY_PATH)),
        identities_path,
        schemas_path: settings
            .schemas_path
            .clone()
            .unwrap_or_else(|| DEFAULT_SCHEMAS_PATH.to_owned()),
        public_url: flag_public_url.or_else(|| settings.public_url.clone()),
        sdk_id: flag_sdk_id.or_else(|| settings.sdk_id.clone()),
        key_file: overrides
            .key
            .as_deref()
            .map(expand_home)
            .or_else(|| settings.key_file.clone()),
        attribute_registry_url: settings.attribute_registry_url.clone(),
        // The flag can only make a profile safer, never writable.
        read_only: overrides.read_only || settings.read_only,
        timeout: settings.timeout.unwrap_or(Duration::from_secs(DEFAULT_TIMEOUT_SECS)),
        connect_timeout: settings
            .connect_timeout
            .unwrap_or(Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS)),
        ca_file: settings.ca_file.clone(),
        danger_accept_invalid_certs: settings.danger_accept_invalid_certs,
        headers: settings.headers.clone(),
        bearer_token_env: settings.bearer_token_env.clone(),
        danger: settings.danger,
        insecure_key_permissions: overrides.insecure_key_permissions,
        audit_file: settings.audit_file.clone().or_else(crate::paths::audit_file),
        audit_syslog: settings.audit_syslog,
        issuance_token_pointer: settings
            .issuance_token_pointer
            .clone()
            .unwrap_or_else(|| DEFAULT_ISSUANCE_TOKEN_POINTER.to_owned()),
        require_reason: settings.require_reason,
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A toml message on one line. "invalid type: string \"...\"" quotes the
/// value; it is left out, since a misplaced token may be what is quoted (the
/// line and column show where it is).
fn one_line(message: &str) -> String {
    let mut text = message.trim().replace(['\n', '\r'], " ");
    const QUOTED: &str = "invalid type: string \"";
    if let Some(start) = text.find(QUOTED) {
        let after = start + QUOTED.len();
        if let Some(len) = text[after..].find("\", expected") {
            text.replace_range(start..after + len + 1, "invalid type: a string");
        }
    }
    text
}

/// `~/x` is `$HOME/x`; anything else is left as it is.
fn expand_home(path: &Path) -> PathBuf {
    let Ok(rest) = path.strip_prefix("~") else {
        return path.to_owned();
    };
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(rest),
        None => path.to_owned(),
    }
}

/// Expands `~` and anchors a relative path at the config file's folder.
fn resolve_file(raw: &str, base_dir: &Path) -> PathBuf {
    let expanded = expand_home(Path::new(raw));
    if expanded.is_absolute() {
        expanded
    } else {
        base_dir.join(expanded)
    }
}

// ---------------------------------------------------------------------------
// The file format. Each value type checks itself while it is deserialized, so
// toml reports its error at the value's own line and column.

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table with `default` and `[profiles.NAME]` tables"
)]
struct RawConfig {
    default: Option<Spanned<String>>,
    #[serde(default)]
    profiles: BTreeMap<String, Spanned<RawProfile>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table of profile settings, e.g. [profiles.NAME] with base_url = \"https://...\""
)]
struct RawProfile {
    base_url: Option<HttpUrl>,
    identities_path: Option<ApiPath>,
    schemas_path: Option<ApiPath>,
    sessions_path: Option<ApiPath>,
    recovery_path: Option<ApiPath>,
    public_url: Option<HttpUrl>,
    sdk_id: Option<SdkId>,
    key_file: Option<FilePath>,
    attribute_registry_url: Option<HttpUrl>,
    read_only: Option<bool>,
    timeout_secs: Option<Seconds>,
    connect_timeout_secs: Option<Seconds>,
    ca_file: Option<FilePath>,
    danger_accept_invalid_certs: Option<bool>,
    headers: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    bearer_token_env: Option<EnvVarName>,
    danger: Option<bool>,
    audit_file: Option<FilePath>,
    audit_syslog: Option<bool>,
    issuance_token_pointer: Option<JsonPointer>,
    require_reason: Option<bool>,
}

/// An http(s) URL with a host and nothing that would be lost or leaked when
/// paths are appended to it.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct HttpUrl(Url);

impl TryFrom<String> for HttpUrl {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let url = Url::parse(raw.trim()).map_err(|err| format!("invalid URL {raw:?}: {err}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("invalid URL {raw:?}: the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("invalid URL {raw:?}: it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Never echo the credentials back: they would land in logs.
            return Err(
                "invalid URL: it holds a user name or password; put credentials in `headers` or \
                 `bearer_token_env` instead"
                    .to_owned(),
            );
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "invalid URL {raw:?}: it must not have a query (?...) or fragment (#...)"
            ));
        }
        Ok(HttpUrl(url))
    }
}

/// An API path under the base URL: starts with `/`, no query, no dot segments,
/// only characters that go into a URL unchanged (so what is signed is sent).
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct ApiPath(String);

impl TryFrom<String> for ApiPath {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        if !raw.starts_with('/') {
            return Err(format!("invalid path {raw:?}: it must start with /"));
        }
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "/-._~%!$&'()*+,;=:@".contains(c);
        if let Some(bad) = raw.chars().find(|&c| !ok_char(c)) {
            return Err(format!(
                "invalid path {raw:?}: {bad:?} is not allowed in a URL path (percent-encode it)"
            ));
        }
        if raw.split('/').any(|seg| seg == "." || seg == "..") {
            return Err(format!("invalid path {raw:?}: . and .. segments are not allowed"));
        }
        let trimmed = raw.trim_end_matches('/');
        Ok(ApiPath(if trimmed.is_empty() {
            "/".to_owned()
        } else {
            trimmed.to_owned()
        }))
    }
}

/// A client SDK id: it goes into a header, so no control characters.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct SdkId(String);

impl TryFrom<String> for SdkId {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("sdk_id is empty".to_owned());
        }
        if trimmed.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err(format!(
                "invalid sdk_id {raw:?}: only printable ASCII goes into a header"
            ));
        }
        Ok(SdkId(trimmed.to_owned()))
    }
}

#[derive(Deserialize)]
#[serde(try_from = "String")]
struct FilePath(String);

impl TryFrom<String> for FilePath {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        if raw.trim().is_empty() {
            return Err("the file path is empty".to_owned());
        }
        Ok(FilePath(raw))
    }
}

/// An RFC 6901 JSON pointer to a member inside an identity (not the whole
/// identity).
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct JsonPointer(String);

impl TryFrom<String> for JsonPointer {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("the JSON pointer is empty; give one like /metadata_admin/yoti/issuance_token".to_owned());
        }
        crate::diff::parse_pointer(&raw).map_err(|err| err.to_string())?;
        Ok(JsonPointer(raw))
    }
}

/// Whole seconds, more than zero and at most an hour.
#[derive(Deserialize)]
#[serde(try_from = "i64")]
struct Seconds(Duration);

impl TryFrom<i64> for Seconds {
    type Error = String;

    fn try_from(secs: i64) -> Result<Self, String> {
        match u64::try_from(secs) {
            Ok(secs) if (1..=MAX_TIMEOUT_SECS).contains(&secs) => Ok(Seconds(Duration::from_secs(secs))),
            _ => Err(format!(
                "invalid timeout {secs}: give whole seconds from 1 to {MAX_TIMEOUT_SECS}"
            )),
        }
    }
}

/// Checks one static header as HTTP allows it.
fn check_header(name: &str, value: &str) -> Result<(), String> {
    if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("invalid header name {name:?}"));
    }
    if reqwest::header::HeaderValue::from_str(value).is_err() {
        // The value may be a secret: name the header, not the value.
        return Err(format!(
            "invalid value for header {name:?}: only visible ASCII and spaces are allowed"
        ));
    }
    Ok(())
}

/// The name of an environment variable (the token itself never sits in the file).
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct EnvVarName(String);

impl TryFrom<String> for EnvVarName {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let valid = !raw.is_empty()
            && !raw.starts_with(|c: char| c.is_ascii_digit())
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            Ok(EnvVarName(raw))
        } else {
            // Not echoed: someone may have pasted the token itself here.
            Err("invalid bearer_token_env: give the NAME of an environment variable \
                 (letters, digits, _), not the token"
                .to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        // After "bé " (4 bytes, 3 characters).
        assert_eq!(line_and_column(text, 10), (2, 4));
    }

    #[test]
    fn home_is_expanded_and_relative_paths_anchor_at_the_config() {
        let resolved = resolve_file("keys/a.pem", Path::new("/etc/idcon"));
        assert_eq!(resolved, PathBuf::from("/etc/idcon/keys/a.pem"));
        let abs = resolve_file("/k.pem", Path::new("/etc/idcon"));
        assert_eq!(abs, PathBuf::from("/k.pem"));
    }

    #[test]
    fn sessions_and_recovery_sit_beside_the_identities_api_unless_set() {
        assert_eq!(
            sibling_path("/admin/identities", "sessions", DEFAULT_SESSIONS_PATH),
            "/admin/sessions"
        );
        assert_eq!(
            sibling_path("/iam/identities/", "recovery", DEFAULT_RECOVERY_PATH),
            "/iam/recovery"
        );
        assert_eq!(
            sibling_path("/identities", "sessions", DEFAULT_SESSIONS_PATH),
            "/sessions"
        );
        assert_eq!(
            sibling_path("/people", "sessions", DEFAULT_SESSIONS_PATH),
            "/admin/sessions"
        );
        let text = "[profiles.a]\nbase_url = \"https://x.example\"\nidentities_path = \"/iam/identities\"\n\
                    recovery_path = \"/support/recovery\"\n";
        let Ok(config) = parse_config(text, Path::new("/etc/idcon/config.toml")) else {
            panic!("the config reads")
        };
        let overrides = Overrides {
            profile: Some("a".to_owned()),
            ..Overrides::default()
        };
        let Ok(profile) = build_profile(config.profile("a"), Some(&config), &overrides) else {
            panic!("the profile builds")
        };
        assert_eq!(profile.sessions_path, "/iam/sessions");
        assert_eq!(profile.recovery_path, "/support/recovery");
        let Err(err) = parse_config(
            "[profiles.a]\nbase_url = \"https://x.example\"\nsessions_path = \"sessions\"\n",
            Path::new("c.toml"),
        ) else {
            panic!("a relative sessions_path was accepted")
        };
        assert!(err.to_string().contains("c.toml:3:17"), "{err}");
    }

    #[test]
    fn api_paths_lose_trailing_slashes_and_refuse_dot_segments() {
        assert_eq!(
            ApiPath::try_from("/iam/identities/".to_owned()).map(|p| p.0),
            Ok("/iam/identities".to_owned())
        );
        assert!(ApiPath::try_from("/a/../b".to_owned()).is_err());
        assert!(ApiPath::try_from("admin".to_owned()).is_err());
        assert!(ApiPath::try_from("/a b".to_owned()).is_err());
    }
}
