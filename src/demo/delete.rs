//! Deleting an identity, as Kratos's admin API does it (the same at v1.3.1,
//! v25.4.0 and v26.2.0):
//!
//! - `DELETE {prefix}/identities/{id}` (`identity/handler.go` `delete`):
//!   `PrivilegedIdentityPool().DeleteIdentity`, then a bare 204 (no body, no
//!   content type: `w.WriteHeader(http.StatusNoContent)`).
//! - An unknown id is a 404 in Kratos's envelope with sqlcon's "Unable to
//!   locate the resource" (`persistence/sql/identity/persister_identity.go`
//!   `DeleteIdentity`: `DELETE ... WHERE id = ? AND nid = ?`, and
//!   `sqlcon.ErrNoRows` when no row went). A malformed id is the same 404:
//!   `x.ParseUUID` reads it as the nil UUID, which no identity has.
//! - What goes with the row: everything that references it (credentials and
//!   their identifiers, verifiable and recovery addresses, sessions) is
//!   removed by the database's `ON DELETE CASCADE` foreign keys. Here the
//!   identity's identifiers and external id leave the unique indexes (so they
//!   can be taken again) and its sessions are deleted.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::errors::ApiError;
use super::model::Identity;
use super::routes::DemoState;
use super::sessions;
use super::store::Store;

/// `DELETE {prefix}/identities/{id}`: 204, or Kratos's no-rows 404.
pub(super) async fn delete_identity(State(state): State<Arc<DemoState>>, Path(id): Path<String>) -> Response {
    // x.ParseUUID: a malformed id is uuid.Nil, which matches no row.
    let id = Uuid::try_parse(&id).unwrap_or(Uuid::nil());
    let mut store = state.write_store();
    match remove(&mut store, id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => ApiError::no_rows().into_response(),
    }
}

/// Removes the identity with its sessions; the identity and how many
/// sessions went with it, or `None` when there was no such identity.
pub(super) fn remove(store: &mut Store, id: Uuid) -> Option<(Identity, usize)> {
    store.get(&id)?;
    // Before the identity goes: `delete_all` finds the sessions through it.
    // It also leaves an empty session list behind for the id, so nothing
    // generated comes back should the id ever be used again.
    let sessions = sessions::delete_all(store, id);
    let identity = store.remove(&id)?;
    Some((identity, sessions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        match Store::seeded(Some(300), false) {
            Ok(store) => store,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn deleting_takes_the_identity_its_identifiers_and_its_sessions() {
        let mut store = store();
        let (page, _) = store.page_after(&Uuid::nil(), 1);
        let identity = page[0].clone().into_owned();
        let id = identity.id;
        let identifiers: Vec<String> = identity.all_identifiers().into_iter().map(str::to_owned).collect();
        assert!(!identifiers.is_empty(), "the seed identity has identifiers");
        let session_ids: Vec<Uuid> = store.sessions.of(&identity).iter().map(|s| s.id).collect();
        let had_sessions = session_ids.len();
        assert!(had_sessions > 0, "the seed identity has sessions");
        let before = store.len();

        let Some((gone, sessions)) = remove(&mut store, id) else {
            panic!("the identity was not there")
        };
        assert_eq!(gone.id, id);
        assert_eq!(sessions, had_sessions);
        assert_eq!(store.len(), before - 1);
        assert!(store.get(&id).is_none());
        for identifier in &identifiers {
            assert_eq!(store.owner_of_identifier(identifier), None, "{identifier} still taken");
        }
        for session in &session_ids {
            assert!(
                sessions::find(&store, *session).is_none(),
                "session {session} outlived its identity"
            );
        }
        assert!(remove(&mut store, id).is_none(), "a second delete finds nothing");
    }

    #[test]
    fn an_unknown_id_removes_nothing() {
        let mut store = store();
        let before = store.len();
        assert!(remove(&mut store, Uuid::nil()).is_none());
        assert_eq!(store.len(), before);
    }
}
