//! The console's real event loop (`tui::run_loop`) in-process: a ratatui
//! `TestBackend` for the screen, scripted keys for input, the in-process demo
//! server for the network. Flows run as a person uses them (list → detail →
//! form → review → send) in a fraction of a pty test's time; the pty tests
//! keep what only a real terminal shows (raw mode, restore, escapes, signals).
//!
//! The services are a small adapter over the public API client and write
//! pipeline (the console's own adapter lives in `commands::console`).

use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::FutureExt as _;
use futures::future::BoxFuture;
use idcon::api::{Client, IdentityFilter, IdentityQuery, PageCursor};
use idcon::app::attribute::AttributeRequest;
use idcon::app::review::{WriteOutcome, WriteRequest, response_view};
use idcon::app::{App, LoadedPage, ProfileInfo, Screen};
use idcon::audit::AuditLog;
use idcon::config::Profile;
use idcon::demo::{self, DemoOptions, RunningDemo};
use idcon::drafts::DraftStore;
use idcon::tui::{Host, IdentitySource, Input, LoopOptions, Services, run_loop};
use idcon::ui::theme::Theme;
use idcon::write::{self, Freshness};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

const WAIT: Duration = Duration::from_secs(20);
const COLS: u16 = 100;
const ROWS: u16 = 30;

// ---- The services: the demo server through the public client --------------

struct DemoServices {
    client: Client,
    audit: Arc<AuditLog>,
    refusals: Arc<Mutex<Vec<String>>>,
}

fn line(err: impl std::fmt::Display) -> String {
    err.to_string().replace('\n', " ")
}

fn items(exchange: &idcon::api::Exchange) -> Vec<Value> {
    match exchange.body_json() {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

impl IdentitySource for DemoServices {
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
            Ok(LoadedPage {
                items: items(&response.exchange),
                next: response.value.next,
            })
        }
        .boxed()
    }

    fn search(&self, query: String) -> BoxFuture<'static, Result<Vec<Value>, String>> {
        let client = self.client.clone();
        async move {
            let query = IdentityQuery {
                page_size: Some(idcon::app::PAGE_SIZE),
                filter: IdentityFilter::CredentialsIdentifier(query),
            };
            let response = client.list_identities(&query).await.map_err(line)?;
            Ok(items(&response.exchange))
        }
        .boxed()
    }

    fn identity(&self, id: String) -> BoxFuture<'static, Result<Value, String>> {
        let client = self.client.clone();
        async move {
            let response = client.get_identity(&id).await.map_err(line)?;
            response.exchange.body_json().ok_or_else(|| "not JSON".to_owned())
        }
        .boxed()
    }

    fn write(&self, request: WriteRequest) -> BoxFuture<'static, WriteOutcome> {
        let client = self.client.clone();
        let audit = Arc::clone(&self.audit);
        async move {
            match write::check_fresh(&client, &request).await {
                Ok(Freshness::Unchanged) => {}
                Ok(Freshness::Changed { server_changes, latest }) => {
                    return WriteOutcome::Changed { latest, server_changes };
                }
                Err(err) => {
                    return WriteOutcome::Failed {
                        error: line(err),
                        response: None,
                    };
                }
            }
            match write::send(&client, Some(&audit), &request).await {
                Ok(result) => WriteOutcome::Answered {
                    response: response_view(&result.exchange, Some(request.identity_id.clone())),
                    identity: Some(result.identity.raw),
                },
                Err(err) => WriteOutcome::Failed {
                    error: line(err),
                    response: None,
                },
            }
        }
        .boxed()
    }

    fn audit_lines(&self, _identity_id: String) -> BoxFuture<'static, Result<Vec<String>, String>> {
        async { Ok(Vec::new()) }.boxed()
    }

    fn write_attribute(&self, _request: AttributeRequest) -> BoxFuture<'static, WriteOutcome> {
        async {
            WriteOutcome::Failed {
                error: "no registry in this test".into(),
                response: None,
            }
        }
        .boxed()
    }

    fn record_refusal(&self, _identity_id: Option<String>, reason: String) -> BoxFuture<'static, ()> {
        let refusals = Arc::clone(&self.refusals);
        async move {
            // As the real trail does, the refusal takes a moment to write.
            tokio::time::sleep(Duration::from_millis(200)).await;
            if let Ok(mut refusals) = refusals.lock() {
                refusals.push(reason);
            }
        }
        .boxed()
    }
}

// ---- The terminal side: scripted keys in, the screen out ------------------

type Editor = Box<dyn FnMut(&str) -> Result<String, String> + Send>;

/// The [`Host`] of these tests: keys from the script, each drawn frame sent
/// back as text, `$EDITOR` played by a closure.
struct Scripted {
    input: mpsc::UnboundedReceiver<Input>,
    screen: watch::Sender<String>,
    editor: Option<Editor>,
    copies: Arc<Mutex<Vec<String>>>,
}

fn text_of(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let width = usize::from(buffer.area.width.max(1));
    buffer
        .content
        .chunks(width)
        .map(|row| row.iter().map(|cell| cell.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Host<TestBackend> for Scripted {
    async fn next(&mut self) -> Option<io::Result<Input>> {
        self.input.recv().await.map(Ok)
    }

    fn edit_externally(
        &mut self,
        _terminal: &mut Terminal<TestBackend>,
        text: &str,
    ) -> io::Result<Result<String, String>> {
        Ok(match self.editor.as_mut() {
            Some(editor) => editor(text),
            None => Err("no editor in this test".into()),
        })
    }

    fn copy(&mut self, _terminal: &mut Terminal<TestBackend>, text: &str) -> io::Result<()> {
        if let Ok(mut copies) = self.copies.lock() {
            copies.push(text.to_owned());
        }
        Ok(())
    }

    fn drawn(&mut self, terminal: &Terminal<TestBackend>) {
        let _ = self.screen.send(text_of(terminal));
    }
}

/// The script's side: keys to send and the last frame to read.
struct Keys {
    input: mpsc::UnboundedSender<Input>,
    screen: watch::Receiver<String>,
}

impl Keys {
    fn key(&self, code: KeyCode, modifiers: KeyModifiers) {
        let event = Event::Key(KeyEvent::new(code, modifiers));
        if self.input.send(Input::Event(event)).is_err() {
            panic!("the console stopped reading keys");
        }
    }

    fn press(&self, code: KeyCode) {
        self.key(code, KeyModifiers::NONE);
    }

    fn ch(&self, c: char) {
        let shift = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        self.key(KeyCode::Char(c), shift);
    }

    fn ctrl(&self, c: char) {
        self.key(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    fn typed(&self, text: &str) {
        text.chars().for_each(|c| self.ch(c));
    }

    fn signal(&self, name: &'static str) {
        let _ = self.input.send(Input::Signal(name));
    }

    /// Waits until a frame shows what `done` looks for; returns that frame.
    async fn wait(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let waited = tokio::time::timeout(WAIT, async {
            loop {
                let screen = self.screen.borrow_and_update().clone();
                if done(&screen) {
                    return screen;
                }
                if self.screen.changed().await.is_err() {
                    return self.screen.borrow().clone();
                }
            }
        })
        .await;
        match waited {
            Ok(screen) if done(&screen) => screen,
            _ => panic!("waited for {what}; the screen is:\n{}", self.screen.borrow().as_str()),
        }
    }

    async fn wait_for(&mut self, text: &str) -> String {
        self.wait(text, |s| s.contains(text)).await
    }
}

// ---- One console on the demo ----------------------------------------------

struct World {
    demo: RunningDemo,
    dir: tempfile::TempDir,
    refusals: Arc<Mutex<Vec<String>>>,
    copies: Arc<Mutex<Vec<String>>>,
}

impl World {
    async fn start() -> World {
        World::start_with(|_| {}).await
    }

    /// The demo with its options changed first (latency, faults).
    async fn start_with(configure: impl FnOnce(&mut DemoOptions)) -> World {
        let mut options = DemoOptions::for_tests();
        configure(&mut options);
        let demo = match demo::start(options).await {
            Ok(demo) => demo,
            Err(err) => panic!("demo server: {err:#}"),
        };
        World {
            demo,
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")),
            refusals: Arc::default(),
            copies: Arc::default(),
        }
    }

    fn profile(&self) -> Profile {
        let key = self.dir.path().join("demo-key.pem");
        if !key.exists() {
            std::fs::write(&key, demo::DEMO_PRIVATE_KEY_PEM).unwrap_or_else(|e| panic!("key: {e}"));
            let _ = std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600));
        }
        let base = url::Url::parse(&self.demo.base_url()).unwrap_or_else(|e| panic!("demo URL: {e}"));
        let mut profile = Profile::for_base_url("demo", base);
        profile.key_file = Some(key);
        profile.sdk_id = Some(demo::DEMO_SDK_ID.to_owned());
        profile
    }

    fn audit_file(&self) -> std::path::PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    /// The audit trail's lines, parsed.
    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.audit_file())
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("audit line {line}: {e}")))
            .collect()
    }

    fn drafts(&self) -> DraftStore {
        DraftStore::new(self.dir.path().join("drafts"))
    }

    /// Runs the console until the script ends (it quits, or stops sending
    /// keys); returns the app as the loop left it.
    async fn run<F, Fut>(&self, read_only: bool, editor: Option<Editor>, script: F) -> App
    where
        F: FnOnce(Keys) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut profile = self.profile();
        profile.read_only = read_only;
        let client = Client::new(&profile).unwrap_or_else(|e| panic!("client: {e}"));
        let audit = AuditLog::open(&self.audit_file(), false).unwrap_or_else(|e| panic!("audit: {e}"));
        let info = ProfileInfo {
            name: "demo".into(),
            base_url: client.base_url().to_owned(),
            read_only,
            identities_url: client.identity_url("").trim_end_matches('/').to_owned(),
            signing: client.is_signing(),
            issuance_token_pointer: profile.issuance_token_pointer.clone(),
            ..Default::default()
        };
        let services: Services = Arc::new(DemoServices {
            client,
            audit: Arc::new(audit),
            refusals: Arc::clone(&self.refusals),
        });
        let (input_tx, input_rx) = mpsc::unbounded_channel();
        let (screen_tx, screen_rx) = watch::channel(String::new());
        let mut host = Scripted {
            input: input_rx,
            screen: screen_tx,
            editor,
            copies: Arc::clone(&self.copies),
        };
        let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS)).unwrap_or_else(|e| panic!("{e}"));
        let app = App::new(info, COLS, ROWS, Utc::now());
        let options = LoopOptions {
            theme: Theme { color: false },
            drafts: Some(self.drafts()),
        };
        let keys = Keys {
            input: input_tx,
            screen: screen_rx,
        };
        let (ended, ()) = tokio::join!(run_loop(&mut terminal, &mut host, app, services, options), script(keys));
        ended.unwrap_or_else(|e| panic!("the loop failed: {e:#}"))
    }
}

fn identities() -> Vec<Value> {
    serde_json::from_str(include_str!("../../assets/demo/identities.json")).unwrap_or_default()
}

fn id_of(email: &str) -> String {
    identities()
        .iter()
        .find(|i| i["traits"]["email"] == email)
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("no curated identity {email}"))
        .to_owned()
}

const ADA: &str = "ada.lovelace@example.com";

/// `/`, the e-mail, Enter (the server's answer), Enter: the loaded detail.
async fn open_detail(keys: &mut Keys, email: &str, id: &str) {
    keys.wait("the first page", |s| s.contains(" loaded") && s.contains('@'))
        .await;
    keys.ch('/');
    keys.typed(email);
    keys.press(KeyCode::Enter);
    keys.wait_for("1 identity on the server matches").await;
    keys.press(KeyCode::Enter);
    keys.wait("the loaded detail", |s| {
        s.contains("Summary") && s.contains(id) && !s.contains("loading…")
    })
    .await;
}

// ---- The flows -------------------------------------------------------------

/// List → search → detail → state form → review → send, against the demo:
/// the server holds the change, the response shows it, the list row follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_detail_edit_review_send() {
    let world = World::start().await;
    let id = id_of(ADA);
    let app = world
        .run(false, None, |mut keys| async move {
            open_detail(&mut keys, ADA, &id).await;
            keys.ch('s');
            keys.wait_for("Change state").await;
            keys.ch(' ');
            keys.ctrl('s');
            let review = keys.wait_for("Send this change?").await;
            assert!(review.contains("+ /state: \"inactive\""), "{review}");
            keys.ch('y');
            let answer = keys.wait_for("Response  ✓ 200").await;
            assert!(answer.contains("Saved."), "{answer}");
            keys.press(KeyCode::Esc);
            keys.wait("the detail again", |s| s.contains("Summary") && s.contains("inactive"))
                .await;
            keys.ch('q');
            keys.wait("the list", |s| s.contains("IDENTIFIER")).await;
            keys.ch('q');
        })
        .await;
    assert!(app.chrome.quit);
    let stored = world.demo.identity(&id_of(ADA)).await.unwrap_or_default();
    assert_eq!(stored["state"], "inactive", "the server holds the change");
    assert_eq!(app.history.entries.len(), 1, "one request in the history");
}

/// `E` hands the traits to `$EDITOR` (a closure here); its text comes back
/// into the traits form, checked, and is sent after the review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traits_from_the_external_editor_are_reviewed_and_sent() {
    let world = World::start().await;
    let id = id_of(ADA);
    let editor: Editor = Box::new(|text: &str| Ok(text.replace("Lovelace", "King")));
    world
        .run(false, Some(editor), |mut keys| async move {
            open_detail(&mut keys, ADA, &id).await;
            keys.ch('E');
            keys.wait_for("Back from the editor").await;
            keys.ctrl('s');
            let review = keys.wait_for("Send this change?").await;
            assert!(review.contains("King"), "{review}");
            keys.ch('y');
            keys.wait_for("Response  ✓ 200").await;
            keys.ctrl('c');
        })
        .await;
    let stored = world.demo.identity(&id_of(ADA)).await.unwrap_or_default();
    assert!(stored["traits"].to_string().contains("King"), "{stored}");
}

/// "Hash here": the password is hashed off the event loop (an effect), the
/// review shows a masked hash import, and the server receives an argon2id
/// hash of the typed password, never the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_hashed_here_is_sent_as_an_argon2id_hash() {
    const PASSWORD: &str = "only-this-host-knows";
    let world = World::start().await;
    let id = id_of(ADA);
    world
        .run(false, None, |mut keys| async move {
            open_detail(&mut keys, ADA, &id).await;
            keys.ch('c');
            keys.wait_for("new password").await;
            keys.typed(PASSWORD);
            keys.press(KeyCode::Tab);
            keys.typed(PASSWORD);
            keys.press(KeyCode::Tab);
            keys.ch(' ');
            keys.wait_for("[x] the plaintext never leaves this host").await;
            keys.ctrl('s');
            let review = keys.wait_for("Send this change?").await;
            assert!(review.contains("hashed_password"), "{review}");
            assert!(!review.contains(PASSWORD), "{review}");
            keys.ch('y');
            keys.wait_for("Response  ✓ 200").await;
            keys.ctrl('c');
        })
        .await;
    let stored = world.demo.identity(&id_of(ADA)).await.unwrap_or_default();
    let hash = stored
        .pointer("/credentials/password/config/hashed_password")
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(hash.starts_with("$argon2id$"), "{stored}");
}

/// Quitting with a changed form saves its draft (an effect the loop waits
/// for); the next run offers it on the identity and Enter restores it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_saved_on_quit_is_offered_and_restored_next_time() {
    let world = World::start().await;
    let id = id_of(ADA);
    let first_id = id.clone();
    world
        .run(false, None, |mut keys| async move {
            open_detail(&mut keys, ADA, &first_id).await;
            keys.ch('s');
            keys.wait_for("Change state").await;
            keys.ch(' ');
            keys.wait("inactive chosen", |s| s.contains("(•) inactive")).await;
            keys.ctrl('c');
        })
        .await;
    let saved = world.drafts().list(Some("demo")).unwrap_or_default();
    assert_eq!(saved.len(), 1, "one draft on disk");
    assert_eq!(saved[0].identity_id, id);

    let app = world
        .run(false, None, |mut keys| async move {
            keys.wait_for("1 draft is waiting").await;
            open_detail(&mut keys, ADA, &id).await;
            keys.wait_for("Draft of the state form").await;
            keys.press(KeyCode::Enter);
            keys.wait("the restored form", |s| {
                s.contains("Change state") && s.contains("(•) inactive")
            })
            .await;
            keys.signal("SIGTERM");
        })
        .await;
    assert_eq!(app.screen, Screen::Form);
}

/// A read-only profile refuses an edit key and records the refusal; quitting
/// right after waits for the refusal to be written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_recorded_before_the_console_ends() {
    let world = World::start().await;
    world
        .run(true, None, |mut keys| async move {
            keys.wait("the first page", |s| s.contains(" loaded") && s.contains('@'))
                .await;
            keys.ch('e');
            keys.wait_for("is read-only").await;
            keys.ch('q');
        })
        .await;
    let refusals = world.refusals.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(
        refusals,
        vec!["read-only profile: the traits form was refused".to_owned()]
    );
}

/// `y` copies the selected id through the host (OSC 52 on a terminal); the
/// help overlay opens over the list and any key closes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_and_help_go_through_the_loop() {
    let world = World::start().await;
    world
        .run(false, None, |mut keys| async move {
            keys.wait("the first page", |s| s.contains(" loaded") && s.contains('@'))
                .await;
            keys.ch('y');
            keys.wait_for("to the clipboard").await;
            keys.ch('?');
            keys.wait_for("any key closes this help").await;
            keys.ch('x');
            keys.wait("help closed", |s| !s.contains("closes this help")).await;
            keys.ch('q');
        })
        .await;
    let copies = world.copies.lock().map(|c| c.clone()).unwrap_or_default();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(uuid::Uuid::parse_str(&copies[0]).is_ok(), "{copies:?}");
}

/// Issue 14: with a slow server, `y` then Esc used to leave `y` armed; a
/// second `y` sent again (refused by the freshness check, since the first
/// had landed), showed the first one's `200` as its answer, and `H` listed
/// one request. Now Esc stops the waiting only: `y` sends nothing more and
/// says why, the first write is followed to its answer, which is told and
/// recorded in its one history entry; the audit trail holds one intent (with
/// the reason and who) and one outcome, and no refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_wait_never_sends_twice_and_the_late_answer_is_told() {
    let world = World::start_with(|options| options.latency = Duration::from_millis(400)).await;
    let id = id_of(ADA);
    let app = world
        .run(false, None, |mut keys| async move {
            open_detail(&mut keys, ADA, &id).await;
            keys.ch('s');
            keys.wait_for("Change state").await;
            keys.ch(' ');
            keys.ctrl('s');
            let review = keys.wait_for("Send this change?").await;
            assert!(
                review.contains("identity          ada.lovelace@example.com"),
                "{review}"
            );
            keys.ch('r');
            keys.typed("SUP-4711 deactivation requested");
            keys.press(KeyCode::Enter);
            keys.wait_for("Reason kept").await;
            keys.ch('y');
            keys.wait_for("Sending…").await;
            keys.press(KeyCode::Esc);
            keys.wait_for("Stopped waiting:").await;
            keys.ch('y');
            keys.wait_for("Not sent again").await;
            keys.press(KeyCode::Esc);
            keys.wait_for("Change state").await;
            let told = keys.wait_for("Late answer for ada.lovelace@example.com: 200 OK").await;
            assert!(told.contains("saved"), "{told}");
            keys.press(KeyCode::Esc);
            keys.wait("the discard question or the detail", |s| {
                s.contains("discard") || s.contains("Summary")
            })
            .await;
            if !keys.screen.borrow().contains("Summary") {
                keys.ch('y');
            }
            keys.wait_for("Summary").await;
            keys.ch('H');
            let history = keys.wait_for("Requests made in this run").await;
            assert!(history.contains("✓ 200 OK (late)"), "{history}");
            assert!(history.contains("ada.lovelace@example.com"), "{history}");
            keys.ctrl('c');
        })
        .await;
    assert_eq!(app.history.entries.len(), 1, "one request, one entry");
    let stored = world.demo.identity(&id_of(ADA)).await.unwrap_or_default();
    assert_eq!(stored["state"], "inactive", "the first write landed");
    let lines: Vec<Value> = world
        .audit()
        .into_iter()
        .filter(|line| line["identity_id"] == id_of(ADA).as_str())
        .collect();
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap_or_default()).collect();
    assert_eq!(events, ["intent", "outcome"], "no second attempt: {lines:?}");
    assert_eq!(lines[0]["why"], "SUP-4711 deactivation requested");
    assert_eq!(lines[0]["identifier"], ADA);
}

/// The reason of one write is offered on the next (support staff make
/// several writes for one ticket), and each intent records its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_reason_is_offered_on_the_next_write() {
    let world = World::start().await;
    let id = id_of(ADA);
    world
        .run(false, None, |mut keys| async move {
            open_detail(&mut keys, ADA, &id).await;
            for round in 0..2 {
                keys.ch('s');
                keys.wait_for("Change state").await;
                keys.ch(' ');
                keys.ctrl('s');
                keys.wait_for("Send this change?").await;
                if round == 0 {
                    keys.ch('r');
                    keys.typed("SUP-77");
                    keys.press(KeyCode::Enter);
                } else {
                    let review = keys.wait_for("(your last write's; r changes it)").await;
                    assert!(review.contains("SUP-77"), "{review}");
                }
                keys.ch('y');
                keys.wait_for("Response  ✓ 200").await;
                keys.press(KeyCode::Esc);
                keys.wait("the detail", |s| s.contains("Summary")).await;
            }
            keys.ctrl('c');
        })
        .await;
    let whys: Vec<Value> = world
        .audit()
        .into_iter()
        .filter(|line| line["event"] == "intent")
        .map(|line| line["why"].clone())
        .collect();
    assert_eq!(whys, [Value::from("SUP-77"), Value::from("SUP-77")]);
}
