//! Comparing identities by what they mean, not by how a server spelled them.
//!
//! Real Kratos spells the same identity differently from one answer to the
//! next, and a byte-wise comparison turns that into false "someone changed
//! this identity" conflicts:
//! - a `PUT` is answered with the identity as held in memory
//!   (kratos `identity/handler.go`, `Handler.update` →
//!   `WithCredentialsNoConfigAndAdminMetadataInJSON`): timestamps carry the
//!   nanoseconds of Go's `time.Now()`, and addresses created by the update come
//!   after the kept ones;
//! - a later `GET` reads the database back: timestamps at microsecond
//!   precision, addresses ordered by id;
//! - a gateway may re-encode numbers (`1.0` for `1`) or timestamps in another
//!   offset.
//!
//! [`canonical`] rewrites an identity's JSON into one spelling (instants in
//! UTC at microsecond precision, address lists and credential identifiers
//! sorted, numbers by value), so two reads of an unchanged identity compare
//! equal and a real change still shows. User data (`traits`,
//! `metadata_public`, `metadata_admin`) keeps its strings as they are: a date
//! typed into a trait is data, and a change of its spelling is a change.

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use serde_json::{Map, Number, Value};

/// Members that hold what people typed: only their numbers are normalised.
const USER_DATA: &[&str] = &["traits", "metadata_public", "metadata_admin"];

/// Lists of objects the server keys by `id` and may return in any order.
const LISTS_BY_ID: &[&str] = &["verifiable_addresses", "recovery_addresses"];

/// The identity's JSON in one spelling; see the module documentation.
pub fn canonical(identity: &Value) -> Value {
    let Value::Object(members) = identity else {
        return numbers_by_value(identity);
    };
    let mut out = Map::with_capacity(members.len());
    for (key, value) in members {
        let value = if USER_DATA.contains(&key.as_str()) {
            numbers_by_value(value)
        } else if LISTS_BY_ID.contains(&key.as_str()) {
            sorted_by_id(&server_data(value))
        } else if key == "credentials" {
            canonical_credentials(value)
        } else {
            server_data(value)
        };
        out.insert(key.clone(), canonical_member(key, value));
    }
    Value::Object(out)
}

/// A top-level member after its contents were normalised: timestamps of the
/// identity itself (`updated_at`, ...) become instants.
fn canonical_member(key: &str, value: Value) -> Value {
    if is_timestamp_key(key) { instant(value) } else { value }
}

/// Server-written data: every `*_at` member that holds an RFC 3339 string
/// becomes the same instant in UTC at microsecond precision.
fn server_data(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, child)| {
                    let child = server_data(child);
                    let child = if is_timestamp_key(key) { instant(child) } else { child };
                    (key.clone(), child)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(server_data).collect()),
        other => numbers_by_value(other),
    }
}

/// Credentials by type: secrets' configs are never compared (a GET without
/// `include_credential` and a PUT answer both leave them out, spelled
/// differently), identifiers are a set.
fn canonical_credentials(value: &Value) -> Value {
    let Value::Object(types) = value else {
        return server_data(value);
    };
    let mut out = Map::with_capacity(types.len());
    for (kind, credential) in types {
        let mut credential = server_data(credential);
        if let Value::Object(fields) = &mut credential {
            if fields.get("config").is_some_and(is_empty_config) {
                fields.shift_remove("config");
            }
            if let Some(Value::Array(identifiers)) = fields.get_mut("identifiers") {
                identifiers.sort_by_key(Value::to_string);
            }
        }
        out.insert(kind.clone(), credential);
    }
    Value::Object(out)
}

fn is_empty_config(config: &Value) -> bool {
    match config {
        Value::Null => true,
        Value::Object(members) => members.is_empty(),
        _ => false,
    }
}

fn is_timestamp_key(key: &str) -> bool {
    key.ends_with("_at")
}

/// An RFC 3339 string as an instant in UTC with microseconds; anything else
/// unchanged.
fn instant(value: Value) -> Value {
    match &value {
        Value::String(text) => match parse_instant(text) {
            Some(at) => Value::String(at.to_rfc3339_opts(SecondsFormat::Micros, true)),
            None => value,
        },
        _ => value,
    }
}

/// The instant an RFC 3339 timestamp names, truncated to microseconds (what
/// Kratos's SQL stores keep).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    at.with_nanosecond(at.nanosecond() / 1_000 * 1_000)
}

/// True when two optional timestamps name the same instant (at microsecond
/// precision, any offset); text that is not a timestamp compares as text.
pub fn same_instant(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => match (parse_instant(a), parse_instant(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
        (None, None) => true,
        _ => false,
    }
}

/// Sorts a list of objects by their `id` when every element has a string id;
/// other lists keep their order (their order may mean something).
fn sorted_by_id(value: &Value) -> Value {
    let Value::Array(items) = value else {
        return value.clone();
    };
    let all_have_ids = items.iter().all(|item| item.get("id").is_some_and(Value::is_string));
    if !all_have_ids {
        return value.clone();
    }
    let mut items = items.clone();
    items.sort_by(|a, b| {
        let id = |v: &Value| v.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        id(a).cmp(&id(b))
    });
    Value::Array(items)
}

/// Every number written as its value: an integral float (`1.0`, `1e2`)
/// becomes the integer, so `1.0` and `1` compare equal.
pub fn numbers_by_value(value: &Value) -> Value {
    match value {
        Value::Number(number) => Value::Number(number_by_value(number)),
        Value::Array(items) => Value::Array(items.iter().map(numbers_by_value).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, child)| (key.clone(), numbers_by_value(child)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn number_by_value(number: &Number) -> Number {
    if number.is_f64()
        && let Some(float) = number.as_f64()
        && float.fract() == 0.0
        && float.abs() < 9_007_199_254_740_992.0
    {
        // Below 2^53 an integral float is exactly this integer.
        let integer = float as i64;
        return Number::from(integer);
    }
    number.clone()
}

/// True when two JSON values mean the same: equal, with numbers compared by
/// value (`1.0` == `1`) and object members in any order.
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(key, a)| y.get(key).is_some_and(|b| same_value(a, b)))
        }
        _ => a == b,
    }
}

fn same_number(x: &Number, y: &Number) -> bool {
    if x == y {
        return true;
    }
    match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
        // Both integers (of either sign) and not equal above.
        (Some(_), Some(_), _, _) | (_, _, Some(_), Some(_)) => false,
        _ => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn instants_compare_at_microseconds_in_any_offset() {
        let put_answer = json!({
            "updated_at": "2026-12-07T12:00:00.123456789Z",
            "state_changed_at": "2026-12-07T13:00:00.1234564+01:00",
            "traits": {"born": "2001-01-01T00:00:00Z"}
        });
        let later_get = json!({
            "updated_at": "2026-12-07T12:00:00.123456Z",
            "state_changed_at": "2026-12-07T12:00:00.123456Z",
            "traits": {"born": "2001-01-01T00:00:00Z"}
        });
        assert_eq!(canonical(&put_answer), canonical(&later_get));
        let moved = json!({"updated_at": "2026-12-07T12:00:00.123457Z"});
        assert_ne!(
            canonical(&json!({"updated_at": "2026-12-07T12:00:00.123456Z"})),
            canonical(&moved)
        );
        assert!(same_instant(
            Some("2026-12-07T12:00:00.123456789Z"),
            Some("2026-12-07T13:00:00.123456+01:00")
        ));
        assert!(!same_instant(Some("2026-12-07T12:00:00Z"), None));
    }

    #[test]
    fn a_trait_spelled_differently_is_still_a_change() {
        let a = json!({"traits": {"born": "2001-01-01T00:00:00Z"}});
        let b = json!({"traits": {"born": "2001-01-01T00:00:00+00:00"}});
        assert_ne!(canonical(&a), canonical(&b));
    }

    #[test]
    fn addresses_compare_by_id_in_any_order() {
        let a = json!({"verifiable_addresses": [
            {"id": "b", "value": "x@example.com", "created_at": "2026-01-01T00:00:00.000000001Z"},
            {"id": "a", "value": "y@example.com"}
        ]});
        let b = json!({"verifiable_addresses": [
            {"id": "a", "value": "y@example.com"},
            {"id": "b", "value": "x@example.com", "created_at": "2026-01-01T00:00:00Z"}
        ]});
        assert_eq!(canonical(&a), canonical(&b));
        let verified = json!({"verifiable_addresses": [
            {"id": "a", "value": "y@example.com", "verified": true},
            {"id": "b", "value": "x@example.com", "created_at": "2026-01-01T00:00:00Z"}
        ]});
        assert_ne!(canonical(&a), canonical(&verified));
    }

    #[test]
    fn credential_identifiers_are_a_set_and_empty_configs_vanish() {
        let a = json!({"credentials": {"oidc": {"identifiers": ["b:1", "a:2"], "config": {}}}});
        let b = json!({"credentials": {"oidc": {"identifiers": ["a:2", "b:1"]}}});
        assert_eq!(canonical(&a), canonical(&b));
    }

    #[test]
    fn numbers_compare_by_value() {
        let a = json!({"traits": {"age": 30.0, "score": 1e2}, "metadata_admin": {"n": [1.5]}});
        let b = json!({"traits": {"age": 30, "score": 100}, "metadata_admin": {"n": [1.5]}});
        assert_eq!(canonical(&a), canonical(&b));
        assert!(same_value(&json!({"x": 1.0, "y": 2}), &json!({"y": 2.0, "x": 1})));
        assert!(!same_value(&json!(1), &json!(2)));
        assert!(!same_value(&json!(1.5), &json!(1)));
        assert!(!same_value(&json!(u64::MAX), &json!(-1)));
    }
}
