//! The CLI harness: an in-process demo server, a scratch directory for
//! `XDG_CONFIG_HOME`/`XDG_STATE_HOME`, the demo key written there (0600), and
//! `idcon` run as a child process against it. Test modules wrap it in their own
//! `Env` (which derefs to this) to add their helpers.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Output, Stdio};

use idcon::api::Client;
use idcon::config::Profile;
use idcon::demo::{self, DemoOptions, RunningDemo};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

pub struct CliEnv {
    pub demo: RunningDemo,
    pub dir: tempfile::TempDir,
    pub key: PathBuf,
}

impl CliEnv {
    pub async fn start_with(options: DemoOptions) -> CliEnv {
        let demo = match demo::start(options).await {
            Ok(demo) => demo,
            Err(err) => panic!("demo server: {err:#}"),
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("demo-key.pem");
        std::fs::write(&key, demo::DEMO_PRIVATE_KEY_PEM).expect("write key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        CliEnv { demo, dir, key }
    }

    pub fn audit_path(&self) -> PathBuf {
        self.dir.path().join("state/idcon/audit.jsonl")
    }

    pub fn audit_text(&self) -> String {
        std::fs::read_to_string(self.audit_path()).unwrap_or_default()
    }

    pub fn audit_lines(&self) -> Vec<Value> {
        self.audit_text()
            .lines()
            .map(|line| serde_json::from_str(line).expect("audit line is JSON"))
            .collect()
    }

    /// `idcon --base-url ... --key ... --sdk-id ... ARGS` with the scratch
    /// XDG directories, no `IDCON_PROFILE`, stdout and stderr piped.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let base_url = self.demo.base_url();
        let key = self.key.to_str().expect("utf-8 path");
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_idcon"));
        command
            .args(["--base-url", &base_url, "--key", key, "--sdk-id", demo::DEMO_SDK_ID])
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env_remove("IDCON_PROFILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs `idcon --base-url ... --key ... --sdk-id ... ARGS` with `stdin`.
    pub async fn idcon(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut command = self.command(args);
        command.env_remove("NO_COLOR").stdin(Stdio::piped());
        let mut child = command.spawn().expect("run idcon");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin).await.expect("write stdin");
        drop(input);
        tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("idcon finished in time")
            .expect("idcon output")
    }

    /// The demo's base URL, key and SDK id as a profile.
    pub fn profile(&self) -> Profile {
        let mut profile = Profile::for_base_url("demo", url::Url::parse(&self.demo.base_url()).expect("url"));
        profile.key_file = Some(self.key.clone());
        profile.sdk_id = Some(demo::DEMO_SDK_ID.to_owned());
        profile
    }

    pub fn client(&self) -> Client {
        Client::new(&self.profile()).expect("client")
    }

    pub async fn stored(&self, id: &str) -> Value {
        self.demo.identity(id).await.expect("stored identity")
    }
}
