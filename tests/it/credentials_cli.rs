//! `idcon credentials delete` and `idcon verify` run as the binary against
//! the demo: what reaches the server, what the person is told, and the
//! audit trail (never a credential's config).

use std::process::{Output, Stdio};
use std::time::Duration;

use idcon::demo::DemoOptions;
use serde_json::{Value, json};

use crate::support::cli_env::CliEnv;

const GRACE: &str = "8c10562b-7b99-4e16-950e-5651b8d96afd";
const ADA: &str = "6762b34f-4e26-4a8e-a032-35a1e58e1b1c";
const MULTI: &str = "5fe32315-af5f-4f90-94d8-acb81ec6d45e";
const MINH: &str = "071df4db-4f59-4bfd-be53-0b74f0d9560d";

const CONFIG: &str = r#"
default = "relaxed"

[profiles.strict]
base_url = "http://127.0.0.1:9"
require_reason = true

[profiles.relaxed]
base_url = "http://127.0.0.1:9"
"#;

struct Env {
    base: CliEnv,
}

impl std::ops::Deref for Env {
    type Target = CliEnv;
    fn deref(&self) -> &CliEnv {
        &self.base
    }
}

impl Env {
    async fn start() -> Env {
        let base = CliEnv::start_with(DemoOptions::for_tests()).await;
        let config = base.dir.path().join("config/idcon");
        std::fs::create_dir_all(&config).expect("config folder");
        std::fs::write(config.join("config.toml"), CONFIG).expect("config");
        Env { base }
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        command
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("IDCON_LOG", "trace")
            .stdin(Stdio::null());
        let child = command.spawn().expect("run idcon");
        tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("idcon finished in time")
            .expect("idcon output")
    }

    fn sent(&self, method: &str) -> usize {
        self.demo.request_log().iter().filter(|r| r.method == method).count()
    }
}

fn out(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn err(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

#[tokio::test]
async fn one_social_sign_in_is_unlinked_with_what_is_lost_said_and_audited() {
    let env = Env::start().await;
    let done = env
        .run(&[
            "credentials",
            "delete",
            MULTI,
            "--type",
            "oidc",
            "--identifier",
            "github:4401214",
            "--yes",
            "--reason",
            "SUP-18 unlink GitHub",
        ])
        .await;
    assert_eq!(code(&done), Some(0), "{}", err(&done));
    let text = out(&done);
    assert!(
        text.contains("they lose: the social sign-in with github (subject 4401214)"),
        "{text}"
    );
    assert!(text.contains("they keep: password (1)"), "{text}");
    assert!(
        text.contains("removed the oidc credential link github:4401214 of multi.provider@example.com"),
        "{text}"
    );
    let stored = env.stored(MULTI).await;
    assert_eq!(
        stored["credentials"]["oidc"]["identifiers"],
        json!([
            "google:108000000000000000014",
            "microsoft:00000000-0000-0000-4ab1-1234567890ab"
        ])
    );

    let lines = env.audit_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        (lines[0]["event"].as_str(), lines[1]["event"].as_str()),
        (Some("intent"), Some("outcome"))
    );
    assert_eq!(lines[0]["method"], "DELETE");
    assert_eq!(lines[0]["why"], "SUP-18 unlink GitHub");
    assert_eq!(lines[0]["identity_id"], MULTI);
    assert_eq!(lines[0]["changes"][0]["pointer"], "/credentials/oidc/identifiers");
    assert_eq!(lines[0]["changes"][0]["new"].as_array().map(Vec::len), Some(2));
    assert_eq!(lines[1]["status"], 204);
    assert!(!env.audit_text().contains("hashed_password"));
    assert!(!env.audit_text().contains("$pbkdf2"), "no hash in the trail");
}

#[tokio::test]
async fn mistakes_are_caught_before_anything_is_sent() {
    let env = Env::start().await;
    let cases: [(&[&str], i32, &str); 4] = [
        (
            &["credentials", "delete", MULTI, "--type", "oidc", "--yes"],
            2,
            "say which oidc link to remove: --identifier with one of google:108000000000000000014",
        ),
        (
            &[
                "credentials",
                "delete",
                MULTI,
                "--type",
                "oidc",
                "--identifier",
                "google:nobody",
                "--yes",
            ],
            4,
            "the identity has no oidc link google:nobody",
        ),
        (
            &["credentials", "delete", MINH, "--type", "code", "--yes"],
            5,
            "Kratos's admin API cannot delete it; nothing was sent",
        ),
        (
            &["credentials", "delete", GRACE, "--type", "totp", "--yes"],
            4,
            "the identity has no totp credential (it has: password)",
        ),
    ];
    for (args, expected, says) in cases {
        let refused = env.run(args).await;
        assert_eq!(code(&refused), Some(expected), "{args:?}: {}", err(&refused));
        assert!(err(&refused).contains(says), "{args:?}: {}", err(&refused));
    }
    assert_eq!(env.sent("DELETE"), 0);
}

#[tokio::test]
async fn the_last_first_factor_is_explained_and_stays() {
    let env = Env::start().await;
    let before = env.stored(GRACE).await;
    let refused = env
        .run(&["credentials", "delete", GRACE, "--type", "password", "--yes"])
        .await;
    assert_eq!(code(&refused), Some(1), "{}", err(&refused));
    assert!(
        err(&refused).contains("the password credential is this person's last way to sign in"),
        "{}",
        err(&refused)
    );
    assert_eq!(env.stored(GRACE).await, before);
    let lines = env.audit_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[1]["status"], 400);
}

#[tokio::test]
async fn read_only_and_reasonless_writes_send_nothing() {
    let env = Env::start().await;
    for args in [
        vec![
            "--read-only",
            "credentials",
            "delete",
            ADA,
            "--type",
            "password",
            "--yes",
        ],
        vec![
            "--read-only",
            "verify",
            GRACE,
            "--address",
            "grace.hopper@example.org",
            "--yes",
        ],
    ] {
        let refused = env.run(&args).await;
        assert_eq!(code(&refused), Some(5), "{args:?}: {}", err(&refused));
        assert!(err(&refused).contains("read-only"), "{}", err(&refused));
    }
    let refused = env
        .run(&[
            "--profile",
            "strict",
            "verify",
            GRACE,
            "--address",
            "grace.hopper@example.org",
            "--yes",
        ])
        .await;
    assert_eq!(code(&refused), Some(5), "{}", err(&refused));
    assert!(err(&refused).contains("requires a reason"), "{}", err(&refused));
    assert_eq!(env.demo.request_log().len(), 0, "not even a read");
    let lines = env.audit_lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().all(|l| l["event"] == "refusal"));
    assert_eq!(lines[0]["method"], "DELETE");
    assert_eq!(lines[1]["method"], "PATCH");
}

#[tokio::test]
async fn no_question_without_a_terminal() {
    let env = Env::start().await;
    let refused = env.run(&["credentials", "delete", ADA, "--type", "password"]).await;
    assert_ne!(code(&refused), Some(0), "{}", out(&refused));
    assert_eq!(env.sent("DELETE"), 0);
    assert!(env.stored(ADA).await["credentials"]["password"]["config"]["hashed_password"].is_string());
}

#[tokio::test]
async fn an_address_is_marked_verified_once_and_back() {
    let env = Env::start().await;
    let done = env
        .run(&[
            "verify",
            GRACE,
            "--address",
            "grace.hopper@example.org",
            "--yes",
            "--reason",
            "SUP-5 mail never arrived",
        ])
        .await;
    assert_eq!(code(&done), Some(0), "{}", err(&done));
    assert!(
        out(&done).contains("marked grace.hopper@example.org of "),
        "{}",
        out(&done)
    );
    let stored = env.stored(GRACE).await;
    let address = &stored["verifiable_addresses"][0];
    assert_eq!(address["verified"], true);
    assert_eq!(address["status"], "completed");
    assert!(address["verified_at"].is_string());
    let lines = env.audit_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["method"], "PATCH");
    assert_eq!(
        lines[0]["changes"],
        json!([
            {"pointer": "/verifiable_addresses/0/verified", "old": false, "new": true},
            {"pointer": "/verifiable_addresses/0/status", "old": "sent", "new": "completed"}
        ])
    );
    assert_eq!(lines[1]["status"], 200);

    let patches = env.sent("PATCH");
    let again = env
        .run(&["verify", GRACE, "--address", "grace.hopper@example.org", "--yes"])
        .await;
    assert_eq!(code(&again), Some(0), "{}", err(&again));
    assert!(
        out(&again).contains("is already verified; nothing was sent"),
        "{}",
        out(&again)
    );
    assert_eq!(env.sent("PATCH"), patches);

    let back = env
        .run(&[
            "verify",
            GRACE,
            "--address",
            "GRACE.HOPPER@example.org",
            "--unverify",
            "--yes",
            "--output",
            "json",
        ])
        .await;
    assert_eq!(code(&back), Some(0), "{}", err(&back));
    let doc: Value = serde_json::from_str(&out(&back)).unwrap_or_default();
    assert_eq!(doc["verified"], false);
    assert_eq!(doc["status"], "pending");
    let stored = env.stored(GRACE).await;
    assert_eq!(stored["verifiable_addresses"][0]["verified"], false);
    assert!(stored["verifiable_addresses"][0].get("verified_at").is_none());
}

#[tokio::test]
async fn an_unknown_address_lists_the_ones_there_are() {
    let env = Env::start().await;
    let refused = env
        .run(&["verify", MINH, "--address", "nobody@example.com", "--yes"])
        .await;
    assert_eq!(code(&refused), Some(4), "{}", err(&refused));
    assert!(
        err(&refused).contains("(it has: minh.ferrari@example.fr, +12025550007)"),
        "{}",
        err(&refused)
    );
    assert_eq!(env.sent("PATCH"), 0);
}
