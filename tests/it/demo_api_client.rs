//! idcon's own API client against the demo server: paging through a whole
//! seed with signed requests, following the `Link` header.

use crate::support::demo as support;

use std::collections::HashSet;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;

use idcon::api::client::{Client, IdentityFilter, IdentityQuery};
use idcon::config::Profile;
use idcon::demo::{DEMO_PRIVATE_KEY_PEM, DEMO_SDK_ID};
use support::start_with;

/// The demo key in a private (0600) temporary file, as a profile holds it.
fn key_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("demo-key.pem");
    let file = std::fs::File::create(&path);
    let Ok(mut file) = file else {
        panic!("cannot create {}", path.display())
    };
    let written = file
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(DEMO_PRIVATE_KEY_PEM.as_bytes()));
    assert!(written.is_ok(), "{written:?}");
    path
}

#[tokio::test]
async fn the_api_client_pages_through_the_whole_seed() {
    let server = start_with(|o| o.seed_count = Some(1_234)).await;
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temp dir")
    };
    let Ok(base) = url::Url::parse(&server.base_url()) else {
        panic!("base URL")
    };
    let mut profile = Profile::for_base_url("demo", base);
    profile.key_file = Some(key_file(&dir));
    profile.sdk_id = Some(DEMO_SDK_ID.to_owned());
    let client = match Client::new(&profile) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let mut pager = client.pager(IdentityQuery {
        page_size: Some(500),
        filter: IdentityFilter::All,
    });
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let page = match pager.next_page().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) => panic!("page {}: {e}", pages + 1),
        };
        pages += 1;
        assert!(pages <= 10, "paging does not end");
        ids.extend(page.value.items.iter().map(|i| i.id.clone()));
    }
    assert_eq!(pages, 3, "500 + 500 + 234");
    assert_eq!(ids.len(), 1_234);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 1_234, "no identity twice");
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "in id order");
    server.stop().await;
}

/// `ids` repeats a parameter; the client signs the query as sent, and the
/// server verifies exactly what it received.
#[tokio::test]
async fn the_api_client_filters_by_several_ids_with_signed_requests() {
    let server = start_with(|_| {}).await;
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temp dir")
    };
    let Ok(base) = url::Url::parse(&server.base_url()) else {
        panic!("base URL")
    };
    let mut profile = Profile::for_base_url("demo", base);
    profile.key_file = Some(key_file(&dir));
    profile.sdk_id = Some(DEMO_SDK_ID.to_owned());
    let client = match Client::new(&profile) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let first = match client
        .list_identities(&IdentityQuery {
            page_size: Some(5),
            filter: IdentityFilter::All,
        })
        .await
    {
        Ok(page) => page.value.items,
        Err(e) => panic!("list: {e}"),
    };
    let wanted: Vec<String> = vec![first[4].id.clone(), first[1].id.clone()];
    let found = match client
        .list_identities(&IdentityQuery {
            page_size: None,
            filter: IdentityFilter::Ids(wanted.clone()),
        })
        .await
    {
        Ok(page) => page.value.items,
        Err(e) => panic!("ids filter: {e}"),
    };
    let mut got: Vec<String> = found.iter().map(|i| i.id.clone()).collect();
    got.sort();
    let mut expected = wanted;
    expected.sort();
    assert_eq!(got, expected);
    server.stop().await;
}
