//! `idcon` with no subcommand: the interactive console for the selected
//! profile. Also used by `idcon demo` once its server runs.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::api::{Client, IdentityFilter, IdentityQuery, PageCursor};
use crate::app::attribute::AttributeRequest;
use crate::app::doc::{StyledLine, Tone};
use crate::app::review::{ResponseView, WriteOutcome, WriteRequest, response_view};
use crate::app::{LoadedPage, ProfileInfo};
use crate::audit::AuditLog;
use crate::config::Overrides;
use crate::config::{self, Profile};
use crate::tui::{self, IdentitySource};
use crate::write::{self, Freshness, WriteError};

/// Opens the console for the profile the flags and config select.
pub fn run(global: &Overrides) -> anyhow::Result<ExitCode> {
    let profile = match config::resolve_profile(global) {
        Ok(profile) => profile,
        // The first thing a new user meets: the error and what to do next.
        Err(err) => return Ok(super::script::report(&super::script::Failure::config(&err), false)),
    };
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
        require_reason: profile.require_reason,
    };
    // Without a trail the console still reads; every write is refused with
    // this reason. The trail's warnings (syslog unreachable) are shown with
    // the next write's answer.
    let audit = crate::audit::require(&profile).map_err(|err| err.to_string());
    match &audit {
        Ok(required) => {
            for warning in &required.warnings {
                tracing::warn!("audit trail: {warning}");
            }
        }
        Err(problem) => tracing::warn!("audit trail unavailable, writes will be refused: {problem}"),
    }
    let services: tui::Services = Arc::new(ClientSource {
        client,
        audit: audit.map(|required| required.log),
        audit_warnings_shown: Arc::new(AtomicUsize::new(0)),
        schemas: Arc::new(SchemaSource::default()),
    });
    tui::run(info, services).await
}

/// The console's requests, made with the API client. Errors become one line
/// for the status bar, sanitised there by the app.
struct ClientSource {
    client: Client,
    /// Every write is recorded here first; `Err` holds why the trail cannot be
    /// written, and then no write is sent.
    audit: Result<Arc<AuditLog>, String>,
    /// How many of the trail's warnings the console has shown: each is shown
    /// once, with the answer of the write after it arose.
    audit_warnings_shown: Arc<AtomicUsize>,
    schemas: Arc<SchemaSource>,
}

/// Most schemas loaded one by one from `schema_url` in a run: a server that
/// gives every identity its own schema id must not make the console fetch
/// without end.
const MAX_SCHEMAS_BY_URL: usize = 64;

/// The identity schemas for the console. First the server's list
/// ([`Client::list_schemas`], which follows Kratos's redirect to the public
/// port or reads `public_url`). When that fails, the app asks again for the
/// schemas its identities use, and each is loaded from the `schema_url` of an
/// identity seen with it ([`Client::get_schema_at`]: http(s) only, no
/// credentials unless it is the profile's origin), each once.
#[derive(Debug, Default)]
pub struct SchemaSource {
    state: Mutex<SchemaCache>,
}

#[derive(Debug, Default)]
struct SchemaCache {
    /// The list could not be read: schemas come from `schema_url`.
    list_failed: bool,
    /// Schema id -> the `schema_url` of the first identity seen with it.
    urls: HashMap<String, String>,
    /// Schema ids already fetched or tried (each once).
    tried: HashSet<String>,
    /// What was loaded by URL.
    loaded: Vec<(String, Value)>,
}

impl SchemaSource {
    fn cache(&self) -> std::sync::MutexGuard<'_, SchemaCache> {
        // A panic elsewhere while holding the lock leaves plain data behind.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Remembers the `schema_url` of each identity's schema id (the first
    /// one seen wins), for when the list cannot be read.
    pub fn note<'a>(&self, identities: impl IntoIterator<Item = &'a Value>) {
        let mut cache = self.cache();
        for identity in identities {
            let (Some(id), Some(url)) = (
                identity.get("schema_id").and_then(Value::as_str),
                identity.get("schema_url").and_then(Value::as_str),
            ) else {
                continue;
            };
            if !cache.urls.contains_key(id) && cache.urls.len() < MAX_SCHEMAS_BY_URL {
                cache.urls.insert(id.to_owned(), url.to_owned());
            }
        }
    }

    /// The server's list; once that has failed, every schema loaded by URL
    /// so far (new ones fetched first). `Err` only when the list fails.
    pub async fn load(&self, client: &Client) -> Result<Vec<(String, Value)>, String> {
        if !self.cache().list_failed {
            match client.list_schemas().await {
                Ok(response) => return Ok(response.value.into_iter().map(|s| (s.id, s.schema)).collect()),
                Err(err) => {
                    self.cache().list_failed = true;
                    return Err(line(err));
                }
            }
        }
        let todo: Vec<(String, String)> = {
            let mut cache = self.cache();
            let todo: Vec<(String, String)> = cache
                .urls
                .iter()
                .filter(|(id, _)| !cache.tried.contains(*id))
                .map(|(id, url)| (id.clone(), url.clone()))
                .collect();
            cache.tried.extend(todo.iter().map(|(id, _)| id.clone()));
            todo
        };
        let fetched = futures::future::join_all(todo.into_iter().map(|(id, url)| async move {
            let result = client.get_schema_at(&url).await;
            (id, result)
        }))
        .await;
        let mut cache = self.cache();
        for (id, result) in fetched {
            match result {
                Ok(response) => cache.loaded.push((id, response.value)),
                Err(err) => tracing::warn!(
                    schema = %crate::sanitize::for_display(&id),
                    "identity schema unavailable from its schema_url: {}",
                    line(err)
                ),
            }
        }
        Ok(cache.loaded.clone())
    }
}

/// An error as the status line shows it (the app sanitises it there).
fn line(err: impl std::fmt::Display) -> String {
    crate::text::single_line(&err.to_string())
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
        let schemas = Arc::clone(&self.schemas);
        async move { schemas.load(&client).await }.boxed()
    }

    fn page(&self, cursor: Option<PageCursor>, page_size: u32) -> BoxFuture<'static, Result<LoadedPage, String>> {
        let client = self.client.clone();
        let schemas = Arc::clone(&self.schemas);
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
            schemas.note(&items);
            Ok(LoadedPage {
                items,
                next: response.value.next,
            })
        }
        .boxed()
    }

    fn search(&self, query: String) -> BoxFuture<'static, Result<Vec<Value>, String>> {
        let client = self.client.clone();
        let schemas = Arc::clone(&self.schemas);
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
            schemas.note(&found);
            Ok(found)
        }
        .boxed()
    }

    fn identity(&self, id: String) -> BoxFuture<'static, Result<Value, String>> {
        let client = self.client.clone();
        let schemas = Arc::clone(&self.schemas);
        async move {
            let identity = client.get_identity(&id).await.map(raw_identity).map_err(line)?;
            schemas.note([&identity]);
            Ok(identity)
        }
        .boxed()
    }

    fn sessions(
        &self,
        identity_id: String,
        active_only: bool,
        page: u32,
    ) -> BoxFuture<'static, Result<crate::api::sessions::SessionPage, String>> {
        let client = self.client.clone();
        async move {
            let query = crate::api::sessions::SessionQuery {
                // Kratos's `active=true`: flag set and not expired
                // (session/handler.go adminListIdentitySessions).
                active: active_only.then_some(true),
                per_page: crate::app::sessions::PAGE_SIZE,
            };
            client
                .list_identity_sessions(&identity_id, &query, page)
                .await
                .map(|response| response.value)
                .map_err(line)
        }
        .boxed()
    }

    fn session_write(
        &self,
        request: crate::app::sessions::SessionWriteRequest,
    ) -> BoxFuture<'static, Result<String, String>> {
        let client = self.client.clone();
        let audit = self.audit.clone();
        async move { session_write(&client, audit, request).await }.boxed()
    }

    fn credential_write(
        &self,
        request: crate::app::credential_removal::CredentialWriteRequest,
    ) -> BoxFuture<'static, Result<String, String>> {
        let client = self.client.clone();
        let audit = self.audit.clone();
        async move { crate::commands::credentials::console_write(&client, audit, request).await }.boxed()
    }

    fn delete_identity(
        &self,
        order: crate::app::delete::DeleteOrder,
    ) -> BoxFuture<'static, Result<crate::app::delete::DeleteAnswer, String>> {
        let client = self.client.clone();
        let audit = self.audit.clone();
        async move { crate::commands::delete::console_delete(&client, audit, order).await }.boxed()
    }

    fn create_identity(
        &self,
        order: crate::app::create::CreateOrder,
    ) -> BoxFuture<'static, Result<crate::app::create::CreateAnswer, String>> {
        let client = self.client.clone();
        let audit = self.audit.clone();
        async move { console_create(&client, audit, order).await }.boxed()
    }

    fn create_recovery(
        &self,
        order: crate::app::recovery::RecoveryOrder,
    ) -> BoxFuture<'static, crate::app::recovery::RecoveryDone> {
        let client = self.client.clone();
        let audit = self.audit.clone();
        async move { create_recovery(&client, audit, order).await }.boxed()
    }

    fn write(&self, request: WriteRequest) -> BoxFuture<'static, WriteOutcome> {
        let client = self.client.clone();
        let audit = self.audit.clone();
        let shown = Arc::clone(&self.audit_warnings_shown);
        async move {
            let id = request.identity_id.clone();
            // Kratos has no If-Match: this fresh read is the only guard
            // against overwriting someone else's change.
            match write::check_fresh(&client, &request).await {
                Ok(Freshness::Unchanged) => {}
                Ok(Freshness::Changed { server_changes, latest }) => {
                    if let Ok(log) = &audit
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
            let log = match &audit {
                Ok(log) => log,
                Err(problem) => return not_audited(problem),
            };
            match write::send(&client, Some(log), &request).await {
                Ok(result) => {
                    let mut response = response_view(&result.exchange, Some(id));
                    crate::app::review::note_verification(&mut response, &result.verification);
                    note_audit_warnings(&mut response, log, &shown, result.audit_warning.as_deref());
                    WriteOutcome::Answered {
                        response,
                        identity: Some(result.identity.raw),
                    }
                }
                Err(WriteError::Api(err)) => match err.exchange() {
                    Some(exchange) => {
                        let mut response = response_view(exchange, Some(id));
                        note_audit_warnings(&mut response, log, &shown, None);
                        WriteOutcome::Answered {
                            response,
                            identity: None,
                        }
                    }
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
            let Ok(log) = audit else {
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
            if let Err(err) = crate::audit::on_blocking_pool(&log, move |log| log.refusal(&refusal)).await {
                tracing::warn!("cannot record a refusal in the audit trail: {err}");
            }
        }
        .boxed()
    }

    fn audit_lines(&self, identity_id: String) -> BoxFuture<'static, Result<Vec<String>, String>> {
        let audit = self.audit.clone();
        async move {
            let log = audit?;
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
        let shown = Arc::clone(&self.audit_warnings_shown);
        async move {
            let log = match &audit {
                Ok(log) => log,
                Err(problem) => return not_audited(problem),
            };
            // Who and why, as the review showed them, for the audit lines.
            let context = crate::registry::UpdateContext {
                identity_id: Some(request.identity_id.clone()),
                identifier: request.identifier.clone(),
                reason: request.reason.clone(),
            };
            match crate::registry::send_attribute_update_for(&client, Some(log), &request.update, &context).await {
                Ok(result) => {
                    let mut response =
                        crate::app::review::registry_response_view(&result.exchange, &request.identity_id);
                    note_audit_warnings(&mut response, log, &shown, result.audit_warning.as_deref());
                    WriteOutcome::Answered {
                        response,
                        identity: None,
                    }
                }
                Err(err) => match err.exchange() {
                    Some(exchange) => {
                        let mut response = crate::app::review::registry_response_view(exchange, &request.identity_id);
                        note_audit_warnings(&mut response, log, &shown, None);
                        WriteOutcome::Answered {
                            response,
                            identity: None,
                        }
                    }
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

/// A write refused because no audit trail can record it.
fn not_audited(problem: &str) -> WriteOutcome {
    WriteOutcome::Failed {
        error: format!("not sent: {problem}"),
        response: None,
    }
}

/// Puts what the audit trail has to say on the answer's screen, where the
/// person who just wrote sees it: the trail's warnings not shown yet
/// (syslog unreachable, since the start or since the last write) and this
/// write's own (`outcome` not recorded).
fn note_audit_warnings(view: &mut ResponseView, log: &AuditLog, shown: &AtomicUsize, this_write: Option<&str>) {
    let all = log.warnings();
    let from = shown.swap(all.len(), Ordering::Relaxed).min(all.len());
    let mut warnings: Vec<&str> = all[from..].iter().map(String::as_str).collect();
    warnings.extend(this_write);
    if warnings.is_empty() {
        return;
    }
    for warning in &warnings {
        tracing::warn!("audit trail: {warning}");
    }
    let at = view.lines.len().min(4);
    let mut notes = vec![StyledLine::default(), StyledLine::toned(Tone::Heading, "Audit trail")];
    notes.extend(
        warnings
            .into_iter()
            .map(|warning| StyledLine::toned(Tone::Bad, crate::sanitize::for_display(warning).into_owned())),
    );
    view.lines.splice(at..at, notes);
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

/// Makes a recovery link or code from the console through the commands'
/// audited path, as `idcon recovery` does (`commands::sessions::
/// send_audited`: the intent, with the expiry asked for, on disk before
/// anything is sent; the outcome after, with the answer's `expires_at`;
/// never the secret). The client refuses a read-only profile before signing
/// and hands back the exchange with the secret `<redacted>`; failures are
/// said in plain words (`api::recovery::explain_failure`).
/// `n` on the list: the password goes into the body here (hashed with
/// argon2id on a blocking thread first when asked), then the `POST` between
/// its audit lines, worded as `idcon create` words them
/// (`commands::create::review_changes`: "password: set", never the value).
/// A 409 is explained by looking the identifiers up (`explain_conflict`).
async fn console_create(
    client: &Client,
    audit: Result<Arc<AuditLog>, String>,
    order: crate::app::create::CreateOrder,
) -> Result<crate::app::create::CreateAnswer, String> {
    use crate::app::create::CreateAnswer;
    use crate::commands::create::{PasswordSource, review_changes};
    use crate::commands::sessions::{AuditedWrite, send_audited};
    let log = audit.map_err(|why| format!("the audit trail cannot be written ({why}): nothing was sent"))?;
    let mut body = order.body.clone();
    let source = match (&order.password, order.hash_here) {
        // A PHC hash to import, checked on the form as `idcon create
        // --password-hash-stdin` checks it.
        (None, _) if order.password_hash.is_some() => {
            let hash = order.password_hash.as_ref().map(|h| h.0.clone()).unwrap_or_default();
            body["credentials"] = serde_json::json!({"password": {"config": {"hashed_password": hash}}});
            Some(PasswordSource::Imported)
        }
        (None, _) => None,
        (Some(password), true) => {
            let plain = password.clone();
            let hashed = tokio::task::spawn_blocking(move || crate::hashes::hash_password_argon2id(&plain.0))
                .await
                .map_err(|err| format!("hashing stopped: {err}; nothing was sent"))?
                .map_err(|err| format!("hashing failed: {}; nothing was sent", line(err)))?;
            body["credentials"] = serde_json::json!({"password": {"config": {"hashed_password": hashed}}});
            Some(PasswordSource::HashedHere)
        }
        (Some(password), false) => {
            body["credentials"] = serde_json::json!({"password": {"config": {"password": password.0}}});
            Some(PasswordSource::Plaintext)
        }
    };
    let write = AuditedWrite {
        identity_id: None,
        identifier: order.identifier.clone(),
        why: order.why.clone(),
        changes: review_changes(&body, source),
    };
    let prepared = client.prepare_create_identity(&body).map_err(line)?;
    let sent = send_audited(
        client,
        Some(&log),
        &prepared,
        &write,
        client.send_create_identity(&prepared),
    )
    .await;
    match sent {
        Ok(done) => {
            let status = done.response.exchange.status;
            let response = response_view(&done.response.exchange, Some(done.response.value.id.clone()));
            Ok(CreateAnswer::Created {
                identity: raw_identity(done.response),
                status,
                request_id: prepared.request_id,
                response: Some(Box::new(response)),
            })
        }
        Err(WriteError::Api(err)) if err.status() == Some(409) => Ok(CreateAnswer::Conflict(
            client.explain_conflict(&body, order.hints.as_ref()).await,
        )),
        Err(err) => Err(line(err)),
    }
}

async fn create_recovery(
    client: &Client,
    audit: Result<Arc<AuditLog>, String>,
    order: crate::app::recovery::RecoveryOrder,
) -> crate::app::recovery::RecoveryDone {
    use crate::api::recovery::{ExpiresIn, explain_failure};
    use crate::app::recovery::RecoveryDone;
    use crate::commands::sessions::{AuditedWrite, send_audited};
    let identity_id = order.request.identity_id.clone();
    let failed = |error: String, response: Option<ResponseView>| RecoveryDone {
        identity_id: identity_id.clone(),
        result: Err(error),
        response,
        audit_warning: None,
    };
    let log = match audit {
        Ok(log) => log,
        Err(why) => {
            return failed(
                format!("the audit trail cannot be written ({why}): nothing was sent"),
                None,
            );
        }
    };
    let kind = order.request.kind;
    let write = AuditedWrite {
        identity_id: Some(identity_id.clone()),
        identifier: order.identifier.clone(),
        why: order.why.clone(),
        changes: vec![crate::diff::Change {
            pointer: format!("/recovery/{kind}"),
            old: None,
            new: Some(serde_json::json!({
                "expires_in": order.request.expires_in.as_ref().map(ExpiresIn::as_str),
            })),
        }],
    };
    let prepared = match client.prepare_create_recovery(&order.request) {
        Ok(prepared) => prepared,
        Err(err) => return failed(line(err), None),
    };
    let sending = client.send_create_recovery(&prepared, kind);
    match send_audited(client, Some(&log), &prepared, &write, sending).await {
        Ok(done) => RecoveryDone {
            response: Some(response_view(&done.response.exchange, Some(identity_id.clone()))),
            result: Ok(done.response.value),
            identity_id,
            audit_warning: done.audit_warning,
        },
        Err(WriteError::Api(err)) => {
            // The command's flags, said as the screen's keys.
            let said = explain_failure(&err, &order.request)
                .map(|said| {
                    said.replace("(without --code)", "(← on the choices)")
                        .replace("(--code)", "(→ on the choices)")
                })
                .unwrap_or_else(|| line(&err));
            let response = err.exchange().map(|e| response_view(e, Some(identity_id.clone())));
            failed(said, response)
        }
        Err(err) => failed(line(err), None),
    }
}

/// Sends a console session write through the commands' audited path
/// (`commands::sessions::send_audited`: the intent on disk before anything
/// is sent, the outcome after; session ids, never a token). The client
/// refuses a read-only profile before signing.
async fn session_write(
    client: &Client,
    audit: Result<Arc<AuditLog>, String>,
    request: crate::app::sessions::SessionWriteRequest,
) -> Result<String, String> {
    use crate::app::sessions::SessionWriteKind;
    use crate::commands::sessions::{AuditedWrite, send_audited};
    use crate::diff::Change;
    use serde_json::json;
    let log = audit.map_err(|why| format!("the audit trail cannot be written ({why}): nothing was sent"))?;
    let session_pointer = |id: &str, member: &str| format!("/sessions/{}/{member}", crate::diff::escape_token(id));
    let mut write = AuditedWrite {
        identity_id: Some(request.identity_id.clone()),
        identifier: request.identifier.clone(),
        why: request.why.clone(),
        changes: Vec::new(),
    };
    let short = |id: &str| id.chars().take(8).collect::<String>();
    let failed = |err: crate::write::WriteError| format!("{err}");
    match &request.kind {
        SessionWriteKind::Revoke { session_id } => {
            write.changes = vec![Change {
                pointer: session_pointer(session_id, "active"),
                old: Some(json!(request.session.as_ref().map(|s| s.active))),
                new: Some(json!(false)),
            }];
            let prepared = client.prepare_revoke_session(session_id).map_err(line)?;
            let sending = async {
                client
                    .send_revoke_session(&prepared)
                    .await
                    .map(|exchange| crate::api::Response { value: (), exchange })
            };
            let done = send_audited(client, Some(&log), &prepared, &write, sending)
                .await
                .map_err(failed)?;
            Ok(format!(
                "Revoked session {}: HTTP {}{}",
                short(session_id),
                done.response.exchange.status,
                warning(done.audit_warning.as_deref())
            ))
        }
        SessionWriteKind::RevokeAll => {
            write.changes = vec![Change {
                pointer: "/sessions".to_owned(),
                old: None,
                new: Some(json!("all revoked")),
            }];
            let prepared = client
                .prepare_revoke_identity_sessions(&request.identity_id)
                .map_err(line)?;
            let sending = client.send_revoke_identity_sessions(&prepared);
            let done = send_audited(client, Some(&log), &prepared, &write, sending)
                .await
                .map_err(failed)?;
            let what = match done.response.value {
                crate::api::sessions::RevokedAll::Revoked => "Revoked all sessions of this identity",
                crate::api::sessions::RevokedAll::NoneLeft => "This identity had no sessions left to revoke",
            };
            Ok(format!(
                "{what}: HTTP {}{}",
                done.response.exchange.status,
                warning(done.audit_warning.as_deref())
            ))
        }
        SessionWriteKind::Extend { session_id } => {
            write.changes = vec![Change {
                pointer: session_pointer(session_id, "expires_at"),
                old: Some(json!(request.session.as_ref().and_then(|s| s.expires_at.clone()))),
                new: Some(json!("now + the server's session lifespan")),
            }];
            let prepared = client.prepare_extend_session(session_id).map_err(line)?;
            let sending = client.send_extend_session(&prepared);
            let done = send_audited(client, Some(&log), &prepared, &write, sending)
                .await
                .map_err(failed)?;
            let until = done
                .response
                .value
                .as_ref()
                .and_then(|s| s.expires_at.clone())
                .map(|at| format!(", now expires {at}"))
                .unwrap_or_default();
            Ok(format!(
                "Extended session {}{until}: HTTP {}{}",
                short(session_id),
                done.response.exchange.status,
                warning(done.audit_warning.as_deref())
            ))
        }
    }
}

/// The audit trail's warning after a write that was made, for the status line.
fn warning(audit_warning: Option<&str>) -> String {
    audit_warning.map(|w| format!(" (warning: {w})")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::extract::{Request, State};
    use axum::http::StatusCode;
    use axum::response::IntoResponse as _;
    use serde_json::json;

    type Hits = Arc<Mutex<Vec<String>>>;

    /// A Kratos-like admin port whose schema list fails (a gateway that does
    /// not pass `/schemas`), with schemas only at their `schema_url`.
    async fn server() -> (String, Hits) {
        async fn handle(State(hits): State<Hits>, request: Request) -> axum::response::Response {
            let path = request.uri().path().to_owned();
            hits.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(path.clone());
            match path.as_str() {
                "/public/schemas/a" => axum::Json(json!({"type": "object"})).into_response(),
                _ => StatusCode::NOT_FOUND.into_response(),
            }
        }
        let hits: Hits = Arc::default();
        let app = Router::new().fallback(handle).with_state(Arc::clone(&hits));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (format!("http://{addr}"), hits)
    }

    #[test]
    fn audit_warnings_reach_the_answer_once_each() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("no-syslog-here");
        let log = AuditLog::open_with_syslog_socket(&dir.path().join("audit.jsonl"), Some(&socket)).expect("trail");
        assert_eq!(log.warnings().len(), 1, "syslog is unreachable");
        let shown = AtomicUsize::new(0);
        let text = |view: &ResponseView| -> String {
            view.lines
                .iter()
                .flat_map(|line| line.0.iter().map(|(_, text)| text.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        };

        let empty = || ResponseView {
            method: "PUT".into(),
            url: String::new(),
            request_id: String::new(),
            status: Some(200),
            reason: String::new(),
            elapsed_ms: 0,
            lines: Vec::new(),
            success: true,
            view: crate::app::text_view::TextView::new(true),
            identity_id: None,
        };
        let mut first = empty();
        note_audit_warnings(&mut first, &log, &shown, Some("the outcome was not recorded"));
        let first = text(&first);
        assert!(first.contains("Audit trail") && first.contains("syslog"), "{first}");
        assert!(first.contains("the outcome was not recorded"), "{first}");

        let mut second = empty();
        note_audit_warnings(&mut second, &log, &shown, None);
        assert!(second.lines.is_empty(), "each warning is shown once");
    }

    /// The console's attribute update goes to the registry with the
    /// review's reason and who it is for, recorded in the audit `intent`
    /// (`why`, `identifier`) as `idcon attribute update --reason` records
    /// them; the issuance token never reaches the trail.
    #[tokio::test]
    async fn an_attribute_update_records_the_reviewed_reason_in_its_intent() {
        let demo = crate::demo::start(crate::demo::DemoOptions::for_tests())
            .await
            .expect("demo");
        let mut profile = Profile::for_base_url("demo", url::Url::parse(&demo.base_url()).expect("base URL"));
        profile.sdk_id = Some(crate::demo::DEMO_SDK_ID.to_owned());
        profile.attribute_registry_url = Some(url::Url::parse(&demo.attribute_registry_url()).expect("registry URL"));
        let key = crate::signing::SigningKey::from_pem_str(crate::demo::DEMO_PRIVATE_KEY_PEM, "demo").expect("key");
        let options = crate::api::ClientOptions {
            signing_key: Some(key),
            ..Default::default()
        };
        let client = Client::with_options(&profile, options).expect("client");
        let page = client
            .list_identities(&IdentityQuery {
                page_size: Some(500),
                ..IdentityQuery::default()
            })
            .await
            .expect("list");
        let mut holder = None;
        for identity in &page.value.items {
            let stored = demo.identity(&identity.id).await.expect("stored identity");
            if let Some(token) = crate::registry::issuance_token_at(&stored, &profile.issuance_token_pointer) {
                holder = Some((identity.id.clone(), token));
                break;
            }
        }
        let (identity_id, token) = holder.expect("a demo identity with an issuance token");

        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = Arc::new(AuditLog::open(&path, false).expect("trail"));
        let source = ClientSource {
            client,
            audit: Ok(log),
            audit_warnings_shown: Arc::new(AtomicUsize::new(0)),
            schemas: Arc::new(SchemaSource::default()),
        };
        let request = AttributeRequest {
            identity_id: identity_id.clone(),
            update: crate::api::AttributeUpdate::new(token.clone(), "com.example.membership".into(), json!("gold")),
            identifier: Some("sofia.rossi@example.com".into()),
            reason: Some("SUP-4711 membership renewed by phone".into()),
        };
        let outcome = source.write_attribute(request).await;
        assert!(
            matches!(&outcome, WriteOutcome::Answered { response, .. } if response.success),
            "{outcome:?}"
        );
        let trail = std::fs::read_to_string(&path).expect("the trail");
        assert!(
            !trail.contains(&token),
            "the issuance token reached the trail:\n{trail}"
        );
        let intents: Vec<Value> = trail
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["event"] == "intent")
            .collect();
        assert_eq!(intents.len(), 1, "{trail}");
        assert_eq!(intents[0]["why"], "SUP-4711 membership renewed by phone", "{trail}");
        assert_eq!(intents[0]["identifier"], "sofia.rossi@example.com", "{trail}");
        assert_eq!(intents[0]["identity_id"], identity_id.as_str(), "{trail}");
        demo.stop().await;
    }

    #[tokio::test]
    async fn when_the_list_fails_each_schema_comes_from_a_schema_url_once() {
        let (base, hits) = server().await;
        let profile = Profile::for_base_url("t", url::Url::parse(&base).expect("base URL"));
        let client = Client::new(&profile).expect("client");
        let source = SchemaSource::default();
        let err = source.load(&client).await.expect_err("the list fails");
        assert!(err.contains("404"), "{err}");

        source.note(&[
            json!({"schema_id": "a", "schema_url": format!("{base}/public/schemas/a")}),
            json!({"schema_id": "a", "schema_url": format!("{base}/elsewhere/a")}),
            json!({"schema_id": "b", "schema_url": format!("{base}/public/schemas/b")}),
            json!({"schema_id": "c"}),
            json!({"schema_id": "d", "schema_url": "file:///etc/passwd"}),
        ]);
        let loaded = source.load(&client).await.expect("by URL");
        assert_eq!(loaded, vec![("a".to_owned(), json!({"type": "object"}))]);
        let again = source.load(&client).await.expect("again");
        assert_eq!(again, loaded, "what was loaded stays");

        let mut seen = hits.lock().expect("lock").clone();
        seen.sort();
        assert_eq!(
            seen,
            ["/public/schemas/a", "/public/schemas/b", "/schemas"],
            "the list once, each schema_url once, the first one seen, http(s) only"
        );
    }

    /// `n` with "hash here": the body the server gets holds an argon2id hash
    /// of the password typed and never the password; the audit trail has
    /// neither; the 201's identity comes back for the detail.
    #[tokio::test]
    async fn a_console_create_with_hash_here_sends_only_the_hash() {
        type Bodies = Arc<Mutex<Vec<Value>>>;
        async fn handle(State(bodies): State<Bodies>, request: Request) -> axum::response::Response {
            let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            bodies
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(body.clone());
            let identity = json!({
                "id": "5f0c2a9e-1b7d-4c3e-8a6f-0d1e2f3a4b5c",
                "schema_id": body["schema_id"],
                "state": body["state"],
                "traits": body["traits"],
            });
            (StatusCode::CREATED, axum::Json(identity)).into_response()
        }
        let bodies: Bodies = Arc::default();
        let app = Router::new().fallback(handle).with_state(Arc::clone(&bodies));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let profile = Profile::for_base_url("t", url::Url::parse(&format!("http://{addr}")).expect("base URL"));
        let client = Client::new(&profile).expect("client");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = Arc::new(AuditLog::open(&path, false).expect("trail"));
        let password = "Lovelace-1843-notes";
        let order = crate::app::create::CreateOrder {
            body: json!({"schema_id": "email", "state": "active", "traits": {"email": "ada@example.com"}}),
            password: Some(crate::app::forms::SecretString(password.to_owned())),
            hash_here: true,
            password_hash: None,
            identifier: Some("ada@example.com".into()),
            why: Some("HR-7".into()),
            hints: None,
        };
        let answer = console_create(&client, Ok(log), order).await;
        let Ok(crate::app::create::CreateAnswer::Created { identity, status, .. }) = answer else {
            panic!("{answer:?}")
        };
        assert_eq!(status, 201);
        assert_eq!(identity["traits"]["email"], "ada@example.com");
        let sent = bodies.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        assert_eq!(sent.len(), 1, "{sent:?}");
        let config = &sent[0]["credentials"]["password"]["config"];
        assert!(config.get("password").is_none(), "{config}");
        let hash = config["hashed_password"].as_str().unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
        let parsed = PasswordHash::new(hash).expect("a PHC string");
        assert!(
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        );
        assert!(!sent[0].to_string().contains(password));
        let trail = std::fs::read_to_string(&path).expect("the trail");
        assert!(!trail.contains(password) && !trail.contains(hash), "{trail}");
        assert!(trail.contains("/credentials/password"), "{trail}");
    }

    /// The create review says of the password what `idcon create` says.
    #[test]
    fn the_create_review_words_are_the_commands() {
        use crate::commands::create::PasswordSource;
        assert_eq!(crate::app::create::PLAINTEXT_WORDS, PasswordSource::Plaintext.words());
        assert_eq!(
            crate::app::create::HASHED_HERE_WORDS,
            PasswordSource::HashedHere.words()
        );
        assert_eq!(crate::app::create::IMPORTED_WORDS, PasswordSource::Imported.words());
    }
}
