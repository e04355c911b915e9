//! Which Kratos release the demo imitates (`--kratos-version 1.3|25|26`).
//!
//! Only the differences that matter to an admin console are modelled, each read
//! from Kratos's source at the release tag (v1.3.1, v25.4.0, v26.2.0):
//!
//! | behaviour | 1.3 | 25 / 26 |
//! | --- | --- | --- |
//! | `external_id` | absent: `identity/identity.go` has no `ExternalID`, and `identity/handler.go` `UpdateIdentityBody` none either, so the decoder drops it | stored, unique, echoed |
//! | list filters | combinable (`identity/handler.go` `list` applies `ids` and `credentials_identifier` together; only the two identifier searches exclude each other) | one at a time (`parseListIdentitiesParameters`: "You cannot combine multiple filters in this API") |
//! | `ids` | no limit | at most 500 |
//! | `organization_id` | not a parameter (ignored) | a filter |
//! | `page_size` | no upper bound (ory/x v0.0.660 `keysetpagination.Paginator.Size` clamps only when `maxSize > 0`, and Kratos sets none) | at most 500 (`oryx/pagination/keysetpagination/paginator.go` `DefaultMaxSize`) |
//! | PUT `updated_at` | not moved: `persistence/sql/identity/persister_identity.go` `UpdateIdentity` writes the value it read (fixed after 1.3.1 by ory/kratos#4131) | now, truncated to microseconds (same function: `time.Now().UTC().Truncate(time.Microsecond)`) |
//! | PUT answer's addresses | as the schema extension produced them, new ones stamped by pop's `Create` (`time.Now()`, nanoseconds) | kept ones, then new ones (`updateAssociationWith`), new ones stamped by `oryx/sqlxx/batch` in microseconds |
//!
//! The same in all three: page tokens are the plain last id
//! (`identity.Identity.PageToken`, `keysetpagination.StringPageToken`), the
//! `Link` header is one field, and imported password hashes have no cost
//! limits: `hash/hash_limits.go` first appears after v26.2.0 (commit
//! c52a99be2, "bound cost parameters of imported password hashes"), so no
//! imitated release enforces it.

use std::fmt;

/// A Kratos release line the demo server imitates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KratosVersion {
    /// v1.3.x (read at v1.3.1).
    V1_3,
    /// v25.x (read at v25.4.0).
    V25,
    /// v26.x (read at v26.2.0), the current release.
    #[default]
    V26,
}

impl KratosVersion {
    /// `1.3`, `25` or `26` (a leading `v` and a patch level are accepted).
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim().trim_start_matches(['v', 'V']);
        let mut parts = trimmed.split('.');
        let major = parts.next().unwrap_or_default();
        let minor = parts.next();
        match (major, minor) {
            ("1", Some("3")) => Ok(Self::V1_3),
            ("25", _) => Ok(Self::V25),
            ("26", _) => Ok(Self::V26),
            _ => Err(format!(
                "{text:?} is not a Kratos version the demo imitates: use 1.3, 25 or 26"
            )),
        }
    }

    /// The release tag whose source the behaviour was read from.
    pub fn tag(self) -> &'static str {
        match self {
            Self::V1_3 => "v1.3.1",
            Self::V25 => "v25.4.0",
            Self::V26 => "v26.2.0",
        }
    }

    /// Identities have an `external_id` (v25+).
    pub fn has_external_id(self) -> bool {
        self != Self::V1_3
    }

    /// The list filters `ids`, `credentials_identifier`, ... may be combined (v1.3).
    pub fn filters_combine(self) -> bool {
        self == Self::V1_3
    }

    /// The most ids one `ids` filter may hold.
    pub fn max_ids_filter(self) -> Option<usize> {
        match self {
            Self::V1_3 => None,
            Self::V25 | Self::V26 => Some(500),
        }
    }

    /// The largest `page_size` served; larger ones are clamped silently.
    pub fn max_page_size(self) -> Option<usize> {
        match self {
            Self::V1_3 => None,
            Self::V25 | Self::V26 => Some(500),
        }
    }

    /// A PUT moves `updated_at` (v25+; v1.3 writes back the value it read).
    pub fn put_moves_updated_at(self) -> bool {
        self != Self::V1_3
    }

    /// The PUT answer lists kept addresses before new ones (v25+), rather
    /// than in the order the schema extension produced them (v1.3).
    pub fn put_answer_keeps_then_adds(self) -> bool {
        self != Self::V1_3
    }

    /// Rows created by a PUT (new addresses) are stamped in microseconds
    /// (v25+: `oryx/sqlxx/batch/create.go`), not nanoseconds (v1.3: pop's `Create`).
    pub fn stamps_new_rows_in_micros(self) -> bool {
        self != Self::V1_3
    }
}

impl fmt::Display for KratosVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1_3 => "1.3",
            Self::V25 => "25",
            Self::V26 => "26",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_with_or_without_v_and_patch() {
        assert_eq!(KratosVersion::parse("1.3"), Ok(KratosVersion::V1_3));
        assert_eq!(KratosVersion::parse("v1.3.1"), Ok(KratosVersion::V1_3));
        assert_eq!(KratosVersion::parse("25"), Ok(KratosVersion::V25));
        assert_eq!(KratosVersion::parse("v26.2.0"), Ok(KratosVersion::V26));
        for bad in ["1", "1.2", "24", "27", "", "latest"] {
            assert!(KratosVersion::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(KratosVersion::default(), KratosVersion::V26);
        assert_eq!(KratosVersion::V1_3.to_string(), "1.3");
    }
}
