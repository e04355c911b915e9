//! Removing one credential of an identity and JSON-patching an identity
//! (for marking an address verified): Kratos's
//! `DELETE {identities_path}/{id}/credentials/{type}[?identifier=…]` and
//! `PATCH {identities_path}/{id}` (`identity/handler.go`
//! `deleteIdentityCredentials` and `patch`).
//!
//! What Kratos does that a client must know:
//! - **Which credentials can go** (v25.4.0, v26.2.0): `totp` and
//!   `lookup_secret` whole; `webauthn` loses its second-factor keys and
//!   keeps passwordless ones; `password`, `oidc` and `saml` only while the
//!   identity keeps another first factor (`identity/manager.go`
//!   `CountActiveFirstFactorCredentials`), "You cannot remove the last first
//!   factor credential." otherwise; a password keeps its identifiers with
//!   its hash gone (`identity/identity.go` `deleteCredentialPassword`); one
//!   OIDC or SAML link at a time, named `provider:subject` in `identifier`
//!   (`deleteCredentialOIDCSAMLFromIdentity`). `passkey`, `code` and any
//!   other type: "Credentials type … cannot be deleted." v1.3.1 refuses
//!   `password` and `code` outright ("You cannot remove first factor
//!   credentials.") and knows no SAML. 204 on success, no body.
//! - **JSON Patch** (`oryx/jsonx/patch.go` `ApplyJSONPatch`): `add`,
//!   `remove` and `replace` only (`test` is refused as "unsupported
//!   operation", so a patch cannot guard itself; idcon reads the identity
//!   right before and checks the answer instead), `/id`, `/credentials`
//!   and (v25+) `/credentials/oidc/**` refused; the result is checked like
//!   a PUT (schema, state). 200 with the identity.
//!
//! Both are writes: refused on a read-only profile before anything is signed.

use serde_json::{Value, json};

use super::client::{Client, PreparedRequest, checked_segment, encode_segment, parse_json, success};
use super::error::ApiError;
use super::exchange::Response;
use super::models::Identity;

/// Credential types Kratos's admin API can remove (v25+); `oidc` and
/// `saml` need an identifier.
pub const REMOVABLE_TYPES: &[&str] = &["password", "oidc", "saml", "totp", "lookup_secret", "webauthn"];

/// Whether removing a credential of `kind` needs `provider:subject`.
pub fn needs_identifier(kind: &str) -> bool {
    matches!(kind, "oidc" | "saml")
}

/// What the person loses when the credential goes, in plain words. The
/// identifier is raw server text: sanitise the result before drawing it.
pub fn what_is_lost(kind: &str, identifier: Option<&str>) -> String {
    match kind {
        "password" => {
            "their password: they can no longer sign in with it (Kratos keeps the identifiers, drops the hash; \
                       a new one can be set by recovery or an admin)"
                .to_owned()
        }
        "oidc" | "saml" => {
            let what = if kind == "oidc" {
                "social sign-in"
            } else {
                "SAML sign-in"
            };
            match identifier.and_then(|i| i.split_once(':')) {
                Some((provider, subject)) => format!(
                    "the {what} with {provider} (subject {subject}): signing in with {provider} no longer reaches this account"
                ),
                None => format!("one {what} link"),
            }
        }
        "totp" => "their authenticator app (TOTP): the second factor is reset, they set it up again".to_owned(),
        "lookup_secret" => "their backup codes (lookup secrets): every unused code stops working".to_owned(),
        "webauthn" => {
            "their security keys used as a second factor (WebAuthn); keys set up for passwordless sign-in stay"
                .to_owned()
        }
        other => format!("their {other} credential"),
    }
}

/// Why Kratos will not remove a credential of `kind`, known before asking
/// (the console and the command say it instead of sending).
pub fn never_removable(kind: &str) -> Option<String> {
    match kind {
        "passkey" => Some("Kratos's admin API cannot delete passkeys; they go when the identity is deleted".to_owned()),
        "code" => Some(
            "the code credential only lists the addresses one-time codes go to (it follows the traits); \
             Kratos's admin API cannot delete it"
                .to_owned(),
        ),
        _ if REMOVABLE_TYPES.contains(&kind) => None,
        other => Some(format!("Kratos's admin API cannot delete {other} credentials")),
    }
}

/// Why a credential delete failed, in plain words, for the refusals Kratos
/// has texts for; `None` for anything else (the error's own message then
/// says it). Quotes the server: make it safe before drawing it.
pub fn explain_delete_failure(err: &ApiError, kind: &str, identifier: Option<&str>) -> Option<String> {
    let status = err.status()?;
    let server = err.server_error();
    let reason = server.and_then(|s| s.reason.as_deref()).unwrap_or_default();
    let message = server.and_then(|s| s.message.as_deref()).unwrap_or_default();
    let one = crate::text::single_line;
    if status == 400 && reason.contains("last first factor") {
        return Some(format!(
            "Kratos refused: the {kind} credential is this person's last way to sign in (password, social sign-in \
             or passwordless key); link or set another one first, or delete the identity; nothing was removed"
        ));
    }
    if status == 400 && reason.contains("cannot remove first factor") {
        return Some(format!(
            "this server (Kratos before v25) never removes a {kind} credential through its admin API; nothing was removed"
        ));
    }
    if status == 400 && (reason.contains("cannot be deleted") || reason.contains("Unknown credentials type")) {
        return Some(format!(
            "Kratos cannot delete {kind} credentials through its admin API; nothing was removed"
        ));
    }
    if status == 400 && reason.contains("must provide an identifier") {
        return Some(format!(
            "removing a {kind} link needs the provider:subject to remove (--identifier); nothing was removed"
        ));
    }
    if status == 404 && reason.contains("was not found among") {
        return Some(format!(
            "the identity has no {kind} link {} (already removed?); nothing was removed",
            one(identifier.unwrap_or_default())
        ));
    }
    if status == 404 && (reason.contains("set up") || reason.contains("no such credential")) {
        return Some(format!(
            "the identity has no {kind} credential (already removed?); nothing was removed"
        ));
    }
    if status == 404 && message == "Unable to locate the resource" {
        return Some("no such identity on this server (deleted meanwhile?); nothing was removed".to_owned());
    }
    None
}

/// Why a JSON Patch failed, in plain words, for Kratos's own refusals;
/// `None` for anything else. Quotes the server: make it safe before drawing.
pub fn explain_patch_failure(err: &ApiError) -> Option<String> {
    let status = err.status()?;
    let server = err.server_error();
    let reason = server.and_then(|s| s.reason.as_deref()).unwrap_or_default();
    let message = server.and_then(|s| s.message.as_deref()).unwrap_or_default();
    if status == 400 && reason.contains("applying the JSON patch") {
        return Some(format!(
            "the server could not apply the change ({}); nothing was changed",
            crate::text::single_line(message)
        ));
    }
    if status == 404 && message == "Unable to locate the resource" {
        return Some("no such identity on this server (deleted meanwhile?); nothing was changed".to_owned());
    }
    if status == 405 || (status == 404 && reason.is_empty() && message.is_empty()) {
        return Some(
            "this server does not take PATCH on an identity (Kratos has since v0.11); nothing was changed".to_owned(),
        );
    }
    None
}

/// The JSON Patch that marks verifiable address `index` verified (as
/// Kratos's verification flow leaves it: `verified`, `status: completed`,
/// `verified_at`) or back to unverified (`pending`, no `verified_at`).
/// `replace` of a field Kratos turns into `add`, so an address without
/// `verified_at` takes one (`ApplyJSONPatch`); a `null` clears it.
pub fn address_verification_patch(index: usize, verified: bool, now_rfc3339: &str) -> Value {
    let at = format!("/verifiable_addresses/{index}");
    let (status, verified_at) = if verified {
        ("completed", json!(now_rfc3339))
    } else {
        ("pending", Value::Null)
    };
    json!([
        { "op": "replace", "path": format!("{at}/verified"), "value": verified },
        { "op": "replace", "path": format!("{at}/status"), "value": status },
        { "op": "replace", "path": format!("{at}/verified_at"), "value": verified_at },
    ])
}

impl Client {
    fn credential_endpoint(&self, identity_id: &str, kind: &str) -> Result<String, ApiError> {
        Ok(format!(
            "{}/credentials/{}",
            self.identity_endpoint(identity_id)?,
            checked_segment(kind, "credential type")?
        ))
    }

    /// `{base}{identities_path}/{id}/credentials/{type}[?identifier=…]`, for
    /// people and the audit trail.
    pub fn credential_url(&self, identity_id: &str, kind: &str, identifier: Option<&str>) -> String {
        let mut url = format!(
            "{}/credentials/{}",
            self.identity_url(identity_id),
            encode_segment(kind)
        );
        if let Some(identifier) = identifier {
            url.push_str("?identifier=");
            url.push_str(&encode_segment(identifier));
        }
        url
    }

    /// The signed credential `DELETE`, without sending it; refused for a
    /// read-only profile before anything is signed.
    pub fn prepare_delete_credential(
        &self,
        identity_id: &str,
        kind: &str,
        identifier: Option<&str>,
    ) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let endpoint = self.credential_endpoint(identity_id, kind)?;
        let params: Vec<(String, String)> = identifier
            .map(|i| vec![("identifier".to_owned(), i.to_owned())])
            .unwrap_or_default();
        self.prepare(self.base_url(), "DELETE", &endpoint, &params, None)
    }

    /// Sends a request made by [`Client::prepare_delete_credential`] (204).
    pub async fn send_delete_credential(&self, prepared: &PreparedRequest) -> Result<Response<()>, ApiError> {
        let exchange = success(self.execute(prepared).await?)?;
        Ok(Response { value: (), exchange })
    }

    /// The signed `PATCH {identities_path}/{id}` with `operations` (a JSON
    /// Patch array), without sending it; refused for a read-only profile.
    pub fn prepare_patch_identity(&self, identity_id: &str, operations: &Value) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let endpoint = self.identity_endpoint(identity_id)?;
        let body = serde_json::to_vec(operations)
            .map_err(|e| ApiError::InvalidInput(format!("the JSON Patch cannot be written: {e}")))?;
        self.prepare(self.base_url(), "PATCH", &endpoint, &[], Some(body))
    }

    /// Sends a request made by [`Client::prepare_patch_identity`]: the
    /// identity as patched.
    pub async fn send_patch_identity(&self, prepared: &PreparedRequest) -> Result<Response<Identity>, ApiError> {
        let exchange = success(self.execute(prepared).await?)?;
        let identity = parse_json(&exchange, "an identity")?;
        Ok(Response {
            value: identity,
            exchange,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verification_patch_sets_what_the_flow_sets() {
        let patch = address_verification_patch(1, true, "2026-01-01T00:00:00Z");
        assert_eq!(patch[0]["path"], "/verifiable_addresses/1/verified");
        assert_eq!(patch[0]["value"], true);
        assert_eq!(patch[1]["value"], "completed");
        assert_eq!(patch[2]["value"], "2026-01-01T00:00:00Z");
        let back = address_verification_patch(0, false, "ignored");
        assert_eq!(back[0]["value"], false);
        assert_eq!(back[1]["value"], "pending");
        assert_eq!(back[2]["value"], Value::Null);
        // Only operations Kratos allows.
        for op in patch
            .as_array()
            .into_iter()
            .flatten()
            .chain(back.as_array().into_iter().flatten())
        {
            assert!(matches!(op["op"].as_str(), Some("add" | "remove" | "replace")));
        }
    }

    #[test]
    fn what_is_lost_names_the_provider() {
        let text = what_is_lost("oidc", Some("google:123"));
        assert!(text.contains("google") && text.contains("123"), "{text}");
        assert!(what_is_lost("totp", None).contains("authenticator"));
    }

    #[test]
    fn passkeys_and_codes_are_known_to_stay() {
        assert!(never_removable("passkey").is_some());
        assert!(never_removable("code").is_some());
        for kind in REMOVABLE_TYPES {
            assert!(never_removable(kind).is_none(), "{kind}");
        }
    }
}
