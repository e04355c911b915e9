//! Account recovery from the admin API: a recovery link or a recovery code
//! made for one identity, for support staff to hand over (read out on the
//! phone, pasted into a ticket reply).
//!
//! Kratos: `POST {recovery_path}/link` (`selfservice/strategy/link/
//! strategy_recovery.go` `createRecoveryLinkForIdentity`: 200 with
//! `recovery_link`, `expires_at`) and `POST {recovery_path}/code`
//! (`selfservice/strategy/code/strategy_recovery_admin.go`
//! `createRecoveryCodeForIdentity`: 201 with `recovery_link`,
//! `recovery_code`, `expires_at`), with the body `{"identity_id",
//! "expires_in"}`. `expires_in` is read with Go's `time.ParseDuration`;
//! omitted, the method's lifespan applies (`selfservice.methods.link|code.
//! config.lifespan`, 1 h by default).
//!
//! What Kratos answers, the same at v1.3.1, v25.4.0 and v26.2.0:
//! - an unknown identity: the link handler 400 "The requested identity id
//!   does not exist.", the code handler 404 "could not find identity";
//! - an `expires_in` Go cannot parse, or one that is not positive: 400 with a
//!   reason naming `expires_in`;
//! - the method switched off (`selfservice.methods.link|code.enabled`):
//!   404 with `strategy.EndpointDisabledMessage`
//!   (`selfservice/strategy/handler.go` `IsDisabled`);
//! - an identity without a recovery address: **a link or code all the
//!   same**. Neither handler looks at `recovery_addresses`; the admin flow
//!   needs none (the person gets the secret from support, not by mail), so
//!   idcon says so as a note rather than refusing ([`RecoveryWarning`]).
//!
//! The answer is a secret: whoever holds the link or code can take over the
//! account until it expires. [`RecoverySecret`] never shows in `Debug`, the
//! exchange handed back has both replaced by `<redacted>` (so the request
//! history, the response view, audit outcomes and logs never see them), and
//! callers print it to stdout or the screen only.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::client::{Client, PreparedRequest};
use super::error::ApiError;
use super::exchange::{Exchange, Response, SecretKind, Secrets};
use super::models::REDACTED;

/// The longest `expires_in` idcon sends: Go's `time.Duration` holds at most
/// about 292 years, and a recovery link valid for more than 90 days is
/// surely a typo (minutes meant as hours, a missing unit).
pub const MAX_EXPIRES_IN_SECS: i64 = 90 * 24 * 3600;

/// Kratos's text for a switched-off method (`selfservice/strategy/
/// handler.go` `EndpointDisabledMessage`).
pub const ENDPOINT_DISABLED_MESSAGE: &str = "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it.";

/// Which secret to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecoveryKind {
    /// A link that signs the person in and opens the settings (`/link`).
    Link,
    /// A six-digit code typed on the recovery page its link opens (`/code`).
    Code,
}

impl RecoveryKind {
    /// `link` or `code`: the endpoint's last segment and the audit's word.
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryKind::Link => "link",
            RecoveryKind::Code => "code",
        }
    }

    /// "recovery link" / "recovery code", for sentences.
    pub fn noun(self) -> &'static str {
        match self {
            RecoveryKind::Link => "recovery link",
            RecoveryKind::Code => "recovery code",
        }
    }
}

impl fmt::Display for RecoveryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A checked `expires_in`: what Go's `time.ParseDuration` reads, more than
/// zero and at most [`MAX_EXPIRES_IN_SECS`]. Sent as typed (trimmed), so the
/// server reads exactly what the person wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiresIn {
    text: String,
    nanos: i64,
}

impl ExpiresIn {
    /// `1h`, `30m`, `1h30m`, `90s`, `1.5h`: refused in plain words (naming
    /// what was typed, made safe) when Go would not read it, it is not
    /// positive, or it is longer than [`MAX_EXPIRES_IN_SECS`].
    pub fn parse(text: &str) -> Result<ExpiresIn, String> {
        let trimmed = text.trim();
        let shown = crate::sanitize::for_display(trimmed);
        let nanos = parse_go_duration(trimmed).map_err(|_| {
            format!(
                "\"{shown}\" is not a duration: give a number and a unit, e.g. 15m, 1h, 1h30m or 24h \
                 (units ns, us, ms, s, m, h)"
            )
        })?;
        if nanos <= 0 {
            return Err(format!(
                "\"{shown}\" is not in the future: the expiry must be longer than zero"
            ));
        }
        if nanos / 1_000_000_000 > MAX_EXPIRES_IN_SECS {
            return Err(format!(
                "\"{shown}\" is longer than idcon sends ({} days at most): a recovery secret that \
                 lives that long is a standing key to the account",
                MAX_EXPIRES_IN_SECS / 86_400
            ));
        }
        Ok(ExpiresIn {
            text: trimmed.to_owned(),
            nanos,
        })
    }

    /// As typed (trimmed): what goes into the body.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The duration.
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(u64::try_from(self.nanos).unwrap_or(0))
    }
}

/// What to ask for: whose account, a link or a code, and for how long
/// (`None`: the server's lifespan for the method).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryRequest {
    pub identity_id: String,
    pub kind: RecoveryKind,
    pub expires_in: Option<ExpiresIn>,
}

/// `createRecoveryLinkForIdentityBody` / `createRecoveryCodeForIdentityBody`.
#[derive(Serialize)]
struct RecoveryBody<'a> {
    identity_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<&'a str>,
}

impl RecoveryRequest {
    /// The JSON body sent.
    pub fn body(&self) -> Vec<u8> {
        let body = RecoveryBody {
            identity_id: &self.identity_id,
            expires_in: self.expires_in.as_ref().map(ExpiresIn::as_str),
        };
        // Two strings: serialising cannot fail.
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

/// A recovery link or code. Never printed by `Debug` or `Display`; wiped
/// when dropped. [`RecoverySecret::expose`] is for the one place that shows
/// it (stdout, the screen).
#[derive(Clone, PartialEq, Eq)]
pub struct RecoverySecret(String);

impl RecoverySecret {
    pub fn new(secret: String) -> RecoverySecret {
        RecoverySecret(secret)
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RecoverySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Drop for RecoverySecret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// What the server made: the link (for a code, the page to type it on) and,
/// for a code, the code; when it expires. `Debug` shows neither secret.
#[derive(Clone, PartialEq)]
pub struct RecoveryAnswer {
    pub kind: RecoveryKind,
    /// `recovery_link`: for a link, the secret itself; for a code, the
    /// recovery page with its flow (the code is what opens it).
    pub link: RecoverySecret,
    /// `recovery_code`, for [`RecoveryKind::Code`].
    pub code: Option<RecoverySecret>,
    /// `expires_at` as the server wrote it (RFC 3339), when it did.
    pub expires_at: Option<String>,
}

impl fmt::Debug for RecoveryAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryAnswer")
            .field("kind", &self.kind)
            .field("link", &self.link)
            .field("code", &self.code)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl RecoveryAnswer {
    /// `expires_at` read as a time.
    pub fn expires_at_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.expires_at.as_deref().and_then(super::models::parse_time)
    }
}

/// Something worth saying before a recovery secret is made; not a refusal
/// (Kratos makes it anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryWarning {
    /// The identity has no `recovery_addresses`: the person cannot start a
    /// recovery themselves, and nothing is mailed; the secret reaches them
    /// only through support.
    NoRecoveryAddress,
    /// The identity is inactive: the link or code is accepted, but Kratos
    /// issues no session to an inactive identity (`session/session.go`
    /// `Session.IsActive`), so the person cannot get in until it is active.
    Inactive,
}

impl RecoveryWarning {
    /// The identity's JSON, looked at for what is worth saying.
    pub fn of_identity(identity: &Value) -> Vec<RecoveryWarning> {
        let mut warnings = Vec::new();
        let addresses = identity.get("recovery_addresses").and_then(Value::as_array);
        if addresses.is_none_or(Vec::is_empty) {
            warnings.push(RecoveryWarning::NoRecoveryAddress);
        }
        if identity.get("state").and_then(Value::as_str) == Some("inactive") {
            warnings.push(RecoveryWarning::Inactive);
        }
        warnings
    }

    /// One plain sentence.
    pub fn message(self) -> &'static str {
        match self {
            RecoveryWarning::NoRecoveryAddress => {
                "the identity has no recovery address: Kratos makes the link or code anyway, but nothing is \
                 sent to the person; hand it over yourself"
            }
            RecoveryWarning::Inactive => {
                "the identity is inactive: Kratos accepts the link or code but signs nobody in to an inactive \
                 identity; activate it first (idcon update ID --state active)"
            }
        }
    }
}

/// Why a recovery request failed, in plain words, for the failures Kratos
/// has its own texts for; `None` for anything else (the error's own message
/// then says it). One line that quotes the server: make it safe before
/// drawing it (`text::one_line`, the console's sanitising).
pub fn explain_failure(err: &ApiError, request: &RecoveryRequest) -> Option<String> {
    let status = err.status()?;
    let server = err.server_error();
    let reason = server.and_then(|s| s.reason.as_deref()).unwrap_or_default();
    let message = server.and_then(|s| s.message.as_deref()).unwrap_or_default();
    let noun = request.kind.noun();
    let said = |text: &str| crate::text::single_line(text);
    if status == 404 && reason.contains("disabled by system administrator") {
        return Some(format!(
            "recovery by {} is switched off on this server (selfservice.methods.{}.enabled); \
             no {noun} was made{}",
            request.kind,
            request.kind,
            match request.kind {
                RecoveryKind::Link => ": try a code (--code)",
                RecoveryKind::Code => ": try a link (without --code)",
            }
        ));
    }
    if reason.contains("expires_in") {
        let asked = request.expires_in.as_ref().map_or("(the default)", ExpiresIn::as_str);
        return Some(format!(
            "the server refused the expiry \"{}\": {}; no {noun} was made",
            said(asked),
            said(reason)
        ));
    }
    if (status == 400 && reason.contains("identity id does not exist"))
        || (status == 404 && reason.contains("could not find identity"))
    {
        return Some(format!(
            "no identity {} on this server; no {noun} was made",
            said(&request.identity_id)
        ));
    }
    let text = format!("{reason} {message}").to_ascii_lowercase();
    if status == 400 && text.contains("recovery address") {
        return Some(format!(
            "the server refused: the identity has no recovery address ({}); no {noun} was made",
            said(if reason.is_empty() { message } else { reason })
        ));
    }
    None
}

impl Client {
    /// The signed `POST {recovery_path}/link|code` for `request`, without
    /// sending it. Refused for a read-only profile before anything is
    /// signed: making a recovery secret is a write (it can take the account
    /// over).
    pub fn prepare_create_recovery(&self, request: &RecoveryRequest) -> Result<PreparedRequest, ApiError> {
        self.refuse_if_read_only()?;
        let endpoint = format!("{}/{}", self.recovery_path(), request.kind.as_str());
        self.prepare(self.base_url(), "POST", &endpoint, &[], Some(request.body()))
    }

    /// Sends a request made by [`Client::prepare_create_recovery`] and reads
    /// the secret. The exchange handed back (and any error's) holds
    /// `<redacted>` where the server wrote the link, its token or the code.
    pub async fn send_create_recovery(
        &self,
        prepared: &PreparedRequest,
        kind: RecoveryKind,
    ) -> Result<Response<RecoveryAnswer>, ApiError> {
        // An error answer carries no secret idcon asked for (the body sent
        // is an id and an expiry); it is reported as any other.
        let exchange = super::client::success(self.execute(prepared).await?)?;
        let parsed = read_answer(&exchange.body, kind);
        let exchange = redact_exchange(exchange, parsed.as_ref().ok());
        match parsed {
            Ok(answer) => Ok(Response {
                value: answer,
                exchange,
            }),
            Err(detail) => Err(ApiError::InvalidResponse {
                detail,
                exchange: Box::new(exchange),
            }),
        }
    }

    /// `POST {recovery_path}/link|code`: a recovery link or code for the
    /// identity (see the module documentation).
    pub async fn create_recovery(&self, request: &RecoveryRequest) -> Result<Response<RecoveryAnswer>, ApiError> {
        let prepared = self.prepare_create_recovery(request)?;
        self.send_create_recovery(&prepared, request.kind).await
    }
}

/// The secrets of a 2xx answer, or why it is not one. The reasons never
/// quote the body (it may hold the secret in a shape idcon did not expect).
fn read_answer(body: &[u8], kind: RecoveryKind) -> Result<RecoveryAnswer, String> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|_| "the body is not JSON (not shown here: it may hold the link or code)".to_owned())?;
    let text = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_owned);
    let link = text("recovery_link")
        .filter(|link| !link.trim().is_empty())
        .ok_or_else(|| "the answer has no recovery_link (a string)".to_owned())?;
    let code = match kind {
        RecoveryKind::Link => None,
        RecoveryKind::Code => Some(
            text("recovery_code")
                .filter(|code| !code.trim().is_empty())
                .ok_or_else(|| "the answer has no recovery_code (a string)".to_owned())?,
        ),
    };
    Ok(RecoveryAnswer {
        kind,
        link: RecoverySecret::new(link),
        code: code.map(RecoverySecret::new),
        expires_at: text("expires_at"),
    })
}

/// The exchange with the answer's secrets replaced by `<redacted>`: the
/// link, the token inside it, the code, every string that holds one of
/// them, in every spelling the client scrubs (`Secrets`); a body that is not
/// JSON or holds no secret idcon recognised is replaced whole (it may hold
/// one in a shape idcon does not know).
fn redact_exchange(mut exchange: Exchange, answer: Option<&RecoveryAnswer>) -> Exchange {
    let Some(answer) = answer else {
        exchange.body = format!(
            "{REDACTED} (a recovery answer idcon could not read, {} bytes)",
            exchange.body.len()
        )
        .into_bytes();
        return exchange;
    };
    let mut secrets = Secrets::default();
    secrets.add(answer.link.expose(), SecretKind::Body, None);
    if let Ok(url) = url::Url::parse(answer.link.expose()) {
        for (name, value) in url.query_pairs() {
            if name != "flow" {
                secrets.add(&value, SecretKind::Body, None);
            }
        }
    }
    if let Some(code) = &answer.code {
        // A code is short: replace the member itself, whatever its length.
        secrets.add(code.expose(), SecretKind::Body, None);
    }
    let (headers, body) = secrets.scrub_answer(
        exchange.status,
        std::mem::take(&mut exchange.headers),
        std::mem::take(&mut exchange.body),
    );
    exchange.headers = headers;
    exchange.body = match serde_json::from_slice::<Value>(&body) {
        Ok(mut json) => {
            for member in ["recovery_link", "recovery_code"] {
                if let Some(value) = json.get_mut(member) {
                    *value = Value::String(REDACTED.to_owned());
                }
            }
            serde_json::to_vec(&json).unwrap_or_else(|_| REDACTED.as_bytes().to_vec())
        }
        Err(_) => REDACTED.as_bytes().to_vec(),
    };
    exchange
}

// ---------------------------------------------------------------------------
// Go's durations, as Kratos reads `expires_in` (`time.ParseDuration`) and
// prints one in its errors (`time.Duration.String`).

/// Why Go's `time.ParseDuration` refuses a text; [`GoDurationError::go_text`]
/// is Go's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoDurationError {
    Invalid,
    MissingUnit,
    UnknownUnit(String),
}

/// Go's `time.ParseDuration`, in nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`
/// with the units `ns`, `us` (also `µs`, `μs`), `ms`, `s`, `m`, `h`; `0`
/// alone needs no unit; at most `i64::MAX` nanoseconds (about 292 years).
pub fn parse_go_duration(text: &str) -> Result<i64, GoDurationError> {
    const UNITS: &[(&str, u64)] = &[
        ("ns", 1),
        ("us", 1_000),
        ("\u{b5}s", 1_000),
        ("\u{3bc}s", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];
    let mut s = text;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(GoDurationError::Invalid);
    }
    let limit: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        let bytes = s.as_bytes();
        if !(bytes[0] == b'.' || bytes[0].is_ascii_digit()) {
            return Err(GoDurationError::Invalid);
        }
        // [0-9]*
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut whole: u64 = 0;
        for &b in &bytes[..digits] {
            whole = whole
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .filter(|v| *v <= limit)
                .ok_or(GoDurationError::Invalid)?;
        }
        let pre = digits > 0;
        s = &s[digits..];
        // (\.[0-9]*)?
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if let Some(rest) = s.strip_prefix('.') {
            let fdigits = rest.bytes().take_while(u8::is_ascii_digit).count();
            post = fdigits > 0;
            let mut overflow = false;
            for b in rest[..fdigits].bytes() {
                if overflow {
                    continue;
                }
                match fraction
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                {
                    Some(v) if v <= limit => {
                        fraction = v;
                        scale *= 10.0;
                    }
                    _ => overflow = true,
                }
            }
            s = &rest[fdigits..];
        }
        if !pre && !post {
            return Err(GoDurationError::Invalid);
        }
        // The unit: everything up to the next '.' or digit.
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(s.len(), |(i, _)| i);
        if unit_len == 0 {
            return Err(GoDurationError::MissingUnit);
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let Some((_, nanos)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(GoDurationError::UnknownUnit(unit.to_owned()));
        };
        if whole > limit / nanos {
            return Err(GoDurationError::Invalid);
        }
        let mut value = whole * nanos;
        if fraction > 0 {
            // Go: v += uint64(float64(f) * (float64(unit) / scale))
            value += (fraction as f64 * (*nanos as f64 / scale)) as u64;
            if value > limit {
                return Err(GoDurationError::Invalid);
            }
        }
        total = total
            .checked_add(value)
            .filter(|v| *v <= limit)
            .ok_or(GoDurationError::Invalid)?;
    }
    if negative {
        // -(1 << 63) is i64::MIN.
        return Ok(0i64.wrapping_sub_unsigned(total));
    }
    i64::try_from(total).map_err(|_| GoDurationError::Invalid)
}

/// Go's `time.Duration.String`: `1h30m0s`, `1.5s`, `300ms`, `1µs`, `0s`,
/// `-1h0m0s`.
pub fn format_go_duration(nanos: i64) -> String {
    let negative = nanos < 0;
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (precision, unit) = match u {
            0 => return "0s".to_owned(),
            1..=999 => (0, "ns"),
            1_000..=999_999 => (3, "\u{b5}s"),
            _ => (6, "ms"),
        };
        let (fraction, whole) = go_fraction(u, precision);
        out.push_str(&whole.to_string());
        out.push_str(&fraction);
        out.push_str(unit);
    } else {
        let (fraction, seconds) = go_fraction(u, 9);
        u = seconds;
        let s = u % 60;
        u /= 60;
        let mut text = format!("{s}{fraction}s");
        if u > 0 {
            let m = u % 60;
            u /= 60;
            text = format!("{m}m{text}");
            if u > 0 {
                text = format!("{u}h{text}");
            }
        }
        out.push_str(&text);
    }
    if negative {
        out.insert(0, '-');
    }
    out
}

/// `v` split at `precision` decimal places: Go's `fmtFrac` (`.` and the
/// digits without trailing zeros, or nothing) and what is left of `v`.
fn go_fraction(v: u64, precision: u32) -> (String, u64) {
    let divisor = 10u64.pow(precision);
    let fraction = v % divisor;
    if fraction == 0 {
        return (String::new(), v / divisor);
    }
    let digits = format!("{fraction:0width$}", width = precision as usize);
    (format!(".{}", digits.trim_end_matches('0')), v / divisor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_as_go_parses_them() {
        let ok = [
            ("0", 0),
            ("+0", 0),
            ("-0", 0),
            ("5s", 5_000_000_000),
            ("30m", 1_800_000_000_000),
            ("1h", 3_600_000_000_000),
            ("1h30m", 5_400_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("-1.5h", -5_400_000_000_000),
            (".5s", 500_000_000),
            ("1.s", 1_000_000_000),
            ("100ms", 100_000_000),
            ("1us", 1_000),
            ("1\u{b5}s", 1_000),
            ("1\u{3bc}s", 1_000),
            ("10ns", 10),
            ("1h1m1s1ms1us1ns", 3_661_001_001_001),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.100000000000000000000h", 360_000_000_000),
        ];
        for (text, nanos) in ok {
            assert_eq!(parse_go_duration(text), Ok(nanos), "{text}");
        }
        let bad = [
            ("", GoDurationError::Invalid),
            ("3", GoDurationError::MissingUnit),
            ("-", GoDurationError::Invalid),
            ("s", GoDurationError::Invalid),
            (".", GoDurationError::Invalid),
            ("-.", GoDurationError::Invalid),
            (".s", GoDurationError::Invalid),
            ("+.s", GoDurationError::Invalid),
            ("1d", GoDurationError::UnknownUnit("d".to_owned())),
            ("1 h", GoDurationError::UnknownUnit(" h".to_owned())),
            ("soon", GoDurationError::Invalid),
            ("2562047h47m16.854775808s", GoDurationError::Invalid),
            ("9223372036854775808ns", GoDurationError::Invalid),
        ];
        for (text, error) in bad {
            assert_eq!(parse_go_duration(text), Err(error), "{text:?}");
        }
    }

    #[test]
    fn go_durations_print_as_go_prints_them() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1\u{b5}s"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (-4_000_000_000 * 60, "-4m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (-3_600_000_000_000, "-1h0m0s"),
            (5_400_000_000_000, "1h30m0s"),
            (4_000_000_001, "4.000000001s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (nanos, text) in cases {
            assert_eq!(format_go_duration(nanos), text, "{nanos}");
        }
    }

    #[test]
    fn an_expiry_is_checked_before_anything_is_sent() {
        let hour = ExpiresIn::parse(" 1h ").map(|e| (e.as_str().to_owned(), e.duration()));
        assert_eq!(hour, Ok(("1h".to_owned(), std::time::Duration::from_secs(3600))));
        assert!(ExpiresIn::parse("90m").is_ok());
        for bad in ["soon", "0", "0s", "-1h", "1d", "", "2161h"] {
            let Err(message) = ExpiresIn::parse(bad) else {
                panic!("{bad:?} was accepted")
            };
            assert!(message.contains(&format!("\"{}\"", bad.trim())), "{message}");
        }
        let Err(message) = ExpiresIn::parse("\u{1b}[2J1h") else {
            panic!("accepted a control character")
        };
        assert!(!message.contains('\u{1b}'), "{message}");
    }

    #[test]
    fn the_body_is_the_id_and_the_expiry_when_given() {
        let mut request = RecoveryRequest {
            identity_id: "6762b34f-4e26-4a8e-a032-35a1e58e1b1c".to_owned(),
            kind: RecoveryKind::Code,
            expires_in: None,
        };
        assert_eq!(
            String::from_utf8_lossy(&request.body()),
            r#"{"identity_id":"6762b34f-4e26-4a8e-a032-35a1e58e1b1c"}"#
        );
        request.expires_in = ExpiresIn::parse("15m").ok();
        assert_eq!(
            String::from_utf8_lossy(&request.body()),
            r#"{"identity_id":"6762b34f-4e26-4a8e-a032-35a1e58e1b1c","expires_in":"15m"}"#
        );
    }

    fn refused(status: u16, reason: &str, message: &str) -> ApiError {
        let body = serde_json::json!({"error": {"code": status, "reason": reason, "message": message}});
        let exchange = Exchange {
            request_id: "r".to_owned(),
            method: "POST".to_owned(),
            url: "http://x/admin/recovery/link".to_owned(),
            request_headers: Vec::new(),
            request_body: None,
            status,
            reason: String::new(),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
            started_at: chrono::Utc::now(),
            elapsed: std::time::Duration::ZERO,
        };
        ApiError::Http(Box::new(super::super::error::HttpError {
            status,
            error: exchange.error(),
            exchange,
        }))
    }

    #[test]
    fn kratos_refusals_are_said_in_plain_words() {
        let request = RecoveryRequest {
            identity_id: "6762b34f-4e26-4a8e-a032-35a1e58e1b1c".to_owned(),
            kind: RecoveryKind::Link,
            expires_in: ExpiresIn::parse("48h").ok(),
        };
        let said = |err: ApiError| explain_failure(&err, &request).unwrap_or_default();
        assert_eq!(
            said(refused(
                404,
                ENDPOINT_DISABLED_MESSAGE,
                "The requested resource could not be found"
            )),
            "recovery by link is switched off on this server (selfservice.methods.link.enabled); no recovery \
             link was made: try a code (--code)"
        );
        assert_eq!(
            said(refused(
                400,
                "Value from \"expires_in\" must not exceed 24h: 48h",
                "bad"
            )),
            "the server refused the expiry \"48h\": Value from \"expires_in\" must not exceed 24h: 48h; no recovery \
             link was made"
        );
        assert_eq!(
            said(refused(400, "The requested identity id does not exist.", "bad")),
            "no identity 6762b34f-4e26-4a8e-a032-35a1e58e1b1c on this server; no recovery link was made"
        );
        assert_eq!(
            said(refused(400, "This identity has no recovery address\u{1b}[2J", "bad")),
            "the server refused: the identity has no recovery address (This identity has no recovery \
             address\u{1b}[2J); no recovery link was made"
        );
        assert_eq!(explain_failure(&refused(500, "boom", "internal"), &request), None);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let answer = RecoveryAnswer {
            kind: RecoveryKind::Code,
            link: RecoverySecret::new("https://kratos.example/recovery?flow=f".to_owned()),
            code: Some(RecoverySecret::new("043917".to_owned())),
            expires_at: Some("2030-01-01T00:00:00Z".to_owned()),
        };
        let shown = format!("{answer:?}");
        assert!(
            !shown.contains("043917") && !shown.contains("kratos.example"),
            "{shown}"
        );
        assert!(shown.contains("2030-01-01T00:00:00Z"), "{shown}");
    }

    #[test]
    fn answers_are_read_and_their_secrets_leave_the_exchange() {
        let body = br#"{"recovery_link":"http://127.0.0.1:4433/self-service/recovery?flow=f1&token=AbCdEfGhIjKlMnOpQrStUvWxYz012345","expires_at":"2030-01-01T00:00:00Z"}"#;
        let answer = read_answer(body, RecoveryKind::Link).expect("a link answer");
        assert!(answer.link.expose().ends_with("token=AbCdEfGhIjKlMnOpQrStUvWxYz012345"));
        let exchange = Exchange {
            request_id: "r".to_owned(),
            method: "POST".to_owned(),
            url: "http://x/admin/recovery/link".to_owned(),
            request_headers: Vec::new(),
            request_body: None,
            status: 200,
            reason: "OK".to_owned(),
            headers: vec![("X-Echo".to_owned(), "token AbCdEfGhIjKlMnOpQrStUvWxYz012345".to_owned())],
            body: body.to_vec(),
            started_at: chrono::Utc::now(),
            elapsed: std::time::Duration::ZERO,
        };
        let redacted = redact_exchange(exchange.clone(), Some(&answer));
        let text = format!("{:?}{}", redacted.headers, redacted.body_text());
        assert!(!text.contains("AbCdEfGhIjKlMnOpQrStUvWxYz012345"), "{text}");
        assert!(text.contains("2030-01-01T00:00:00Z"), "{text}");
        let unread = redact_exchange(exchange, None);
        assert!(!unread.body_text().contains("AbCd"), "{}", unread.body_text());

        let code = br#"{"recovery_link":"http://x/recovery?flow=f","recovery_code":"004211","expires_at":"2030-01-01T00:00:00Z"}"#;
        let answer = read_answer(code, RecoveryKind::Code).expect("a code answer");
        assert_eq!(answer.code.as_ref().map(RecoverySecret::expose), Some("004211"));
        let Err(detail) = read_answer(br#"{"recovery_link":"x"}"#, RecoveryKind::Code) else {
            panic!("a code answer without a code was read")
        };
        assert!(detail.contains("recovery_code"), "{detail}");
        let Err(detail) = read_answer(b"token=secret", RecoveryKind::Link) else {
            panic!("not JSON was read")
        };
        assert!(!detail.contains("secret"), "{detail}");
    }
}
