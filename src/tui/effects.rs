//! Runs effects on tokio tasks and sends their results back as messages.
//! Every task can be cancelled (Esc) by its [`Task`] kind; writes and
//! refusals are awaited on quit, never aborted; drafts are saved in order by
//! one worker that quitting waits for.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::{AbortHandle, JoinHandle};

use crate::api::{IdentityFilter, IdentityQuery};
use crate::app::attribute::AttributeRequest;
use crate::app::forms::SecretString;
use crate::app::list::PageCursor;
use crate::app::review::{WriteOutcome, WriteRequest};
use crate::app::{Effect, LoadedPage, Msg, Task};
use crate::drafts::{Draft, DraftStore};

/// The requests the console makes, as the runtime needs them. Errors are
/// already worded for the status line. Implemented over the API client in
/// `commands::console`; a trait so the runtime does not depend on HTTP details.
pub trait IdentitySource: Send + Sync + 'static {
    fn schemas(&self) -> BoxFuture<'static, Result<Vec<(String, Value)>, String>>;
    fn page(&self, cursor: Option<PageCursor>, page_size: u32) -> BoxFuture<'static, Result<LoadedPage, String>>;
    /// Exact identifier search, plus the identity with that id when `query` is one.
    fn search(&self, query: String) -> BoxFuture<'static, Result<Vec<Value>, String>>;
    /// A page of the identities with a credential identifier starting with
    /// `prefix` (`preview_credentials_identifier_similar`), from `cursor`
    /// or, without one, the first page. The next pages' cursors repeat the
    /// parameter (Kratos's keyset `Link`), so by default this is a plain
    /// page request.
    fn similar(
        &self,
        prefix: String,
        cursor: Option<PageCursor>,
        page_size: u32,
    ) -> BoxFuture<'static, Result<LoadedPage, String>> {
        let cursor = cursor.unwrap_or_else(|| {
            IdentityQuery {
                page_size: Some(page_size),
                filter: IdentityFilter::SimilarIdentifier(prefix),
            }
            .params()
        });
        self.page(Some(cursor), page_size)
    }
    fn identity(&self, id: String) -> BoxFuture<'static, Result<Value, String>>;
    /// Page `page` (from 0) of an identity's sessions, `PAGE_SIZE` a page,
    /// only the active ones when `active_only`. Sources without sessions
    /// say so.
    fn sessions(
        &self,
        identity_id: String,
        active_only: bool,
        page: u32,
    ) -> BoxFuture<'static, Result<crate::api::sessions::SessionPage, String>> {
        let _ = (identity_id, active_only, page);
        Box::pin(async { Err("this console cannot read sessions".to_owned()) })
    }
    /// Revokes or extends sessions (signed, audited, read-only refused);
    /// what happened in words, or why it failed.
    fn session_write(
        &self,
        request: crate::app::sessions::SessionWriteRequest,
    ) -> BoxFuture<'static, Result<String, String>> {
        let _ = request;
        Box::pin(async { Err("this console cannot change sessions".to_owned()) })
    }
    /// Removes a credential or marks an address verified (read again,
    /// signed, audited, read-only refused); what happened in words, or why
    /// it failed.
    fn credential_write(
        &self,
        request: crate::app::credential_removal::CredentialWriteRequest,
    ) -> BoxFuture<'static, Result<String, String>> {
        let _ = request;
        Box::pin(async { Err("this console cannot change credentials".to_owned()) })
    }
    /// Reads the identity again and deletes it when what would be lost is
    /// unchanged (signed, audited with the redacted snapshot, read-only
    /// refused).
    fn delete_identity(
        &self,
        order: crate::app::delete::DeleteOrder,
    ) -> BoxFuture<'static, Result<crate::app::delete::DeleteAnswer, String>> {
        let _ = order;
        Box::pin(async { Err("this console cannot delete identities".to_owned()) })
    }
    /// Adds the password (hashed here first when asked) and creates the
    /// identity (signed, audited like `idcon create`, read-only refused); a
    /// 409 comes back explained.
    fn create_identity(
        &self,
        order: crate::app::create::CreateOrder,
    ) -> BoxFuture<'static, Result<crate::app::create::CreateAnswer, String>> {
        let _ = order;
        Box::pin(async { Err("this console cannot create identities".to_owned()) })
    }
    /// Makes a recovery link or code (signed, audited, read-only refused).
    /// The secret comes back in the answer only: never logged, and the
    /// exchange handed back has it `<redacted>`.
    fn create_recovery(
        &self,
        order: crate::app::recovery::RecoveryOrder,
    ) -> BoxFuture<'static, crate::app::recovery::RecoveryDone> {
        let identity_id = order.request.identity_id;
        Box::pin(async move {
            crate::app::recovery::RecoveryDone {
                identity_id,
                result: Err("this console cannot make recovery links".to_owned()),
                response: None,
                audit_warning: None,
            }
        })
    }
    /// Fetches the identity again and sends the PUT when it is unchanged (or
    /// when the request says overwrite), with the audit trail around it.
    fn write(&self, request: WriteRequest) -> BoxFuture<'static, WriteOutcome>;
    /// The audit trail's lines about one identity, worded for the history view.
    fn audit_lines(&self, identity_id: String) -> BoxFuture<'static, Result<Vec<String>, String>>;
    /// Sends an attribute-registry update (read-only check, audit trail).
    fn write_attribute(&self, request: AttributeRequest) -> BoxFuture<'static, WriteOutcome>;
    /// Records a write refused before anything was signed.
    fn record_refusal(&self, identity_id: Option<String>, reason: String) -> BoxFuture<'static, ()>;
}

/// What the runtime talks to.
pub type Services = Arc<dyn IdentitySource>;

/// How long a changed form waits before it is saved as a draft: drafts are
/// saved at most once a second while a form changes.
pub const DRAFT_INTERVAL: Duration = Duration::from_secs(1);

/// One change to the drafts folder, done in the order asked.
enum DraftOp {
    List,
    Save(Box<Draft>),
    Remove(String),
}

/// The task that reads and writes drafts (small blocking file work), one
/// change at a time so a save never overtakes the removal after it.
struct DraftWorker {
    queue: Option<mpsc::UnboundedSender<DraftOp>>,
    handle: Option<JoinHandle<()>>,
}

impl DraftWorker {
    fn start(store: Option<DraftStore>, profile: String, tx: UnboundedSender<Msg>) -> Self {
        let (queue, mut ops) = mpsc::unbounded_channel::<DraftOp>();
        let store = store.map(Arc::new);
        let handle = tokio::spawn(async move {
            while let Some(op) = ops.recv().await {
                let store = store.clone();
                let profile = profile.clone();
                let done = tokio::task::spawn_blocking(move || apply(store.as_deref(), &profile, op)).await;
                if let Ok(Some(listed)) = done {
                    // The receiver is gone only when the console is closing.
                    let _ = tx.send(Msg::DraftsListed(listed));
                }
            }
        });
        Self {
            queue: Some(queue),
            handle: Some(handle),
        }
    }

    fn push(&self, op: DraftOp) {
        if let Some(queue) = self.queue.as_ref() {
            // Fails only after `finish`, when nothing is asked any more.
            let _ = queue.send(op);
        }
    }

    /// Takes no more changes and waits (at most `limit`) for those queued.
    async fn finish(&mut self, limit: Duration) {
        self.queue = None;
        if let Some(handle) = self.handle.take()
            && tokio::time::timeout(limit, handle).await.is_err()
        {
            tracing::warn!("drafts were still being saved when the console closed");
        }
    }
}

/// One draft change on the disk; the listing comes back for the app.
fn apply(store: Option<&DraftStore>, profile: &str, op: DraftOp) -> Option<Result<Vec<Draft>, String>> {
    match op {
        DraftOp::List => Some(match store {
            Some(store) => store.list(Some(profile)).map_err(|e| e.to_string()),
            None => Ok(Vec::new()),
        }),
        DraftOp::Save(draft) => {
            if let Some(store) = store
                && let Err(err) = store.save(&draft)
            {
                tracing::warn!("cannot save the draft of {}: {err}", draft.identity_id);
            }
            None
        }
        DraftOp::Remove(identity_id) => {
            if let Some(store) = store
                && let Err(err) = store.remove(profile, &identity_id)
            {
                tracing::warn!("cannot remove the draft of {identity_id}: {err}");
            }
            None
        }
    }
}

pub struct Runner {
    services: Services,
    tx: UnboundedSender<Msg>,
    running: HashMap<Task, Vec<AbortHandle>>,
    /// Writes in flight, awaited rather than aborted.
    writes: Vec<JoinHandle<()>>,
    /// Refusals being recorded in the audit trail, awaited like writes.
    refusals: Vec<JoinHandle<()>>,
    drafts: DraftWorker,
}

impl Runner {
    /// `drafts`: where drafts of `profile` live (none: nothing is saved).
    pub fn new(services: Services, tx: UnboundedSender<Msg>, drafts: Option<DraftStore>, profile: String) -> Self {
        let worker = DraftWorker::start(drafts, profile, tx.clone());
        Self {
            services,
            tx,
            running: HashMap::new(),
            writes: Vec::new(),
            refusals: Vec::new(),
            drafts: worker,
        }
    }

    fn spawn(&mut self, task: Task, future: BoxFuture<'static, Msg>) {
        let tx = self.tx.clone();
        let handle = tokio::spawn(async move {
            let msg = future.await;
            // The receiver is gone only when the console is closing.
            let _ = tx.send(msg);
        });
        if task == Task::Write {
            // Writes are never aborted: a PUT already on the wire must reach
            // its audit `outcome` line. Esc only stops the screen waiting.
            self.writes.retain(|h| !h.is_finished());
            self.writes.push(handle);
            return;
        }
        let handles = self.running.entry(task).or_default();
        handles.retain(|h| !h.is_finished());
        handles.push(handle.abort_handle());
    }

    /// True while a write (PUT) is still running.
    pub fn writes_in_flight(&self) -> bool {
        self.writes.iter().any(|h| !h.is_finished())
    }

    /// Waits (at most `limit`) for the writes and refusals still running, so
    /// that quitting never leaves an audit `intent` without its `outcome`, nor
    /// a refusal unrecorded.
    pub async fn finish_writes(&mut self, limit: Duration) {
        let mut all = std::mem::take(&mut self.writes);
        all.append(&mut self.refusals);
        if tokio::time::timeout(limit, futures::future::join_all(all))
            .await
            .is_err()
        {
            tracing::warn!("a write was still running when the console closed");
        }
    }

    /// Waits (at most `limit`) for the drafts asked to be saved or removed.
    pub async fn finish_drafts(&mut self, limit: Duration) {
        self.drafts.finish(limit).await;
    }

    /// Starts one effect. `Quit`, `Copy` and `EditExternally` are the
    /// terminal's business and are handled by the caller.
    pub fn run(&mut self, effect: Effect) {
        let services = Arc::clone(&self.services);
        match effect {
            Effect::LoadSchemas => {
                let fut = services.schemas();
                self.spawn(Task::Schemas, Box::pin(async move { Msg::SchemasLoaded(fut.await) }));
            }
            Effect::LoadPage {
                generation,
                cursor,
                page_size,
            } => {
                let fut = services.page(cursor, page_size);
                self.spawn(
                    Task::Page,
                    Box::pin(async move {
                        Msg::PageLoaded {
                            generation,
                            result: fut.await,
                        }
                    }),
                );
            }
            Effect::Search { generation, query } => {
                let fut = services.search(query.clone());
                self.spawn(
                    Task::Search,
                    Box::pin(async move {
                        Msg::SearchLoaded {
                            generation,
                            query,
                            result: fut.await,
                        }
                    }),
                );
            }
            Effect::LoadSimilar {
                generation,
                search,
                prefix,
                cursor,
                page_size,
            } => {
                let fut = services.similar(prefix, cursor, page_size);
                self.spawn(
                    Task::Search,
                    Box::pin(async move {
                        Msg::SimilarLoaded {
                            generation,
                            search,
                            result: fut.await,
                        }
                    }),
                );
            }
            Effect::LoadIdentity { id } => {
                let fut = services.identity(id.clone());
                self.spawn(
                    Task::Identity,
                    Box::pin(async move { Msg::IdentityLoaded { id, result: fut.await } }),
                );
            }
            Effect::LoadSessions {
                identity_id,
                active_only,
                page,
            } => {
                let fut = services.sessions(identity_id.clone(), active_only, page);
                self.spawn(
                    Task::Sessions,
                    Box::pin(async move {
                        Msg::SessionsLoaded {
                            identity_id,
                            active_only,
                            page,
                            result: fut.await,
                        }
                    }),
                );
            }
            Effect::Cancel(task) => {
                for handle in self.running.remove(&task).unwrap_or_default() {
                    handle.abort();
                }
            }
            Effect::HashPassword { identity_id, password } => {
                self.spawn(
                    Task::Hash,
                    Box::pin(async move {
                        Msg::PasswordHashed {
                            identity_id,
                            result: hash_password(password).await,
                        }
                    }),
                );
            }
            Effect::Write(request) => {
                let fut = services.write(*request);
                self.spawn(Task::Write, Box::pin(async move { Msg::WriteDone(fut.await) }));
            }
            Effect::SessionWrite(request) => {
                let identity_id = request.identity_id.clone();
                let fut = services.session_write(*request);
                // Spawned as a write: awaited on quit, never aborted.
                self.spawn(
                    Task::Write,
                    Box::pin(async move {
                        Msg::SessionWriteDone {
                            identity_id,
                            result: fut.await,
                        }
                    }),
                );
            }
            Effect::CredentialWrite(request) => {
                let identity_id = request.identity_id.clone();
                let fut = services.credential_write(*request);
                // Spawned as a write: awaited on quit, never aborted.
                self.spawn(
                    Task::Write,
                    Box::pin(async move {
                        Msg::CredentialWriteDone {
                            identity_id,
                            result: fut.await,
                        }
                    }),
                );
            }
            Effect::CountDeleteSessions { identity_id } => {
                let fut = services.sessions(identity_id.clone(), false, 0);
                self.spawn(
                    Task::DeleteSessions,
                    Box::pin(async move {
                        Msg::DeleteSessionsCounted {
                            identity_id,
                            result: fut.await,
                        }
                    }),
                );
            }
            Effect::DeleteIdentity(order) => {
                let identity_id = order.identity_id.clone();
                let fut = services.delete_identity(*order);
                // Spawned as a write: awaited on quit, never aborted.
                self.spawn(
                    Task::Write,
                    Box::pin(async move {
                        Msg::DeleteDone(Box::new(crate::app::delete::DeleteDone {
                            identity_id,
                            result: fut.await,
                        }))
                    }),
                );
            }
            Effect::CreateIdentity(order) => {
                let fut = services.create_identity(*order);
                // Spawned as a write: awaited on quit, never aborted.
                self.spawn(
                    Task::Write,
                    Box::pin(
                        async move { Msg::CreateDone(Box::new(crate::app::create::CreateDone { result: fut.await })) },
                    ),
                );
            }
            Effect::CreateRecovery(order) => {
                let fut = services.create_recovery(*order);
                // Spawned as a write: awaited on quit, never aborted.
                self.spawn(
                    Task::Write,
                    Box::pin(async move { Msg::RecoveryDone(Box::new(fut.await)) }),
                );
            }
            Effect::WriteAttribute(request) => {
                let fut = services.write_attribute(*request);
                self.spawn(Task::Write, Box::pin(async move { Msg::AttributeDone(fut.await) }));
            }
            Effect::LoadAudit { identity_id } => {
                let fut = services.audit_lines(identity_id.clone());
                self.spawn(
                    Task::Audit,
                    Box::pin(async move {
                        Msg::AuditLoaded {
                            identity_id,
                            result: fut.await,
                        }
                    }),
                );
            }
            Effect::AuditRefusal { identity_id, reason } => {
                let fut = services.record_refusal(identity_id, reason);
                self.refusals.retain(|h| !h.is_finished());
                self.refusals.push(tokio::spawn(fut));
            }
            Effect::ListDrafts => self.drafts.push(DraftOp::List),
            Effect::SaveDraft(draft) => self.drafts.push(DraftOp::Save(draft)),
            Effect::RemoveDraft { identity_id } => self.drafts.push(DraftOp::Remove(identity_id)),
            Effect::ScheduleDraftSave => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(DRAFT_INTERVAL).await;
                    let _ = tx.send(Msg::DraftTick);
                });
            }
            Effect::Copy(_) | Effect::Quit | Effect::EditExternally { .. } => {}
        }
    }

    pub fn cancel_all(&mut self) {
        for (_, handles) in self.running.drain() {
            for handle in handles {
                handle.abort();
            }
        }
    }
}

/// Argon2id is slow on purpose (and reads OS randomness for its salt): it
/// runs on a blocking thread, never on the event loop.
async fn hash_password(password: SecretString) -> Result<SecretString, String> {
    let hashed = tokio::task::spawn_blocking(move || crate::hashes::hash_password_argon2id(&password.0)).await;
    match hashed {
        Ok(Ok(hash)) => Ok(SecretString(hash)),
        Ok(Err(err)) => Err(err.to_string()),
        Err(err) => Err(format!("hashing stopped: {err}")),
    }
}
