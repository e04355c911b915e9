//! Runs effects on tokio tasks and sends their results back as messages.
//! Every task can be cancelled (Esc) by its [`Task`] kind.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use crate::app::attribute::AttributeRequest;
use crate::app::list::PageCursor;
use crate::app::review::{WriteOutcome, WriteRequest};
use crate::app::{Effect, LoadedPage, Msg, Task};

/// The requests the console makes, as the runtime needs them. Errors are
/// already worded for the status line. Implemented over the API client in
/// `commands::console`; a trait so the runtime does not depend on HTTP details.
pub trait IdentitySource: Send + Sync + 'static {
    fn schemas(&self) -> BoxFuture<'static, Result<Vec<(String, Value)>, String>>;
    fn page(&self, cursor: Option<PageCursor>, page_size: u32) -> BoxFuture<'static, Result<LoadedPage, String>>;
    /// Exact identifier search, plus the identity with that id when `query` is one.
    fn search(&self, query: String) -> BoxFuture<'static, Result<Vec<Value>, String>>;
    fn identity(&self, id: String) -> BoxFuture<'static, Result<Value, String>>;
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

pub struct Runner {
    services: Services,
    tx: UnboundedSender<Msg>,
    running: HashMap<Task, Vec<AbortHandle>>,
    /// Writes in flight, awaited rather than aborted.
    writes: Vec<tokio::task::JoinHandle<()>>,
}

impl Runner {
    pub fn new(services: Services, tx: UnboundedSender<Msg>) -> Self {
        Self {
            services,
            tx,
            running: HashMap::new(),
            writes: Vec::new(),
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

    /// Waits (at most `limit`) for the writes still running, so that quitting
    /// never leaves an audit `intent` without its `outcome`.
    pub async fn finish_writes(&mut self, limit: std::time::Duration) {
        let writes = std::mem::take(&mut self.writes);
        let all = futures::future::join_all(writes);
        if tokio::time::timeout(limit, all).await.is_err() {
            tracing::warn!("a write was still running when the console closed");
        }
    }

    /// Starts one effect. `Quit` and `Copy` are the terminal's business and
    /// are handled by the caller.
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
            Effect::LoadIdentity { id } => {
                let fut = services.identity(id.clone());
                self.spawn(
                    Task::Identity,
                    Box::pin(async move { Msg::IdentityLoaded { id, result: fut.await } }),
                );
            }
            Effect::Cancel(task) => {
                for handle in self.running.remove(&task).unwrap_or_default() {
                    handle.abort();
                }
            }
            Effect::Write(request) => {
                let fut = services.write(*request);
                self.spawn(Task::Write, Box::pin(async move { Msg::WriteDone(fut.await) }));
            }
            Effect::WriteAttribute(request) => {
                let fut = services.write_attribute(*request);
                self.spawn(Task::Write, Box::pin(async move { Msg::AttributeDone(fut.await) }));
            }
            Effect::LoadAudit { identity_id } => {
                let fut = services.audit_lines(identity_id.clone());
                self.spawn(
                    Task::Identity,
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
                tokio::spawn(fut);
            }
            Effect::Copy(_)
            | Effect::Quit
            | Effect::EditExternally { .. }
            | Effect::ListDrafts
            | Effect::SaveDraft(_)
            | Effect::RemoveDraft { .. } => {}
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
