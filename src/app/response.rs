//! The answer to a request: status, timing, what the server said in plain
//! words, headers and body, all sanitised (the response screen and the
//! history show it).

use serde_json::Value;

use super::doc::{StyledLine, Tone};
use super::keys::Action;
use super::{App, Effect, Screen};
use crate::sanitize::for_display;

/// The result of a finished request, for the response view and history.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseView {
    pub method: String,
    pub url: String,
    pub request_id: String,
    /// `None` when no answer came (timeout, dropped connection).
    pub status: Option<u16>,
    pub reason: String,
    pub elapsed_ms: u64,
    /// Sanitised lines: error summary, headers and the pretty body.
    pub lines: Vec<StyledLine>,
    pub success: bool,
    /// Where the answer is scrolled, wrapped and searched (`text_view`).
    pub view: super::text_view::TextView,
    pub identity_id: Option<String>,
}

/// A key on the response view, by its action (see `keys`).
pub(super) fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    let viewport = super::text_view::viewport(app);
    let Some(response) = app.edit.response.as_mut() else {
        app.screen = Screen::Detail;
        return Vec::new();
    };
    match action {
        Action::Back => {
            app.edit.response = None;
            let from_history = std::mem::take(&mut app.history.showing);
            app.screen = if from_history {
                Screen::History
            } else if app.edit.form.is_some() {
                Screen::Form
            } else if app.edit.attribute.is_some() {
                Screen::Attribute
            } else if app.detail.state.is_some() {
                Screen::Detail
            } else {
                Screen::List
            };
        }
        // Scrolling, wrap and search: the text view's keys.
        _ => {
            response.view.act(&response.lines, viewport, action, None);
        }
    }
    Vec::new()
}

/// The heading [`note_verification`] puts over what a successful write did
/// not keep; [`all_kept`] looks for it.
const NOT_KEPT_HEADING: &str = "Sent, but not everything was kept";

/// Whether the server kept everything a successful write sent (no "not
/// kept" note from [`note_verification`]): the history says "not all kept"
/// otherwise.
pub fn all_kept(view: &ResponseView) -> bool {
    !view.lines.iter().any(|line| line.text() == NOT_KEPT_HEADING)
}

/// Puts what the server did not keep (or normalised) of a successful write
/// right under the status, where it is read first: a `200` that dropped a
/// member must not look like a clean success.
pub fn note_verification(view: &mut ResponseView, verification: &crate::write::Verification) {
    let messages = verification.messages();
    if messages.is_empty() {
        return;
    }
    let at = view.lines.len().min(4);
    let mut notes = vec![StyledLine::default()];
    let heading = if verification.all_kept() {
        "Sent and kept, with known normalisations"
    } else {
        NOT_KEPT_HEADING
    };
    notes.push(StyledLine::toned(Tone::Heading, heading));
    for (index, message) in messages.into_iter().enumerate() {
        let tone = if index < verification.not_kept.len() {
            Tone::Bad
        } else {
            Tone::Muted
        };
        notes.push(StyledLine::toned(tone, message));
    }
    view.lines.splice(at..at, notes);
}

/// Builds the response view from an HTTP exchange: for an error the
/// envelope's reason, message and details stand first, in plain words.
pub fn response_view(exchange: &crate::api::Exchange, identity_id: Option<String>) -> ResponseView {
    let success = exchange.is_success();
    let mut lines = Vec::new();
    let status_tone = if success { Tone::Good } else { Tone::Bad };
    lines.push(StyledLine(vec![
        (Tone::Label, format!("{:<18}", "status")),
        (
            status_tone,
            format!("{} {}", exchange.status, for_display(&exchange.reason)),
        ),
    ]));
    lines.push(StyledLine::field(
        "elapsed",
        format!("{} ms", exchange.elapsed.as_millis()),
        Tone::Plain,
    ));
    lines.push(StyledLine::field(
        "request",
        format!(
            "{} {}",
            exchange.method,
            for_display(&crate::api::exchange::without_signing_params(&exchange.url))
        ),
        Tone::Plain,
    ));
    lines.push(StyledLine::field(
        "request id",
        for_display(&exchange.request_id).into_owned(),
        Tone::Plain,
    ));
    if !success && let Some(error) = exchange.error() {
        lines.push(StyledLine::default());
        lines.push(StyledLine::toned(Tone::Heading, "What the server said"));
        let value = serde_json::to_value(&error).unwrap_or(Value::Null);
        for key in ["reason", "message", "code", "status", "id", "request"] {
            if let Some(text) = value.get(key).filter(|v| !v.is_null()) {
                let shown = match text {
                    Value::String(s) => for_display(s).into_owned(),
                    other => for_display(&other.to_string()).into_owned(),
                };
                lines.push(StyledLine::field(
                    key,
                    shown,
                    if key == "reason" { Tone::Bad } else { Tone::Plain },
                ));
            }
        }
        if let Some(details) = value.get("details").filter(|d| !d.is_null()) {
            lines.push(StyledLine::toned(Tone::Label, "details"));
            lines.extend(super::doc::json_lines(details));
        }
    }
    lines.push(StyledLine::default());
    lines.push(StyledLine::toned(Tone::Heading, "Response headers"));
    for (name, value) in &exchange.headers {
        lines.push(StyledLine::field(
            &for_display(name),
            for_display(value).into_owned(),
            Tone::Muted,
        ));
    }
    lines.push(StyledLine::default());
    lines.push(StyledLine::toned(Tone::Heading, "Response body"));
    match exchange.body_json() {
        Some(mut value) => {
            // The identity's own issuance token is data the answer keeps (the
            // next write is built from it), but it is never drawn in full.
            super::sections::mask_issuance_tokens(&mut value);
            lines.extend(super::doc::json_lines(&value));
        }
        None if exchange.body.is_empty() => lines.push(StyledLine::toned(Tone::Muted, "(empty)")),
        None => {
            let text = crate::sanitize::for_display_multiline(&exchange.body_text());
            lines.extend(text.lines().map(StyledLine::plain));
        }
    }
    ResponseView {
        method: exchange.method.clone(),
        url: crate::api::exchange::without_signing_params(&exchange.url),
        request_id: exchange.request_id.clone(),
        status: Some(exchange.status),
        reason: exchange.reason.clone(),
        elapsed_ms: u64::try_from(exchange.elapsed.as_millis()).unwrap_or(u64::MAX),
        lines,
        success,
        // Wrapped: what came back is read whole, without scrolling sideways.
        view: super::text_view::TextView::new(true),
        identity_id,
    }
}

/// The response view of a registry answer, with Yoti's error explained in
/// plain words at the top.
pub fn registry_response_view(exchange: &crate::api::Exchange, identity_id: &str) -> ResponseView {
    let mut view = response_view(exchange, Some(identity_id.to_owned()));
    let explanation = exchange
        .body_json()
        .and_then(|body| crate::registry::explain_yoti_error(exchange.status, &body))
        .or_else(|| crate::registry::explain_yoti_error(exchange.status, &Value::Null));
    if let (false, Some(text)) = (view.success, explanation) {
        let shown = crate::sanitize::for_display(&text).into_owned();
        view.lines
            .insert(0, StyledLine::field("what this means", shown, Tone::Bad));
    }
    view
}

#[cfg(test)]
mod response_tests {
    use super::*;

    /// A successful PUT answer holds the identity's own issuance token (it is
    /// data: the next write is built from it); the response view never draws
    /// it in full.
    #[test]
    fn the_response_view_masks_the_identitys_issuance_token() {
        let token = "aXNzdWFuY2UtdG9rZW4tc2VjcmV0LTQyMDA=";
        let body = serde_json::json!({
            "id": "4f1b0c2e-0000-4000-8000-000000000001",
            "metadata_admin": {"yoti": {"issuance_token": token}}
        });
        let exchange = crate::api::Exchange {
            request_id: "r".into(),
            method: "PUT".into(),
            url: "http://127.0.0.1/admin/identities/4f1b0c2e-0000-4000-8000-000000000001".into(),
            request_headers: Vec::new(),
            request_body: None,
            status: 200,
            reason: "OK".into(),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
            started_at: chrono::Utc::now(),
            elapsed: std::time::Duration::from_millis(3),
        };
        let view = response_view(&exchange, None);
        let text: String = view.lines.iter().map(StyledLine::text).collect::<Vec<_>>().join("\n");
        assert!(!text.contains(token), "{text}");
        assert!(text.contains("issuance_token"), "{text}");
    }
}
