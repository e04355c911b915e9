//! Password hashes for credential import, shared by the console, the commands
//! and the demo server.
//!
//! - [`check_importable`] accepts only a hash in one of the formats Kratos's
//!   hash comparator knows (`hash/hash_comparator.go`: argon2id/argon2i,
//!   bcrypt, pbkdf2, scrypt, Firebase scrypt, SSHA, salted SHA, MD5, md5-crypt,
//!   sha256-crypt, sha512-crypt, HMAC), well formed and with costs a real
//!   hasher would accept. Kratos itself checks only the prefix at import and
//!   fails at the user's next login; checking the whole hash before sending
//!   catches a pasted hash that lost a character.
//! - [`hash_password_argon2id`] hashes a typed password on this host, so the
//!   plaintext never leaves it.
//!
//! Error messages describe what is wrong with the *shape* of a hash and never
//! quote the hash itself: it is a secret too.

use argon2::password_hash::{PasswordHasher, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// Why a hash cannot be imported (or a password not hashed). Never holds the
/// hash or the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HashFormatError(pub String);

fn refuse<T>(why: impl Into<String>) -> Result<T, HashFormatError> {
    Err(HashFormatError(why.into()))
}

/// Hashes `password` with argon2id (version 19, the argon2 crate's default
/// cost: 19 MiB, 2 passes, 1 lane; Kratos verifies with the parameters stored
/// in the hash) and a fresh 16-byte salt from the OS, as a PHC string ready for
/// `hashed_password`.
pub fn hash_password_argon2id(password: &str) -> Result<String, HashFormatError> {
    if password.is_empty() {
        return refuse("the password is empty");
    }
    // 16 random bytes from the OS (uuid v4 draws them from getrandom).
    let salt_bytes = uuid::Uuid::new_v4().into_bytes();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| HashFormatError(format!("cannot encode the salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashFormatError(format!("argon2id hashing failed: {e}")))
}

/// Same as [`hash_password_argon2id`]; the name the demo server uses.
pub fn hash_plaintext(password: &str) -> Result<String, HashFormatError> {
    hash_password_argon2id(password)
}

/// Same as [`check_importable`]; the name the demo server uses.
pub fn check_imported_hash(hash: &str) -> Result<(), HashFormatError> {
    check_importable(hash)
}

/// Accepts a hash Kratos can import and later compare a password against.
pub fn check_importable(hash: &str) -> Result<(), HashFormatError> {
    if hash.is_empty() {
        return refuse("no hash given");
    }
    if hash.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("the hash holds spaces, line breaks or control characters");
    }
    if let Some(rest) = hash.strip_prefix("$argon2id$") {
        return check_argon2(rest);
    }
    if let Some(rest) = hash.strip_prefix("$argon2i$") {
        return check_argon2(rest);
    }
    if hash.starts_with("$2") {
        return check_bcrypt(hash);
    }
    if let Some(rest) = hash.strip_prefix("$pbkdf2-") {
        return check_pbkdf2(rest);
    }
    if let Some(rest) = hash.strip_prefix("$scrypt$") {
        return check_scrypt(rest);
    }
    if let Some(rest) = hash.strip_prefix("$firescrypt$") {
        return check_firebase_scrypt(rest);
    }
    if hash.starts_with("{SSHA") {
        return check_ssha(hash);
    }
    if let Some(rest) = hash.strip_prefix("$md5-crypt$") {
        return check_crypt(rest, 8, 22, false);
    }
    if let Some(rest) = hash.strip_prefix("$sha256-crypt$") {
        return check_crypt(rest, 16, 43, true);
    }
    if let Some(rest) = hash.strip_prefix("$sha512-crypt$") {
        return check_crypt(rest, 16, 86, true);
    }
    for (prefix, digest_len) in [("$sha1$", 20), ("$sha256$", 32), ("$sha512$", 64)] {
        if let Some(rest) = hash.strip_prefix(prefix) {
            return check_salted_sha(rest, digest_len);
        }
    }
    if let Some(rest) = hash.strip_prefix("$md5$") {
        return check_md5(rest);
    }
    if let Some(rest) = hash.strip_prefix("$hmac-") {
        return check_hmac(rest);
    }
    refuse(
        "unknown hash format: Kratos imports PHC hashes starting with $argon2id$, $argon2i$, $2a$/$2b$/$2y$ \
         (bcrypt), $pbkdf2-, $scrypt$, $firescrypt$, {SSHA}, $sha1$/$sha256$/$sha512$, $md5$, $md5-crypt$, \
         $sha256-crypt$, $sha512-crypt$ or $hmac-",
    )
}

/// `name=value,...` in exactly the order of `names`, each value a number.
fn parse_params(text: &str, names: &[&str]) -> Result<Vec<u64>, HashFormatError> {
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() != names.len() {
        return refuse(format!("expected the parameters {}", names.join(",")));
    }
    let mut values = Vec::with_capacity(names.len());
    for (part, name) in parts.iter().zip(names) {
        let Some(value) = part.strip_prefix(name).and_then(|v| v.strip_prefix('=')) else {
            return refuse(format!("expected the parameter {name}=..."));
        };
        match value.parse::<u64>() {
            Ok(v) => values.push(v),
            Err(_) => return refuse(format!("the parameter {name} is not a number")),
        }
    }
    Ok(values)
}

fn decode_unpadded(text: &str, what: &str) -> Result<Vec<u8>, HashFormatError> {
    STANDARD_NO_PAD
        .decode(text)
        .or_else(|_| refuse(format!("the {what} is not unpadded base64")))
}

fn decode_padded(text: &str, what: &str) -> Result<Vec<u8>, HashFormatError> {
    STANDARD
        .decode(text)
        .or_else(|_| refuse(format!("the {what} is not base64")))
}

/// `v=19$m=..,t=..,p=..$salt$hash` (unpadded base64).
fn check_argon2(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [version, params, salt, key] = parts.as_slice() else {
        return refuse("argon2: expected $argon2id$v=19$m=..,t=..,p=..$salt$hash");
    };
    if *version != "v=19" {
        return refuse("argon2: only version 19 (v=19) is supported");
    }
    let values = parse_params(params, &["m", "t", "p"]).map_err(|e| HashFormatError(format!("argon2: {e}")))?;
    let (memory, iterations, lanes) = (values[0], values[1], values[2]);
    if !(1..=255).contains(&lanes) {
        return refuse("argon2: p must be 1 to 255");
    }
    if memory < 8 * lanes || memory > 4 * 1024 * 1024 {
        return refuse("argon2: m must be at least 8*p KiB and at most 4 GiB");
    }
    if !(1..=1024).contains(&iterations) {
        return refuse("argon2: t must be 1 to 1024");
    }
    if decode_unpadded(salt, "argon2 salt")?.len() < 8 {
        return refuse("argon2: the salt is shorter than 8 bytes");
    }
    if decode_unpadded(key, "argon2 hash")?.len() < 4 {
        return refuse("argon2: the hash is shorter than 4 bytes");
    }
    Ok(())
}

/// bcrypt's own base64 alphabet (also crypt's).
const CRYPT_ALPHABET: &str = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `$2a$`, `$2b$`, `$2y$` (and the `$2$`/`$2z$` spellings Kratos's pattern lets
/// in): cost 4 to 31, then 22 salt and 31 hash characters.
fn check_bcrypt(hash: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = hash.split('$').collect();
    let ["", variant, cost, payload] = parts.as_slice() else {
        return refuse("bcrypt: expected $2b$<cost>$<53 characters>");
    };
    if !matches!(*variant, "2" | "2a" | "2b" | "2y" | "2z") {
        return refuse("bcrypt: unknown variant (expected $2a$, $2b$ or $2y$)");
    }
    let cost: u32 = cost.parse().or_else(|_| refuse("bcrypt: the cost is not a number"))?;
    if !(4..=31).contains(&cost) || parts[2].len() != 2 {
        return refuse("bcrypt: the cost must be two digits from 04 to 31");
    }
    if payload.len() != 53 || !payload.chars().all(|c| CRYPT_ALPHABET.contains(c)) {
        return refuse(format!(
            "bcrypt: salt and hash must be 53 characters of bcrypt's base64, found {}",
            payload.chars().count()
        ));
    }
    Ok(())
}

/// `sha256$i=..,l=..$salt$hash` (after `$pbkdf2-`).
fn check_pbkdf2(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [algorithm, params, salt, key] = parts.as_slice() else {
        return refuse("pbkdf2: expected $pbkdf2-<digest>$i=..,l=..$salt$hash");
    };
    if !matches!(*algorithm, "sha1" | "sha224" | "sha256" | "sha384" | "sha512") {
        return refuse("pbkdf2: the digest must be sha1, sha224, sha256, sha384 or sha512");
    }
    let values = parse_params(params, &["i", "l"]).map_err(|e| HashFormatError(format!("pbkdf2: {e}")))?;
    if !(1..=100_000_000).contains(&values[0]) {
        return refuse("pbkdf2: the iterations (i) must be 1 to 100000000");
    }
    decode_unpadded(salt, "pbkdf2 salt")?;
    let key = decode_unpadded(key, "pbkdf2 hash")?;
    if key.is_empty() || key.len() as u64 != values[1] {
        return refuse("pbkdf2: the key length (l) does not match the hash");
    }
    Ok(())
}

/// `ln=N,r=R,p=P$salt$hash`; Kratos feeds `ln` to scrypt as N itself.
fn check_scrypt(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [params, salt, key] = parts.as_slice() else {
        return refuse("scrypt: expected $scrypt$ln=..,r=..,p=..$salt$hash");
    };
    let values = parse_params(params, &["ln", "r", "p"]).map_err(|e| HashFormatError(format!("scrypt: {e}")))?;
    let (cost, block, parallel) = (values[0], values[1], values[2]);
    if cost < 2 || !cost.is_power_of_two() || cost > 1 << 24 {
        return refuse("scrypt: ln (N) must be a power of two from 2 to 2^24");
    }
    if block == 0 || parallel == 0 || block.saturating_mul(parallel) >= 1 << 30 {
        return refuse("scrypt: r and p must be positive with r*p < 2^30");
    }
    decode_padded(salt, "scrypt salt")?;
    if decode_padded(key, "scrypt hash")?.is_empty() {
        return refuse("scrypt: the hash is empty");
    }
    Ok(())
}

/// `ln=..,r=..,p=..$salt$hash$salt_separator$signer_key` (Firebase's scrypt).
fn check_firebase_scrypt(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [params, salt, key, separator, signer] = parts.as_slice() else {
        return refuse("firescrypt: expected $firescrypt$ln=..,r=..,p=..$salt$hash$separator$signer_key");
    };
    let values = parse_params(params, &["ln", "r", "p"]).map_err(|e| HashFormatError(format!("firescrypt: {e}")))?;
    if !(1..=24).contains(&values[0]) || values[1] == 0 || values[2] == 0 {
        return refuse("firescrypt: ln must be 1 to 24, r and p positive");
    }
    for (text, what) in [
        (salt, "firescrypt salt"),
        (key, "firescrypt hash"),
        (separator, "firescrypt salt separator"),
        (signer, "firescrypt signer key"),
    ] {
        decode_padded(text, what)?;
    }
    Ok(())
}

/// `{SSHA}`, `{SSHA256}`, `{SSHA512}` + base64(digest || salt).
fn check_ssha(hash: &str) -> Result<(), HashFormatError> {
    let (payload, digest_len) = if let Some(rest) = hash.strip_prefix("{SSHA}") {
        (rest, 20)
    } else if let Some(rest) = hash.strip_prefix("{SSHA256}") {
        (rest, 32)
    } else if let Some(rest) = hash.strip_prefix("{SSHA512}") {
        (rest, 64)
    } else {
        return refuse("ssha: unknown variant (expected {SSHA}, {SSHA256} or {SSHA512})");
    };
    if decode_padded(payload, "ssha payload")?.len() <= digest_len {
        return refuse("ssha: no salt after the digest");
    }
    Ok(())
}

/// `[rounds=N$]salt$hash` in crypt's own base64.
fn check_crypt(rest: &str, max_salt: usize, hash_len: usize, rounds_allowed: bool) -> Result<(), HashFormatError> {
    let mut parts: Vec<&str> = rest.split('$').collect();
    if rounds_allowed && let Some(rounds) = parts.first().and_then(|p| p.strip_prefix("rounds=")) {
        let rounds: u64 = rounds.parse().or_else(|_| refuse("crypt: rounds is not a number"))?;
        if !(1000..=999_999_999).contains(&rounds) {
            return refuse("crypt: rounds must be 1000 to 999999999");
        }
        parts.remove(0);
    }
    let [salt, key] = parts.as_slice() else {
        return refuse("crypt: expected salt$hash");
    };
    if salt.len() > max_salt || !salt.chars().all(|c| c.is_ascii_graphic()) {
        return refuse(format!(
            "crypt: the salt must be at most {max_salt} printable characters"
        ));
    }
    if key.len() != hash_len || !key.chars().all(|c| CRYPT_ALPHABET.contains(c)) {
        return refuse(format!(
            "crypt: the hash must be {hash_len} characters of crypt's base64"
        ));
    }
    Ok(())
}

/// `pf=<base64 format>$salt$hash` with standard base64 (after `$sha1$` etc.).
fn check_salted_sha(rest: &str, digest_len: usize) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [format, salt, key] = parts.as_slice() else {
        return refuse("sha: expected pf=..$salt$hash");
    };
    let Some(format) = format.strip_prefix("pf=") else {
        return refuse("sha: expected pf=<salting format>");
    };
    decode_padded(format, "sha salting format")?;
    decode_padded(salt, "sha salt")?;
    if decode_padded(key, "sha hash")?.len() != digest_len {
        return refuse(format!("sha: the hash must be {digest_len} bytes for its digest"));
    }
    Ok(())
}

/// `$md5$<hash>` or `$md5$pf=..$salt$hash`.
fn check_md5(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let key = match parts.as_slice() {
        [key] => key,
        [format, salt, key] => {
            let Some(format) = format.strip_prefix("pf=") else {
                return refuse("md5: expected pf=<salting format>");
            };
            decode_padded(format, "md5 salting format")?;
            decode_padded(salt, "md5 salt")?;
            key
        }
        _ => return refuse("md5: expected $md5$hash or $md5$pf=..$salt$hash"),
    };
    if decode_padded(key, "md5 hash")?.len() != 16 {
        return refuse("md5: the hash must be 16 bytes");
    }
    Ok(())
}

/// `<digest>$hash$key` (after `$hmac-`).
fn check_hmac(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [digest, key, secret] = parts.as_slice() else {
        return refuse("hmac: expected $hmac-<digest>$hash$key");
    };
    if !matches!(
        *digest,
        "md4" | "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512"
    ) {
        return refuse("hmac: unknown digest");
    }
    decode_padded(key, "hmac hash")?;
    decode_padded(secret, "hmac key")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCEPTED: &[&str] = &[
        // From Kratos's import tests and the formats' specifications.
        "$argon2id$v=19$m=16,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
        "$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHRzYWx0$WMMmF1ja2hlCC+F7pVCn2w",
        "$2a$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
        "$2b$04$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
        "$2y$12$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
        "$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
        "$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
        "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a",
        "{SSHA256}czO44OTV17PcF1cRxWrLZLy9xHd7CWyVYplr1rOhuMlx/7IK",
        "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$cDJvb1NFZnB1VQ==$aBxg9zUImTRQjtKxk/6+Fvv/WK0=",
        "$md5$CY9rzUYh03PK3k6DJie09g==",
        "$md5-crypt$ry4QJGvZ$uXd1ZBN3V2j/Fnx8Vd5ft1",
        "$sha256-crypt$rounds=535000$Q0Jk4Q7p2Dm8Kr6E$JqqrHsZRh9xkyVg4YKxaWUiBXc1fC2Fn9wC3ay0zGl5",
        "$hmac-sha256$YjZlNGUzYzM0ZjlmODY3OTYxZDIyNzYwMzU4OWNmNTQ0MzRkYTQyMmE2OTU0NTFmOGJlZDM0NTA2NzI3NWY1Nw==$MTIzNDU=",
    ];

    #[test]
    fn formats_kratos_imports_are_accepted() {
        for hash in ACCEPTED {
            assert_eq!(check_importable(hash), Ok(()), "{hash}");
        }
    }

    #[test]
    fn malformed_or_out_of_range_hashes_are_refused_without_quoting_them() {
        for hash in [
            "",
            "hunter2",
            "$argon2id$v=16$m=16,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$argon2id$v=19$m=4,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$argon2id$v=19$m=16,t=2,p=1$bmFjbGNsbmFjbA",
            "$2b$03$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
            "$2b$32$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
            "$2b$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDy",
            "$2b$10$tooshort",
            "$2a$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq\n",
            "$pbkdf2-md5$i=1000,l=32$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$i=1000,l=99$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
            "$scrypt$ln=1000,r=8,p=1$c2FsdA==$aGFzaA==",
            "{SSHA256}c2hvcnQ=",
            "$md5$bm90MTZieXRlcw==",
            "$sha1$pf=!!$c2FsdA==$aGFzaA==",
        ] {
            match check_importable(hash) {
                Ok(()) => panic!("{hash:?} was accepted"),
                Err(err) if hash.len() > 8 => assert!(!err.to_string().contains(hash), "{err}"),
                Err(_) => {}
            }
        }
    }

    #[test]
    fn a_local_argon2id_hash_verifies_and_is_importable() {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let Ok(hashed) = hash_password_argon2id("correct horse") else {
            panic!("hashing failed")
        };
        assert!(hashed.starts_with("$argon2id$v=19$"), "{hashed}");
        assert!(!hashed.contains("correct horse"));
        assert_eq!(check_importable(&hashed), Ok(()));
        let parsed = PasswordHash::new(&hashed);
        assert!(parsed.is_ok_and(|p| argon2::Argon2::default().verify_password(b"correct horse", &p).is_ok()));
        // A fresh salt each time.
        assert_ne!(hash_password_argon2id("correct horse").ok(), Some(hashed));
        assert!(hash_password_argon2id("").is_err());
    }
}
