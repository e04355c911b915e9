//! Password hashes on credential import: plaintext is hashed with argon2id, and an
//! imported `hashed_password` must be one of the formats Kratos's hash comparator
//! knows (`hash/hash_comparator.go`), well formed and with costs a real hasher
//! would accept. Kratos itself only checks the prefix; parsing the whole hash here
//! catches a console that mangles a hash before Kratos would (at the user's next
//! login).

use argon2::password_hash::{PasswordHasher, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// Why an imported hash was refused (logged in the error's details, never the hash).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HashFormatError(pub String);

fn refuse<T>(why: impl Into<String>) -> Result<T, HashFormatError> {
    Err(HashFormatError(why.into()))
}

/// Hashes a plaintext password the way a Kratos configured for argon2id stores it.
pub fn hash_plaintext(password: &str) -> Result<String, HashFormatError> {
    // 16 random bytes from the OS (uuid v4 draws them from getrandom).
    let salt_bytes = uuid::Uuid::new_v4().into_bytes();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashFormatError(format!("cannot encode salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashFormatError(format!("argon2id hashing failed: {e}")))
}

/// Accepts a hash Kratos can import and later compare a password against.
pub fn check_imported_hash(hash: &str) -> Result<(), HashFormatError> {
    if hash.is_empty() {
        return refuse("no hash given");
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
    refuse("unknown hash prefix")
}

fn parse_params<'a>(text: &'a str, names: &[&str]) -> Result<Vec<u64>, HashFormatError> {
    let parts: Vec<&'a str> = text.split(',').collect();
    if parts.len() != names.len() {
        return refuse(format!("expected parameters {}", names.join(",")));
    }
    let mut values = Vec::with_capacity(names.len());
    for (part, name) in parts.iter().zip(names) {
        let Some(value) = part.strip_prefix(name).and_then(|v| v.strip_prefix('=')) else {
            return refuse(format!("expected parameter {name}"));
        };
        match value.parse::<u64>() {
            Ok(v) => values.push(v),
            Err(_) => return refuse(format!("parameter {name} is not a number")),
        }
    }
    Ok(values)
}

fn decode_raw(text: &str, what: &str) -> Result<Vec<u8>, HashFormatError> {
    STANDARD_NO_PAD
        .decode(text)
        .or_else(|_| refuse(format!("{what} is not unpadded base64")))
}

fn decode_padded(text: &str, what: &str) -> Result<Vec<u8>, HashFormatError> {
    STANDARD
        .decode(text)
        .or_else(|_| refuse(format!("{what} is not base64")))
}

/// `v=19$m=..,t=..,p=..$salt$hash` (unpadded base64).
fn check_argon2(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [version, params, salt, key] = parts.as_slice() else {
        return refuse("argon2: expected v=..$m=..,t=..,p=..$salt$hash");
    };
    if *version != "v=19" {
        return refuse("argon2: only version 19 is supported");
    }
    let values = parse_params(params, &["m", "t", "p"])?;
    let (memory, iterations, lanes) = (values[0], values[1], values[2]);
    if !(1..=255).contains(&lanes) {
        return refuse("argon2: p must be 1..=255");
    }
    if memory < 8 * lanes || memory > 4 * 1024 * 1024 {
        return refuse("argon2: m must be at least 8*p KiB and at most 4 GiB");
    }
    if !(1..=1024).contains(&iterations) {
        return refuse("argon2: t must be 1..=1024");
    }
    if decode_raw(salt, "argon2 salt")?.len() < 8 {
        return refuse("argon2: salt shorter than 8 bytes");
    }
    if decode_raw(key, "argon2 hash")?.len() < 4 {
        return refuse("argon2: hash shorter than 4 bytes");
    }
    Ok(())
}

const BCRYPT_ALPHABET: &str = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `$2a$`, `$2b$`, `$2y$` (and the `$2$`/`$2x$` spellings Kratos's regex lets in):
/// cost 4..=31, 22 salt + 31 hash characters.
fn check_bcrypt(hash: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = hash.split('$').collect();
    let ["", variant, cost, payload] = parts.as_slice() else {
        return refuse("bcrypt: expected $2b$<cost>$<53 characters>");
    };
    if !matches!(*variant, "2" | "2a" | "2b" | "2y" | "2z") {
        return refuse("bcrypt: unknown variant");
    }
    let cost: u32 = cost.parse().or_else(|_| refuse("bcrypt: cost is not a number"))?;
    if cost.to_string().len() > 2 || !(4..=31).contains(&cost) {
        return refuse("bcrypt: cost must be 4..=31");
    }
    if payload.len() != 53 || !payload.chars().all(|c| BCRYPT_ALPHABET.contains(c)) {
        return refuse("bcrypt: salt and hash must be 53 bcrypt-base64 characters");
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
        return refuse("pbkdf2: digest must be sha1, sha224, sha256, sha384 or sha512");
    }
    let values = parse_params(params, &["i", "l"])?;
    if !(1..=100_000_000).contains(&values[0]) {
        return refuse("pbkdf2: iterations must be 1..=100000000");
    }
    decode_raw(salt, "pbkdf2 salt")?;
    let key = decode_raw(key, "pbkdf2 hash")?;
    if key.is_empty() || key.len() as u64 != values[1] {
        return refuse("pbkdf2: l does not match the hash length");
    }
    Ok(())
}

/// `ln=N,r=R,p=P$salt$hash`; Kratos feeds `ln` to scrypt as N itself.
fn check_scrypt(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [params, salt, key] = parts.as_slice() else {
        return refuse("scrypt: expected $scrypt$ln=..,r=..,p=..$salt$hash");
    };
    let values = parse_params(params, &["ln", "r", "p"])?;
    let (cost, block, parallel) = (values[0], values[1], values[2]);
    if cost < 2 || !cost.is_power_of_two() || cost > 1 << 24 {
        return refuse("scrypt: N must be a power of two in 2..=2^24");
    }
    if block == 0 || parallel == 0 || block.saturating_mul(parallel) >= 1 << 30 {
        return refuse("scrypt: r and p must be positive with r*p < 2^30");
    }
    decode_padded(salt, "scrypt salt")?;
    if decode_padded(key, "scrypt hash")?.is_empty() {
        return refuse("scrypt: empty hash");
    }
    Ok(())
}

/// `ln=..,r=..,p=..$salt$hash$salt_separator$signer_key` (Firebase's scrypt).
fn check_firebase_scrypt(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [params, salt, key, separator, signer] = parts.as_slice() else {
        return refuse("firescrypt: expected 5 $-separated fields");
    };
    let values = parse_params(params, &["ln", "r", "p"])?;
    if !(1..=24).contains(&values[0]) || values[1] == 0 || values[2] == 0 {
        return refuse("firescrypt: ln must be 1..=24, r and p positive");
    }
    for (text, what) in [
        (salt, "salt"),
        (key, "hash"),
        (separator, "salt separator"),
        (signer, "signer key"),
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
        return refuse("ssha: unknown variant");
    };
    if decode_padded(payload, "ssha payload")?.len() <= digest_len {
        return refuse("ssha: no salt after the digest");
    }
    Ok(())
}

const CRYPT_ALPHABET: &str = BCRYPT_ALPHABET;

/// `[rounds=N$]salt$hash` in crypt's own base64, as go-crypt decodes it.
fn check_crypt(rest: &str, max_salt: usize, hash_len: usize, rounds_allowed: bool) -> Result<(), HashFormatError> {
    let mut parts: Vec<&str> = rest.split('$').collect();
    if rounds_allowed && let Some(rounds) = parts.first().and_then(|p| p.strip_prefix("rounds=")) {
        let rounds: u64 = rounds.parse().or_else(|_| refuse("crypt: rounds is not a number"))?;
        if !(1000..=999_999_999).contains(&rounds) {
            return refuse("crypt: rounds must be 1000..=999999999");
        }
        parts.remove(0);
    }
    let [salt, key] = parts.as_slice() else {
        return refuse("crypt: expected salt$hash");
    };
    if salt.len() > max_salt || !salt.chars().all(|c| c != '$' && c.is_ascii_graphic()) {
        return refuse("crypt: salt too long or not printable");
    }
    if key.len() != hash_len || !key.chars().all(|c| CRYPT_ALPHABET.contains(c)) {
        return refuse("crypt: hash has the wrong length or alphabet");
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
        return refuse("sha: hash has the wrong length for its digest");
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
        return refuse("md5: hash must be 16 bytes");
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
        // From Kratos's own import tests and the hash formats' specifications.
        "$argon2id$v=19$m=16,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
        "$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHRzYWx0$WMMmF1ja2hlCC+F7pVCn2w",
        "$2a$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
        "$2b$04$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
        "$2y$12$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
        "$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
        "$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
        "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a",
        "{SSHA256}czO44OTV17PcF1cRxWrLZLy9xHd7CWyVYplr1rOhuMlx/7IK",
        "{SSHA512}xPUl/px+1cG55rUH4rzcwxdOIPSB2TingLpiJJumN2xyDWN4Ix1WQG3ihnvHaWUE8MYNkvMi5rf0C9NYixHsE6Yh59M=",
        "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$cDJvb1NFZnB1VQ==$aBxg9zUImTRQjtKxk/6+Fvv/WK0=",
        "$md5$CY9rzUYh03PK3k6DJie09g==",
        "$md5-crypt$ry4QJGvZ$uXd1ZBN3V2j/Fnx8Vd5ft1",
        "$sha256-crypt$rounds=535000$Q0Jk4Q7p2Dm8Kr6E$JqqrHsZRh9xkyVg4YKxaWUiBXc1fC2Fn9wC3ay0zGl5",
        "$hmac-sha256$YjZlNGUzYzM0ZjlmODY3OTYxZDIyNzYwMzU4OWNmNTQ0MzRkYTQyMmE2OTU0NTFmOGJlZDM0NTA2NzI3NWY1Nw==$MTIzNDU=",
    ];

    #[test]
    fn formats_kratos_imports_are_accepted() {
        for hash in ACCEPTED {
            assert_eq!(check_imported_hash(hash), Ok(()), "{hash}");
        }
    }

    #[test]
    fn malformed_or_out_of_bounds_hashes_are_refused() {
        for hash in [
            "",
            "hunter2",
            "$argon2id$v=16$m=16,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$argon2id$v=19$m=4,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$argon2id$v=19$m=16,t=2,p=1$bmFjbGNsbmFjbA",
            "$2b$03$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
            "$2b$32$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
            "$2b$10$tooshort",
            "$pbkdf2-md5$i=1000,l=32$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$i=1000,l=99$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
            "$scrypt$ln=1000,r=8,p=1$c2FsdA==$aGFzaA==",
            "{SSHA256}c2hvcnQ=",
            "$md5$bm90MTZieXRlcw==",
            "$sha1$pf=!!$c2FsdA==$aGFzaA==",
        ] {
            assert!(check_imported_hash(hash).is_err(), "{hash:?} was accepted");
        }
    }

    #[test]
    fn plaintext_becomes_an_argon2id_hash_that_verifies() {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let hashed = hash_plaintext("correct horse").unwrap_or_default();
        assert!(hashed.starts_with("$argon2id$v=19$"), "{hashed}");
        assert_eq!(check_imported_hash(&hashed), Ok(()));
        let parsed = PasswordHash::new(&hashed);
        assert!(parsed.is_ok_and(|p| argon2::Argon2::default().verify_password(b"correct horse", &p).is_ok()));
    }
}
