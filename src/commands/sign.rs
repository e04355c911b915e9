//! `idcon sign`: signs one request with the Yoti scheme and prints it, for
//! scripts and for reproducing a request by hand.
//!
//! Output formats:
//! - `json` (default): one line, `{"method", "url", "headers", "body", "message"}`.
//!   `body` is `null` without `--body-file`, the body text when it is UTF-8, and
//!   `{"base64": "..."}` when it is not (so a non-text body is never mangled and
//!   never mistaken for text).
//! - `curl`: a command for a POSIX shell (sh, bash, zsh) that sends the exact
//!   bytes that were signed. Every argument is single-quoted, and `--globoff`
//!   keeps curl from expanding `[..]` and `{..}` in the URL. A short printable
//!   UTF-8 body is inline (`--data-binary '...'`); a body that is large (over 64
//!   KiB, near the kernel's per-argument limit), starts with `@` (which curl would
//!   read as a file name) or holds control characters other than newline and tab
//!   is piped in: `printf '%s' '...' | curl ... --data-binary @-`, through
//!   `base64 -d` when it is not printable UTF-8. No body means no data option.
//!
//! The key, base URL and SDK id come from `--key`, `--base-url` and `--sdk-id`;
//! when `--key` or `--base-url` is missing, from the selected profile. Profile
//! headers and bearer tokens are not added: pass them with `--header`.
//!
//! Exit codes as for every command: 2 for a bad flag or input value (nothing
//! is signed), 1 for any other failure (the key, the config file).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};

use super::script;
use crate::config::Overrides;
use crate::signing::{self, SigningKey};

/// Methods the Yoti SDKs sign (the Python SDK refuses any other).
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Bodies larger than this are piped to curl instead of passed as one argument
/// (Linux refuses a single argument over 128 KiB).
const INLINE_BODY_LIMIT: usize = 64 * 1024;

/// A millisecond timestamp below this (~1973) is almost surely in seconds.
const SECONDS_NOT_MILLIS_BELOW: u64 = 100_000_000_000;

#[derive(Debug, Args)]
pub struct SignArgs {
    /// HTTP method: GET, POST, PUT, PATCH or DELETE.
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    pub method: String,

    /// Endpoint path relative to the base URL, signed as given (e.g. /attribute/update).
    #[arg(long, value_name = "PATH", allow_hyphen_values = true)]
    pub endpoint: String,

    /// Query parameter, repeatable; order is kept. Split at the first '=', so NAME
    /// cannot hold one. A repeated NAME keeps its first place and takes the last
    /// value, as in the Yoti SDKs.
    #[arg(long = "param", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub params: Vec<String>,

    /// Request body, read as raw bytes from FILE or from stdin with `-`. An empty
    /// file is an empty body, which is signed differently from no body.
    #[arg(long, value_name = "FILE|-")]
    pub body_file: Option<PathBuf>,

    /// Nonce to sign (default: a fresh UUID v4).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub nonce: Option<String>,

    /// Unix time in milliseconds to sign (default: now).
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub timestamp: Option<String>,

    /// Extra header 'Name: value', repeatable; may replace Content-Type or Accept.
    #[arg(long = "header", value_name = "'Name: value'", allow_hyphen_values = true)]
    pub headers: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object on one line.
    Json,
    /// A ready-to-paste curl command for a POSIX shell.
    Curl,
}

/// A signed request, ready to print in either format.
struct SignedOutput {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    message: String,
}

/// A bad flag or input value (exit 2, as for every command); any other
/// error (the key, the config) exits 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn usage(message: String) -> anyhow::Error {
    anyhow::Error::new(UsageError(message))
}

/// True for errors the user fixes by changing a flag's value.
fn is_usage(err: &anyhow::Error) -> bool {
    err.is::<UsageError>()
        || matches!(
            err.downcast_ref::<crate::config::ConfigError>(),
            Some(crate::config::ConfigError::BadFlag { .. })
        )
}

pub fn run(global: &Overrides, args: &SignArgs) -> anyhow::Result<ExitCode> {
    let built = build(global, args, &mut std::io::stdin().lock(), &mut |warning| {
        eprintln!("idcon: warning: {warning}");
    });
    let output = match built {
        Ok(output) => output,
        Err(err) if is_usage(&err) => {
            eprintln!("idcon: {}", script::one_line(&crate::text::error_line(&err)));
            return Ok(ExitCode::from(script::EXIT_USAGE));
        }
        Err(err) => return Err(err),
    };
    let text = match args.format {
        Format::Json => render_json(&output),
        Format::Curl => render_curl(&output),
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// Validates every input, then signs; `warn` hears about inputs that are valid
/// but probably not what the user meant.
fn build(
    global: &Overrides,
    args: &SignArgs,
    stdin: &mut dyn std::io::Read,
    warn: &mut dyn FnMut(String),
) -> anyhow::Result<SignedOutput> {
    let method = parse_method(&args.method)?;
    let endpoint = parse_endpoint(&args.endpoint)?;
    let params = args
        .params
        .iter()
        .map(|raw| parse_param(raw))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let extra_headers = args
        .headers
        .iter()
        .map(|raw| parse_header(raw))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let timestamp = match &args.timestamp {
        Some(raw) => parse_timestamp(raw)?,
        None => signing::now_millis(),
    };
    let nonce = match &args.nonce {
        Some(nonce) if nonce.is_empty() => return Err(usage("--nonce is empty; omit it for a fresh one".to_owned())),
        Some(nonce) => nonce.clone(),
        None => signing::fresh_nonce(),
    };

    let target = resolve_target(global)?;
    let base_url = target.base_url.as_str();
    let body = match &args.body_file {
        Some(path) => Some(read_body(path, stdin)?),
        None => None,
    };
    let key = SigningKey::from_pem_file(&target.key_file, target.insecure_key_permissions)?;

    warn_about_surprises(base_url, endpoint, &params, timestamp, warn);
    let signed = signing::sign_request(&key, &method, endpoint, &params, body.as_deref(), &nonce, timestamp);
    let mut headers = vec![(signing::DIGEST_HEADER.to_owned(), signed.digest.clone())];
    if let Some(sdk_id) = &target.sdk_id {
        if sdk_id.chars().any(char::is_control) {
            return Err(usage("--sdk-id holds control characters".to_owned()));
        }
        headers.push((signing::AUTH_ID_HEADER.to_owned(), sdk_id.clone()));
    }
    headers.extend([
        (signing::SDK_HEADER.to_owned(), signing::SDK_HEADER_VALUE.to_owned()),
        (
            signing::SDK_VERSION_HEADER.to_owned(),
            signing::SDK_VERSION_HEADER_VALUE.to_owned(),
        ),
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Accept".to_owned(), "application/json".to_owned()),
    ]);
    for (name, value) in extra_headers {
        match headers
            .iter_mut()
            .find(|(existing, _)| existing.eq_ignore_ascii_case(&name))
        {
            Some(slot) => *slot = (name, value),
            None => headers.push((name, value)),
        }
    }
    Ok(SignedOutput {
        method,
        url: format!("{base_url}{}", signed.path_and_query),
        headers,
        body,
        message: signed.message,
    })
}

/// Where to sign for: the key, the base URL and the SDK id.
struct Target {
    key_file: PathBuf,
    insecure_key_permissions: bool,
    base_url: String,
    sdk_id: Option<String>,
}

/// With `--key` and `--base-url` the config file is not read at all (scripts on
/// hosts without one, or with a broken one). Otherwise the profile fills in what
/// the flags leave out; flags still win.
fn resolve_target(global: &Overrides) -> anyhow::Result<Target> {
    if let (Some(key), Some(base_url)) = (&global.key, &global.base_url) {
        check_base_url(base_url)?;
        return Ok(Target {
            key_file: key.clone(),
            insecure_key_permissions: global.insecure_key_permissions,
            base_url: base_url.clone(),
            sdk_id: global.sdk_id.clone(),
        });
    }
    let profile = crate::config::resolve_profile_quietly(global)?;
    let key_file = match global.key.clone().or(profile.key_file) {
        Some(path) => path,
        None if profile.name == crate::config::FLAGS_PROFILE_NAME => {
            bail!("no signing key: pass --key FILE")
        }
        None => bail!(
            "no signing key: pass --key FILE or set key_file in profile \"{}\"",
            profile.name
        ),
    };
    // A flag is used verbatim, like the SDKs' base URL; a parsed profile URL
    // gains a trailing '/' that would double the endpoint's leading one.
    let base_url = match &global.base_url {
        Some(raw) => {
            check_base_url(raw)?;
            raw.clone()
        }
        None => profile.base_url.as_str().trim_end_matches('/').to_owned(),
    };
    Ok(Target {
        key_file,
        insecure_key_permissions: global.insecure_key_permissions || profile.insecure_key_permissions,
        base_url,
        sdk_id: global.sdk_id.clone().or(profile.sdk_id),
    })
}

fn parse_method(raw: &str) -> anyhow::Result<String> {
    let upper = raw.to_ascii_uppercase();
    if METHODS.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(usage(format!(
            "--method {raw:?}: the Yoti scheme signs only {}",
            METHODS.join(", ")
        )))
    }
}

fn parse_endpoint(raw: &str) -> anyhow::Result<&str> {
    if raw.chars().any(char::is_control) {
        return Err(usage(format!(
            "--endpoint {raw:?}: holds control characters, which no URL can carry"
        )));
    }
    Ok(raw)
}

fn parse_param(raw: &str) -> anyhow::Result<(String, String)> {
    let (name, value) = raw.split_once('=').ok_or_else(|| {
        usage(format!(
            "--param {raw:?}: expected NAME=VALUE (the value may be empty: NAME=)"
        ))
    })?;
    Ok((name.to_owned(), value.to_owned()))
}

/// `Name: value`, the name an HTTP token, the value free of line breaks.
fn parse_header(raw: &str) -> anyhow::Result<(String, String)> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| usage(format!("--header {raw:?}: expected 'Name: value'")))?;
    let name = name.trim();
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(is_token_char) {
        return Err(usage(format!("--header {raw:?}: {name:?} is not a valid header name")));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(usage(format!(
            "--header {raw:?}: the value holds control characters (line breaks?)"
        )));
    }
    if name.eq_ignore_ascii_case(signing::DIGEST_HEADER) {
        return Err(usage(format!(
            "--header {raw:?}: {} is computed by idcon",
            signing::DIGEST_HEADER
        )));
    }
    if name.eq_ignore_ascii_case(signing::AUTH_ID_HEADER) {
        return Err(usage(format!("--header {raw:?}: pass the SDK id with --sdk-id")));
    }
    Ok((name.to_owned(), value.to_owned()))
}

fn parse_timestamp(raw: &str) -> anyhow::Result<u64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(usage(format!(
            "--timestamp {raw:?}: expected Unix time in milliseconds, digits only (e.g. 1700000000000)"
        )));
    }
    raw.parse::<u64>()
        .map_err(|_| usage(format!("--timestamp {raw:?}: too large for Unix time in milliseconds")))
}

fn check_base_url(raw: &str) -> anyhow::Result<()> {
    // The URL parser silently drops tabs and newlines; the raw text is what is sent.
    if raw.chars().any(char::is_control) {
        return Err(usage(format!("--base-url {raw:?}: holds control characters")));
    }
    match url::Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(()),
        Ok(_) => Err(usage(format!(
            "--base-url {raw:?}: expected an http:// or https:// URL"
        ))),
        Err(err) => Err(usage(format!("--base-url {raw:?}: not a URL ({err})"))),
    }
}

/// A body that cannot be read is a bad `--body-file` value (exit 2), as a
/// file flag of `idcon update` is.
fn read_body(path: &Path, stdin: &mut dyn std::io::Read) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    if path == Path::new("-") {
        stdin
            .read_to_end(&mut body)
            .map_err(|err| usage(format!("--body-file -: cannot read the body from stdin: {err}")))?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut file| file.read_to_end(&mut body))
            .map_err(|err| usage(format!("--body-file: cannot read body file {}: {err}", path.display())))?;
    }
    Ok(body)
}

fn warn_about_surprises(
    base_url: &str,
    endpoint: &str,
    params: &[(String, String)],
    timestamp: u64,
    warn: &mut dyn FnMut(String),
) {
    if endpoint.contains('?') {
        warn(format!(
            "--endpoint {endpoint:?} already holds a '?'; like the Yoti SDKs, idcon appends \
             '?nonce=...' after it, giving two '?'. Pass query parameters with --param instead"
        ));
    }
    if !endpoint.starts_with('/') {
        warn(format!(
            "--endpoint {endpoint:?} does not start with '/'; it is appended to the base URL as is"
        ));
    } else if base_url.ends_with('/') {
        warn(format!(
            "--base-url ends with '/' and --endpoint starts with one: the URL has '//', \
             but only {endpoint:?} is signed"
        ));
    }
    for (index, (name, _)) in params.iter().enumerate() {
        if params[..index].iter().any(|(earlier, _)| earlier == name) {
            warn(format!(
                "--param {name:?} is given more than once; as in the Yoti SDKs the last value wins"
            ));
        } else if name == "nonce" || name == "timestamp" {
            warn(format!(
                "--param {name:?} is replaced by the signed {name}; use --{name} to choose it"
            ));
        }
    }
    if timestamp < SECONDS_NOT_MILLIS_BELOW {
        warn(format!(
            "--timestamp {timestamp} looks like seconds; the scheme uses milliseconds"
        ));
    }
}

fn render_json(output: &SignedOutput) -> String {
    let headers: Map<String, Value> = output
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    let body = match &output.body {
        None => Value::Null,
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => json!({ "base64": base64::engine::general_purpose::STANDARD.encode(bytes) }),
        },
    };
    let text = json!({
        "method": output.method,
        "url": output.url,
        "headers": headers,
        "body": body,
        "message": output.message,
    })
    .to_string();
    escape_c1_controls(&text)
}

/// serde_json escapes C0 controls but writes DEL and the C1 controls (U+0080 to
/// U+009F, which some UTF-8 terminals obey, e.g. U+009B as CSI) raw. They can only
/// sit inside JSON strings, where `\u00XX` means the same character.
fn escape_c1_controls(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if ('\u{7f}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Quotes one shell word: inside single quotes nothing is special but `'` itself.
pub fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The start of every curl command idcon prints. `--globoff` because curl
/// would otherwise expand `[1-2]` and `{a,b}` in the URL into several
/// requests, none of them the one that was signed.
pub const CURL_PREFIX: &str = "curl -sS --globoff";

fn render_curl(output: &SignedOutput) -> String {
    let mut command = format!("{CURL_PREFIX} -X {} {}", output.method, shell_quote(&output.url));
    for (name, value) in &output.headers {
        command.push_str(" \\\n  -H ");
        command.push_str(&shell_quote(&format!("{name}: {value}")));
    }
    let Some(body) = &output.body else {
        return command;
    };
    let printable_text = std::str::from_utf8(body)
        .ok()
        .filter(|text| !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
    match printable_text {
        Some(text) if body.len() <= INLINE_BODY_LIMIT && !text.starts_with('@') => {
            command.push_str(" \\\n  --data-binary ");
            command.push_str(&shell_quote(text));
            command
        }
        Some(text) => format!("printf '%s' {} | {command} \\\n  --data-binary @-", shell_quote(text)),
        None => format!(
            "printf '%s' {} | base64 -d | {command} \\\n  --data-binary @-",
            shell_quote(&base64::engine::general_purpose::STANDARD.encode(body))
        ),
    }
}
