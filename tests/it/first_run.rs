//! A first run, as a new user meets it: `idcon` with nothing configured says
//! where it looked, offers the demo and prints a profile that works when
//! copied; `idcon demo --server-only` prints a ready profile whose `key_file`
//! is a 0600 copy of the demo key, and `idcon list` works with it pasted into
//! config.toml. A symbolic link planted where the copy goes is refused.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const IDCON: &str = env!("CARGO_BIN_EXE_idcon");

/// `idcon ARGS` with only the given environment (no XDG or HOME of the
/// person running the tests leaks in).
fn idcon(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(IDCON);
    command
        .args(args)
        .env_remove("HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_STATE_HOME")
        .env_remove("IDCON_PROFILE")
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    match command.output() {
        Ok(output) => output,
        Err(err) => panic!("cannot run {IDCON}: {err}"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The indented profile in a first-run hint, as the user would copy it.
fn copied_snippet(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim_start().starts_with("default = ")) else {
        panic!("no profile in the hint:\n{stderr}")
    };
    lines[start..]
        .iter()
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn with_nothing_configured_the_console_offers_the_demo_and_a_profile_that_works() {
    let Ok(home) = tempfile::tempdir() else {
        panic!("tempdir")
    };
    // Only HOME, as on a fresh account: the file is looked for in ~/.config.
    let out = idcon(&[], &[("HOME", home.path())]);
    assert_eq!(out.status.code(), Some(1), "a first run is no success");
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", text(&out.stdout));
    let stderr = text(&out.stderr);
    let expected = home.path().join(".config/idcon/config.toml");
    assert!(
        stderr.starts_with(&format!(
            "idcon: no profile to use: there is no config file at {}",
            expected.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("First run?") && stderr.contains("\n    idcon demo\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("create {} with a profile", expected.display())),
        "{stderr}"
    );

    // The profile shown, copied where the hint says, is read as a config.
    let snippet = copied_snippet(&stderr);
    assert!(snippet.contains("[profiles.staging]"), "{snippet}");
    std::fs::create_dir_all(home.path().join(".config/idcon")).expect("config folder");
    std::fs::write(&expected, &snippet).expect("write config");
    let profiles = idcon(&["profiles"], &[("HOME", home.path())]);
    assert!(profiles.status.success(), "{}", text(&profiles.stderr));
    assert!(text(&profiles.stdout).contains("staging"), "{}", text(&profiles.stdout));
}

#[test]
fn without_a_home_the_hint_says_to_pass_a_config_file() {
    let out = idcon(&[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no config folder could be found ($HOME is not set)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--config FILE") && stderr.contains("    idcon demo\n"),
        "{stderr}"
    );

    // A command with human output gets the same help; a JSON one a JSON line.
    let list = idcon(&["list"], &[]);
    assert_eq!(list.status.code(), Some(1));
    assert!(text(&list.stderr).contains("First run?"), "{}", text(&list.stderr));
    let json = idcon(&["list", "--output", "jsonl"], &[]);
    assert_eq!(json.status.code(), Some(1));
    assert_eq!(text(&json.stderr).lines().count(), 1, "{}", text(&json.stderr));
}

/// `idcon demo --server-only` running, its stdout read line by line.
struct Demo {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Demo {
    fn start(xdg: &Path) -> Demo {
        let spawned = Command::new(IDCON)
            .args(["demo", "--server-only"])
            .env_remove("HOME")
            .env("XDG_CONFIG_HOME", xdg.join("config"))
            .env("XDG_STATE_HOME", xdg.join("state"))
            .env_remove("IDCON_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(err) => panic!("cannot start {IDCON}: {err}"),
        };
        let (tx, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            let stderr = std::sync::Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Ok(mut text) = stderr.lock() {
                        text.push_str(&line);
                        text.push('\n');
                    }
                }
            });
        }
        Demo { child, lines, stderr }
    }

    /// The banner up to and with the profile's last line (bounded wait).
    fn banner(&mut self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut lines = Vec::new();
        while !lines
            .iter()
            .any(|l: &String| l.starts_with("attribute_registry_url = "))
        {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(err) => {
                    let _ = self.child.kill();
                    panic!("the demo printed no whole profile ({err}): {lines:?}")
                }
            }
        }
        lines
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `[profiles.demo]` table of a banner, as TOML text.
fn profile_of(banner: &[String]) -> String {
    let Some(start) = banner.iter().position(|l| l == "[profiles.demo]") else {
        panic!("no profile in {banner:?}")
    };
    banner[start..].join("\n") + "\n"
}

#[test]
fn the_demo_server_prints_a_ready_profile_with_a_private_copy_of_its_key() {
    let Ok(xdg) = tempfile::tempdir() else {
        panic!("tempdir")
    };
    let mut demo = Demo::start(xdg.path());
    let snippet = profile_of(&demo.banner());
    let parsed: toml::Table = match snippet.parse() {
        Ok(parsed) => parsed,
        Err(err) => panic!("not TOML ({err}):\n{snippet}"),
    };
    let profile = &parsed["profiles"]["demo"];
    for key in ["base_url", "public_url", "sdk_id", "key_file", "attribute_registry_url"] {
        assert!(
            profile.get(key).and_then(toml::Value::as_str).is_some(),
            "{key} in\n{snippet}"
        );
    }
    let copy = xdg.path().join("state/idcon/demo-private-key.pem");
    assert_eq!(profile["key_file"].as_str(), copy.to_str());
    let meta = std::fs::metadata(&copy).expect("the key copy exists");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::read_to_string(&copy).ok().as_deref(),
        Some(idcon::demo::DEMO_PRIVATE_KEY_PEM)
    );

    // Pasted into config.toml as printed, it just works.
    let config = xdg.path().join("config/idcon/config.toml");
    std::fs::create_dir_all(xdg.path().join("config/idcon")).expect("config folder");
    std::fs::write(&config, &snippet).expect("config");
    let env = [
        ("XDG_CONFIG_HOME", xdg.path().join("config")),
        ("XDG_STATE_HOME", xdg.path().join("state")),
    ];
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let list = idcon(&["list", "--limit", "5", "--output", "jsonl"], &env);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    assert_eq!(listed.lines().count(), 5, "{listed}");
    for line in listed.lines() {
        let identity: serde_json::Value = serde_json::from_str(line).expect("a JSON identity");
        assert!(identity["id"].is_string(), "{line}");
    }
    assert!(demo.stderr().is_empty(), "no warning: {}", demo.stderr());
    drop(demo);

    // A second run reuses the copy (same file, same content, still 0600).
    let mut again = Demo::start(xdg.path());
    let snippet = profile_of(&again.banner());
    assert!(
        snippet.contains(&format!("key_file = {:?}", copy.display().to_string())),
        "{snippet}"
    );
    let meta = std::fs::metadata(&copy).expect("the key copy exists");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_symbolic_link_where_the_key_copy_goes_is_refused_not_followed() {
    let Ok(xdg) = tempfile::tempdir() else {
        panic!("tempdir")
    };
    let folder = xdg.path().join("state/idcon");
    std::fs::create_dir_all(&folder).expect("state folder");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let target = xdg.path().join("authorized_keys");
    std::fs::write(&target, "theirs\n").expect("target");
    std::os::unix::fs::symlink(&target, folder.join("demo-private-key.pem")).expect("plant the link");

    let mut demo = Demo::start(xdg.path());
    let snippet = profile_of(&demo.banner());
    assert_eq!(std::fs::read_to_string(&target).ok().as_deref(), Some("theirs\n"));
    assert!(
        !snippet.lines().any(|l| l.starts_with("key_file")),
        "no key_file through the link:\n{snippet}"
    );
    assert!(snippet.contains("# key_file = "), "{snippet}");
    assert!(snippet.parse::<toml::Table>().is_ok(), "still TOML:\n{snippet}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !demo.stderr().contains("symbolic link") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let stderr = demo.stderr();
    assert!(stderr.contains("demo-private-key.pem is a symbolic link"), "{stderr}");
}
