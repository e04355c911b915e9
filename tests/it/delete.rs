//! Deleting an identity: the demo's `DELETE {prefix}/identities/{id}` against
//! Kratos (204, the no-rows 404 in its envelope, the sessions going too),
//! idcon's client (`Deleted` / `AlreadyGone`, read-only refused before
//! anything is sent), and `idcon delete` run as the binary.

use idcon::api::ApiError;
use idcon::api::delete::Deleted;
use idcon::demo::{DemoOptions, KratosVersion};

use crate::support::cli_env::CliEnv;
use crate::support::demo::{client as demo_client, id_of, list_all};

/// The first curated identity's id.
async fn some_identity(env: &CliEnv) -> String {
    let all = list_all(&demo_client(&env.demo), "10").await;
    let Some(first) = all.first() else {
        panic!("the demo seed is empty")
    };
    id_of(first)
}

// ----- the demo server ------------------------------------------------------

#[tokio::test]
async fn the_demo_deletes_with_204_then_answers_kratos_no_rows_404() {
    for version in [KratosVersion::V1_3, KratosVersion::V25, KratosVersion::V26] {
        let mut options = DemoOptions::for_tests();
        options.kratos_version = version;
        let env = CliEnv::start_with(options).await;
        let id = some_identity(&env).await;
        let raw = demo_client(&env.demo);
        let sessions_before = raw.get(&format!("/admin/identities/{id}/sessions"), &[]).await;
        assert_eq!(sessions_before.status, 200, "{}", sessions_before.text);
        let session_list = sessions_before.json();
        let Some(session_id) = session_list
            .as_array()
            .and_then(|list| list.first())
            .and_then(|s| s["id"].as_str())
            .map(str::to_owned)
        else {
            panic!("the seed identity has no session: {session_list}")
        };
        let count = env.demo.identity_count();

        let deleted = raw
            .send(
                "DELETE",
                &format!("/admin/identities/{id}"),
                &[],
                None,
                Default::default(),
            )
            .await;
        assert_eq!(deleted.status, 204, "{version:?}: {}", deleted.text);
        assert!(deleted.text.is_empty(), "a 204 has no body: {:?}", deleted.text);
        assert_eq!(env.demo.identity_count(), count - 1);
        assert!(env.demo.identity(&id).await.is_none(), "still stored");

        let get = raw.get(&format!("/admin/identities/{id}"), &[]).await;
        assert_eq!(get.status, 404);
        let session = raw.get(&format!("/admin/sessions/{session_id}"), &[]).await;
        assert_eq!(
            session.status, 404,
            "the session outlived its identity: {}",
            session.text
        );
        let listed = raw.get(&format!("/admin/identities/{id}/sessions"), &[]).await;
        assert_eq!(listed.json(), serde_json::json!([]), "sessions still listed");

        let again = raw
            .send(
                "DELETE",
                &format!("/admin/identities/{id}"),
                &[],
                None,
                Default::default(),
            )
            .await;
        assert_eq!(again.status, 404);
        let error = &again.json()["error"];
        assert_eq!(error["code"], 404, "{}", again.text);
        assert_eq!(error["status"], "Not Found");
        assert_eq!(error["message"], "Unable to locate the resource");

        let malformed = raw
            .send("DELETE", "/admin/identities/not-a-uuid", &[], None, Default::default())
            .await;
        assert_eq!(
            malformed.status, 404,
            "x.ParseUUID makes it the nil id: {}",
            malformed.text
        );
        assert_eq!(malformed.json()["error"]["message"], "Unable to locate the resource");
        env.demo.stop().await;
    }
}

#[tokio::test]
async fn a_deleted_identitys_identifiers_are_free_again() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let raw = demo_client(&env.demo);
    let all = list_all(&raw, "500").await;
    let Some(first) = all.first() else { panic!("empty seed") };
    let id = id_of(first);
    let Some(email) = first["traits"]["email"].as_str().map(str::to_owned) else {
        panic!("the first seed identity has no email: {first}")
    };
    let Some(other) = all.get(1).map(id_of) else {
        panic!("one identity only")
    };
    // Giving the other identity the email is refused while its owner exists...
    let mut body = env.stored(&other).await;
    body["traits"]["email"] = serde_json::json!(email);
    let body = serde_json::json!({
        "schema_id": body["schema_id"],
        "state": body["state"],
        "traits": body["traits"],
    });
    let taken = raw.put(&format!("/admin/identities/{other}"), &body).await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    // ... and accepted once it is deleted.
    let deleted = raw
        .send(
            "DELETE",
            &format!("/admin/identities/{id}"),
            &[],
            None,
            Default::default(),
        )
        .await;
    assert_eq!(deleted.status, 204);
    let free = raw.put(&format!("/admin/identities/{other}"), &body).await;
    assert_eq!(free.status, 200, "{}", free.text);
    env.demo.stop().await;
}

// ----- the client -----------------------------------------------------------

#[tokio::test]
async fn the_client_says_deleted_then_already_gone() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let id = some_identity(&env).await;
    let client = env.client();
    let prepared = match client.prepare_delete_identity(&id) {
        Ok(p) => p,
        Err(e) => panic!("prepare: {e}"),
    };
    assert_eq!(prepared.method, "DELETE");
    let path = prepared.url.split('?').next().unwrap_or_default();
    assert!(path.ends_with(&format!("/admin/identities/{id}")), "{}", prepared.url);
    assert!(prepared.body.is_none());
    assert!(env.demo.identity(&id).await.is_some(), "preparing sends nothing");
    match client.send_delete_identity(&prepared).await {
        Ok(Deleted::Deleted) => {}
        other => panic!("first delete: {other:?}"),
    }
    assert!(env.demo.identity(&id).await.is_none());
    match client.delete_identity(&id).await {
        Ok(Deleted::AlreadyGone) => {}
        other => panic!("second delete: {other:?}"),
    }
    env.demo.stop().await;
}

#[tokio::test]
async fn a_read_only_profile_refuses_before_signing_or_sending() {
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let id = some_identity(&env).await;
    let mut profile = env.profile();
    profile.read_only = true;
    let client = match idcon::api::Client::new(&profile) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let sent = env.demo.request_log().len();
    match client.prepare_delete_identity(&id) {
        Err(ApiError::ReadOnly { .. }) => {}
        other => panic!("not refused: {other:?}"),
    }
    assert_eq!(env.demo.request_log().len(), sent, "nothing reached the server");
    assert!(env.demo.identity(&id).await.is_some());
    env.demo.stop().await;
}

#[tokio::test]
async fn a_404_that_is_not_kratos_no_rows_is_an_error() {
    // A gateway without the route answers 404 in another shape: that is not
    // "already gone", or a typo in the base URL would read as success.
    let env = CliEnv::start_with(DemoOptions::for_tests()).await;
    let mut profile = env.profile();
    profile.identities_path = "/nowhere/identities".to_owned();
    let client = match idcon::api::Client::new(&profile) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let outcome = client.delete_identity("7f7e2c9a-6bd4-4a8b-9d61-0c1b5b0a2f10").await;
    assert!(
        matches!(&outcome, Err(ApiError::Http(e)) if e.status == 404),
        "{outcome:?}"
    );
    env.demo.stop().await;
}
