//! The shared write pipeline (`idcon::write`) against the in-process demo
//! server: each kind of edit reaches the server as exactly the intended change
//! with every other member kept, the bodies sent validate against
//! `updateIdentityBody` in the Kratos OpenAPI spec, a change made behind our
//! back is caught before sending, a read-only profile sends nothing, and the
//! audit trail holds intent and outcome but never a password.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::support::openapi::update_identity_body_validator as body_validator;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use idcon::api::{Client, CredentialsImport, IdentityQuery, IdentityState, OidcProviderImport};
use idcon::audit::{self, AuditLog, Entry};
use idcon::config::Profile;
use idcon::demo::{self, DemoOptions, RunningDemo};
use idcon::diff;
use idcon::write::{self, Edit, Freshness, PlannedWrite, Resolution, Snapshot, WriteError};
use serde_json::{Value, json};

/// A demo server, a signing client for it and an audit trail in a temp folder.
struct Env {
    demo: RunningDemo,
    dir: tempfile::TempDir,
    client: Client,
    audit: Arc<AuditLog>,
}

impl Env {
    async fn start() -> Env {
        let demo = match demo::start(DemoOptions::for_tests()).await {
            Ok(demo) => demo,
            Err(err) => panic!("demo server: {err:#}"),
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let client = Client::new(&profile(&demo, &dir, false)).expect("client");
        let audit = AuditLog::open(&dir.path().join("state/audit.jsonl"), false).expect("audit trail");
        Env {
            demo,
            dir,
            client,
            audit: Arc::new(audit),
        }
    }

    fn audit_path(&self) -> PathBuf {
        self.dir.path().join("state/audit.jsonl")
    }

    fn audit_entries(&self) -> Vec<Entry> {
        audit::read_entries(&self.audit_path(), &audit::Filter::default()).expect("read audit")
    }

    fn audit_text(&self) -> String {
        std::fs::read_to_string(self.audit_path()).unwrap_or_default()
    }

    /// The identity as the server stores it, credential configs included.
    async fn stored(&self, id: &str) -> Value {
        self.demo.identity(id).await.expect("stored identity")
    }

    /// The first curated identity that `pick` accepts (judged on the stored JSON).
    async fn find(&self, pick: impl Fn(&Value) -> bool) -> String {
        let page = self
            .client
            .list_identities(&IdentityQuery {
                page_size: Some(500),
                ..IdentityQuery::default()
            })
            .await
            .expect("list");
        for identity in &page.value.items {
            if pick(&self.stored(&identity.id).await) {
                return identity.id.clone();
            }
        }
        panic!("no demo identity fits the test")
    }

    async fn snapshot(&self, id: &str) -> Snapshot {
        write::fetch(&self.client, id).await.expect("GET identity")
    }

    async fn plan(&self, id: &str, edit: &Edit) -> PlannedWrite {
        let snapshot = self.snapshot(id).await;
        let planned = write::plan(&snapshot, edit).unwrap_or_else(|err| panic!("plan: {err}"));
        assert_valid_body(&self.client, &planned);
        planned
    }

    /// Plans, checks freshness and sends, as the console and commands do.
    async fn apply(&self, id: &str, edit: &Edit) -> write::WriteResult {
        let planned = self.plan(id, edit).await;
        let fresh = write::check_fresh(&self.client, &planned).await.expect("fresh GET");
        assert_eq!(fresh, Freshness::Unchanged);
        write::send(&self.client, Some(&self.audit), &planned)
            .await
            .unwrap_or_else(|err| panic!("send: {err}"))
    }
}

fn profile(demo: &RunningDemo, dir: &tempfile::TempDir, read_only: bool) -> Profile {
    let key = dir.path().join("demo-key.pem");
    if !key.exists() {
        std::fs::write(&key, demo::DEMO_PRIVATE_KEY_PEM).expect("write key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod key");
    }
    let mut profile = Profile::for_base_url("demo", url::Url::parse(&demo.base_url()).expect("demo URL"));
    profile.key_file = Some(key);
    profile.sdk_id = Some(demo::DEMO_SDK_ID.to_owned());
    profile.read_only = read_only;
    profile.audit_file = Some(dir.path().join("state/audit.jsonl"));
    profile
}

/// The exact bytes that would be sent validate against the spec.
fn assert_valid_body(client: &Client, planned: &PlannedWrite) {
    let prepared = write::sign(client, planned).unwrap_or_else(|err| panic!("sign: {err}"));
    let bytes = prepared.body.expect("a PUT has a body");
    let body: Value = serde_json::from_slice(&bytes).expect("the body is JSON");
    let validator = body_validator();
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "body does not match updateIdentityBody: {errors:?}\n{body}"
    );
}

/// Members the server moves on every write.
const MOVING: &[&str] = &[
    "/updated_at",
    "/state_changed_at",
    "/verifiable_addresses",
    "/recovery_addresses",
];

/// `after` differs from `before` only under `allowed` (and the members the
/// server moves on every write).
fn assert_only_changed(before: &Value, after: &Value, allowed: &[&str]) {
    let under = |pointer: &str, prefix: &str| pointer == prefix || pointer.starts_with(&format!("{prefix}/"));
    for change in diff::diff(before, after) {
        let expected = allowed
            .iter()
            .chain(MOVING)
            .any(|prefix| under(&change.pointer, prefix));
        assert!(
            expected,
            "{} changed although it was not edited: {:?} -> {:?}",
            change.pointer, change.old, change.new
        );
    }
}

fn is_email_schema(stored: &Value) -> bool {
    stored["schema_id"] == "email-password" && stored["traits"]["name"]["first"].is_string()
}

#[tokio::test]
async fn a_trait_edit_changes_that_trait_and_nothing_else() {
    let env = Env::start().await;
    let id = env.find(is_email_schema).await;
    let before = env.stored(&id).await;
    let edit = Edit {
        set: vec![("/traits/name/first".to_owned(), json!("Zoë-Tést"))],
        ..Edit::default()
    };
    let result = env.apply(&id, &edit).await;
    assert_eq!(result.exchange.status, 200);
    assert_eq!(result.identity.identity.traits["name"]["first"], "Zoë-Tést");
    let after = env.stored(&id).await;
    assert_eq!(after["traits"]["name"]["first"], "Zoë-Tést");
    assert_ne!(after["updated_at"], before["updated_at"]);
    assert_only_changed(&before, &after, &["/traits/name/first"]);
}

#[tokio::test]
async fn a_state_change_and_a_whole_traits_replacement_keep_every_other_member() {
    let env = Env::start().await;
    let id = env
        .find(|s| is_email_schema(s) && s["state"] == "active" && !s["metadata_admin"].is_null())
        .await;
    let before = env.stored(&id).await;
    let edit = Edit {
        state: Some(IdentityState::Inactive),
        ..Edit::default()
    };
    env.apply(&id, &edit).await;
    let after = env.stored(&id).await;
    assert_eq!(after["state"], "inactive");
    assert_ne!(after["state_changed_at"], before["state_changed_at"]);
    assert_only_changed(&before, &after, &["/state"]);

    let mut traits = after["traits"].clone();
    traits["name"]["last"] = json!("Replaced");
    let edit = Edit {
        traits: Some(traits),
        ..Edit::default()
    };
    env.apply(&id, &edit).await;
    let replaced = env.stored(&id).await;
    assert_eq!(replaced["traits"]["name"]["last"], "Replaced");
    assert_only_changed(&after, &replaced, &["/traits/name/last"]);
}

#[tokio::test]
async fn metadata_can_be_set_to_null_and_a_member_added_under_null() {
    let env = Env::start().await;
    let id = env
        .find(|s| s["metadata_public"].is_object() && s["metadata_admin"].is_null())
        .await;
    let before = env.stored(&id).await;
    let edit = Edit {
        metadata_public: Some(Value::Null),
        set: vec![("/metadata_admin/ticket".to_owned(), json!("SUP-42"))],
        ..Edit::default()
    };
    let planned = env.plan(&id, &edit).await;
    let pointers: Vec<&str> = planned.changes.iter().map(|c| c.pointer.as_str()).collect();
    assert_eq!(pointers, ["/metadata_public", "/metadata_admin"]);
    write::send(&env.client, Some(&env.audit), &planned)
        .await
        .expect("send");
    let after = env.stored(&id).await;
    assert_eq!(after["metadata_public"], Value::Null);
    assert_eq!(after["metadata_admin"], json!({"ticket": "SUP-42"}));
    assert_only_changed(&before, &after, &["/metadata_public", "/metadata_admin"]);
}

#[tokio::test]
async fn a_plaintext_password_import_works_and_the_password_is_nowhere_on_our_side() {
    let env = Env::start().await;
    let id = env.find(|s| s["credentials"]["password"].is_object()).await;
    let before = env.stored(&id).await;
    let password = "Correct-Horse-7391-Battery";
    let edit = Edit {
        credentials: Some(CredentialsImport::plaintext_password(password.to_owned())),
        ..Edit::default()
    };
    let planned = env.plan(&id, &edit).await;
    assert!(!format!("{planned:?}").contains(password));
    assert!(
        !serde_json::to_string(&planned.changes)
            .unwrap_or_default()
            .contains(password)
    );
    let result = write::send(&env.client, Some(&env.audit), &planned)
        .await
        .expect("send");
    assert_eq!(result.exchange.status, 200);
    assert!(!result.exchange.request_body.unwrap_or_default().contains(password));

    let after = env.stored(&id).await;
    let stored_hash = after["credentials"]["password"]["config"]["hashed_password"]
        .as_str()
        .expect("a stored hash")
        .to_owned();
    let parsed = PasswordHash::new(&stored_hash).expect("a PHC hash");
    assert!(
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        "the server must hold the new password"
    );
    assert_only_changed(&before, &after, &["/credentials/password"]);
    // The OIDC and code credentials, if any, are untouched.
    assert_eq!(after["credentials"]["oidc"], before["credentials"]["oidc"]);

    let audit = env.audit_text();
    assert!(!audit.contains(password), "password in the audit trail");
    assert!(audit.contains("\"event\":\"intent\"") && audit.contains("\"event\":\"outcome\""));
}

#[tokio::test]
async fn a_hashed_password_is_stored_as_sent_and_a_bad_hash_never_leaves() {
    let env = Env::start().await;
    let id = env.find(|s| s["credentials"]["password"].is_object()).await;
    let before = env.stored(&id).await;
    for hash in [
        idcon::hashes::hash_password_argon2id("locally-hashed-secret").expect("argon2id"),
        "$2a$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq".to_owned(),
    ] {
        let edit = Edit {
            credentials: Some(CredentialsImport::hashed_password(hash.clone())),
            ..Edit::default()
        };
        env.apply(&id, &edit).await;
        let after = env.stored(&id).await;
        assert_eq!(after["credentials"]["password"]["config"]["hashed_password"], hash);
        assert_only_changed(&before, &after, &["/credentials/password"]);
        assert!(!env.audit_text().contains(&hash), "hash in the audit trail");
    }

    // Refused while planning: nothing is built, nothing sent.
    let current = env.stored(&id).await;
    let bad = "$2b$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlD"; // cut short
    let edit = Edit {
        credentials: Some(CredentialsImport::hashed_password(bad.to_owned())),
        ..Edit::default()
    };
    let snapshot = env.snapshot(&id).await;
    match write::plan(&snapshot, &edit) {
        Err(WriteError::InvalidEdit(message)) => {
            assert!(message.contains("bcrypt") && !message.contains(bad), "{message}")
        }
        other => panic!("a bad hash must be refused: {other:?}"),
    }
    // And refused at send time too, should a bad hash get into a planned body.
    let mut planned = write::plan(
        &snapshot,
        &Edit {
            set: vec![("/metadata_public".to_owned(), json!({"x": 1}))],
            ..Edit::default()
        },
    )
    .expect("plan");
    planned.body.credentials = Some(CredentialsImport::hashed_password(bad.to_owned()));
    let lines_before = env.audit_entries().len();
    assert!(matches!(
        write::send(&env.client, Some(&env.audit), &planned).await,
        Err(WriteError::InvalidEdit(_))
    ));
    assert_eq!(env.stored(&id).await, current, "nothing may reach the server");
    let entries = env.audit_entries();
    assert_eq!(entries.len(), lines_before + 1);
    let refusal = entries.last().expect("a refusal line");
    assert_eq!(refusal.event, "refusal");
    assert_eq!(refusal.identity_id.as_deref(), Some(id.as_str()));
    assert!(!env.audit_text().contains(bad));
}

#[tokio::test]
async fn an_oidc_link_is_appended_to_the_existing_ones() {
    let env = Env::start().await;
    let id = env.find(|s| s["credentials"]["oidc"]["identifiers"].is_array()).await;
    let before = env.stored(&id).await;
    let existing: Vec<Value> = before["credentials"]["oidc"]["identifiers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let edit = Edit {
        credentials: Some(CredentialsImport::oidc(vec![OidcProviderImport {
            provider: "github".to_owned(),
            subject: "idcon-test-4242".to_owned(),
            ..OidcProviderImport::default()
        }])),
        ..Edit::default()
    };
    let result = env.apply(&id, &edit).await;
    let links = result.identity.identity.oidc_links();
    assert!(
        links.contains(&("github".to_owned(), "idcon-test-4242".to_owned())),
        "{links:?}"
    );
    let after = env.stored(&id).await;
    let identifiers = after["credentials"]["oidc"]["identifiers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for old in &existing {
        assert!(identifiers.contains(old), "{old} was unlinked: {identifiers:?}");
    }
    assert!(identifiers.contains(&json!("github:idcon-test-4242")));
    assert_only_changed(&before, &after, &["/credentials/oidc"]);

    // Linking it again is refused before anything is sent.
    let snapshot = env.snapshot(&id).await;
    assert!(matches!(write::plan(&snapshot, &edit), Err(WriteError::InvalidEdit(m)) if m.contains("exists already")));
}

#[tokio::test]
async fn a_change_behind_our_back_is_caught_merged_when_disjoint_and_refused_when_not() {
    let env = Env::start().await;
    let id = env.find(is_email_schema).await;
    let edit = Edit {
        set: vec![("/traits/name/first".to_owned(), json!("Mine"))],
        ..Edit::default()
    };
    let planned = env.plan(&id, &edit).await;

    // Someone else changes another member.
    env.demo
        .mutate_identity(&id, |identity| {
            identity["metadata_public"] = json!({"changed_by": "someone else"});
        })
        .await
        .expect("mutate");
    let Freshness::Changed { server_changes, latest } =
        write::check_fresh(&env.client, &planned).await.expect("fresh GET")
    else {
        panic!("the change behind our back must be seen")
    };
    let pointers: Vec<&str> = server_changes.iter().map(|c| c.pointer.as_str()).collect();
    assert!(
        pointers.iter().any(|p| p.starts_with("/metadata_public")),
        "{pointers:?}"
    );
    let merged = write::rebase(&planned, &latest, Resolution::Merge).expect("disjoint edits merge");
    assert_valid_body(&env.client, &merged);
    assert_eq!(
        write::check_fresh(&env.client, &merged).await.expect("GET"),
        Freshness::Unchanged
    );
    write::send(&env.client, Some(&env.audit), &merged)
        .await
        .expect("send merged");
    let after = env.stored(&id).await;
    assert_eq!(after["traits"]["name"]["first"], "Mine");
    assert_eq!(
        after["metadata_public"],
        json!({"changed_by": "someone else"}),
        "their change survives"
    );

    // Now both change the same trait: a conflict, and theirs is not overwritten.
    let planned = env
        .plan(
            &id,
            &Edit {
                set: vec![("/traits/name/first".to_owned(), json!("Mine again"))],
                ..Edit::default()
            },
        )
        .await;
    env.demo
        .mutate_identity(&id, |identity| identity["traits"]["name"]["first"] = json!("Theirs"))
        .await
        .expect("mutate");
    let Freshness::Changed { latest, .. } = write::check_fresh(&env.client, &planned).await.expect("GET") else {
        panic!("must be seen")
    };
    match write::rebase(&planned, &latest, Resolution::Merge) {
        Err(WriteError::Conflict { pointers }) => assert_eq!(pointers, ["/traits/name/first"]),
        other => panic!("expected a conflict: {other:?}"),
    }
    assert_eq!(env.stored(&id).await["traits"]["name"]["first"], "Theirs");
    // Overwrite is a deliberate choice: mine wins there, the rest stays theirs.
    let forced = write::rebase(&planned, &latest, Resolution::Overwrite).expect("overwrite");
    write::send(&env.client, Some(&env.audit), &forced).await.expect("send");
    let after = env.stored(&id).await;
    assert_eq!(after["traits"]["name"]["first"], "Mine again");
    assert_eq!(after["metadata_public"], json!({"changed_by": "someone else"}));
}

#[tokio::test]
async fn a_read_only_profile_signs_and_sends_nothing_and_says_so_in_the_audit_trail() {
    let env = Env::start().await;
    let id = env.find(is_email_schema).await;
    let planned = env
        .plan(
            &id,
            &Edit {
                state: Some(IdentityState::Inactive),
                ..Edit::default()
            },
        )
        .await;
    let read_only = Client::new(&profile(&env.demo, &env.dir, true)).expect("client");
    let before = env.stored(&id).await;
    assert!(matches!(
        write::sign(&read_only, &planned),
        Err(WriteError::ReadOnly { .. })
    ));
    match write::send(&read_only, Some(&env.audit), &planned).await {
        Err(WriteError::ReadOnly { profile }) => assert_eq!(profile, "demo"),
        other => panic!("expected a read-only refusal: {other:?}"),
    }
    assert_eq!(
        env.stored(&id).await,
        before,
        "the server must be untouched, updated_at included"
    );
    let entries = env.audit_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let refusal = &entries[0];
    assert_eq!(refusal.event, "refusal");
    assert_eq!(refusal.reason.as_deref(), Some("read-only profile"));
    assert_eq!(refusal.identity_id.as_deref(), Some(id.as_str()));
    assert_eq!(refusal.changed_pointers(), ["/state"]);

    // A read-only client pointed at a closed port also just refuses: nothing
    // was attempted on the network.
    let mut closed = profile(&env.demo, &env.dir, true);
    closed.base_url = url::Url::parse("http://127.0.0.1:9/").expect("url");
    let closed = Client::new(&closed).expect("client");
    assert!(matches!(
        write::send(&closed, None, &planned).await,
        Err(WriteError::ReadOnly { .. })
    ));
}

#[tokio::test]
async fn intent_and_outcome_share_the_request_id_and_a_failed_put_can_be_retried() {
    let env = Env::start().await;
    let id = env.find(is_email_schema).await;
    let edit = Edit {
        set: vec![("/metadata_admin/note".to_owned(), json!("retry me"))],
        ..Edit::default()
    };
    let planned = env.plan(&id, &edit).await;
    let before = env.stored(&id).await;
    env.demo.set_fail_every(Some(1));
    let failure = write::send(&env.client, Some(&env.audit), &planned).await;
    env.demo.set_fail_every(None);
    let Err(WriteError::Api(err)) = failure else {
        panic!("the injected 500 must fail the write: {failure:?}")
    };
    assert_eq!(err.status(), Some(500));
    assert_eq!(env.stored(&id).await, before);

    let result = write::send(&env.client, Some(&env.audit), &planned)
        .await
        .expect("retry");
    assert!(result.audit_warning.is_none());
    let entries = env.audit_entries();
    let events: Vec<(&str, Option<u16>)> = entries.iter().map(|e| (e.event.as_str(), e.status)).collect();
    assert_eq!(
        events,
        [
            ("intent", None),
            ("outcome", Some(500)),
            ("intent", None),
            ("outcome", Some(200))
        ]
    );
    assert_eq!(entries[0].request_id, entries[1].request_id);
    assert_eq!(entries[2].request_id, entries[3].request_id);
    assert_ne!(entries[0].request_id, entries[2].request_id);
    assert_eq!(entries[2].request_id.as_deref(), Some(result.request_id.as_str()));
    assert_eq!(result.exchange.request_id, result.request_id);
    assert_eq!(entries[2].changed_pointers(), ["/metadata_admin/note"]);
    assert!(entries[1].error.is_some());
    let mode = std::fs::metadata(env.audit_path())
        .expect("audit file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn the_spec_validator_can_fail() {
    let validator = body_validator();
    let good = json!({"schema_id": "default", "state": "active", "traits": {}});
    assert!(validator.is_valid(&good));
    for bad in [
        json!({"schema_id": "default", "traits": {}}),
        json!({"schema_id": "default", "state": "deleted", "traits": {}}),
        json!({"schema_id": "default", "state": "active", "traits": []}),
        json!({"schema_id": "default", "state": "active", "traits": {}, "external_id": null}),
        json!({"schema_id": "default", "state": "active", "traits": {},
               "credentials": {"oidc": {"config": {"providers": [{"provider": "g"}]}}}}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}

/// Kratos answers a PUT with the identity as held in memory (nanosecond
/// timestamps, new addresses last) and a later GET with the database's
/// spelling (microseconds, addresses by id). Keeping the PUT answer as the
/// baseline must not make the next edit of the same identity a conflict,
/// while a real change made in between is still caught.
#[tokio::test]
async fn a_second_edit_after_a_put_is_not_a_false_conflict() {
    let env = Env::start().await;
    let id = env.find(is_email_schema).await;
    let first = env
        .apply(
            &id,
            &Edit {
                state: Some(IdentityState::Inactive),
                ..Edit::default()
            },
        )
        .await;
    // Kratos sets state_changed_at from Go's time.Now() in `Handler.update`:
    // the answer carries nanoseconds, the database keeps microseconds.
    let answered = first.identity.raw["state_changed_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let read_back = env.snapshot(&id).await.raw["state_changed_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // (Unless the nanoseconds happen to end in 000, about 1 run in 1,000.)
    let has_nanos = answered
        .rsplit('.')
        .next()
        .is_some_and(|f| f.trim_end_matches('Z').len() > 6);
    if has_nanos {
        assert_ne!(
            answered, read_back,
            "the demo spells the PUT answer as Kratos does (nanoseconds), a GET with microseconds"
        );
    }
    assert!(idcon::meaning::same_instant(Some(&answered), Some(&read_back)));

    // The console and `idcon update` keep the PUT answer as the next baseline.
    let second = write::plan(
        &first.identity,
        &Edit {
            state: Some(IdentityState::Active),
            ..Edit::default()
        },
    )
    .expect("plan on the PUT answer");
    assert_eq!(
        write::check_fresh(&env.client, &second).await.expect("fresh GET"),
        Freshness::Unchanged,
        "only the spelling differs"
    );
    let sent = write::send(&env.client, Some(&env.audit), &second)
        .await
        .expect("second PUT");
    assert!(sent.verification.all_kept());
    assert_eq!(env.stored(&id).await["state"], "active");

    // A real change in between is still a change.
    let third = write::plan(
        &sent.identity,
        &Edit {
            state: Some(IdentityState::Inactive),
            ..Edit::default()
        },
    )
    .expect("plan");
    env.demo
        .mutate_identity(&id, |identity| {
            identity["metadata_admin"] = json!({"by": "someone else"})
        })
        .await
        .expect("mutate");
    let Freshness::Changed { server_changes, .. } = write::check_fresh(&env.client, &third).await.expect("GET") else {
        panic!("a real outside change must be caught")
    };
    let pointers: Vec<&str> = server_changes.iter().map(|c| c.pointer.as_str()).collect();
    assert!(
        pointers.iter().any(|p| p.starts_with("/metadata_admin")),
        "{pointers:?}"
    );
    assert!(
        !pointers.iter().any(|p| p.contains("addresses")),
        "address order is not a change: {pointers:?}"
    );
}

/// Kratos v1.3 has no `external_id`: its decoder drops the member and answers
/// 200. The write is verified against the answer: what was not kept is told,
/// returned and recorded in the audit outcome.
#[tokio::test]
async fn a_member_an_older_kratos_drops_is_reported_as_not_kept() {
    let options = DemoOptions {
        kratos_version: demo::KratosVersion::V1_3,
        ..DemoOptions::for_tests()
    };
    let demo = demo::start(options).await.expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::new(&profile(&demo, &dir, false)).expect("client");
    let audit = Arc::new(AuditLog::open(&dir.path().join("state/audit.jsonl"), false).expect("audit"));
    let page = client
        .list_identities(&IdentityQuery {
            page_size: Some(1),
            ..IdentityQuery::default()
        })
        .await
        .expect("list");
    let id = page.value.items[0].id.clone();
    let snapshot = write::fetch(&client, &id).await.expect("GET");
    let planned = write::plan(
        &snapshot,
        &Edit {
            external_id: Some(Some("crm-4711".to_owned())),
            set: vec![("/metadata_admin/ticket".to_owned(), json!("SUP-9"))],
            ..Edit::default()
        },
    )
    .expect("plan");
    let result = write::send(&client, Some(&audit), &planned)
        .await
        .expect("PUT answered 200");
    assert_eq!(result.exchange.status, 200);
    assert_eq!(result.verification.not_kept, ["/external_id"]);
    assert_eq!(
        result.verification.messages(),
        ["sent, but the server did not keep /external_id"]
    );
    let entries = audit::read_entries(&dir.path().join("state/audit.jsonl"), &audit::Filter::default()).expect("read");
    let outcome = entries.iter().find(|e| e.event == "outcome").expect("an outcome line");
    assert_eq!(outcome.not_kept, ["/external_id"]);
    assert_eq!(outcome.status, Some(200));
}
