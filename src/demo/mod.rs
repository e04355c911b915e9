//! The embedded demo server: a Kratos-compatible admin API and a Yoti attribute
//! registry on loopback, verifying request signatures.
//!
//! It is what `idcon demo` and `idcon serve-demo` run and what end-to-end tests
//! talk to, so it follows Kratos's real behaviour (paging, filters, PUT
//! semantics, error texts) rather than a simplified idea of it, including the
//! shapes of a self-hosted deployment that a spec-faithful imitation hides.
//! Like Kratos it listens twice:
//! - admin (signed): `GET|PUT {prefix}/identities[/{id}]`, `{prefix}` being
//!   `/admin` (Kratos) or `/iam` (Connhex); an identity's sessions and one
//!   session (`sessions`), recovery links and codes (`recovery`);
//!   `GET /schemas[/{id}]` answered with a 307 to the public listener;
//!   `PUT /attribute-registry/attribute/update`;
//! - public (no authentication): `GET /schemas`, `GET /schemas/{id}` (raw JSON
//!   Schemas), where identities' `schema_url` points.
//!
//! [`KratosVersion`] picks the release imitated (v1.3, v25, v26).
//!
//! Tests start it in-process with [`start`] and [`DemoOptions::for_tests`].

pub mod cli;

mod auth;
mod create;
mod credentials;
mod delete;
mod errors;
mod faults;
mod model;
mod paging;
mod recovery;
mod routes;

pub use routes::LoggedRequest;
mod schema;
mod seed;
mod sessions;
mod store;
mod update;
mod version;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use axum::http::Uri;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::signing::VerifyingKey;
use faults::{Connection, DemoListener, Faults};
use model::{Identity, Timestamp};
use routes::DemoState;

pub use store::MAX_SEED_COUNT;
pub use version::KratosVersion;

/// The demo key pair and client SDK id. Embedded rather than read from
/// `assets/demo/` at run time: git does not keep a key file's 0600 mode on a
/// fresh clone, and the client refuses key files others can read.
pub const DEMO_PRIVATE_KEY_PEM: &str = include_str!("../../assets/demo/demo-private-key.pem");
pub const DEMO_PUBLIC_KEY_PEM: &str = include_str!("../../assets/demo/demo-public-key.pem");
pub const DEMO_SDK_ID: &str = "6a8f1c3e-2b7d-4e59-9c41-d0e5f7a2b813";

/// How to run a demo server.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// The admin listener.
    pub listen: SocketAddr,
    /// The public listener's port, on `listen`'s IP (0: any free port).
    pub public_port: u16,
    /// The Kratos release whose behaviour to imitate.
    pub kratos_version: KratosVersion,
    /// Where the identities API lives: `/admin` (Kratos) or `/iam` (Connhex).
    pub prefix: String,
    /// The key requests must be signed with; `None` turns signatures off (`--no-auth`).
    pub verifying_key: Option<VerifyingKey>,
    /// The `X-Yoti-Auth-Id` requests must carry.
    pub sdk_id: String,
    /// Total identities to seed (`None`: the 240 curated ones).
    pub seed_count: Option<usize>,
    /// Add identities whose traits carry terminal escape sequences.
    pub hostile: bool,
    /// Delay before every answer.
    pub latency: Duration,
    /// Answer every Nth request with a 500.
    pub fail_every: Option<u64>,
    /// Drop the connection of every Nth request without an answer.
    pub drop_every: Option<u64>,
    /// Also require `Authorization: Bearer <token>` (the Connhex gateway).
    pub bearer_token: Option<String>,
    /// The longest request line (method, URL, protocol) the admin listener
    /// accepts, as the reverse proxy in front of a real deployment does:
    /// nginx answers `414 Request-URI Too Large` past its default 8 KiB
    /// (`large_client_header_buffers 4 8k`). Kratos itself (Go's net/http)
    /// would take far more, so a client that only ever met Kratos learns of
    /// the limit in production. `None`: no limit.
    pub max_request_line: Option<usize>,
}

/// nginx's default request-line limit, imitated by default.
pub const GATEWAY_MAX_REQUEST_LINE: usize = 8 * 1024;

impl DemoOptions {
    /// Loopback on a free port, the embedded demo key, `/admin`, the curated seed.
    pub fn for_tests() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_port: 0,
            kratos_version: KratosVersion::default(),
            prefix: "/admin".to_owned(),
            verifying_key: Some(demo_verifying_key()),
            sdk_id: DEMO_SDK_ID.to_owned(),
            seed_count: None,
            hostile: false,
            latency: Duration::ZERO,
            fail_every: None,
            drop_every: None,
            bearer_token: None,
            max_request_line: Some(GATEWAY_MAX_REQUEST_LINE),
        }
    }
}

/// The embedded demo public key.
pub fn demo_verifying_key() -> VerifyingKey {
    // The embedded PEM is checked by this module's tests; failing here is a
    // broken build, not bad input.
    VerifyingKey::from_pem_str(DEMO_PUBLIC_KEY_PEM, "embedded demo public key")
        .expect("the embedded demo public key parses")
}

/// `/admin`, `/iam`, ...: one or more path segments, no trailing slash.
pub fn validate_prefix(prefix: &str) -> Result<(), String> {
    let ok = prefix.starts_with('/')
        && !prefix.ends_with('/')
        && prefix[1..]
            .split('/')
            .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
    if ok && prefix != routes::REGISTRY_MOUNT && prefix != "/schemas" {
        Ok(())
    } else {
        Err(format!(
            "prefix {prefix:?} must look like /admin or /iam (a path without trailing slash)"
        ))
    }
}

/// The server without the network: state and request handling, for embedding
/// and benchmarks.
pub struct DemoServer {
    state: Arc<DemoState>,
}

/// An in-process answer: status, headers, body.
pub struct DemoAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl DemoServer {
    /// Seeds the store (seconds for a million identities: call it off the
    /// async runtime).
    pub fn build(opts: &DemoOptions) -> anyhow::Result<Self> {
        validate_prefix(&opts.prefix).map_err(anyhow::Error::msg)?;
        let store = store::Store::seeded(opts.seed_count, opts.hostile).map_err(anyhow::Error::msg)?;
        let schemas = schema::Schemas::load().map_err(anyhow::Error::msg)?;
        let state = DemoState {
            store: RwLock::new(store),
            schemas,
            prefix: opts.prefix.clone(),
            signature: opts
                .verifying_key
                .clone()
                .map(|key| auth::SignatureCheck::new(key, opts.sdk_id.clone())),
            bearer: opts.bearer_token.clone(),
            faults: Faults::new(opts.latency, opts.fail_every, opts.drop_every),
            public_base: OnceLock::new(),
            version: opts.kratos_version,
            public: routes::PublicCounts::default(),
            max_request_line: opts.max_request_line,
            log: routes::RequestLog::default(),
            toggles: recovery::Toggles::default(),
        };
        Ok(Self { state: Arc::new(state) })
    }

    pub fn identity_count(&self) -> usize {
        self.state.read_store().len()
    }

    /// `GET {prefix}/identities?{raw_query}` without HTTP or authentication.
    pub fn list_identities(&self, raw_query: &str) -> DemoAnswer {
        let path = format!("{}/identities", self.state.prefix);
        let uri: Uri = match format!("{path}?{raw_query}").parse() {
            Ok(uri) => uri,
            Err(e) => {
                return DemoAnswer {
                    status: 400,
                    headers: Vec::new(),
                    body: format!("invalid query: {e}").into_bytes(),
                };
            }
        };
        match routes::list_answer(&self.state, &path, &uri) {
            Ok(answer) => DemoAnswer {
                status: answer.status.as_u16(),
                headers: answer.headers.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                body: answer.body,
            },
            Err(error) => DemoAnswer {
                status: error.status.as_u16(),
                headers: Vec::new(),
                body: error.envelope().to_string().into_bytes(),
            },
        }
    }
}

/// A server running on tokio tasks: the admin and the public listener.
pub struct RunningDemo {
    /// The admin listener.
    pub addr: SocketAddr,
    /// The public listener.
    pub public_addr: SocketAddr,
    state: Arc<DemoState>,
    shutdown: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

async fn bind(addr: SocketAddr, what: &str) -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({what})"))?;
    let bound = listener
        .local_addr()
        .with_context(|| format!("cannot read the address bound for {addr} ({what})"))?;
    Ok((listener, bound))
}

fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
) -> (oneshot::Sender<()>, JoinHandle<std::io::Result<()>>) {
    let app = router.into_make_service_with_connect_info::<Connection>();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(DemoListener::new(listener), app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    (shutdown, task)
}

/// Binds both listeners, seeds and serves. Returns once both sockets accept
/// connections. The public listener sits on the admin listener's IP, as a
/// loopback demo must not open anything wider than asked for.
pub async fn start(opts: DemoOptions) -> anyhow::Result<RunningDemo> {
    let listen = opts.listen;
    let public_listen = SocketAddr::new(listen.ip(), opts.public_port);
    let server = tokio::task::spawn_blocking(move || DemoServer::build(&opts))
        .await
        .context("seeding the demo server failed")??;
    let (listener, addr) = bind(listen, "admin API").await?;
    let (public_listener, public_addr) = bind(public_listen, "public API").await?;
    let state = server.state;
    let _ = state.public_base.set(format!("http://{public_addr}"));
    let (admin_stop, admin_task) = serve(listener, routes::router(state.clone()));
    let (public_stop, public_task) = serve(public_listener, routes::public_router(state.clone()));
    Ok(RunningDemo {
        addr,
        public_addr,
        state,
        shutdown: vec![admin_stop, public_stop],
        tasks: vec![admin_task, public_task],
    })
}

impl RunningDemo {
    /// `http://127.0.0.1:PORT`: the admin listener, base URL of the identities
    /// API (and of `/schemas`, which redirects to [`RunningDemo::public_url`]).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT`: the public listener, serving `/schemas`
    /// without authentication; identities' `schema_url` points here.
    pub fn public_url(&self) -> String {
        format!("http://{}", self.public_addr)
    }

    /// Requests the public listener received so far.
    pub fn public_request_count(&self) -> usize {
        self.state.public.requests.load(Ordering::SeqCst)
    }

    /// Requests to the public listener that carried `Authorization`,
    /// `Proxy-Authorization` or any `X-Yoti-*` header (a signature, an SDK id):
    /// credentials that should never leave the admin origin.
    pub fn public_requests_with_credentials(&self) -> usize {
        self.state.public.with_credentials.load(Ordering::SeqCst)
    }

    /// The Kratos release imitated.
    pub fn kratos_version(&self) -> KratosVersion {
        self.state.version
    }

    /// `{base}/admin/identities` (or `/iam/identities`).
    pub fn identities_url(&self) -> String {
        format!("{}{}/identities", self.base_url(), self.state.prefix)
    }

    /// The attribute registry's base URL; clients sign paths below it.
    pub fn attribute_registry_url(&self) -> String {
        format!("{}{}", self.base_url(), routes::REGISTRY_MOUNT)
    }

    /// Stops accepting, lets requests in flight finish (up to 5 s), then returns.
    pub async fn stop(self) {
        for shutdown in self.shutdown {
            let _ = shutdown.send(());
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        for mut task in self.tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
            }
        }
    }

    /// The latest requests the admin listener received (method, path, when),
    /// oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.state.log.entries()
    }

    /// Switches the imitated Kratos's recovery by `method` (`link` or
    /// `code`) on or off (`selfservice.methods.METHOD.enabled`); false for
    /// another method.
    pub fn set_recovery_method(&self, method: &str, enabled: bool) -> bool {
        self.state.toggles.set_recovery_method(method, enabled)
    }

    /// Kratos's `feature_flags.faster_session_extend`: on, extending a
    /// session answers 204 instead of 200 with the session.
    pub fn set_faster_session_extend(&self, on: bool) {
        self.state.toggles.set_faster_session_extend(on);
    }

    /// The connections of the next `n` requests close without an answer.
    pub fn drop_next_connections(&self, n: usize) {
        self.state.faults.drop_next(n);
    }

    /// Every Nth request from now on answers 500; `None` stops it.
    pub fn set_fail_every(&self, n: Option<u64>) {
        self.state.faults.set_fail_every(n);
    }

    pub fn identity_count(&self) -> usize {
        self.state.read_store().len()
    }

    /// The stored identity as JSON, every credential config included, at
    /// full precision and in the order the last write left its addresses
    /// (no `external_id` when imitating a release without it).
    pub async fn identity(&self, id: &str) -> Option<Value> {
        let id = uuid::Uuid::try_parse(id).ok()?;
        let store = self.state.read_store();
        let identity = store.get(&id)?;
        let mut json = serde_json::to_value(&*identity).ok()?;
        if !self.state.version.has_external_id()
            && let Some(object) = json.as_object_mut()
        {
            object.remove("external_id");
        }
        Some(json)
    }

    /// Changes an identity "behind the console's back", as another admin would:
    /// `change` edits the stored JSON (every field, credential configs
    /// included); `updated_at` moves to now unless `change` set it. No
    /// validation, so tests can also plant odd data.
    pub async fn mutate_identity<F>(&self, id: &str, change: F) -> anyhow::Result<()>
    where
        F: FnOnce(&mut Value),
    {
        let uuid = uuid::Uuid::try_parse(id).with_context(|| format!("{id:?} is not an identity id"))?;
        let mut store = self.state.write_store();
        let current = store
            .get(&uuid)
            .with_context(|| format!("no identity {id}"))?
            .into_owned();
        let mut json = serde_json::to_value(&current)?;
        let before = json.get("updated_at").cloned();
        change(&mut json);
        let after = json.get("updated_at").cloned();
        let mut changed: Identity = serde_json::from_value(json).context("the changed identity no longer parses")?;
        anyhow::ensure!(changed.id == uuid, "mutate_identity must not change the id");
        if before == after {
            changed.updated_at = Timestamp::now();
        }
        store.replace(changed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_demo_keys_are_a_pair() {
        let private = crate::signing::SigningKey::from_pem_str(DEMO_PRIVATE_KEY_PEM, "demo");
        let Ok(private) = private else {
            panic!("embedded private key")
        };
        let signed = crate::signing::sign_request(&private, "GET", "/admin/identities", &[], None, "nonce", 1);
        assert!(
            crate::signing::verify_request(
                &demo_verifying_key(),
                "GET",
                &signed.path_and_query,
                None,
                &signed.digest
            )
            .is_ok()
        );
    }

    #[test]
    fn prefixes_are_paths() {
        assert!(validate_prefix("/admin").is_ok());
        assert!(validate_prefix("/iam").is_ok());
        assert!(validate_prefix("/api/v1").is_ok());
        for bad in ["admin", "/admin/", "/", "/a b", "/attribute-registry"] {
            assert!(validate_prefix(bad).is_err(), "{bad}");
        }
    }
}
