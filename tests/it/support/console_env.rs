//! The world the pseudo-terminal tests put the console in: a demo server on its
//! own runtime, a throwaway home with the demo key, and the screen steps every
//! editing test repeats (open an identity, review, send).
//!
//! Needs `mod pty;` (support/pty.rs) beside it at the test crate's root.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use idcon::demo::{DEMO_PRIVATE_KEY_PEM, DEMO_SDK_ID, DemoOptions, RunningDemo};
use serde_json::Value;

use crate::support::pty::{Console, WAIT};

/// The terminal size of the editing and safety tests: forms fit, rows count.
pub const COLS: u16 = 100;
pub const ROWS: u16 = 30;

pub const CTRL_S: &[u8] = b"\x13";
pub const DOWN: &[u8] = b"\x1b[B";
pub const LEFT: &[u8] = b"\x1b[D";
pub const RIGHT: &[u8] = b"\x1b[C";
pub const END: &[u8] = b"\x1b[F";
pub const DELETE: &[u8] = b"\x1b[3~";

/// A demo server on its own tokio runtime, for the blocking pty tests.
pub struct Demo {
    pub server: RunningDemo,
    // Dropped after the server: it runs the server's tasks.
    runtime: tokio::runtime::Runtime,
}

impl Demo {
    /// The demo as tests use it: curated seed, no faults.
    pub fn start() -> Demo {
        Demo::start_with(|_| {})
    }

    pub fn start_with(configure: impl FnOnce(&mut DemoOptions)) -> Demo {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("tokio runtime: {e}"),
        };
        let mut options = DemoOptions::for_tests();
        configure(&mut options);
        let server = match runtime.block_on(idcon::demo::start(options)) {
            Ok(server) => server,
            Err(e) => panic!("demo server: {e:#}"),
        };
        Demo { server, runtime }
    }

    /// The curated seed plus generated identities: 1,200 in all, several pages.
    pub fn paged() -> Demo {
        Demo::start_with(|o| o.seed_count = Some(1200))
    }

    /// The identity as the server stores it (credential configs included).
    pub fn identity(&self, id: &str) -> Value {
        match self.runtime.block_on(self.server.identity(id)) {
            Some(identity) => identity,
            None => panic!("the demo server has no identity {id}"),
        }
    }

    /// Changes the identity on the server, as another admin would.
    pub fn change_behind_the_back(&self, id: &str, change: impl FnOnce(&mut Value)) {
        if let Err(e) = self.runtime.block_on(self.server.mutate_identity(id, change)) {
            panic!("mutate_identity: {e:#}");
        }
    }
}

/// A user's home for one test: the demo key (0600) and the XDG folders. Two
/// consoles started from the same `Home` share their state folder, as two
/// sessions of one user on a bastion do.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub key: PathBuf,
}

impl Home {
    pub fn new() -> Home {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("tempdir: {e}"),
        };
        let key = dir.path().join("demo-key.pem");
        if let Err(e) = std::fs::write(&key, DEMO_PRIVATE_KEY_PEM)
            .and_then(|()| std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)))
        {
            panic!("writing the key: {e}");
        }
        Home { dir, key }
    }

    pub fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// `$XDG_STATE_HOME/idcon`.
    pub fn state(&self) -> PathBuf {
        self.path("state").join("idcon")
    }

    pub fn audit_file(&self) -> PathBuf {
        self.state().join("audit.jsonl")
    }

    pub fn log_file(&self) -> PathBuf {
        self.state().join("idcon.log")
    }

    pub fn drafts(&self) -> PathBuf {
        self.state().join("drafts")
    }

    /// The draft file of `id`, whatever the profile folder is called.
    pub fn draft_file(&self, id: &str) -> Option<PathBuf> {
        let folders = std::fs::read_dir(self.drafts()).ok()?;
        folders
            .filter_map(Result::ok)
            .map(|entry| entry.path().join(format!("{id}.json")))
            .find(|path| path.is_file())
    }

    /// Starts the binary with exactly `args`, living in this home (HOME, the
    /// XDG folders, a UTF-8 locale) with `env` added; does not wait.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Console {
        let home = self.path("").display().to_string();
        let state = self.path("state").display().to_string();
        let config = self.path("config").display().to_string();
        let mut all_env = vec![
            ("HOME", home.as_str()),
            ("XDG_STATE_HOME", state.as_str()),
            ("XDG_CONFIG_HOME", config.as_str()),
            ("LANG", "C.UTF-8"),
        ];
        all_env.extend_from_slice(env);
        Console::spawn(args, &all_env, cols, rows)
    }

    /// Starts the console against `demo` (its URL, this home's key, the demo
    /// SDK id) with `extra` flags and `env` added; does not wait.
    pub fn spawn_console(&self, demo: &Demo, extra: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Console {
        let base_url = demo.server.base_url();
        let key = self.key.display().to_string();
        let mut args = vec![
            "--base-url",
            base_url.as_str(),
            "--key",
            key.as_str(),
            "--sdk-id",
            DEMO_SDK_ID,
        ];
        args.extend_from_slice(extra);
        self.spawn(&args, env, cols, rows)
    }

    /// Opens the console against `demo` in a [`COLS`] x [`ROWS`] terminal and
    /// waits for the first list frame with identities in it.
    pub fn console(&self, demo: &Demo, extra: &[&str], env: &[(&str, &str)]) -> Console {
        let console = self.spawn_console(demo, extra, env, COLS, ROWS);
        console.wait_until("the first list frame", WAIT, |s| {
            s.contains("IDENTIFIER") && s.contains(" loaded") && s.contains('@')
        });
        console
    }
}

fn demo_identities() -> Vec<Value> {
    match serde_json::from_str(include_str!("../../../assets/demo/identities.json")) {
        Ok(all) => all,
        Err(e) => panic!("demo identities: {e}"),
    }
}

/// One curated demo identity (`assets/demo/identities.json`), by its e-mail.
pub fn curated(email: &str) -> Value {
    match demo_identities().into_iter().find(|i| i["traits"]["email"] == email) {
        Some(identity) => identity,
        None => panic!("no curated identity with e-mail {email}"),
    }
}

pub fn id_of(identity: &Value) -> String {
    identity["id"].as_str().unwrap_or_default().to_owned()
}

/// The identity with the smallest id: the first row of the list.
pub fn first_identity() -> Value {
    match demo_identities().into_iter().min_by(|a, b| id_of(a).cmp(&id_of(b))) {
        Some(identity) => identity,
        None => panic!("no demo identities"),
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Searches the server for `email`, opens its detail view and returns it
/// once loaded.
pub fn open_detail(console: &mut Console, email: &str, id: &str) -> String {
    console.keys("/");
    console.wait_until("the search prompt", WAIT, |s| s.contains("ask the server"));
    console.type_text(email);
    console.enter();
    console.wait_until("the search result", WAIT, |s| {
        s.contains("1 identity on the server matches")
    });
    console.enter();
    wait_detail_loaded(console, id)
}

pub fn wait_detail_loaded(console: &Console, id: &str) -> String {
    console.wait_until("the loaded detail", WAIT, |s| {
        s.contains("Summary") && s.contains(id) && !s.contains("loading…")
    })
}

/// Ctrl-S in a form: waits for the review.
pub fn review(console: &mut Console) -> String {
    console.send(CTRL_S);
    console.wait_for("Send this change?")
}

/// `y` in the review: waits for the response view and returns it.
pub fn send_and_wait_response(console: &mut Console) -> String {
    console.keys("y");
    console.wait_until("the response", WAIT, |s| {
        s.contains("Response  ✓") || s.contains("Response  ✗")
    })
}
