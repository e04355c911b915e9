//! Attribute-registry updates as support staff and scripts make them: the real
//! binary (and the shared write in `idcon::registry`) against the in-process
//! demo server, which verifies every signature. Checks that an update lands
//! and its answer is shown, that Yoti's refusals come with plain words, that
//! read-only profiles and dry runs send nothing, and that the issuance token
//! never reaches the audit trail or the output.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;
use std::sync::Arc;

use crate::support::cli_env::CliEnv;
use idcon::api::{AttributeUpdate, Client, IdentityQuery};
use idcon::audit::{AuditLog, Who};
use idcon::config::Profile;
use idcon::demo::DemoOptions;
use idcon::registry::{self, RegistryError};
use serde_json::{Value, json};

const TOKEN_POINTER: &str = "/metadata_admin/yoti/issuance_token";
const NAME: &str = "com.example.membership_level";

/// The shared CLI harness, plus this file's helpers.
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
        Env {
            base: CliEnv::start_with(DemoOptions::for_tests()).await,
        }
    }

    /// `attribute update --attribute-registry-url <demo> ARGS`.
    async fn attribute_update(&self, args: &[&str], stdin: &[u8]) -> Output {
        let registry = self.demo.attribute_registry_url();
        let mut all = vec!["attribute", "update", "--attribute-registry-url", registry.as_str()];
        all.extend_from_slice(args);
        self.idcon(&all, stdin).await
    }

    /// The shared profile, with the demo's attribute registry.
    fn profile(&self) -> Profile {
        let mut profile = self.base.profile();
        profile.attribute_registry_url = Some(url::Url::parse(&self.demo.attribute_registry_url()).expect("url"));
        profile
    }

    fn client(&self) -> Client {
        Client::new(&self.profile()).expect("client")
    }

    /// An identity that carries an issuance token, and the token.
    async fn holder(&self) -> (String, String) {
        self.holders()
            .await
            .into_iter()
            .next()
            .expect("a demo identity with an issuance token")
    }

    async fn holders(&self) -> Vec<(String, String)> {
        let page = self
            .client()
            .list_identities(&IdentityQuery {
                page_size: Some(500),
                ..IdentityQuery::default()
            })
            .await
            .expect("list");
        let mut found = Vec::new();
        for identity in page.value.items {
            let stored = self.stored(&identity.id).await;
            if let Some(token) = registry::issuance_token_at(&stored, TOKEN_POINTER) {
                found.push((identity.id, token));
            }
        }
        found
    }

    /// An identity without an issuance token.
    async fn non_holder(&self) -> String {
        let page = self
            .client()
            .list_identities(&IdentityQuery::default())
            .await
            .expect("list");
        for identity in page.value.items {
            if registry::issuance_token_at(&self.stored(&identity.id).await, TOKEN_POINTER).is_none() {
                return identity.id;
            }
        }
        panic!("every demo identity has a token")
    }

    /// The attribute `name` as the demo registry holds it for `id`.
    async fn attribute(&self, id: &str, name: &str) -> Value {
        self.stored(id).await["metadata_admin"]["yoti"]["attributes"][name].clone()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_exit(out: &Output, expected: i32) {
    assert_eq!(
        out.status.code().unwrap_or(-1),
        expected,
        "exit code\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

fn assert_token_absent(token: &str, texts: &[&str]) {
    for text in texts {
        assert!(!text.contains(token), "the issuance token leaked into:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_with_the_token_read_from_the_identity_reaches_the_server_and_the_answer_is_shown() {
    let env = Env::start().await;
    let (id, token) = env.holder().await;
    assert_ne!(env.attribute(&id, NAME).await, json!("gold"));

    let out = env
        .attribute_update(
            &["--identity", &id, "--name", NAME, "--value", "\"gold\"", "--yes"],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    // The demo verifies the signature before it changes anything: the value
    // being stored is the proof that the request arrived signed.
    assert_eq!(env.attribute(&id, NAME).await, json!("gold"));

    let shown = stdout(&out);
    let masked = registry::mask_token(&token);
    assert!(
        shown.contains(&format!(
            "body: {{\"issuance_token\":\"{masked}\",\"name\":\"{NAME}\",\"value\":\"gold\"}}"
        )),
        "the exact body, token masked:\n{shown}"
    );
    assert!(
        shown.contains(&format!("from identity {id} at {TOKEN_POINTER}")),
        "{shown}"
    );
    assert!(shown.contains("HTTP 200 OK"), "{shown}");
    let answer = shown.split("answer:\n").nth(1).expect("the answer is printed");
    let answer: Value = serde_json::from_str(answer).expect("the answer is JSON");
    assert_eq!(answer, json!({"name": NAME, "value": "gold"}));
    assert_token_absent(&token, &[&shown, &stderr(&out), &env.audit_text()]);

    // A value of any JSON type, and the JSON output for scripts.
    let out = env
        .attribute_update(
            &[
                "--identity",
                &id,
                "--name",
                NAME,
                "--value",
                "{\"tier\": 2}",
                "--yes",
                "--output",
                "json",
            ],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(doc["status"], 200);
    assert_eq!(doc["identity_id"], json!(id));
    assert_eq!(doc["answer"], json!({"name": NAME, "value": {"tier": 2}}));
    assert_eq!(doc["request"]["body"]["issuance_token"], json!(masked));
    assert_eq!(env.attribute(&id, NAME).await, json!({"tier": 2}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_token_is_a_404_explained_in_plain_words() {
    let env = Env::start().await;
    let token = "no-such-issuance-token-7f3a9c";
    let out = env
        .attribute_update(
            &["--issuance-token-stdin", "--name", NAME, "--value", "\"gold\"", "--yes"],
            format!("{token}\n").as_bytes(),
        )
        .await;
    assert_exit(&out, 4);
    let said = stderr(&out);
    let first = said.lines().next().unwrap_or_default();
    assert!(first.starts_with("idcon: HTTP 404"), "{said}");
    assert!(
        first.contains("No attribute was issued with this issuance token"),
        "Yoti's own message: {said}"
    );
    assert!(
        first.contains("what this means:") && first.contains("expired") && first.contains("sharing again"),
        "the plain-words explanation: {said}"
    );

    let out = env
        .attribute_update(
            &[
                "--issuance-token-stdin",
                "--name",
                NAME,
                "--value",
                "\"gold\"",
                "--yes",
                "--output",
                "json",
            ],
            format!("{token}\n").as_bytes(),
        )
        .await;
    assert_exit(&out, 4);
    let error: Value = serde_json::from_str(stderr(&out).trim()).expect("the error as JSON");
    assert_eq!(error["error"]["kind"], "not_found");
    assert_eq!(error["error"]["status"], 404);
    assert_eq!(error["error"]["server"]["reason"], "NOT_FOUND");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("what this means")),
        "{error}"
    );

    // Both attempts are on record, with Yoti's answer, and without the token.
    let lines = env.audit_lines();
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap_or("")).collect();
    assert_eq!(events, ["intent", "outcome", "intent", "outcome"]);
    assert_eq!(lines[1]["status"], 404);
    assert!(lines[1]["error"].as_str().is_some_and(|e| e.contains("NOT_FOUND")));
    let printed = [stdout(&out), stderr(&out)].concat();
    assert_token_absent(token, &[&env.audit_text(), &printed]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_profile_refuses_with_exit_5_sends_nothing_and_records_the_refusal() {
    let env = Env::start().await;
    let (id, token) = env.holder().await;
    let before = env.attribute(&id, NAME).await;

    let registry = env.demo.attribute_registry_url();
    let out = env
        .idcon(
            &[
                "--read-only",
                "attribute",
                "update",
                "--attribute-registry-url",
                &registry,
                "--identity",
                &id,
                "--name",
                NAME,
                "--value",
                "\"gold\"",
                "--yes",
            ],
            b"",
        )
        .await;
    assert_exit(&out, 5);
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(env.attribute(&id, NAME).await, before, "nothing was sent");

    let lines = env.audit_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let refusal = &lines[0];
    assert_eq!(refusal["event"], "refusal");
    assert_eq!(refusal["reason"], "read-only profile");
    assert_eq!(refusal["identity_id"], json!(id));
    assert_eq!(refusal["method"], "PUT");
    assert_eq!(refusal["url"], json!(format!("{registry}/attribute/update")));
    assert_eq!(env.audit_lines().len(), 1);
    assert_token_absent(&token, &[&env.audit_text(), &stdout(&out), &stderr(&out)]);

    // Through the shared write too: refused before anything is signed.
    let mut profile = env.profile();
    profile.read_only = true;
    let client = Client::new(&profile).expect("client");
    let log = Arc::new(AuditLog::open(&env.audit_path(), false).expect("audit"));
    let update = AttributeUpdate::new(token.clone(), NAME.to_owned(), json!("gold"));
    let result = registry::send_attribute_update(&client, Some(&log), &update, Some(&id)).await;
    assert!(matches!(result, Err(RegistryError::ReadOnly { .. })), "{result:?}");
    assert_eq!(env.attribute(&id, NAME).await, before);
    let lines = env.audit_lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["event"], "refusal");
    assert_token_absent(&token, &[&env.audit_text()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_holds_intent_and_outcome_with_one_request_id_and_never_the_token() {
    let env = Env::start().await;
    let (id, token) = env.holder().await;

    // The token from stdin, so that it stays out of shell history.
    let out = env
        .attribute_update(
            &[
                "--issuance-token-stdin",
                "--identity",
                &id,
                "--name",
                NAME,
                "--value",
                "\"platinum\"",
                "--yes",
            ],
            format!("{token}\n").as_bytes(),
        )
        .await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("(from stdin)"), "{}", stdout(&out));
    assert_eq!(env.attribute(&id, NAME).await, json!("platinum"));

    let lines = env.audit_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (intent, outcome) = (&lines[0], &lines[1]);
    assert_eq!(intent["event"], "intent");
    assert_eq!(outcome["event"], "outcome");
    let request_id = intent["request_id"].as_str().expect("request id");
    assert_eq!(outcome["request_id"], json!(request_id));
    assert!(stdout(&out).contains(request_id), "the request id is shown");
    assert_eq!(intent["identity_id"], json!(id));
    assert_eq!(outcome["status"], 200);
    let registry = env.demo.attribute_registry_url();
    assert!(
        intent["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&format!("{registry}/attribute/update?"))),
        "{intent}"
    );
    assert_eq!(
        intent["changes"],
        json!([
            {"pointer": "/issuance_token", "new": "<redacted>"},
            {"pointer": "/name", "new": NAME},
            {"pointer": "/value", "new": "platinum"},
        ])
    );
    let mode = std::fs::metadata(env.audit_path())
        .expect("audit file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert_token_absent(&token, &[&env.audit_text(), &stdout(&out), &stderr(&out)]);

    // `idcon audit --identity` finds the update.
    let out = env.idcon(&["audit", "--identity", &id, "--output", "json"], b"").await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains(request_id), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_prints_the_signed_request_and_sends_nothing() {
    let env = Env::start().await;
    let (id, token) = env.holder().await;
    let before = env.attribute(&id, NAME).await;

    for format in ["http", "json", "curl"] {
        let out = env
            .attribute_update(
                &[
                    "--identity",
                    &id,
                    "--name",
                    NAME,
                    "--value",
                    "\"gold\"",
                    "--dry-run",
                    "--format",
                    format,
                ],
                b"",
            )
            .await;
        assert_exit(&out, 0);
        let shown = stdout(&out);
        assert!(shown.contains("dry run, nothing was sent"), "{shown}");
        assert!(shown.contains("/attribute-registry/attribute/update?nonce="), "{shown}");
        assert!(shown.contains(&registry::mask_token(&token)), "{shown}");
        assert_token_absent(&token, &[&shown, &stderr(&out)]);
    }
    assert_eq!(env.attribute(&id, NAME).await, before, "nothing was sent");
    assert!(env.audit_lines().is_empty(), "a dry run writes nothing to the trail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_prefilled_from_the_profiles_pointer_and_its_absence_is_explained() {
    let env = Env::start().await;
    let (id, token) = env.holder().await;

    // A profile that keeps the token elsewhere.
    env.demo
        .mutate_identity(&id, |identity| {
            identity["metadata_public"] = json!({"yoti_token": token.clone()});
        })
        .await
        .expect("mutate");
    let stored = env.stored(&id).await;
    assert_eq!(
        registry::issuance_token_at(&stored, "/metadata_public/yoti_token").as_deref(),
        Some(token.as_str())
    );
    let config_dir = env.dir.path().join("config/idcon");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("config.toml"),
        format!(
            "default = \"demo\"\n\n[profiles.demo]\nbase_url = \"{}\"\nattribute_registry_url = \"{}\"\n\
             issuance_token_pointer = \"/metadata_public/yoti_token\"\n",
            env.demo.base_url(),
            env.demo.attribute_registry_url()
        ),
    )
    .expect("write config");
    let out = env
        .idcon(
            &[
                "attribute",
                "update",
                "--identity",
                &id,
                "--name",
                NAME,
                "--value",
                "\"bronze\"",
                "--yes",
            ],
            b"",
        )
        .await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("at /metadata_public/yoti_token"),
        "{}",
        stdout(&out)
    );
    assert_eq!(env.attribute(&id, NAME).await, json!("bronze"));

    // An identity without a token: told where idcon looked, nothing sent.
    let other = env.non_holder().await;
    let out = env
        .idcon(
            &[
                "attribute",
                "update",
                "--identity",
                &other,
                "--name",
                NAME,
                "--value",
                "\"x\"",
                "--yes",
            ],
            b"",
        )
        .await;
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("no issuance token at /metadata_public/yoti_token"),
        "{}",
        stderr(&out)
    );

    // No token and no identity: told how to give one.
    let out = env
        .attribute_update(&["--name", NAME, "--value", "\"x\"", "--yes"], b"")
        .await;
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--issuance-token-stdin"), "{}", stderr(&out));

    // A bare word is not JSON: told to quote it.
    let out = env
        .attribute_update(&["--identity", &id, "--name", NAME, "--value", "gold", "--yes"], b"")
        .await;
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("quotes"), "{}", stderr(&out));
    assert_eq!(env.attribute(&id, NAME).await, json!("bronze"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_write_masks_the_token_in_its_exchange_and_explains_refusals() {
    let env = Env::start().await;
    let (id, token) = env.holder().await;
    let log = Arc::new(AuditLog::open(&env.audit_path(), false).expect("audit").with_who(Who {
        user: "ana".to_owned(),
        uid: Some(1000),
        ssh_client: Some("203.0.113.7:52144".to_owned()),
        tty: None,
        host: "bastion-1".to_owned(),
    }));

    let client = env.client();
    let update = AttributeUpdate::new(token.clone(), NAME.to_owned(), json!("silver"));
    let result = registry::send_attribute_update(&client, Some(&log), &update, Some(&id))
        .await
        .expect("the update goes through");
    assert_eq!(result.exchange.status, 200);
    assert_eq!(result.answer, Some(json!({"name": NAME, "value": "silver"})));
    assert_eq!(env.attribute(&id, NAME).await, json!("silver"));
    let sent = result.exchange.request_body.clone().unwrap_or_default();
    assert!(
        sent.contains(&registry::mask_token(&token)) && sent.contains("silver"),
        "{sent}"
    );
    assert_token_absent(&token, &[&format!("{result:?}")]);

    // Unsigned (a profile without key_file): the demo refuses, idcon explains.
    let mut unsigned = env.profile();
    unsigned.key_file = None;
    let client = Client::new(&unsigned).expect("client");
    let update = AttributeUpdate::new(token.clone(), NAME.to_owned(), json!("unsigned"));
    let err = registry::send_attribute_update(&client, Some(&log), &update, Some(&id))
        .await
        .expect_err("an unsigned request is refused");
    assert_eq!(err.exchange().map(|e| e.status), Some(401));
    assert!(
        err.explanation()
            .is_some_and(|w| w.contains("unsigned") && w.contains("key_file")),
        "{:?}",
        err.explanation()
    );
    assert_eq!(env.attribute(&id, NAME).await, json!("silver"));

    // An unknown token: 404, explained, and masked wherever it could show.
    let bogus = "bogus-token-0000-1111-2222";
    let update = AttributeUpdate::new(bogus.to_owned(), NAME.to_owned(), json!("x"));
    let err = registry::send_attribute_update(&env.client(), Some(&log), &update, None)
        .await
        .expect_err("unknown token");
    assert_eq!(err.exchange().map(|e| e.status), Some(404));
    assert!(err.explanation().is_some_and(|w| w.contains("issuance token")));
    let body = err.exchange().and_then(|e| e.request_body.clone()).unwrap_or_default();
    assert!(body.contains("********2222"), "{body}");
    assert_token_absent(bogus, &[&format!("{err:?}"), &err.to_string(), &body]);

    // Three requests, six lines, each pair sharing its request id; the user
    // who made them named; no token anywhere.
    let lines = env.audit_lines();
    assert_eq!(lines.len(), 6);
    for pair in lines.chunks(2) {
        assert_eq!(pair[0]["event"], "intent");
        assert_eq!(pair[1]["event"], "outcome");
        assert_eq!(pair[0]["request_id"], pair[1]["request_id"]);
        assert_eq!(pair[0]["user"], "ana");
    }
    assert_eq!(
        lines.iter().map(|l| l["status"].clone()).collect::<Vec<_>>(),
        [
            Value::Null,
            json!(200),
            Value::Null,
            json!(401),
            Value::Null,
            json!(404)
        ]
    );
    assert_token_absent(&token, &[&env.audit_text()]);
    assert_token_absent(bogus, &[&env.audit_text()]);
}
