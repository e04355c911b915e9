//! Drafts as a support person relies on them after a dropped SSH session:
//! what was typed comes back exactly, stays private, is never half-written,
//! cannot be steered out of its folder and never holds a password.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use idcon::drafts::{Draft, DraftError, DraftStore};
use serde_json::{Value, json};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0)
}

/// Every file and folder under `dir`, recursively.
fn all_paths(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        out.push(path.clone());
        if path.is_dir() {
            out.extend(all_paths(&path));
        }
    }
    out.sort();
    out
}

fn traits_draft(profile: &str, id: &str, content: Value) -> Draft {
    Draft::new(profile, id, "traits", content, Some("2024-05-01T10:00:00Z".to_owned()))
}

#[test]
fn a_saved_draft_comes_back_exactly_and_can_be_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = DraftStore::new(dir.path().join("drafts"));
    let typed =
        json!({"email": "ana@example.com", "name": {"first": "Ána 🚀", "last": "Lee\u{1b}[31m"}, "tags": [1, null]});
    let draft = traits_draft("prod", "9f1c0b8e-1d9a-4c7e-9c65-5d3b5e1a0c11", typed);
    store.save(&draft).expect("save");
    let loaded = store
        .load("prod", "9f1c0b8e-1d9a-4c7e-9c65-5d3b5e1a0c11")
        .expect("load");
    assert_eq!(loaded.as_ref(), Some(&draft));
    assert_eq!(store.list(None).expect("list"), vec![draft.clone()]);
    assert_eq!(store.list(Some("prod")).expect("list").len(), 1);
    assert!(store.list(Some("staging")).expect("list").is_empty());

    // A second save replaces the first.
    let mut edited = draft.clone();
    edited.content["email"] = json!("new@example.com");
    store.save(&edited).expect("save");
    assert_eq!(store.load("prod", &draft.identity_id).expect("load"), Some(edited));

    store.remove("prod", &draft.identity_id).expect("remove");
    assert_eq!(store.load("prod", &draft.identity_id).expect("load"), None);
    store
        .remove("prod", &draft.identity_id)
        .expect("removing nothing is fine");
    assert!(store.list(None).expect("list").is_empty());
}

#[test]
fn a_missing_store_has_no_drafts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = DraftStore::new(dir.path().join("never-created"));
    assert!(store.list(None).expect("list").is_empty());
    assert_eq!(store.load("prod", "id").expect("load"), None);
}

#[test]
fn drafts_are_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("state/idcon/drafts");
    let store = DraftStore::new(root.clone());
    store
        .save(&traits_draft("prod", "id-1", json!({"a": 1})))
        .expect("save");
    let file = store.path_for("prod", "id-1").expect("path");
    assert_eq!(file, root.join("prod").join("id-1.json"));
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&root.join("prod")), 0o700);
    assert_eq!(mode(&root), 0o700);

    fs::set_permissions(root.join("prod"), fs::Permissions::from_mode(0o777)).expect("chmod");
    let err = store.save(&traits_draft("prod", "id-1", json!({"a": 2}))).err();
    assert!(matches!(err, Some(DraftError::Shared { .. })), "{err:?}");
    fs::set_permissions(root.join("prod"), fs::Permissions::from_mode(0o700)).expect("chmod");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).expect("chmod");
    let err = store
        .load("prod", "id-1")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("id-1.json") && err.contains("writable by group or others"),
        "{err}"
    );
}

#[test]
fn saving_leaves_no_temp_files_and_a_refused_save_keeps_the_old_draft() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = DraftStore::new(dir.path().to_owned());
    for n in 0..20 {
        store
            .save(&traits_draft("prod", "id-1", json!({"n": n})))
            .expect("save");
    }
    assert_eq!(
        all_paths(dir.path()),
        [dir.path().join("prod"), dir.path().join("prod/id-1.json")]
    );
    let refused = store.save(&traits_draft("prod", "id-1", json!({"n": 99, "password": "x"})));
    assert!(refused.is_err());
    let kept = store.load("prod", "id-1").expect("load").map(|d| d.content);
    assert_eq!(kept, Some(json!({"n": 19})));
    assert_eq!(all_paths(dir.path()).len(), 2);
}

#[test]
fn hostile_names_stay_inside_the_folder_and_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("drafts");
    let store = DraftStore::new(root.clone());
    let cases = [
        ("..", "../../../etc/passwd"),
        ("a/b", "/absolute"),
        ("prod", "."),
        ("prod", ".."),
        ("prod", "%2F"),
        ("prod", "/"),
        ("~user", "名前\u{1b}[31m"),
    ];
    for (profile, id) in cases {
        store.save(&traits_draft(profile, id, json!({"id": id}))).expect("save");
    }
    // Nothing outside the root, nothing hidden, every file a direct child of a
    // profile folder.
    assert_eq!(
        all_paths(dir.path()).iter().filter(|p| !p.starts_with(&root)).count(),
        0
    );
    for path in all_paths(&root) {
        let depth = path.strip_prefix(&root).map(|p| p.components().count()).unwrap_or(0);
        assert!(depth == 1 || depth == 2, "{}", path.display());
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(".");
        assert!(!name.starts_with('.'), "{}", path.display());
    }
    for (profile, id) in cases {
        let loaded = store.load(profile, id).expect("load").map(|d| d.content);
        assert_eq!(loaded, Some(json!({"id": id})), "{profile} {id}");
    }
    assert_eq!(store.list(None).expect("list").len(), cases.len());

    for (profile, id) in [("prod", ""), ("", "id"), ("prod", "a\0b")] {
        let err = store.save(&traits_draft(profile, id, json!({}))).err();
        assert!(
            matches!(err, Some(DraftError::InvalidName { .. })),
            "{profile:?} {id:?}: {err:?}"
        );
    }
    let long = "x".repeat(10_000);
    assert!(store.save(&traits_draft("prod", &long, json!({}))).is_err());
    assert!(store.load("prod", &long).is_err());
}

#[test]
fn secrets_are_refused_and_never_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = DraftStore::new(dir.path().to_owned());
    let password = "Tr0ub4dor&3-typed";
    let refused = [
        Draft::new(
            "prod",
            "id",
            "traits",
            json!({"email": "a@x", "password": password}),
            None,
        ),
        Draft::new(
            "prod",
            "id",
            "credentials",
            json!({"password": {"config": {"hashed_password": password}}}),
            None,
        ),
        Draft::new(
            "prod",
            "id",
            "credentials",
            json!({"oidc": {"config": {"providers": [{"provider": "g", "subject": "s", "initial_access_token": password}]}}}),
            None,
        ),
        Draft::new(
            "prod",
            "id",
            "metadata",
            json!({"admin": {"yoti": {"issuance_token": password}}}),
            None,
        ),
        Draft::new(
            "prod",
            "id",
            "traits",
            json!({"notes": ["$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g"]}),
            None,
        ),
    ];
    for draft in &refused {
        let err = store.save(draft).err();
        assert!(matches!(err, Some(DraftError::Secret { .. })), "{draft:?}: {err:?}");
    }
    assert!(all_paths(dir.path()).iter().all(|p| p.is_dir()), "nothing was written");

    // The OIDC form without tokens is fine.
    let linked = Draft::new(
        "prod",
        "id",
        "credentials",
        json!({"oidc": {"config": {"providers": [{"provider": "google", "subject": "s-1"}]}}}),
        None,
    );
    store.save(&linked).expect("save without secrets");
    for path in all_paths(dir.path()).iter().filter(|p| p.is_file()) {
        let text = fs::read_to_string(path).unwrap_or_default();
        assert!(!text.contains(password), "{}", path.display());
    }
}

#[test]
fn a_damaged_draft_is_reported_by_name_and_left_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = DraftStore::new(dir.path().to_owned());
    store
        .save(&traits_draft("prod", "good", json!({"a": 1})))
        .expect("save");
    store.save(&traits_draft("prod", "bad", json!({"a": 1}))).expect("save");
    let bad = store.path_for("prod", "bad").expect("path");
    fs::write(&bad, "{\"profile\": \"prod\", \"identity").expect("damage");

    let err = store
        .load("prod", "bad")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains(&bad.display().to_string()), "{err}");
    assert!(bad.exists(), "a damaged draft is never deleted");

    let scan = store.scan(None).expect("scan");
    assert_eq!(scan.drafts.len(), 1);
    assert_eq!(scan.problems.len(), 1);
    assert_eq!(store.list(None).expect("list").len(), 1);

    // A file moved under another identity's name is not restored there.
    fs::copy(store.path_for("prod", "good").expect("path"), &bad).expect("copy");
    assert!(matches!(store.load("prod", "bad"), Err(DraftError::Corrupt { .. })));
}

// ---------------------------------------------------------------------------
// Secrets in what was typed: form text is saved as typed, so it is read as
// JSON (or, half-typed, member by member) before it reaches the disk.

mod typed {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use idcon::app::drafting;
    use idcon::app::forms::{Form, FormBody, JsonField, TraitsForm};
    use idcon::app::{App, Effect, LoadedPage, Msg, ProfileInfo, update};

    const ID: &str = "10000000-5b1e-4c2d-9a8f-000000000000";
    const TOKEN: &str = "it-7Qm2xV9kLp4Rz8Wd3Nf6/yZ";
    const ROTATED: &str = "it-rotated-0000-1111-2222";
    const PASSWORD: &str = "Hunter2-typed";
    const HASH: &str = "$2b$12$abcdefghijklmnopqrstuuOaDDBn1.Xs9Q3tEn9tG4Y1n7ZqYyQ6m";

    fn identity(token: &str) -> Value {
        json!({
            "id": ID,
            "schema_id": "email",
            "state": "active",
            "traits": {"email": "ana@example.com"},
            "metadata_public": {"plan": "pro"},
            "metadata_admin": {"ticket": "SUP-1", "yoti": {"issuance_token": token}},
            "updated_at": "2026-11-01T10:00:00Z"
        })
    }

    fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    /// A console showing the identity's detail, as the server sent it, with
    /// `drafts` waiting from an earlier session.
    fn app_on(identity: Value, drafts: Vec<Draft>) -> App {
        let profile = ProfileInfo {
            name: "prod".into(),
            base_url: "http://127.0.0.1:4455".into(),
            read_only: false,
            danger: false,
            identities_url: "http://127.0.0.1:4455/admin/identities".into(),
            signing: true,
            attribute_registry_url: String::new(),
            attribute_registry: false,
            issuance_token_pointer: "/metadata_admin/yoti/issuance_token".into(),
            ..Default::default()
        };
        let mut app = App::new(profile, 100, 40, chrono::Utc::now());
        app.start();
        update(&mut app, Msg::DraftsListed(Ok(drafts)));
        update(
            &mut app,
            Msg::SchemasLoaded(Ok(vec![("email".into(), json!({"properties": {"traits": {}}}))])),
        );
        update(
            &mut app,
            Msg::PageLoaded {
                generation: 1,
                result: Ok(LoadedPage {
                    items: vec![identity.clone()],
                    next: None,
                }),
            },
        );
        key(&mut app, KeyCode::Enter);
        update(
            &mut app,
            Msg::IdentityLoaded {
                id: ID.into(),
                result: Ok(identity),
            },
        );
        app
    }

    fn saved_drafts(effects: Vec<Effect>) -> Vec<Draft> {
        effects
            .into_iter()
            .filter_map(|effect| match effect {
                Effect::SaveDraft(draft) => Some(*draft),
                _ => None,
            })
            .collect()
    }

    fn files_text(dir: &Path) -> String {
        all_paths(dir)
            .iter()
            .filter(|p| p.is_file())
            .map(|p| fs::read_to_string(p).unwrap_or_default())
            .collect()
    }

    #[test]
    fn the_servers_own_token_is_saved_as_a_placeholder_and_restored_from_the_server() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DraftStore::new(dir.path().join("drafts"));
        let mut app = app_on(identity(TOKEN), Vec::new());
        key(&mut app, KeyCode::Char('m'));
        key(&mut app, KeyCode::Tab); // metadata_admin, which holds the token
        // A new member on the line after `{` (a space alone would be no
        // change at all, and no draft).
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Home);
        for c in "\"queue\": \"L2\",".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        let drafts = saved_drafts(update(&mut app, Msg::DraftTick));
        assert_eq!(drafts.len(), 1, "the edit is kept");
        store.save(&drafts[0]).expect("the draft is saved: no work is lost");
        let on_disk = files_text(dir.path());
        assert!(!on_disk.contains(TOKEN), "the token reached the disk:\n{on_disk}");
        assert!(!on_disk.contains(&TOKEN.replace('/', "\\/")), "{on_disk}");
        assert!(on_disk.contains("SUP-1"), "the rest is kept:\n{on_disk}");

        // Next session: the server's current token comes back into the form,
        // also when it changed meanwhile (it is the server's, not ours).
        for server_token in [TOKEN, ROTATED] {
            let loaded = store.load("prod", ID).expect("load").expect("a draft");
            let mut app = app_on(identity(server_token), vec![loaded]);
            assert!(app.detail.offer.is_some(), "the draft is offered");
            key(&mut app, KeyCode::Enter);
            let form = app.edit.form.as_ref().expect("the form is open");
            let FormBody::Metadata(meta) = &form.body else {
                panic!("not the metadata form");
            };
            let admin: Value = serde_json::from_str(&meta.admin.text()).expect("JSON again");
            assert_eq!(admin["yoti"]["issuance_token"], json!(server_token));
            assert_eq!(admin["ticket"], "SUP-1");
            assert_eq!(admin["queue"], "L2", "the edit is back");
        }
    }

    fn traits_form(text: &str) -> Form {
        let base = identity(TOKEN);
        Form {
            identity_id: ID.into(),
            body: FormBody::Traits(TraitsForm {
                field: JsonField::from_text(text, &base["traits"]),
            }),
            base,
            confirm_discard: false,
            error: None,
        }
    }

    #[test]
    fn a_typed_password_hash_or_token_is_never_saved_and_the_restore_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DraftStore::new(dir.path().to_owned());
        let typed = [
            // Valid JSON, and half-typed JSON (the editor saves both).
            format!(r#"{{"email": "ana@example.com", "password": "{PASSWORD}"}}"#),
            format!(r#"{{"email": "ana@example.com", "legacy": "{HASH}", "#),
            format!(r#"{{"email": "ana@example.com", "issuance_token": "{ROTATED}"}}"#),
            r#"{"email": "ana@example.com", "pin_password": 123456789, "x": "#.to_owned(),
        ];
        for text in &typed {
            let content = drafting::content(&traits_form(text)).expect("content");
            let draft = Draft::new("prod", ID, "traits", content, None);
            store.save(&draft).expect("saved without the secret");
            let on_disk = files_text(dir.path());
            for secret in [PASSWORD, HASH, ROTATED, "123456789"] {
                assert!(!on_disk.contains(secret), "{secret} reached the disk:\n{on_disk}");
            }
            assert!(on_disk.contains("ana@example.com"), "{on_disk}");

            let mut form = traits_form("{}");
            assert!(drafting::restore_into(&mut form, &draft));
            assert!(
                form.error.as_deref().is_some_and(|e| e.contains("not saved")),
                "{text}: the restore says a secret must be typed again: {:?}",
                form.error
            );
        }
    }

    #[test]
    fn the_store_refuses_form_text_that_holds_a_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DraftStore::new(dir.path().to_owned());
        let texts = [
            json!({"text": format!(r#"{{"password": "{PASSWORD}"}}"#)}),
            json!({"text": format!(r#"{{"notes": ["{HASH}""#)}),
            json!({"public_text": "{}", "admin_text": format!(r#"{{"yoti": {{"issuance_token": "{TOKEN}"}}}}"#), "focus": "admin"}),
        ];
        for content in texts {
            let form = if content.get("text").is_some() {
                "traits"
            } else {
                "metadata"
            };
            let draft = Draft::new("prod", ID, form, content.clone(), None);
            let err = store.save(&draft).err();
            assert!(matches!(err, Some(DraftError::Secret { .. })), "{content}: {err:?}");
        }
        assert!(all_paths(dir.path()).iter().all(|p| p.is_dir()), "nothing was written");
        // A placeholder is no secret.
        let placeholder = json!({"public_text": "{}", "admin_text": r#"{"yoti": {"issuance_token": "<redacted 1>"}}"#,
                                 "focus": "admin", "server_values": ["/metadata_admin/yoti/issuance_token"]});
        store
            .save(&Draft::new("prod", ID, "metadata", placeholder, None))
            .expect("placeholders are saved");
    }
}
