//! `idcon` with no subcommand: the interactive console for the selected
//! profile. Also used by `idcon demo` once its server runs.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::api::{Client, IdentityFilter, IdentityQuery};
use crate::app::attribute::AttributeRequest;
use crate::app::list::PageCursor;
use crate::app::review::{WriteOutcome, WriteRequest, response_view};
use crate::app::{LoadedPage, ProfileInfo};
use crate::audit::AuditLog;
use crate::cli::GlobalArgs;
use crate::config::{self, Profile};
use crate::tui::{self, IdentitySource};
use crate::write::{self, Freshness, WriteError};

/// Opens the console for the profile the flags and config select.
pub fn run(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let profile = config::resolve_profile(global)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(open(profile))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the console against `profile` until the user quits.
pub async fn open(profile: Profile) -> anyhow::Result<()> {
    open_with_key(profile, None).await
}

/// Like [`open`], with a signing key given directly instead of the profile's
/// `key_file` (the demo's embedded key).
pub async fn open_with_key(profile: Profile, key: Option<crate::signing::SigningKey>) -> anyhow::Result<()> {
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        anyhow::bail!("the console needs a terminal; for scripts use the subcommands (see idcon --help)");
    }
    let log = crate::paths::init_file_logging();
    tracing::info!(profile = %profile.name, base_url = %profile.base_url, log = ?log, "console starting");
    let options = crate::api::ClientOptions {
        signing_key: key,
        ..Default::default()
    };
    let client = Client::with_options(&profile, options).with_context(|| format!("profile \"{}\"", profile.name))?;
    let info = ProfileInfo {
        name: profile.name.clone(),
        base_url: crate::sanitize::for_display(client.base_url()).into_owned(),
        read_only: profile.read_only,
        danger: profile.danger,
        identities_url: crate::sanitize::for_display(&client.identity_url(""))
            .trim_end_matches('/')
            .to_owned(),
        signing: client.is_signing(),
        attribute_registry_url: client
            .attribute_registry_url()
            .map(|u| crate::sanitize::for_display(u).into_owned())
            .unwrap_or_default(),
        attribute_registry: client.attribute_registry_url().is_some(),
        issuance_token_pointer: profile.issuance_token_pointer.clone(),
    };
    let audit = profile.audit_file.as_ref().map(|path| {
        AuditLog::open(path, profile.audit_syslog)
            .map(Arc::new)
            .map_err(|err| err.to_string())
    });
    if let Some(Err(problem)) = &audit {
        tracing::warn!("audit trail unavailable, writes will be refused: {problem}");
    }
    let services: tui::Services = Arc::new(ClientSource { client, audit });
    tui::run(info, services).await
}

/// The console's requests, made with the API client. Errors become one line
/// for the status bar, sanitised there by the app.
struct ClientSource {
    client: Client,
    /// Every write is recorded here first; `Err` holds why the trail cannot be
    /// written, and then no write is sent.
    audit: Option<Result<Arc<AuditLog>, String>>,
}

fn line(err: impl std::fmt::Display) -> String {
    err.to_string().replace(['\n', '\r'], " ")
}

/// The identity as the server sent it: the raw body of the exchange when it is
/// JSON (so the raw view shows exactly what came), else the parsed model.
fn raw_identity(response: crate::api::Response<crate::api::Identity>) -> Value {
    response
        .exchange
        .body_json()
        .filter(Value::is_object)
        .unwrap_or_else(|| serde_json::to_value(&response.value).unwrap_or(Value::Null))
}

fn looks_like_uuid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

impl IdentitySource for ClientSource {
    fn schemas(&self) -> BoxFuture<'static, Result<Vec<(String, Value)>, String>> {
        let client = self.client.clone();
        async move {
            let response = client.list_schemas().await.map_err(line)?;
            Ok(response.value.into_iter().map(|s| (s.id, s.schema)).collect())
        }
        .boxed()
    }

    fn page(&self, cursor: Option<PageCursor>, page_size: u32) -> BoxFuture<'static, Result<LoadedPage, String>> {
        let client = self.client.clone();
        async move {
            let response = match cursor {
                Some(cursor) => client.list_identities_from(&cursor).await,
                None => {
                    let query = IdentityQuery {
                        page_size: Some(page_size),
                        filter: IdentityFilter::All,
                    };
                    client.list_identities(&query).await
                }
            }
            .map_err(line)?;
            let items = match response.exchange.body_json() {
                Some(Value::Array(items)) => items,
                _ => response
                    .value
                    .items
                    .iter()
                    .filter_map(|i| serde_json::to_value(i).ok())
                    .collect(),
            };
            Ok(LoadedPage {
                items,
                next: response.value.next,
            })
        }
        .boxed()
    }

    fn search(&self, query: String) -> BoxFuture<'static, Result<Vec<Value>, String>> {
        let client = self.client.clone();
        async move {
            let by_identifier = IdentityQuery {
                page_size: Some(crate::app::PAGE_SIZE),
                filter: IdentityFilter::CredentialsIdentifier(query.clone()),
            };
            let mut found: Vec<Value> = match client.list_identities(&by_identifier).await {
                Ok(response) => match response.exchange.body_json() {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                },
                Err(err) if looks_like_uuid(&query) => {
                    tracing::info!("identifier search failed, trying the id: {err}");
                    Vec::new()
                }
                Err(err) => return Err(line(err)),
            };
            if looks_like_uuid(&query) {
                match client.get_identity(&query).await {
                    Ok(response) => {
                        let identity = raw_identity(response);
                        let id = identity.get("id").cloned();
                        if !found.iter().any(|f| f.get("id") == id.as_ref()) {
                            found.insert(0, identity);
                        }
                    }
                    Err(err) if err.is_not_found() => {}
                    Err(err) => return Err(line(err)),
                }
            }
            Ok(found)
        }
        .boxed()
    }

    fn identity(&self, id: String) -> BoxFuture<'static, Result<Value, String>> {
        let client = self.client.clone();
        async move { client.get_identity(&id).await.map(raw_identity).map_err(line) }.boxed()
    }

    fn write(&self, request: WriteRequest) -> BoxFuture<'static, WriteOutcome> {
        let client = self.client.clone();
        let audit = self.audit.clone();
        async move {
            let id = request.identity_id.clone();
            // Kratos has no If-Match: this fresh read is the only guard
            // against overwriting someone else's change.
            match write::check_fresh(&client, &request).await {
                Ok(Freshness::Unchanged) => {}
                Ok(Freshness::Changed { server_changes, latest }) => {
                    if let Some(Ok(log)) = audit.as_ref()
                        && let Err(err) =
                            write::record_refusal(log, &client, &request, "changed on the server since it was read")
                                .await
                    {
                        tracing::warn!("cannot record the refusal in the audit trail: {err}");
                    }
                    return WriteOutcome::Changed { latest, server_changes };
                }
                Err(err) => {
                    return WriteOutcome::Failed {
                        error: line(err),
                        response: None,
                    };
                }
            }
            let audit = match audit.as_ref() {
                Some(Ok(log)) => Some(log),
                Some(Err(problem)) => {
                    return WriteOutcome::Failed {
                        error: format!("not sent: the audit trail cannot be written ({problem})"),
                        response: None,
                    };
                }
                None => {
                    return WriteOutcome::Failed {
                        error: "not sent: every write is audited, and no audit_file could be found \
                                (set audit_file in the profile, or HOME / XDG_STATE_HOME)"
                            .into(),
                        response: None,
                    };
                }
            };
            match write::send(&client, audit, &request).await {
                Ok(result) => {
                    if let Some(warning) = &result.audit_warning {
                        tracing::warn!("{warning}");
                    }
                    let mut response = response_view(&result.exchange, Some(id));
                    crate::app::review::note_verification(&mut response, &result.verification);
                    WriteOutcome::Answered {
                        response,
                        identity: Some(result.identity.raw),
                    }
                }
                Err(WriteError::Api(err)) => match err.exchange() {
                    Some(exchange) => WriteOutcome::Answered {
                        response: response_view(exchange, Some(id)),
                        identity: None,
                    },
                    None => WriteOutcome::Failed {
                        error: line(err),
                        response: None,
                    },
                },
                Err(err) => WriteOutcome::Failed {
                    error: line(err),
                    response: None,
                },
            }
        }
        .boxed()
    }

    fn record_refusal(&self, identity_id: Option<String>, reason: String) -> BoxFuture<'static, ()> {
        let client = self.client.clone();
        let audit = self.audit.clone();
        async move {
            let Some(Ok(log)) = audit else {
                return;
            };
            let url = identity_id
                .as_deref()
                .map(|id| client.identity_url(id))
                .unwrap_or_default();
            let refusal = crate::audit::Refusal {
                target: crate::audit::Target::refused_put(&client, url, identity_id),
                changes: Vec::new(),
                reason,
            };
            let written = tokio::task::spawn_blocking(move || log.refusal(&refusal)).await;
            if !matches!(written, Ok(Ok(()))) {
                tracing::warn!("cannot record a refusal in the audit trail");
            }
        }
        .boxed()
    }

    fn audit_lines(&self, identity_id: String) -> BoxFuture<'static, Result<Vec<String>, String>> {
        let audit = self.audit.clone();
        async move {
            let log = match audit {
                Some(Ok(log)) => log,
                Some(Err(problem)) => return Err(problem),
                None => return Ok(Vec::new()),
            };
            let path = log.path().to_owned();
            let filter = crate::audit::Filter {
                identity: Some(identity_id),
                ..Default::default()
            };
            let entries = tokio::task::spawn_blocking(move || crate::audit::read_entries(&path, &filter))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            Ok(entries.iter().map(audit_line).collect())
        }
        .boxed()
    }

    fn write_attribute(&self, request: AttributeRequest) -> BoxFuture<'static, WriteOutcome> {
        let client = self.client.clone();
        let audit = self.audit.clone();
        async move {
            let audit = match audit.as_ref() {
                Some(Ok(log)) => Some(log),
                Some(Err(problem)) => {
                    return WriteOutcome::Failed {
                        error: format!("not sent: the audit trail cannot be written ({problem})"),
                        response: None,
                    };
                }
                None => {
                    return WriteOutcome::Failed {
                        error: "not sent: every write is audited, and no audit_file could be found \
                                (set audit_file in the profile, or HOME / XDG_STATE_HOME)"
                            .into(),
                        response: None,
                    };
                }
            };
            let identity = Some(request.identity_id.as_str());
            match crate::registry::send_attribute_update(&client, audit, &request.update, identity).await {
                Ok(result) => WriteOutcome::Answered {
                    response: crate::app::review::registry_response_view(&result.exchange, &request.identity_id),
                    identity: None,
                },
                Err(err) => match err.exchange() {
                    Some(exchange) => WriteOutcome::Answered {
                        response: crate::app::review::registry_response_view(exchange, &request.identity_id),
                        identity: None,
                    },
                    None => WriteOutcome::Failed {
                        error: line(&err),
                        response: None,
                    },
                },
            }
        }
        .boxed()
    }
}

/// One audit entry as a history line: when, who, what, and the outcome.
fn audit_line(entry: &crate::audit::Entry) -> String {
    let who = match (&entry.user, &entry.ssh_client) {
        (Some(user), Some(ssh)) => format!("{user} from {ssh}"),
        (Some(user), None) => user.clone(),
        (None, _) => "?".to_owned(),
    };
    let result = match (entry.event.as_str(), entry.status) {
        ("outcome", Some(status)) => status.to_string(),
        ("outcome", None) => entry.error.clone().unwrap_or_else(|| "no answer".to_owned()),
        ("refusal", _) => format!("refused: {}", entry.reason.clone().unwrap_or_default()),
        ("intent", _) => "sending".to_owned(),
        (event, _) => event.to_owned(),
    };
    let changed: Vec<&str> = entry.changes.iter().map(|c| c.pointer.as_str()).collect();
    let text = format!(
        "{}  {:<24} {:<8} {:<10} {}",
        entry.time,
        who,
        entry.event,
        result,
        changed.join(", ")
    );
    crate::sanitize::for_display(&text).into_owned()
}
