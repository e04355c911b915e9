//! Reading many identities at once: the fresh reads of a bulk change (`plan`,
//! `apply`) as `GET {identities}?ids=…` list requests instead of one GET per
//! identity, and the shape those reads have.
//!
//! **The shape.** Kratos answers both reads with the same marshaller
//! (`identity/handler.go`: `list` and `get` both write
//! `WithCredentialsAndAdminMetadataInJSON`, so `metadata_admin`,
//! `metadata_public`, `external_id`, `organization_id`, the addresses and the
//! timestamps are in both), but a list loads only `ExpandDefault`
//! (`identity/expandables.go`: the verifiable and recovery addresses) unless a
//! credentials filter or `include_credential` is given
//! (`parseListIdentitiesParameters` at v25.4.0 and v26.2.0, the inline
//! parameter code of `list` at v1.3.1), while `get` reads the identity with
//! its credentials (`GetIdentityConfidential`; their `config` emptied by
//! `WithDeclassifiedCredentials`). So a list answer is a GET answer without
//! `credentials`, and [`ReadShape::List`] reads are compared without that
//! member: [`shaped`] drops it from every read, list or GET, so the two
//! compare equal when nothing changed, and a GET can stand in for a list read
//! (a single re-read, a confirmation of a missing identity).
//!
//! Leaving `credentials` out of the lost-update check gives nothing up: a
//! plan's body never carries credentials, and Kratos keeps an identity's
//! credentials when a PUT has none (`identity/handler.go` `update`: "if the
//! Credentials are not supplied keep the old one"), so a credential changed
//! meanwhile is never overwritten by the write being guarded. Everything a
//! PUT does replace (`schema_id`, `state`, `traits`, `metadata_public`,
//! `metadata_admin`, `external_id`) is in both shapes.
//!
//! **The `ids` filter** exists in every release the demo imitates
//! (`identity/handler.go` `list` at v1.3.1, `parseListIdentitiesParameters`
//! at v25.4.0 and v26.2.0); Kratos refuses a value that is not a UUID for the
//! whole request (`Invalid UUID value`), so only ids in canonical UUID form
//! go into a batch ([`batchable`]) and the others are read one by one (a GET
//! answers them 404 as before). Batches stay within Kratos's 500 and a
//! gateway's 8 KiB request line ([`crate::api::batches`]). A server that
//! ignores the filter (a gateway that drops parameters it does not know)
//! answers with identities nobody asked for: [`Listed::ignored_filter`] says
//! so, and callers read one by one instead.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::plan::Snapshot;
use crate::api::{ApiError, Client, IdentityFilter, IdentityQuery, batches};

/// How a plan's snapshots were read, and so how their fresh reads must be
/// read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadShape {
    /// One `GET {identities}/{id}` each, compared whole (credentials'
    /// identifiers and types included): plans of format 1.
    Get,
    /// Kratos's list shape: `credentials` left out (see the module
    /// documentation), read in batches with the `ids` filter.
    List,
}

/// `snapshot` in `shape`: for [`ReadShape::List`] without `credentials`.
pub fn shaped(mut snapshot: Snapshot, shape: ReadShape) -> Snapshot {
    if shape == ReadShape::List {
        if let Value::Object(members) = &mut snapshot.raw {
            members.remove("credentials");
        }
        snapshot.identity.credentials = crate::api::Nullable::Absent;
    }
    snapshot
}

/// True when `id` can go into an `ids` batch: a UUID written as Kratos
/// writes ids (lower-case, hyphenated), so the answer's `id` matches it.
pub fn batchable(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|uuid| uuid.hyphenated().to_string() == id)
}

/// `ids` (all [`batchable`]) split into list requests that fit Kratos's
/// limit and a gateway's request line, in their order.
pub fn batches(client: &Client, ids: &[String]) -> Vec<Vec<String>> {
    batches::ids_batches(ids, client.identity_url("").len())
}

/// Pages followed for one batch before the rest counts as missing (one is
/// all Kratos needs: the page size is the batch size).
const MAX_PAGES_PER_BATCH: usize = 4;

/// What one batched read found.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The identities asked for and found, in [`ReadShape::List`].
    pub found: HashMap<String, Snapshot>,
    /// Asked for but not in the answer: deleted, or never there (a GET
    /// confirms which before anything is concluded).
    pub missing: Vec<String>,
    /// The answer held identities that were not asked for: the server did
    /// not apply the `ids` filter, so nothing it said about the batch counts
    /// (`found` and `missing` are empty then).
    pub ignored_filter: bool,
    /// When the request went out: the read's age counts from here.
    pub started: Instant,
    /// Requests it took (pages).
    pub requests: usize,
}

/// Reads `ids` (each [`batchable`], at most one batch of [`batches()`]) with
/// the list `ids` filter, in as many pages as the server answers (normally
/// one). `Err` is the first failed request.
pub async fn fetch_listed(client: &Client, ids: &[String]) -> Result<Listed, ApiError> {
    let started = Instant::now();
    let page_size = u32::try_from(ids.len().clamp(1, batches::MAX_IDS_PER_REQUEST)).unwrap_or(500);
    let query = IdentityQuery {
        page_size: Some(page_size),
        filter: IdentityFilter::Ids(ids.to_vec()),
    };
    let mut asked: HashMap<&str, bool> = ids.iter().map(|id| (id.as_str(), false)).collect();
    let mut found = HashMap::with_capacity(ids.len());
    let mut ignored_filter = false;
    let mut requests = 0;
    let mut next = None;
    while requests < MAX_PAGES_PER_BATCH {
        let page = match &next {
            None => client.list_identities(&query).await?,
            Some(cursor) => client.list_identities_from(cursor).await?,
        };
        requests += 1;
        let raws = match page.exchange.body_json() {
            Some(Value::Array(raws)) if raws.len() == page.value.items.len() => raws,
            // Parsed as a list of identities, so a JSON array of as many:
            // only a body that changed under us could differ.
            _ => {
                return Err(ApiError::InvalidInput(
                    "the list of identities could not be read back as JSON".to_owned(),
                ));
            }
        };
        for (identity, raw) in page.value.items.into_iter().zip(raws) {
            match asked.get_mut(identity.id.as_str()) {
                Some(seen) => {
                    *seen = true;
                    let snapshot = if raw.get("id").and_then(Value::as_str) == Some(identity.id.as_str()) {
                        Snapshot { identity, raw }
                    } else {
                        Snapshot::from_identity(identity)
                    };
                    found.insert(snapshot.identity.id.clone(), shaped(snapshot, ReadShape::List));
                }
                None => ignored_filter = true,
            }
        }
        next = page.value.next;
        if ignored_filter || next.is_none() || asked.values().all(|seen| *seen) {
            break;
        }
    }
    if ignored_filter {
        return Ok(Listed {
            found: HashMap::new(),
            missing: Vec::new(),
            ignored_filter,
            started,
            requests,
        });
    }
    let missing = ids.iter().filter(|id| !found.contains_key(*id)).cloned().collect();
    Ok(Listed {
        found,
        missing,
        ignored_filter,
        started,
        requests,
    })
}

/// Reads one identity with a GET, in `shape`.
pub async fn fetch_one(client: &Client, id: &str, shape: ReadShape) -> Result<Snapshot, ApiError> {
    super::send::fetch(client, id)
        .await
        .map(|snapshot| shaped(snapshot, shape))
}

/// True when a failed batched read says nothing about its identities, only
/// that this server will not answer such a request: a 4xx other than
/// 401/403 (a gateway's 414 or 400 for a long URL, a server that knows no
/// `ids`). They are then read one by one. A 5xx, a network failure or a
/// refused key is the service failing, the same for every read.
pub fn refused_batch(err: &ApiError) -> bool {
    err.status()
        .is_some_and(|status| (400..500).contains(&status) && status != 401 && status != 403)
}

/// What [`read_many`] read.
#[derive(Debug, Default)]
pub struct ReadMany {
    /// Every id asked for: the identity in [`ReadShape::List`], or why it
    /// could not be read (a 404 for one that does not exist; a failed batch
    /// gives each of its ids the same error).
    pub reads: HashMap<String, Result<Snapshot, Arc<ApiError>>>,
    /// Why some identities were read one by one although they could have
    /// gone into a batch (the server ignored or refused the `ids` filter).
    pub note: Option<String>,
    /// Requests made: list pages and GETs.
    pub requests: usize,
}

/// Reads every identity of `ids` in [`ReadShape::List`], with at most
/// `concurrency` requests at a time: the [`batchable`] ones in batches of
/// the `ids` filter, the others (and those a batch did not return, and all
/// of a batch the server would not serve) with one GET each.
pub async fn read_many(client: &Client, ids: &[String], concurrency: usize) -> ReadMany {
    use futures::StreamExt as _;
    let concurrency = concurrency.max(1);
    let (batched, mut single): (Vec<String>, Vec<String>) = ids.iter().cloned().partition(|id| batchable(id));
    let mut out = ReadMany::default();
    let listed: Vec<(Vec<String>, Result<Listed, ApiError>)> = futures::stream::iter(batches(client, &batched))
        .map(|batch| async move {
            let result = fetch_listed(client, &batch).await;
            (batch, result)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (batch, result) in listed {
        match result {
            Ok(listed) if listed.ignored_filter => {
                out.requests += listed.requests;
                out.note.get_or_insert_with(|| {
                    "the server answered a list filtered by ids with identities not asked for (it ignores                      the ids filter), so identities are read one by one"
                        .to_owned()
                });
                single.extend(batch);
            }
            Ok(listed) => {
                out.requests += listed.requests;
                single.extend(listed.missing);
                out.reads
                    .extend(listed.found.into_iter().map(|(id, snapshot)| (id, Ok(snapshot))));
            }
            Err(err) if refused_batch(&err) => {
                out.requests += 1;
                out.note.get_or_insert_with(|| {
                    format!(
                        "the server refused a list filtered by ids ({}), so identities are read one by one",
                        crate::text::single_line(&err.to_string())
                    )
                });
                single.extend(batch);
            }
            Err(err) => {
                out.requests += 1;
                let err = Arc::new(err);
                out.reads
                    .extend(batch.into_iter().map(|id| (id, Err(Arc::clone(&err)))));
            }
        }
    }
    let singles: Vec<(String, Result<Snapshot, ApiError>)> = futures::stream::iter(single)
        .map(|id| async move {
            let result = fetch_one(client, &id, ReadShape::List).await;
            (id, result)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    out.requests += singles.len();
    out.reads
        .extend(singles.into_iter().map(|(id, result)| (id, result.map_err(Arc::new))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{Freshness, compare};
    use serde_json::json;

    fn identity(credentials: bool) -> Value {
        let mut raw = json!({
            "id": "5b0c3f3e-1d2a-4c1e-9e8f-0a1b2c3d4e5f",
            "schema_id": "default",
            "schema_url": "http://127.0.0.1:4433/schemas/ZGVmYXVsdA",
            "state": "active",
            "state_changed_at": "2025-01-02T03:04:05.123456Z",
            "traits": {"email": "ana@example.com"},
            "metadata_public": {"tier": 1},
            "metadata_admin": {"ticket": "SUP-1"},
            "verifiable_addresses": [{"id": "a1", "value": "ana@example.com", "via": "email",
                "status": "completed", "verified": true,
                "created_at": "2025-01-02T03:04:05.123456Z", "updated_at": "2025-01-02T03:04:05.123456Z"}],
            "recovery_addresses": [],
            "created_at": "2025-01-02T03:04:05.123456Z",
            "updated_at": "2025-01-02T03:04:05.123456Z",
            "organization_id": null
        });
        if credentials {
            raw["credentials"] = json!({"password": {"type": "password", "identifiers": ["ana@example.com"],
                "version": 0, "created_at": "2025-01-02T03:04:05.123456Z",
                "updated_at": "2025-01-02T03:04:05.123456Z"}});
        }
        raw
    }

    fn snapshot(raw: Value) -> Snapshot {
        Snapshot::from_raw(raw).expect("an identity")
    }

    /// A plan read from a list answer and a fresh GET of the same unchanged
    /// identity (credentials and all) compare equal once shaped; a change
    /// to anything a PUT replaces still shows.
    #[test]
    fn list_and_get_answers_of_one_identity_compare_equal_once_shaped() {
        let base = shaped(snapshot(identity(false)), ReadShape::List);
        let get = shaped(snapshot(identity(true)), ReadShape::List);
        assert!(get.raw.get("credentials").is_none());
        assert_eq!(compare(&base, get), Freshness::Unchanged);

        let mut changed = identity(true);
        changed["metadata_admin"]["ticket"] = json!("SUP-2");
        match compare(&base, shaped(snapshot(changed), ReadShape::List)) {
            Freshness::Changed { server_changes, .. } => {
                let pointers: Vec<&str> = server_changes.iter().map(|c| c.pointer.as_str()).collect();
                assert_eq!(pointers, ["/metadata_admin/ticket"]);
            }
            Freshness::Unchanged => panic!("a metadata_admin change must show"),
        }

        // Unshaped, the GET answer's credentials would read as a change.
        assert!(matches!(
            compare(&base, snapshot(identity(true))),
            Freshness::Changed { .. }
        ));
        // A GET-shaped snapshot keeps them.
        let whole = shaped(snapshot(identity(true)), ReadShape::Get);
        assert!(whole.raw.get("credentials").is_some());
    }

    #[test]
    fn only_canonical_uuids_go_into_a_batch() {
        assert!(batchable("5b0c3f3e-1d2a-4c1e-9e8f-0a1b2c3d4e5f"));
        for id in [
            "5B0C3F3E-1D2A-4C1E-9E8F-0A1B2C3D4E5F",
            "5b0c3f3e1d2a4c1e9e8f0a1b2c3d4e5f",
            "{5b0c3f3e-1d2a-4c1e-9e8f-0a1b2c3d4e5f}",
            "not-a-uuid",
            "",
        ] {
            assert!(!batchable(id), "{id}");
        }
    }
}
