//! `idcon list` names every person by the identifier the console's list
//! shows (`IdentityRow::from_identity` with the schema's identifier hints):
//! in the table, in CSV's `identifier` column, and for `--similar`, whose
//! answers carry OIDC credentials (`github:…`) that must not win over the
//! email. JSON stays the server's identity. When the schemas cannot be
//! read, stderr says so once and the usual traits name people.
//!
//! JSON output streams the server's bytes where it can (the fast path of
//! `list`): the last test checks that what it writes is still the server's
//! identities, redacted, inert and one per line, whatever the server's
//! spelling.

use std::collections::HashMap;
use std::process::Output;

use axum::response::IntoResponse as _;
use idcon::api::{IdentityFilter, IdentityQuery};
use idcon::app::rows::{IdentifierHints, IdentityRow};
use idcon::demo::DemoOptions;
use idcon::sanitize::for_display;
use serde_json::{Value, json};

use crate::support::cli_env::CliEnv;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// RFC 4180 rows, as a spreadsheet reads them.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

/// CSV rows by id, each as column name -> cell.
fn csv_by_id(text: &str) -> HashMap<String, HashMap<String, String>> {
    let rows = parse_csv(text);
    let Some((header, rows)) = rows.split_first() else {
        panic!("no CSV header in {text:?}")
    };
    rows.iter()
        .map(|row| {
            let cells: HashMap<String, String> = header.iter().cloned().zip(row.iter().cloned()).collect();
            (cells["id"].clone(), cells)
        })
        .collect()
}

/// Table rows by id -> the IDENTIFIER column (the table is 200 wide, so the
/// id is whole and the identifier starts at a fixed column).
fn table_by_id(text: &str) -> HashMap<String, String> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let Some(start) = header.find("IDENTIFIER") else {
        panic!("no IDENTIFIER column: {header}")
    };
    lines
        .map(|line| {
            let id: String = line.chars().take(36).collect();
            let identifier: String = line.chars().skip(start).collect();
            (id, identifier)
        })
        .collect()
}

/// What the console's list shows for each identity the server lists.
async fn console_rows(env: &CliEnv, filter: IdentityFilter) -> (HashMap<String, IdentityRow>, Vec<Value>) {
    let client = env.client();
    let schemas = client.list_schemas().await.expect("schemas").value;
    let hints: HashMap<String, IdentifierHints> = schemas
        .iter()
        .map(|s| (s.id.clone(), IdentifierHints::from_schema(&s.schema)))
        .collect();
    let page = client
        .list_identities(&IdentityQuery {
            page_size: Some(500),
            filter,
        })
        .await
        .expect("list");
    assert!(page.value.next.is_none(), "one page of 500 holds the answer");
    let Some(Value::Array(raw)) = page.exchange.body_json() else {
        panic!("the list is an array")
    };
    let rows = raw
        .iter()
        .map(|identity| {
            let schema = identity["schema_id"].as_str().unwrap_or_default();
            let row = IdentityRow::from_identity(identity, hints.get(schema));
            (row.id.clone(), row)
        })
        .collect();
    (rows, raw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_and_table_name_everyone_as_the_console_does() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let (rows, _) = console_rows(&env, IdentityFilter::All).await;
    assert!(rows.len() >= 200, "the curated seed");

    let out = env.idcon(&["list", "--output", "csv", "--page-size", "70"], b"").await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "the schemas were read: {}", stderr(&out));
    let csv = csv_by_id(&stdout(&out));
    assert_eq!(csv.len(), rows.len());
    for (id, row) in &rows {
        let cells = &csv[id];
        assert!(!row.identifier.is_empty(), "{id}");
        assert_eq!(for_display(&cells["identifier"]), row.identifier, "{id}");
        let all: Vec<&str> = cells["identifiers"].split(' ').collect();
        assert!(all.contains(&cells["identifier"].as_str()), "{id}: {all:?}");
        if row.schema_id == "phone-password" {
            assert_eq!(all.len(), 2, "email and phone are both marked: {all:?}");
        }
    }

    let mut command = env.command(&["list", "--page-size", "70"]);
    command.env("COLUMNS", "200");
    let out = command.output().await.expect("idcon list");
    assert!(out.status.success(), "{}", stderr(&out));
    let table = table_by_id(&stdout(&out));
    assert_eq!(table.len(), rows.len());
    for (id, row) in &rows {
        assert_eq!(table[id], row.identifier, "{id}");
    }
}

/// `--similar` answers carry credentials, OIDC ones too: the person is
/// still named by the email the console shows, and `identifiers` lists
/// every credential identifier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn similar_names_an_oidc_linked_person_by_email_not_by_provider() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let (all, _) = console_rows(&env, IdentityFilter::All).await;
    let mut linked = None;
    for id in all.keys() {
        let stored = env.stored(id).await;
        if stored["credentials"]["oidc"]["identifiers"][0].is_string() {
            linked = Some(stored);
            break;
        }
    }
    let Some(linked) = linked else {
        panic!("the demo seed has OIDC-linked people")
    };
    let id = linked["id"].as_str().unwrap_or_default().to_owned();
    let email = linked["traits"]["email"].as_str().unwrap_or_default().to_owned();
    let subject = linked["credentials"]["oidc"]["identifiers"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let prefix: String = email.chars().take(4).collect();
    let (rows, raw) = console_rows(&env, IdentityFilter::SimilarIdentifier(prefix.clone())).await;
    assert!(rows.contains_key(&id), "{prefix} finds {email}");
    assert!(
        raw.iter().any(|i| i["credentials"]["oidc"].is_object()),
        "the answer carries the OIDC credential"
    );
    assert_eq!(rows[&id].identifier, email, "the console shows the email");

    let out = env.idcon(&["list", "--similar", &prefix, "--output", "csv"], b"").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = csv_by_id(&stdout(&out));
    assert_eq!(csv.len(), rows.len());
    for (row_id, row) in &rows {
        assert_eq!(csv[row_id]["identifier"], row.identifier, "{row_id}");
    }
    let identifiers: Vec<&str> = csv[&id]["identifiers"].split(' ').collect();
    assert!(identifiers.contains(&subject.as_str()), "{identifiers:?}");
    assert!(identifiers.contains(&email.to_lowercase().as_str()), "{identifiers:?}");

    let mut command = env.command(&["list", "--similar", &prefix]);
    command.env("COLUMNS", "200");
    let out = command.output().await.expect("idcon list");
    assert!(out.status.success(), "{}", stderr(&out));
    let table = table_by_id(&stdout(&out));
    assert_eq!(table[&id], email, "not {subject}");
    assert!(!stdout(&out).contains(&subject), "{}", stdout(&out));

    // JSON is the server's answer, with nothing added.
    let out = env
        .idcon(&["list", "--similar", &prefix, "--output", "json"], b"")
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: Vec<Value> = serde_json::from_str(&stdout(&out)).expect("a JSON array");
    let mut expected = raw.clone();
    for identity in &mut expected {
        idcon::api::models::redact_secrets(identity);
    }
    assert_eq!(listed, expected);
    assert!(listed.iter().all(|i| i.get("identifier").is_none()));
}

/// The schema list unreadable (a public URL nobody answers at): each schema
/// comes from the identities' `schema_url`, and the names are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_schema_list_fails_the_schema_url_gives_the_same_names() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let (rows, _) = console_rows(&env, IdentityFilter::All).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let public_url = format!("http://{closed}");
    let out = env
        .idcon(&["--public-url", &public_url, "list", "--output", "csv"], b"")
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "every schema was found: {}", stderr(&out));
    let csv = csv_by_id(&stdout(&out));
    for (id, row) in &rows {
        assert_eq!(csv[id]["identifier"], row.identifier, "{id}");
    }
}

/// A Kratos-like server with no schemas anywhere: one warning on stderr for
/// the whole listing, and people named by their usual traits, as the console
/// names them without a schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_any_schema_people_are_named_by_their_traits_and_stderr_says_so_once() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let identities: Vec<Value> = (0..30)
        .map(|n| {
            json!({
                "id": format!("00000000-0000-4000-8000-{n:012}"),
                "schema_id": format!("custom-{}", n % 3),
                "schema_url": format!("{base}/gone/custom-{}", n % 3),
                "state": "active",
                "traits": if n % 2 == 0 {
                    json!({"email": format!("person{n}@example.com"), "login": "ignored"})
                } else {
                    json!({"username": format!("user{n}")})
                },
                "credentials": {"oidc": {"type": "oidc", "identifiers": [format!("github:{n}")]}}
            })
        })
        .collect();
    let body = Value::Array(identities.clone());
    let app = axum::Router::new()
        .route(
            "/admin/identities",
            axum::routing::get(move || {
                let body = body.clone();
                async move { axum::Json(body) }
            }),
        )
        .fallback(|| async { axum::http::StatusCode::NOT_FOUND });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let run = |output: &'static str| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_idcon"));
        command
            .args(["--base-url", &base, "list", "--output", output])
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("COLUMNS", "200")
            .env_remove("IDCON_PROFILE")
            .kill_on_drop(true);
        command
    };
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), run("csv").output())
        .await
        .expect("in time")
        .expect("idcon list");
    assert!(out.status.success(), "{}", stderr(&out));
    let warnings = stderr(&out);
    assert_eq!(warnings.lines().count(), 1, "once, not per row or schema: {warnings}");
    assert!(
        warnings.starts_with("idcon: warning: the identity schemas could not be listed")
            && warnings.contains("named by their email, phone or username trait"),
        "{warnings}"
    );
    let csv = csv_by_id(&stdout(&out));
    assert_eq!(csv.len(), identities.len());
    for identity in &identities {
        let id = identity["id"].as_str().unwrap_or_default();
        let row = IdentityRow::from_identity(identity, None);
        assert_eq!(csv[id]["identifier"], row.identifier, "{id}");
        assert!(!row.identifier.starts_with("github:"), "{id}");
    }

    let out = tokio::time::timeout(std::time::Duration::from_secs(60), run("table").output())
        .await
        .expect("in time")
        .expect("idcon list");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    let table = table_by_id(&stdout(&out));
    assert_eq!(table["00000000-0000-4000-8000-000000000001"], "user1");
    assert_eq!(table["00000000-0000-4000-8000-000000000002"], "person2@example.com");

    let out = tokio::time::timeout(std::time::Duration::from_secs(60), run("jsonl").output())
        .await
        .expect("in time")
        .expect("idcon list");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "JSON needs no schema: {}", stderr(&out));
    server.abort();
}

/// `get --output table` opens with the same identifier (and the name).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_table_names_the_person_as_list_does() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let (rows, _) = console_rows(&env, IdentityFilter::All).await;
    let mut checked = 0;
    for (id, row) in &rows {
        let stored = env.stored(id).await;
        let linked = stored["credentials"]["oidc"].is_object();
        let phone = row.schema_id == "phone-password";
        if !(linked || phone) || checked >= 4 {
            continue;
        }
        checked += 1;
        let out = env.idcon(&["get", id, "--output", "table"], b"").await;
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).is_empty(), "the schema was read: {}", stderr(&out));
        let text = stdout(&out);
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(first, format!("{:<20} {}", "identifier", row.identifier), "{text}");
        if !row.name.is_empty() {
            assert!(text.contains(&format!("{:<20} {}\n", "name", row.name)), "{text}");
        }
    }
    assert_eq!(checked, 4);
}

/// A server that pretty-prints one page and sends another compact, with a
/// password hash in `credentials`, terminal controls in traits and a tab
/// between tokens: every format writes one identity per line, the values
/// the server sent, the hash redacted and nothing a terminal would act on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_is_the_servers_identities_whatever_their_spelling() {
    let identities: Vec<Value> = (0..6)
        .map(|n| {
            let mut identity = json!({
                "id": format!("00000000-0000-4000-8000-{n:012}"),
                "schema_id": "default",
                "state": if n % 2 == 0 { "active" } else { "inactive" },
                "traits": {"email": format!("p{n}@example.com"), "name": format!("Søren \u{1b}]52;c;aGk=\u{7}\u{202e}{n}")},
                "metadata_public": {"note": "a \"quoted\", [bracketed] {braced} \\ value"}
            });
            if n == 2 {
                identity["credentials"] = json!({"password": {"type": "password", "identifiers": ["p2@example.com"],
                    "config": {"hashed_password": "$argon2id$v=19$m=65536,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"}}});
            }
            identity
        })
        .collect();
    let first = serde_json::to_string_pretty(&identities[..3]).expect("pretty");
    let second = serde_json::to_string(&identities[3..])
        .expect("compact")
        .replacen(",\"", ",\t\"", 1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().route(
        "/admin/identities",
        axum::routing::get(
            move |axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>| {
                let (first, second) = (first.clone(), second.clone());
                async move {
                    match query.get("page_token").map(String::as_str) {
                        None => ([("link", "</admin/identities?page_token=two>; rel=\"next\"")], first).into_response(),
                        Some("two") => second.into_response(),
                        Some(_) => axum::http::StatusCode::BAD_REQUEST.into_response(),
                    }
                }
            },
        ),
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_idcon"));
        command
            .args(["--base-url", &base, "list"])
            .args(args)
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env_remove("IDCON_PROFILE")
            .kill_on_drop(true);
        command
    };
    let expected: Vec<Value> = identities
        .iter()
        .map(|identity| {
            let mut identity = identity.clone();
            idcon::api::models::redact_secrets(&mut identity);
            identity
        })
        .collect();
    assert_ne!(expected, identities, "the hash is redacted");

    let check_inert = |text: &str| {
        assert!(!text.contains("$argon2id"), "{text}");
        for line in text.lines() {
            assert!(!line.chars().any(idcon::sanitize::is_unsafe), "{line:?}");
        }
    };
    for args in [
        &["--output", "jsonl"][..],
        &["--output", "jsonl", "--page-size", "3"],
        &["--output", "jsonl", "--state", "inactive"],
        &["--output", "jsonl", "--limit", "4"],
    ] {
        let out = tokio::time::timeout(std::time::Duration::from_secs(60), run(args).output())
            .await
            .expect("in time")
            .expect("idcon list");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        check_inert(&text);
        let listed: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("one identity per line"))
            .collect();
        let wanted: Vec<Value> = match args {
            [_, _, "--state", _] => expected.iter().filter(|i| i["state"] == "inactive").cloned().collect(),
            [_, _, "--limit", _] => expected[..4].to_vec(),
            _ => expected.clone(),
        };
        assert_eq!(listed, wanted, "{args:?}");
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), run(&["--output", "json"]).output())
        .await
        .expect("in time")
        .expect("idcon list");
    assert!(out.status.success(), "{}", stderr(&out));
    check_inert(&stdout(&out));
    let listed: Vec<Value> = serde_json::from_str(&stdout(&out)).expect("one JSON array");
    assert_eq!(listed, expected);
    assert_eq!(stdout(&out).lines().count(), expected.len() + 2, "[, one per line, ]");
    server.abort();
}
