//! Field-level differences between two JSON documents, addressed by RFC 6901
//! JSON pointers.
//!
//! One representation of "what changed" serves the review screen, the audit
//! trail, the lost-update check and drafts, so that what a reviewer confirms is
//! what gets recorded. An absent member and a `null` one are different things
//! to Kratos (an omitted `metadata_public` is erased, a `null` one is set to
//! null), so they stay different here: `None` means absent.
//!
//! Hand-written rather than the `json-patch` crate's `diff`: review and audit
//! need each change's old value (an RFC 6902 operation carries only the new
//! one), numbers compare by meaning (`1.0` is `1`; json-patch compares
//! spelling), an array whose length changed is one change (json-patch shifts
//! indices, which misleads a reviewer), and the lost-update merge ([`apply`],
//! [`conflicts`]) names every conflicting member where a patch stops at its
//! first failed `test`. A `PATCH` body maps each [`Change`] to one `add`,
//! `remove` or `replace` operation.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// What stands in for a secret value in a redacted change.
pub const REDACTED: &str = "<redacted>";

/// One changed member: where, what it was and what it became.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// RFC 6901 JSON pointer, e.g. `/traits/name/first`; `""` is the whole document.
    pub pointer: String,
    /// `None` when the member did not exist before.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub old: Option<Value>,
    /// `None` when the member no longer exists.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub new: Option<Value>,
}

/// Reads a member that is present as `Some`, even when it is `null`; serde's
/// default would turn `null` into `None` and lose the absent/null distinction.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Why changes could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error("invalid JSON pointer {pointer:?}: {reason}")]
    InvalidPointer { pointer: String, reason: &'static str },
    /// The document changed at these pointers in a way that contradicts the edit.
    #[error("changed on the server too: {}", .0.join(", "))]
    Conflicts(Vec<String>),
}

/// Escapes one member name as a pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    if !token.contains(['~', '/']) {
        return token.to_owned();
    }
    token.replace('~', "~0").replace('/', "~1")
}

/// Splits a pointer into unescaped tokens; `""` is the root (no tokens).
pub fn parse_pointer(pointer: &str) -> Result<Vec<String>, DiffError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(DiffError::InvalidPointer {
            pointer: pointer.to_owned(),
            reason: "must be empty or start with '/'",
        });
    };
    rest.split('/')
        .map(|raw| unescape_token(raw).ok_or_else(|| invalid_escape(pointer)))
        .collect()
}

fn invalid_escape(pointer: &str) -> DiffError {
    DiffError::InvalidPointer {
        pointer: pointer.to_owned(),
        reason: "'~' must be followed by 0 or 1",
    }
}

fn unescape_token(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn child_pointer(parent: &str, token: &str) -> String {
    format!("{parent}/{}", escape_token(token))
}

/// The changes that turn `old` into `new`.
///
/// Objects are compared member by member (old members in their order, then
/// members only `new` has); arrays element by element when both have the same
/// length, else as one change of the whole array, because index-wise changes
/// of a shifted array would mislead a reviewer. An unchanged document gives
/// no changes.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    diff_into(String::new(), old, new, &mut changes);
    changes
}

fn diff_into(pointer: String, old: &Value, new: &Value, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, old_child) in a {
                let child = child_pointer(&pointer, key);
                match b.get(key) {
                    Some(new_child) => diff_into(child, old_child, new_child, out),
                    None => out.push(Change {
                        pointer: child,
                        old: Some(old_child.clone()),
                        new: None,
                    }),
                }
            }
            for (key, new_child) in b.iter().filter(|(key, _)| !a.contains_key(*key)) {
                out.push(Change {
                    pointer: child_pointer(&pointer, key),
                    old: None,
                    new: Some(new_child.clone()),
                });
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (old_item, new_item)) in a.iter().zip(b).enumerate() {
                diff_into(child_pointer(&pointer, &index.to_string()), old_item, new_item, out);
            }
        }
        _ if !crate::meaning::same_value(old, new) => out.push(Change {
            pointer,
            old: Some(old.clone()),
            new: Some(new.clone()),
        }),
        _ => {}
    }
}

/// Member names that hold a secret wherever they appear.
const SECRET_ANYWHERE: &[&str] = &["access_token", "refresh_token", "id_token", "issuance_token"];

/// Parts of member names that make anything under `/credentials` a secret:
/// passwords and their hashes, OIDC tokens, TOTP URLs, lookup secrets and codes.
const SECRET_IN_CREDENTIALS: &[&str] = &["password", "secret", "token", "hash", "totp", "code"];

/// True when the value at `pointer` (or anything it contains) must never be
/// shown, logged or stored: passwords and password hashes anywhere, OIDC
/// tokens, the Yoti issuance token, and every secret-looking member under
/// `/credentials`. Errs on the side of hiding.
pub fn is_secret_pointer(pointer: &str) -> bool {
    // An unparsable pointer is judged on its raw tokens; still better than nothing.
    let tokens = parse_pointer(pointer).unwrap_or_else(|_| pointer.split('/').map(str::to_owned).collect());
    let in_credentials = tokens.first().is_some_and(|t| t.eq_ignore_ascii_case("credentials"));
    tokens.iter().any(|token| {
        let token = token.to_ascii_lowercase();
        token.contains("password")
            || SECRET_ANYWHERE.contains(&token.as_str())
            || (token.starts_with("initial_") && token.ends_with("token"))
            || (in_credentials && SECRET_IN_CREDENTIALS.iter().any(|part| token.contains(part)))
    })
}

/// Every pointer inside `value` (objects and arrays included, the root not),
/// in document order.
pub fn pointers(value: &Value) -> Vec<String> {
    fn walk(pointer: &str, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let child_ptr = child_pointer(pointer, key);
                    out.push(child_ptr.clone());
                    walk(&child_ptr, child, out);
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    let child_ptr = child_pointer(pointer, &index.to_string());
                    out.push(child_ptr.clone());
                    walk(&child_ptr, child, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out
}

/// Replaces every secret value with [`REDACTED`], also secrets nested inside a
/// changed object or array (a change of `/credentials/oidc` hides its tokens).
/// Absent stays absent, so the change is still visible as an addition or removal.
pub fn redacted(changes: Vec<Change>) -> Vec<Change> {
    changes
        .into_iter()
        .map(|change| Change {
            old: change.old.map(|v| redact_value(&change.pointer, v)),
            new: change.new.map(|v| redact_value(&change.pointer, v)),
            pointer: change.pointer,
        })
        .collect()
}

/// `value` (found at `pointer`) with every secret inside it replaced.
pub fn redact_value(pointer: &str, value: Value) -> Value {
    if is_secret_pointer(pointer) {
        return Value::String(REDACTED.to_owned());
    }
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, child)| {
                    let child = redact_value(&child_pointer(pointer, &key), child);
                    (key, child)
                })
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(index, child)| redact_value(&child_pointer(pointer, &index.to_string()), child))
                .collect(),
        ),
        other => other,
    }
}

/// Applies "my edit" onto a newer version of the document (the three-way
/// merge of the lost-update check).
///
/// Each change applies where `base` still holds the change's `old` value (the
/// server left that member alone); where `base` already holds the `new` value
/// there is nothing to do. Anywhere else the server changed the member
/// differently, and every such pointer is reported in
/// [`DiffError::Conflicts`] rather than silently overwritten.
pub fn apply(base: &Value, changes: &[Change]) -> Result<Value, DiffError> {
    let mut merged = base.clone();
    let mut conflicting = Vec::new();
    for change in changes {
        let tokens = parse_pointer(&change.pointer)?;
        let current = lookup(base, &tokens);
        if same_option(current, change.new.as_ref()) {
            continue;
        }
        if !same_option(current, change.old.as_ref()) || !set(&mut merged, &tokens, change.new.clone()) {
            conflicting.push(change.pointer.clone());
        }
    }
    if conflicting.is_empty() {
        Ok(merged)
    } else {
        Err(DiffError::Conflicts(conflicting))
    }
}

fn array_index(token: &str) -> Option<usize> {
    // RFC 6901: digits without leading zeros.
    let valid =
        !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) && (token == "0" || !token.starts_with('0'));
    if valid { token.parse().ok() } else { None }
}

fn lookup<'a>(value: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    tokens.iter().try_fold(value, |current, token| match current {
        Value::Object(map) => map.get(token),
        Value::Array(items) => array_index(token).and_then(|i| items.get(i)),
        _ => None,
    })
}

fn lookup_mut<'a>(value: &'a mut Value, tokens: &[String]) -> Option<&'a mut Value> {
    tokens.iter().try_fold(value, |current, token| match current {
        Value::Object(map) => map.get_mut(token),
        Value::Array(items) => array_index(token).and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

/// Sets (or with `None` removes) the member at `tokens`; false when its
/// parent does not exist or cannot hold it.
fn set(document: &mut Value, tokens: &[String], value: Option<Value>) -> bool {
    let Some((last, parent_tokens)) = tokens.split_last() else {
        // The root itself: a document cannot become absent.
        return match value {
            Some(value) => {
                *document = value;
                true
            }
            None => false,
        };
    };
    let Some(parent) = lookup_mut(document, parent_tokens) else {
        return false;
    };
    match (parent, value) {
        (Value::Object(map), Some(value)) => {
            map.insert(last.clone(), value);
            true
        }
        (Value::Object(map), None) => {
            map.shift_remove(last);
            true
        }
        (Value::Array(items), Some(value)) => {
            if last == "-" {
                items.push(value);
                return true;
            }
            match array_index(last) {
                Some(i) if i < items.len() => items[i] = value,
                Some(i) if i == items.len() => items.push(value),
                _ => return false,
            }
            true
        }
        (Value::Array(items), None) => match array_index(last) {
            Some(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// True when one pointer is the other or an ancestor of it. Escaping is
/// injective, so comparing the escaped tokens is enough.
fn overlaps(a: &str, b: &str) -> bool {
    let (shorter, longer) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    longer == shorter || shorter.is_empty() || longer.strip_prefix(shorter).is_some_and(|rest| rest.starts_with('/'))
}

/// Both absent, or both present and the same by meaning (numbers by value).
fn same_option(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => crate::meaning::same_value(a, b),
        _ => false,
    }
}

/// Pointers that both sides changed: the same member, or one inside the other
/// (my `/traits/name/first` against their `/traits/name`). Both sides making
/// the very same change to the same member is not a conflict. The list holds
/// each involved pointer once, mine first.
pub fn conflicts(mine: &[Change], theirs: &[Change]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut note = |pointer: &str| {
        if !out.iter().any(|p| p == pointer) {
            out.push(pointer.to_owned());
        }
    };
    for m in mine {
        for t in theirs {
            let same_change = m.pointer == t.pointer && same_option(m.new.as_ref(), t.new.as_ref());
            if !same_change && overlaps(&m.pointer, &t.pointer) {
                note(&m.pointer);
                note(&t.pointer);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(pointer: &str, old: Option<Value>, new: Option<Value>) -> Change {
        Change {
            pointer: pointer.to_owned(),
            old,
            new,
        }
    }

    #[test]
    fn unchanged_document_gives_no_changes() {
        let doc = json!({"traits": {"email": "a@example.com", "tags": [1, 2]}, "metadata_public": null});
        assert!(diff(&doc, &doc.clone()).is_empty());
    }

    #[test]
    fn nested_traits_change_at_the_leaf() {
        let old = json!({"traits": {"name": {"first": "Ana", "last": "Lee"}}});
        let new = json!({"traits": {"name": {"first": "Anna", "last": "Lee"}}});
        assert_eq!(
            diff(&old, &new),
            vec![change("/traits/name/first", Some(json!("Ana")), Some(json!("Anna")))]
        );
    }

    #[test]
    fn absent_and_null_are_different() {
        let old = json!({"metadata_public": {"a": 1}, "metadata_admin": null});
        let new = json!({"metadata_public": null});
        assert_eq!(
            diff(&old, &new),
            vec![
                change("/metadata_public", Some(json!({"a": 1})), Some(Value::Null)),
                change("/metadata_admin", Some(Value::Null), None),
            ]
        );
        let added = diff(&json!({}), &json!({"external_id": null}));
        assert_eq!(added, vec![change("/external_id", None, Some(Value::Null))]);
    }

    #[test]
    fn arrays_of_same_length_per_element_else_whole() {
        let same = diff(&json!({"a": [1, {"x": 1}]}), &json!({"a": [1, {"x": 2}]}));
        assert_eq!(same, vec![change("/a/1/x", Some(json!(1)), Some(json!(2)))]);
        let longer = diff(&json!({"a": [1, 2]}), &json!({"a": [0, 1, 2]}));
        assert_eq!(longer, vec![change("/a", Some(json!([1, 2])), Some(json!([0, 1, 2])))]);
    }

    #[test]
    fn new_members_come_after_old_ones_and_types_may_change() {
        let changes = diff(&json!({"b": 1, "a": "x"}), &json!({"z": true, "a": {"k": 1}, "b": 1}));
        let pointers: Vec<&str> = changes.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(pointers, ["/a", "/z"]);
        assert_eq!(changes[0].new, Some(json!({"k": 1})));
    }

    #[test]
    fn pointer_escaping_round_trips() {
        let changes = diff(&json!({"a/b": {"~c": 1}}), &json!({"a/b": {"~c": 2}}));
        assert_eq!(changes[0].pointer, "/a~1b/~0c");
        assert_eq!(parse_pointer("/a~1b/~0c"), Ok(vec!["a/b".to_owned(), "~c".to_owned()]));
        assert_eq!(parse_pointer("/~01"), Ok(vec!["~1".to_owned()]));
        assert!(parse_pointer("a").is_err());
        assert!(parse_pointer("/x~2").is_err());
        assert!(parse_pointer("/x~").is_err());
        let merged = apply(&json!({"a/b": {"~c": 1}}), &changes);
        assert_eq!(merged, Ok(json!({"a/b": {"~c": 2}})));
    }

    #[test]
    fn root_scalar_change_uses_the_empty_pointer() {
        assert_eq!(
            diff(&json!(1), &json!("1")),
            vec![change("", Some(json!(1)), Some(json!("1")))]
        );
    }

    #[test]
    fn secrets_are_recognised() {
        for secret in [
            "/credentials/password/config/hashed_password",
            "/credentials/password/config/password",
            "/credentials/oidc/config/providers/0/initial_access_token",
            "/credentials/oidc/config/providers/0/initial_id_token",
            "/credentials/totp/config/totp_url",
            "/credentials/lookup_secret",
            "/metadata_admin/yoti/issuance_token",
            "/issuance_token",
            "/traits/Password",
            "/credentials/a~1b/client_secret",
        ] {
            assert!(is_secret_pointer(secret), "{secret}");
        }
        for plain in [
            "/traits/email",
            "/state",
            "/credentials/oidc/config/providers/0/subject",
            "/metadata_public/token_count",
            "",
        ] {
            assert!(!is_secret_pointer(plain), "{plain}");
        }
    }

    #[test]
    fn redaction_reaches_inside_changed_objects() {
        let old = json!({"state": "active"});
        let new = json!({"state": "active", "credentials": {"password": {"config": {"password": "hunter2"}},
            "oidc": {"config": {"providers": [{"provider": "g", "subject": "s", "initial_refresh_token": "rt"}]}}}});
        let shown = serde_json::to_string(&redacted(diff(&old, &new))).unwrap_or_default();
        assert!(!shown.contains("hunter2") && !shown.contains("\"rt\""), "{shown}");
        assert!(shown.contains("\"subject\":\"s\""), "{shown}");
        let whole = redacted(diff(
            &json!({"traits": {"a": 1}}),
            &json!({"traits": {"a": 1, "password": "p"}}),
        ));
        assert_eq!(whole, vec![change("/traits/password", None, Some(json!(REDACTED)))]);
    }

    #[test]
    fn change_serialises_absent_and_null_distinctly() {
        let text = serde_json::to_string(&vec![change("/a", None, Some(Value::Null))]).unwrap_or_default();
        assert_eq!(text, r#"[{"pointer":"/a","new":null}]"#);
        let back: Vec<Change> = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, vec![change("/a", None, Some(Value::Null))]);
    }

    #[test]
    fn apply_merges_disjoint_edits() {
        let opened = json!({"traits": {"email": "a@x", "name": "A"}, "state": "active"});
        let mine = json!({"traits": {"email": "a@x", "name": "B"}, "state": "active"});
        let server = json!({"traits": {"email": "new@x", "name": "A"}, "state": "active"});
        let merged = apply(&server, &diff(&opened, &mine));
        assert_eq!(
            merged,
            Ok(json!({"traits": {"email": "new@x", "name": "B"}, "state": "active"}))
        );
    }

    #[test]
    fn apply_reports_every_conflict() {
        let opened = json!({"traits": {"email": "a@x", "name": "A"}, "metadata_public": null});
        let mine = json!({"traits": {"email": "b@x", "name": "B"}});
        let server = json!({"traits": {"email": "c@x", "name": "B"}, "metadata_public": {"k": 1}});
        // name: same edit on both sides (fine); email: different; metadata_public:
        // I removed it, the server changed it.
        let result = apply(&server, &diff(&opened, &mine));
        assert_eq!(
            result,
            Err(DiffError::Conflicts(vec![
                "/traits/email".to_owned(),
                "/metadata_public".to_owned()
            ]))
        );
    }

    #[test]
    fn apply_refuses_to_write_under_a_parent_the_server_removed() {
        let mine = vec![change("/traits/name/first", Some(json!("A")), Some(json!("B")))];
        assert!(matches!(
            apply(&json!({"traits": {}}), &mine),
            Err(DiffError::Conflicts(_))
        ));
        let add = vec![change("/traits/name/middle", None, Some(json!("M")))];
        assert!(matches!(
            apply(&json!({"traits": {"name": "x"}}), &add),
            Err(DiffError::Conflicts(_))
        ));
        let removal = vec![change("/a/1", Some(json!(2)), None)];
        assert_eq!(apply(&json!({"a": [1, 2, 3]}), &removal), Ok(json!({"a": [1, 3]})));
        assert!(apply(&json!({}), &[change("bad", None, None)]).is_err());
    }

    #[test]
    fn apply_with_unicode_keys() {
        let opened = json!({"traits": {"名前": "太郎", "ñ/~": 1}});
        let mine = json!({"traits": {"名前": "花子", "ñ/~": 1}});
        let server = json!({"traits": {"名前": "太郎", "ñ/~": 2}});
        let changes = diff(&opened, &mine);
        assert_eq!(changes[0].pointer, "/traits/名前");
        assert_eq!(
            apply(&server, &changes),
            Ok(json!({"traits": {"名前": "花子", "ñ/~": 2}}))
        );
        assert_eq!(diff(&opened, &server)[0].pointer, "/traits/ñ~1~0");
    }

    #[test]
    fn conflicts_include_parent_child_overlap() {
        let mine = vec![
            change("/traits/name/first", Some(json!("A")), Some(json!("B"))),
            change("/state", Some(json!("active")), Some(json!("inactive"))),
            change("/metadata_public", None, Some(json!(1))),
        ];
        let theirs = vec![
            change("/traits/name", Some(json!({})), None),
            change("/state", Some(json!("active")), Some(json!("inactive"))),
            change("/metadata_publicity", None, Some(json!(1))),
        ];
        assert_eq!(conflicts(&mine, &theirs), ["/traits/name/first", "/traits/name"]);
        let root = vec![change("", Some(json!({})), Some(json!([])))];
        assert_eq!(conflicts(&mine[1..2], &root), ["/state", ""]);
        assert!(conflicts(&mine, &[]).is_empty());
    }

    #[test]
    fn pointers_lists_every_node() {
        let list = pointers(&json!({"a": {"b": [1, {"c/d": 2}]}}));
        assert_eq!(list, ["/a", "/a/b", "/a/b/0", "/a/b/1", "/a/b/1/c~1d"]);
    }
}
