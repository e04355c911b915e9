//! Kratos and attribute-registry models and the async HTTP client.
//!
//! - [`models`]: serde models of the Kratos OpenAPI spec that keep unknown
//!   fields and `null` vs absent, and the update body built from a GET.
//! - [`client`]: the signed, size-capped, timeout-bound HTTP client.
//! - [`exchange`]: a request and its answer, kept whole for the response view.
//! - [`error`]: failures worded for the person who has to act on them.
//! - [`link`]: the RFC 8288 `Link` header used for paging.
//! - [`batches`]: `ids` filters split into requests gateways accept.
//! - [`recovery`]: recovery links and codes made for an identity (secrets).
//! - [`sessions`]: an identity's sessions: list, read, revoke, extend.
//! - [`create`]: creating identities, one (`POST`) or a batch (`PATCH`).
//! - [`delete`]: deleting an identity (deleted, or already gone).
//! - [`credentials`]: removing one credential, JSON-patching an identity.

pub mod batches;
pub mod client;
pub mod create;
pub mod credentials;
pub mod delete;
pub mod error;
pub mod exchange;
pub mod link;
pub mod models;
pub mod recovery;
pub mod sessions;

pub use client::{Client, ClientOptions, IdentityFilter, IdentityPager, IdentityQuery, PreparedRequest};
pub use error::{ApiError, HttpError, TimeoutPhase};
pub use exchange::{Exchange, RequestInfo, Response};
pub use models::{
    AttributeUpdate, Credentials, CredentialsImport, ErrorEnvelope, GenericError, Identity, IdentityPage,
    IdentitySchema, IdentityState, Nullable, OidcImport, OidcImportConfig, OidcProviderImport, PageCursor,
    PasswordImport, PasswordImportConfig, RecoveryAddress, UpdateIdentityBody, VerifiableAddress,
};
