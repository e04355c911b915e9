//! The one way idcon writes to the Yoti attribute registry, shared by
//! `idcon attribute update` and the console's attribute form, so that an
//! attribute update is as safe as an identity update: a read-only profile
//! refuses it before anything is signed (one `refusal` audit line), the
//! `intent` is on disk before the request goes out and the `outcome` follows,
//! both with the request id sent as `X-Request-ID`.
//!
//! The issuance token is a secret: it lets anyone holding the application's
//! key change the user's attribute. It never reaches an audit line, a log, an
//! error message or the screen; people see it as [`mask_token`] shows it (the
//! last four characters at most). The [`Exchange`](crate::api::Exchange) handed back for the
//! response view has it masked in the request body and in the answer.
//!
//! Yoti's answers to a refused update are explained in plain words by
//! [`explain_yoti_error`], for support staff who do not know Yoti's codes.
//!
//! Three parts, so that the console's `app` layer reaches only pure code:
//! [`plan`](mod@plan) (checks, masking, the reviewed body and the audit
//! changes), [`explain`](mod@explain) (Yoti's errors in plain words), both
//! pure, and [`send`](mod@send) (the signed `PUT` and its audit lines).
//! Everything is re-exported here, so callers name `registry::mask_token`,
//! `registry::send_attribute_update`, ...

pub mod explain;
pub mod plan;
pub mod send;

pub use explain::{explain, explain_yoti_error};
pub use plan::{
    RegistryError, changes, check_update, display_body, display_sent_body, issuance_token_at, mask_token, scrub_text,
};
pub use send::{
    AttributeResult, UpdateContext, record_refusal, record_refusal_for, send_attribute_update,
    send_attribute_update_for, send_signed_attribute_update, send_signed_attribute_update_for, sign_attribute_update,
};
