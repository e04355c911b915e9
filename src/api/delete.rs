//! Deleting an identity: `DELETE {identities_path}/{id}` (Kratos's
//! `identity/handler.go` `delete`, the same at v1.3.1, v25.4.0 and v26.2.0).
//!
//! - 204 with no body: the identity is gone, and with it everything Kratos
//!   keeps for it (credentials, addresses, sessions: the database's cascading
//!   foreign keys under `persistence/sql/identity/persister_identity.go`
//!   `DeleteIdentity`). There is no undo.
//! - 404 in Kratos's envelope with sqlcon's "Unable to locate the resource"
//!   when no such identity exists (`DeleteIdentity` deleted no row):
//!   [`Deleted::AlreadyGone`], so a retry after a lost answer, or a second
//!   admin deleting the same person, is not an error. Any other 404 (a
//!   gateway without the route, another message) is an error.
//!
//! A write: refused on a read-only profile before anything is signed.

use super::client::{Client, PreparedRequest, success};
use super::error::ApiError;
use super::exchange::Response;

/// sqlcon's message for a missing row: Kratos's answer for an unknown id.
const NO_ROWS_MESSAGE: &str = "Unable to locate the resource";

/// What a delete found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// 204: this request deleted the identity.
    Deleted,
    /// Kratos's 404 for an unknown id: nothing was there to delete (already
    /// deleted, or never existed).
    AlreadyGone,
}

impl Deleted {
    /// A word for audit outcomes and results files.
    pub fn as_str(self) -> &'static str {
        match self {
            Deleted::Deleted => "deleted",
            Deleted::AlreadyGone => "already_gone",
        }
    }
}

impl Client {
    /// The signed `DELETE {identities_path}/{id}`, without sending it;
    /// refused for a read-only profile before anything is signed.
    pub fn prepare_delete_identity(&self, id: &str) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let endpoint = self.identity_endpoint(id)?;
        self.prepare(self.base_url(), "DELETE", &endpoint, &[], None)
    }

    /// Sends a request made by [`Client::prepare_delete_identity`]: whether
    /// it deleted the identity or found it gone.
    pub async fn send_delete_identity(&self, prepared: &PreparedRequest) -> Result<Deleted, ApiError> {
        Ok(self.send_delete_identity_exchange(prepared).await?.value)
    }

    /// [`Client::send_delete_identity`] with the exchange, for the response
    /// view and the audit trail.
    pub async fn send_delete_identity_exchange(
        &self,
        prepared: &PreparedRequest,
    ) -> Result<Response<Deleted>, ApiError> {
        let exchange = self.execute(prepared).await?;
        let gone = exchange.status == 404
            && exchange
                .error()
                .is_some_and(|e| e.message.as_deref() == Some(NO_ROWS_MESSAGE));
        if gone {
            return Ok(Response {
                value: Deleted::AlreadyGone,
                exchange,
            });
        }
        let exchange = success(exchange)?;
        Ok(Response {
            value: Deleted::Deleted,
            exchange,
        })
    }

    /// Deletes the identity (prepare and send).
    pub async fn delete_identity(&self, id: &str) -> Result<Deleted, ApiError> {
        let prepared = self.prepare_delete_identity(id)?;
        self.send_delete_identity(&prepared).await
    }
}
