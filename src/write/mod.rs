//! The one way idcon changes an identity, shared by the console and the
//! commands, so that a change made from a script is as safe as one made on
//! screen.
//!
//! Two halves, so that the console's `app` layer reaches only pure code:
//! - [`plan`](mod@plan) (pure): the body, its diff, the freshness decision
//!   ([`compare`]), the [`rebase`] of an edit onto a newer version, and
//!   [`verify`](verify()) of an answer;
//! - [`send`](mod@send) (async): the fresh GET, the signed PUT and its
//!   audit lines.
//!
//! The steps, each its own function so a caller can show what happens between
//! them (the console's review screen, the commands' prompt):
//! 1. [`fetch`] the identity: a [`Snapshot`] of the model and the JSON the
//!    server sent.
//! 2. [`plan()`] an [`Edit`] on it, for review.
//! 3. [`check_fresh`] right before sending: Kratos has no ETag or If-Match, so
//!    this second GET is the only guard against overwriting someone else's
//!    change. When the identity changed, [`rebase`] carries the edit over to
//!    the new version, or names the members both sides changed.
//! 4. [`send()`]: the signed PUT between its `intent` and `outcome` lines.
//!
//! Every write carries the user's reason when one is given (required by a
//! profile's `require_reason`): [`reason::check_reason`] (pure) cleans and
//! checks it, [`PlannedWrite::with_reason`] carries it to the audit lines.
//!
//! A bulk change reads its identities in batches ([`batch`]: the list `ids`
//! filter, and the shape such reads have), and compares each as above.
//!
//! No terminal code lives here. Everything is re-exported here, so callers
//! name `write::plan`, `write::send`, `write::Snapshot`, ...

pub mod batch;
pub mod plan;
pub mod reason;
pub mod send;
mod verify;

pub use batch::{Listed, ReadMany, ReadShape, batchable, fetch_listed, fetch_one, read_many, refused_batch, shaped};
pub use plan::{Edit, Freshness, PlannedWrite, Resolution, Snapshot, WriteError, compare, plan, rebase};
pub use reason::{ReasonError, check_reason};
pub use send::{
    Answered, WriteResult, check_fresh, fetch, put_signed, record_refusal, send, send_signed, sign, sign_or_refuse,
};
pub use verify::{Normalised, Verification, verify};
