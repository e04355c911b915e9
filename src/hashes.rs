//! Password hashes for credential import, shared by the console, the commands
//! and the demo server.
//!
//! - [`check_importable`] accepts only a hash Kratos can import *and* later
//!   compare a password against: one of the formats of Kratos's hash
//!   comparator (`hash/hash_comparator.go`: argon2id/argon2i, bcrypt, pbkdf2,
//!   scrypt, Firebase scrypt, SSHA, salted SHA, MD5, md5-crypt, sha256-crypt,
//!   sha512-crypt, HMAC), parsed the way Kratos's `decode*Hash` functions parse
//!   it. Kratos up to v26.2.0 checks only the prefix at import and fails at the
//!   user's next login; checking the whole hash before sending catches a
//!   pasted hash that lost a character. It refuses what no Kratos version can
//!   verify (a parse error, a key that cannot be compared, parameters that
//!   make Kratos's Go code panic or error), a name Kratos maps to another
//!   algorithm (`$pbkdf2-sha224$`, `$pbkdf2-sha384$`, see [`check_importable`]),
//!   and a hash that would match every password or none. It is never stricter
//!   than Kratos about anything else.
//! - [`import_warnings`] lists, for a hash `check_importable` accepts, what an
//!   operator should know before importing it: the cost parameters above the
//!   bounds of Kratos's `hash/hash_limits.go` ([`limit_warnings`]; Kratos
//!   releases after v26.2.0 refuse such a hash at import and at login), and
//!   the places where the hash is unusual but Kratos still verifies it (a
//!   pbkdf2 `l` that disagrees with the key, an argon2 salt under 8 bytes, ...).
//!   [`exceeds_kratos_limits`] lets the demo server refuse like newer Kratos.
//! - [`hash_password_argon2id`] hashes a typed password on this host, so the
//!   plaintext never leaves it.
//!
//! Messages (errors and warnings) describe the *shape* of a hash: they may
//! name its format and a cost parameter, never quote its salt or key bytes,
//! which are secret too.

use argon2::password_hash::{PasswordHasher, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

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

/// Accepts a hash Kratos can import and later compare a password against
/// (see the module documentation for what is refused and why).
///
/// `$pbkdf2-sha224$` and `$pbkdf2-sha384$` are refused although Kratos
/// imports them: Kratos's `getPseudorandomFunctionForPbkdf2` in
/// `hash/hasher_pbkdf2.go`, which `ComparePbkdf2` in `hash/hash_comparator.go`
/// uses, maps `sha224` to SHA3-224 and `sha384` to SHA3-384, not to SHA-224
/// and SHA-384 (so in v1.3.1, v25.4.0, v26.2.0 and later, where a comment
/// keeps it "for backwards compatibility"). A PBKDF2-HMAC-SHA-224/384 hash
/// exported from another system would therefore never match at login. Any
/// other `$pbkdf2-shaN$` name Kratos's pattern lets in is computed with
/// SHA-256 and refused too.
///
/// Cost parameters above Kratos's newer bounds and checks that only
/// reference implementations (not Kratos) make are *not* refused here: see
/// [`import_warnings`].
pub fn check_importable(hash: &str) -> Result<(), HashFormatError> {
    inspect(hash).map(|_| ())
}

/// What to know before importing `hash`, one plain-English line each: first
/// the [`limit_warnings`], then the ways in which the hash is unusual but
/// still verified by Kratos (e.g. a pbkdf2 `l` that disagrees with the key,
/// which Kratos ignores; an argon2 salt shorter than the 8 bytes the argon2
/// specification asks for, which Kratos does not check). Empty for a hash
/// [`check_importable`] refuses: its error says what is wrong.
pub fn import_warnings(hash: &str) -> Vec<String> {
    inspect(hash)
        .map(|found| found.limits.into_iter().chain(found.notes).collect())
        .unwrap_or_default()
}

/// One line per cost parameter above the bounds of Kratos's
/// `hash/hash_limits.go` (argon2 m ≤ 1 GiB, t ≤ 10, p ≤ 16; bcrypt cost ≤ 15;
/// pbkdf2 i ≤ 10,000,000; scrypt N ≤ 2^17, r ≤ 8, p ≤ 10; Firebase scrypt
/// ln ≤ 17, r ≤ 8, p ≤ 10). That file came with Kratos commit c52a99be2
/// (May 2026), after v26.2.0: no tag up to v26.2.0 has it. Releases that do
/// refuse such a hash at import (`ValidateImportedHash`) and at login (the
/// `decode*Hash` functions and `CompareBcrypt`); v26.2.0 and older accept it.
/// Empty for a hash [`check_importable`] refuses.
pub fn limit_warnings(hash: &str) -> Vec<String> {
    inspect(hash).map(|found| found.limits).unwrap_or_default()
}

/// Whether Kratos releases after v26.2.0 would refuse `hash` for its cost
/// parameters (see [`limit_warnings`]); the demo server refuses like them.
pub fn exceeds_kratos_limits(hash: &str) -> bool {
    !limit_warnings(hash).is_empty()
}

/// The Kratos releases that enforce `hash/hash_limits.go`.
const NEWER_KRATOS: &str = "Kratos releases after v26.2.0";

// The bounds of Kratos's hash/hash_limits.go (maxArgon2MemoryKiB, ...).
const ARGON2_MAX_MEMORY_KIB: u64 = 1 << 20;
const ARGON2_MAX_ITERATIONS: u64 = 10;
const ARGON2_MAX_PARALLELISM: u64 = 16;
const BCRYPT_MAX_COST: u64 = 15;
const PBKDF2_MAX_ITERATIONS: u64 = 10_000_000;
const SCRYPT_MAX_N: u64 = 1 << 17;
const SCRYPT_MAX_R: u64 = 8;
const SCRYPT_MAX_P: u64 = 10;
const FIRESCRYPT_MAX_LN: u64 = 17;

/// What the checks found in a hash they accept.
#[derive(Debug, Default)]
struct Findings {
    /// Cost parameters above hash/hash_limits.go.
    limits: Vec<String>,
    /// Unusual but verified by every Kratos version.
    notes: Vec<String>,
}

impl Findings {
    fn limit(&mut self, value: u64, max: u64, format: &str, what: impl FnOnce() -> (String, String)) {
        if value > max {
            let (found, allowed) = what();
            self.limits.push(format!(
                "{format}: {found} is above {allowed}, the most {NEWER_KRATOS} allow (hash/hash_limits.go): \
                 they refuse this hash at import and at login; v26.2.0 and older accept it"
            ));
        }
    }

    fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }
}

fn inspect(hash: &str) -> Result<Findings, HashFormatError> {
    let mut found = Findings::default();
    check_format(hash, &mut found)?;
    Ok(found)
}

fn check_format(hash: &str, found: &mut Findings) -> Result<(), HashFormatError> {
    if hash.is_empty() {
        return refuse("no hash given");
    }
    // Kratos's base64 decoders skip line breaks, but bcrypt and the crypt
    // formats compare them: a pasted hash should carry none.
    if hash.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("the hash holds spaces, line breaks or control characters");
    }
    if let Some(rest) = hash.strip_prefix("$argon2id$") {
        return check_argon2(rest, found);
    }
    if let Some(rest) = hash.strip_prefix("$argon2i$") {
        return check_argon2(rest, found);
    }
    if hash.starts_with("$2") {
        return check_bcrypt(hash, found);
    }
    if let Some(rest) = hash.strip_prefix("$pbkdf2-") {
        return check_pbkdf2(rest, found);
    }
    if let Some(rest) = hash.strip_prefix("$scrypt$") {
        return check_scrypt(rest, found);
    }
    if let Some(rest) = hash.strip_prefix("$firescrypt$") {
        return check_firebase_scrypt(rest, found);
    }
    if hash.starts_with("{SSHA") {
        return check_ssha(hash, found);
    }
    if let Some(rest) = hash.strip_prefix("$md5-crypt$") {
        return check_crypt(rest, 8, 22, false, found);
    }
    if let Some(rest) = hash.strip_prefix("$sha256-crypt$") {
        return check_crypt(rest, 16, 43, true, found);
    }
    if let Some(rest) = hash.strip_prefix("$sha512-crypt$") {
        return check_crypt(rest, 16, 86, true, found);
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

/// Kratos reads these parameters with `fmt.Sscanf` into 32-bit fields: a
/// larger number fails to parse there, and a 0 either fails or panics.
fn positive_u32(value: u64, format: &str, name: &str) -> Result<u64, HashFormatError> {
    if value == 0 || value > u64::from(u32::MAX) {
        return refuse(format!("{format}: {name} must be at least 1 and fit in 32 bits"));
    }
    Ok(value)
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

/// Go's `base64.StdEncoding` without `.Strict()`: padded, but the unused bits
/// of the last character may be set (Kratos decodes SSHA this way).
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// `v=19$m=..,t=..,p=..$salt$hash` (unpadded base64), as Kratos's
/// `decodeArgon2idHash` reads it: m into 64 bits (then cut to 32 for
/// `argon2.IDKey`), t into 32, p into 8.
fn check_argon2(rest: &str, found: &mut Findings) -> Result<(), HashFormatError> {
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
    // Go's argon2 cuts m to 32 bits, so a larger m would never match.
    positive_u32(memory, "argon2", "m (KiB)")?;
    positive_u32(iterations, "argon2", "t")?;
    found.limit(memory, ARGON2_MAX_MEMORY_KIB, "argon2", || {
        (
            format!("m={memory} KiB"),
            format!("{ARGON2_MAX_MEMORY_KIB} KiB (1 GiB)"),
        )
    });
    found.limit(iterations, ARGON2_MAX_ITERATIONS, "argon2", || {
        (format!("t={iterations}"), ARGON2_MAX_ITERATIONS.to_string())
    });
    found.limit(lanes, ARGON2_MAX_PARALLELISM, "argon2", || {
        (format!("p={lanes}"), ARGON2_MAX_PARALLELISM.to_string())
    });
    if memory < 8 * lanes {
        found.note(
            "argon2: m is below 8 KiB per lane (8*p): the argon2 reference implementation refuses that, Go's \
             (Kratos's) silently raises it, so only a hash made with Go's argon2 will match",
        );
    }
    if decode_unpadded(salt, "argon2 salt")?.len() < 8 {
        found.note("argon2: the salt is shorter than the 8 bytes the argon2 specification asks for; Kratos accepts it");
    }
    let key = decode_unpadded(key, "argon2 hash")?;
    if key.is_empty() {
        return refuse("argon2: the hash part is empty");
    }
    if key.len() < 4 {
        found.note(
            "argon2: the hash part is shorter than the 4 bytes the argon2 specification asks for; Kratos compares \
             it as it is, and so few bytes let a wrong password match by chance",
        );
    }
    Ok(())
}

/// bcrypt's own base64 alphabet (also crypt's).
const CRYPT_ALPHABET: &str = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `$2a$`, `$2b$`, `$2y$` (and the `$2$`/`$2z$` spellings Kratos's pattern lets
/// in): cost 4 to 31, then 22 salt and 31 hash characters.
fn check_bcrypt(hash: &str, found: &mut Findings) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = hash.split('$').collect();
    let ["", variant, cost, payload] = parts.as_slice() else {
        return refuse("bcrypt: expected $2b$<cost>$<53 characters>");
    };
    if !matches!(*variant, "2" | "2a" | "2b" | "2y" | "2z") {
        return refuse("bcrypt: unknown variant (expected $2a$, $2b$ or $2y$)");
    }
    let cost: u64 = cost.parse().or_else(|_| refuse("bcrypt: the cost is not a number"))?;
    if !(4..=31).contains(&cost) || parts[2].len() != 2 {
        return refuse("bcrypt: the cost must be two digits from 04 to 31");
    }
    if payload.len() != 53 || !payload.chars().all(|c| CRYPT_ALPHABET.contains(c)) {
        return refuse(format!(
            "bcrypt: salt and hash must be 53 characters of bcrypt's base64, found {}",
            payload.chars().count()
        ));
    }
    found.limit(cost, BCRYPT_MAX_COST, "bcrypt", || {
        (format!("cost {cost}"), BCRYPT_MAX_COST.to_string())
    });
    Ok(())
}

/// `sha256$i=..,l=..$salt$hash` (after `$pbkdf2-`), as Kratos's
/// `decodePbkdf2Hash` reads it. Kratos takes the key length from the decoded
/// hash and ignores `l` (it only has to be a number).
fn check_pbkdf2(rest: &str, found: &mut Findings) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [algorithm, params, salt, key] = parts.as_slice() else {
        return refuse("pbkdf2: expected $pbkdf2-<digest>$i=..,l=..$salt$hash");
    };
    match *algorithm {
        "sha1" | "sha256" | "sha512" => {}
        "sha224" | "sha384" => {
            let (sha2, sha3) = if *algorithm == "sha224" {
                ("SHA-224", "SHA3-224")
            } else {
                ("SHA-384", "SHA3-384")
            };
            return refuse(format!(
                "pbkdf2: Kratos computes $pbkdf2-{algorithm}$ with {sha3}, not {sha2} (getPseudorandomFunctionForPbkdf2 \
                 in hash/hasher_pbkdf2.go), so a PBKDF2 {sha2} hash from another system would never match at login; \
                 re-hash at the source with pbkdf2-sha256 or pbkdf2-sha512, or import the user without a hash \
                 (password reset or the password migration hook)"
            ));
        }
        other
            if other
                .strip_prefix("sha")
                .is_some_and(|n| (1..=3).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            return refuse(
                "pbkdf2: Kratos does not know this digest and computes SHA-256 instead \
                 (getPseudorandomFunctionForPbkdf2 in hash/hasher_pbkdf2.go), so the hash would only match if it was \
                 made with SHA-256; export it as pbkdf2-sha1, pbkdf2-sha256 or pbkdf2-sha512",
            );
        }
        _ => return refuse("pbkdf2: the digest must be sha1, sha256 or sha512"),
    }
    let values = parse_params(params, &["i", "l"]).map_err(|e| HashFormatError(format!("pbkdf2: {e}")))?;
    let (iterations, length) = (values[0], values[1]);
    positive_u32(iterations, "pbkdf2", "i")?;
    if length > u64::from(u32::MAX) {
        return refuse("pbkdf2: l must fit in 32 bits");
    }
    found.limit(iterations, PBKDF2_MAX_ITERATIONS, "pbkdf2", || {
        (format!("i={iterations}"), "10000000".to_owned())
    });
    decode_unpadded(salt, "pbkdf2 salt")?;
    let key = decode_unpadded(key, "pbkdf2 hash")?;
    if key.is_empty() {
        return refuse("pbkdf2: the hash part is empty");
    }
    if key.len() as u64 != length {
        found.note(format!(
            "pbkdf2: l={length} does not match the {} bytes of the hash part; Kratos ignores l and uses the hash \
             part's length, so the hash still works",
            key.len()
        ));
    }
    Ok(())
}

/// The checks `scrypt.Key` (golang.org/x/crypto/scrypt) makes before it
/// derives anything, on a 64-bit host; r and p are at least 1 here (0 makes
/// it divide by zero).
fn scrypt_parameters_usable(n: u64, r: u64, p: u64) -> bool {
    const MAX_INT: u64 = i64::MAX as u64;
    r.saturating_mul(p) < 1 << 30 && r <= MAX_INT / 128 / p && r <= MAX_INT / 256 && n <= MAX_INT / 128 / r
}

/// `ln=N,r=R,p=P$salt$hash` (padded base64), as Kratos's `decodeScryptHash`
/// reads it: the `ln=` field holds scrypt's N itself and goes straight to
/// `scrypt.Key`, unlike passlib's `ln`, which is log2(N).
fn check_scrypt(rest: &str, found: &mut Findings) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [params, salt, key] = parts.as_slice() else {
        return refuse("scrypt: expected $scrypt$ln=..,r=..,p=..$salt$hash");
    };
    let values = parse_params(params, &["ln", "r", "p"]).map_err(|e| HashFormatError(format!("scrypt: {e}")))?;
    let (cost, block, parallel) = (values[0], values[1], values[2]);
    if cost < 2 || !cost.is_power_of_two() || cost > u64::from(u32::MAX) {
        return refuse(
            "scrypt: Kratos expects N itself in ln= (scrypt's cost, a power of two from 2 to 2^31, e.g. ln=16384 \
             for N=2^14), not log2(N) as passlib writes it",
        );
    }
    positive_u32(block, "scrypt", "r")?;
    positive_u32(parallel, "scrypt", "p")?;
    if !scrypt_parameters_usable(cost, block, parallel) {
        return refuse("scrypt: r*p must be below 2^30 and 128*N*r below 2^63");
    }
    found.limit(cost, SCRYPT_MAX_N, "scrypt", || {
        (format!("N={cost} (the ln= field)"), format!("{SCRYPT_MAX_N} (2^17)"))
    });
    found.limit(block, SCRYPT_MAX_R, "scrypt", || {
        (format!("r={block}"), SCRYPT_MAX_R.to_string())
    });
    found.limit(parallel, SCRYPT_MAX_P, "scrypt", || {
        (format!("p={parallel}"), SCRYPT_MAX_P.to_string())
    });
    if cost < 1024 {
        let hint = if cost <= 31 {
            format!(" (ln={} for N=2^{cost})", 1u64 << cost)
        } else {
            String::new()
        };
        found.note(format!(
            "scrypt: N={cost} is very small. Kratos reads ln= as N itself; if the exporting system wrote log2(N) \
             there, the hash needs N instead{hint} or it will never match"
        ));
    }
    decode_padded(salt, "scrypt salt")?;
    if decode_padded(key, "scrypt hash")?.is_empty() {
        return refuse("scrypt: the hash part is empty");
    }
    Ok(())
}

/// `ln=..,r=..,p=..$salt$hash$salt_separator$signer_key` (Firebase's scrypt),
/// as Kratos's `decodeFirebaseScryptHash` reads it: here `ln` is log2(N)
/// (Kratos computes N = 1 << ln in 32 bits), and Kratos encrypts the signer
/// key and compares the result with the hash part.
fn check_firebase_scrypt(rest: &str, found: &mut Findings) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [params, salt, key, separator, signer] = parts.as_slice() else {
        return refuse("firescrypt: expected $firescrypt$ln=..,r=..,p=..$salt$hash$separator$signer_key");
    };
    let values = parse_params(params, &["ln", "r", "p"]).map_err(|e| HashFormatError(format!("firescrypt: {e}")))?;
    let (log_cost, block, parallel) = (values[0], values[1], values[2]);
    if !(1..=31).contains(&log_cost) {
        return refuse("firescrypt: ln is log2(N) here and must be 1 to 31");
    }
    positive_u32(block, "firescrypt", "r")?;
    positive_u32(parallel, "firescrypt", "p")?;
    if !scrypt_parameters_usable(1 << log_cost, block, parallel) {
        return refuse("firescrypt: r*p must be below 2^30 and 128*2^ln*r below 2^63");
    }
    found.limit(log_cost, FIRESCRYPT_MAX_LN, "firescrypt", || {
        (format!("ln={log_cost}"), FIRESCRYPT_MAX_LN.to_string())
    });
    found.limit(block, SCRYPT_MAX_R, "firescrypt", || {
        (format!("r={block}"), SCRYPT_MAX_R.to_string())
    });
    found.limit(parallel, SCRYPT_MAX_P, "firescrypt", || {
        (format!("p={parallel}"), SCRYPT_MAX_P.to_string())
    });
    decode_padded(salt, "firescrypt salt")?;
    let key = decode_padded(key, "firescrypt hash")?;
    decode_padded(separator, "firescrypt salt separator")?;
    let signer = decode_padded(signer, "firescrypt signer key")?;
    if key.is_empty() || key.len() != signer.len() {
        return refuse(
            "firescrypt: the hash part must be as long as the signer key and not empty (Kratos encrypts the signer \
             key and compares the result with it), so this hash could never match",
        );
    }
    Ok(())
}

/// `{SSHA}`, `{SSHA256}`, `{SSHA512}` + base64(digest || salt), as Kratos's
/// `decodeSSHAHash` reads it (padded base64, not strict).
fn check_ssha(hash: &str, found: &mut Findings) -> Result<(), HashFormatError> {
    let (payload, digest_len) = if let Some(rest) = hash.strip_prefix("{SSHA}") {
        (rest, 20)
    } else if let Some(rest) = hash.strip_prefix("{SSHA256}") {
        (rest, 32)
    } else if let Some(rest) = hash.strip_prefix("{SSHA512}") {
        (rest, 64)
    } else {
        return refuse("ssha: unknown variant (expected {SSHA}, {SSHA256} or {SSHA512})");
    };
    let decoded = match STANDARD.decode(payload) {
        Ok(decoded) => decoded,
        Err(_) => {
            let decoded = STANDARD_LENIENT
                .decode(payload)
                .or_else(|_| refuse("the ssha payload is not base64"))?;
            found.note(
                "ssha: the base64 ends with stray bits that a strict decoder refuses; Kratos ignores them for SSHA",
            );
            decoded
        }
    };
    if decoded.len() <= digest_len {
        return refuse("ssha: no salt after the digest");
    }
    Ok(())
}

/// `[rounds=N$]salt$hash` in crypt's own base64, as go-crypt (Kratos's
/// `compareCryptHelper`) decodes it: rounds 1000 to 999999999, the key
/// compared character for character, the salt used as it is (glibc's crypt
/// cuts it to `max_salt` characters when hashing).
fn check_crypt(
    rest: &str,
    max_salt: usize,
    hash_len: usize,
    rounds_allowed: bool,
    found: &mut Findings,
) -> Result<(), HashFormatError> {
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
    if key.len() != hash_len || !key.chars().all(|c| CRYPT_ALPHABET.contains(c)) {
        return refuse(format!(
            "crypt: the hash must be {hash_len} characters of crypt's base64"
        ));
    }
    if salt.chars().count() > max_salt || !salt.chars().all(|c| CRYPT_ALPHABET.contains(c)) {
        found.note(format!(
            "crypt: the salt is longer than {max_salt} characters or holds characters outside crypt's alphabet; \
             Kratos uses it as it is, but glibc's crypt would have cut it, so a hash made there may not match"
        ));
    }
    Ok(())
}

/// The decoded `pf=` salting format of the salted SHA and MD5 formats:
/// Kratos substitutes `{SALT}` and `{PASSWORD}` in it and hashes the result.
fn check_salting_format(format: &str, name: &str) -> Result<(), HashFormatError> {
    let Some(format) = format.strip_prefix("pf=") else {
        return refuse(format!("{name}: expected pf=<salting format>"));
    };
    let decoded = decode_padded(format, &format!("{name} salting format"))?;
    if decoded.is_empty() {
        return refuse(format!("{name}: the salting format (pf=) is empty"));
    }
    if !decoded.windows(10).any(|w| w == b"{PASSWORD}") {
        return refuse(format!(
            "{name}: the salting format (pf=) has no {{PASSWORD}}, so every password would give the same hash"
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
    check_salting_format(format, "sha")?;
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
            check_salting_format(format, "md5")?;
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

/// `<digest>$hash$key` (after `$hmac-`): Kratos compares the hash part with
/// the lowercase hex of the HMAC (`CompareHMAC`), so it must be exactly that.
fn check_hmac(rest: &str) -> Result<(), HashFormatError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [digest, key, secret] = parts.as_slice() else {
        return refuse("hmac: expected $hmac-<digest>$hash$key");
    };
    let digest_len = match *digest {
        "md4" | "md5" => 16,
        "sha1" => 20,
        "sha224" => 28,
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => return refuse("hmac: unknown digest"),
    };
    let hex = decode_padded(key, "hmac hash")?;
    if hex.len() != 2 * digest_len || !hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return refuse(format!(
            "hmac: the hash part must be base64 of the {}-character lowercase hex HMAC, as Kratos compares it",
            2 * digest_len
        ));
    }
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
        "$pbkdf2-sha512$i=100000,l=32$bdHBpn7OWOivJMVJypy2UqR0UnaD5prQXRZevj/05YU$+wArTfv1a+bNGO1iZrmEdVjhA+lL11wF4/IxpgYfPwc",
        "$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
        "$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==",
        "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a",
        "{SSHA256}czO44OTV17PcF1cRxWrLZLy9xHd7CWyVYplr1rOhuMlx/7IK",
        "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$cDJvb1NFZnB1VQ==$aBxg9zUImTRQjtKxk/6+Fvv/WK0=",
        "$md5$CY9rzUYh03PK3k6DJie09g==",
        "$md5-crypt$ry4QJGvZ$uXd1ZBN3V2j/Fnx8Vd5ft1",
        "$sha256-crypt$rounds=535000$Q0Jk4Q7p2Dm8Kr6E$JqqrHsZRh9xkyVg4YKxaWUiBXc1fC2Fn9wC3ay0zGl5",
        "$sha256-crypt$rounds=535000$05R.9KB6UC2kLI3w$Q/zslzx./JjkAVPTwp6th7nW5l7JU91Gte/UmIh.U78",
        "$hmac-sha256$YjZlNGUzYzM0ZjlmODY3OTYxZDIyNzYwMzU4OWNmNTQ0MzRkYTQyMmE2OTU0NTFmOGJlZDM0NTA2NzI3NWY1Nw==$MTIzNDU=",
    ];

    /// The salt, key and salting-format segments of `hash`: what no message
    /// may quote.
    fn secret_parts(hash: &str) -> Vec<&str> {
        if let Some(end) = hash.find('}') {
            return vec![&hash[end + 1..]];
        }
        hash.split('$')
            .skip(2)
            .map(|part| part.strip_prefix("pf=").unwrap_or(part))
            .filter(|part| part.len() >= 4 && !part.contains(','))
            .filter(|part| !part.starts_with("rounds=") && !part.starts_with("v="))
            .collect()
    }

    /// Every message about `hash`, refusal or warning, keeps its secrets.
    fn assert_quiet(hash: &str, messages: &[String]) {
        for message in messages {
            assert!(!message.contains(hash), "{message}");
            for part in secret_parts(hash) {
                assert!(!message.contains(part), "{message:?} quotes {part:?}");
            }
        }
    }

    /// `check_importable` accepts `hash`, and its warnings keep its secrets.
    fn accepted_warnings(hash: &str) -> Vec<String> {
        assert_eq!(check_importable(hash), Ok(()), "{hash}");
        let warnings = import_warnings(hash);
        assert_quiet(hash, &warnings);
        warnings
    }

    /// `check_importable` refuses `hash` without quoting it; the reason.
    fn refusal(hash: &str) -> String {
        let Err(err) = check_importable(hash) else {
            panic!("{hash:?} was accepted")
        };
        let why = err.to_string();
        if hash.len() > 8 {
            assert_quiet(hash, std::slice::from_ref(&why));
        }
        assert!(
            import_warnings(hash).is_empty() && !exceeds_kratos_limits(hash),
            "{hash}"
        );
        why
    }

    #[test]
    fn formats_kratos_imports_are_accepted_without_warnings() {
        for hash in ACCEPTED {
            assert_eq!(accepted_warnings(hash), Vec::<String>::new(), "{hash}");
            assert!(!exceeds_kratos_limits(hash), "{hash}");
        }
    }

    #[test]
    fn malformed_or_unusable_hashes_are_refused_without_quoting_them() {
        for hash in [
            "",
            "hunter2",
            "$argon2id$v=16$m=16,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$argon2id$v=19$m=16,t=2,p=1$bmFjbGNsbmFjbA",
            // p is read into a byte, t and m into 32 bits; 0 makes Go's argon2 panic.
            "$argon2id$v=19$m=16,t=2,p=256$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$argon2id$v=19$m=16,t=0,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$argon2id$v=19$m=0,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$argon2id$v=19$m=4294967296,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$argon2id$v=19$m=16,t=2,p=1$bmFjbGNsbmFjbA$",
            "$2b$03$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
            "$2b$32$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq",
            "$2b$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDy",
            "$2b$10$tooshort",
            "$2a$10$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq\n",
            "$pbkdf2-md5$i=1000,l=32$c2FsdA$aGFzaA",
            "$pbkdf2-sha3$i=1000,l=4$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$i=0,l=4$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$i=4294967296,l=4$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$i=1000,l=0$c2FsdA$",
            "$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXccc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
            "$scrypt$ln=16384,r=0,p=1$c2FsdA==$aGFzaA==",
            "$scrypt$ln=16384,r=8,p=0$c2FsdA==$aGFzaA==",
            "$scrypt$ln=16384,r=1073741824,p=1$c2FsdA==$aGFzaA==",
            "$scrypt$ln=16384,r=8,p=1$c2FsdA==$",
            "$firescrypt$ln=0,r=8,p=1$c2FsdA==$aGFzaA==$Bw==$a2V5aw==",
            "$firescrypt$ln=32,r=8,p=1$c2FsdA==$aGFzaA==$Bw==$a2V5aw==",
            // The hash part must be as long as the signer key.
            "$firescrypt$ln=14,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaA==$Bw==$a2V5a2V5",
            "$firescrypt$ln=14,r=8,p=1$c2FsdA==$$Bw==$",
            "{SSHA256}c2hvcnQ=",
            "{SSHA1}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a",
            "$md5$bm90MTZieXRlcw==",
            "$sha1$pf=!!$c2FsdA==$aGFzaA==",
            // An empty salting format, or one without the password.
            "$sha1$pf=$cDJvb1NFZnB1VQ==$aBxg9zUImTRQjtKxk/6+Fvv/WK0=",
            "$sha1$pf=e1NBTFR9$cDJvb1NFZnB1VQ==$aBxg9zUImTRQjtKxk/6+Fvv/WK0=",
            "$md5$pf=e1NBTFR9$cDJvb1NFZnB1VQ==$CY9rzUYh03PK3k6DJie09g==",
            "$sha256-crypt$rounds=999$Q0Jk4Q7p2Dm8Kr6E$JqqrHsZRh9xkyVg4YKxaWUiBXc1fC2Fn9wC3ay0zGl5",
            "$md5-crypt$rounds=5000$ry4QJGvZ$uXd1ZBN3V2j/Fnx8Vd5ft1",
            // The hmac hash part is the base64 of the lowercase hex HMAC.
            "$hmac-sha256$aGFzaA==$MTIzNDU=",
            "$hmac-sha1$YjZlNGUzYzM0ZjlmODY3OTYxZDIyNzYwMzU4OWNmNTQ0MzRkYTQyMmE2OTU0NTFmOGJlZDM0NTA2NzI3NWY1Nw==$MTIzNDU=",
            "$hmac-whirlpool$aGFzaA==$MTIzNDU=",
        ] {
            refusal(hash);
        }
    }

    #[test]
    fn pbkdf2_sha224_and_sha384_are_refused_because_kratos_reads_them_as_sha3() {
        // Kratos's own fixtures (hash/hasher_test.go), made with SHA3: even
        // these are refused, since an exported SHA-2 hash of that name never
        // matches.
        for (hash, sha2, sha3) in [
            (
                "$pbkdf2-sha224$i=100000,l=32$A2nzbFd+wwzPSb+TqkF5Pw$9M4GM2yOYw/fZvsvQbF/0Ec8JO2u9O1MYRTfrDimX6o",
                "SHA-224",
                "SHA3-224",
            ),
            (
                "$pbkdf2-sha384$i=100000,l=32$xDInuz7Y/DPzZUnCaQXJmg$7ICaEa6jEqxbbCBbv4YzrBf39KYNAtc3Bj0QWKeB3Ck",
                "SHA-384",
                "SHA3-384",
            ),
        ] {
            let why = refusal(hash);
            for needed in [
                sha2,
                sha3,
                "never match",
                "pbkdf2-sha256",
                "pbkdf2-sha512",
                "hash/hasher_pbkdf2.go",
            ] {
                assert!(why.contains(needed), "{why:?} lacks {needed:?}");
            }
        }
        // Another shaN name Kratos's pattern lets in is computed with SHA-256.
        let why = refusal("$pbkdf2-sha999$i=1000,l=4$c2FsdA$aGFzaA");
        assert!(why.contains("SHA-256"), "{why}");
    }

    #[test]
    fn the_scrypt_ln_error_says_kratos_expects_n_itself() {
        // passlib writes ln=log2(N); Kratos feeds ln to scrypt as N.
        for hash in [
            "$scrypt$ln=14,r=8,p=1$c2FsdA==$aGFzaA==",
            "$scrypt$ln=1,r=8,p=1$c2FsdA==$aGFzaA==",
            "$scrypt$ln=1000,r=8,p=1$c2FsdA==$aGFzaA==",
            "$scrypt$ln=4294967296,r=8,p=1$c2FsdA==$aGFzaA==",
        ] {
            let why = refusal(hash);
            assert!(why.contains("Kratos expects N itself in ln="), "{why}");
            assert!(why.contains("ln=16384"), "{why}");
        }
        // A small power of two parses but is probably log2(N): a warning.
        let warnings = accepted_warnings("$scrypt$ln=16,r=8,p=1$c2FsdA==$aGFzaA==");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("ln=65536"), "{warnings:?}");
        assert!(!exceeds_kratos_limits("$scrypt$ln=16,r=8,p=1$c2FsdA==$aGFzaA=="));
    }

    /// Each cost parameter above hash/hash_limits.go: accepted, one warning
    /// naming the parameter and the first releases that refuse it; at the
    /// limit itself, no warning.
    #[test]
    fn each_kratos_limit_is_warned_and_still_accepted() {
        let firebase_tail = "$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==";
        let argon2 = |params: &str| format!("$argon2id$v=19${params}$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw");
        let bcrypt = |cost: &str| format!("$2a${cost}$ZsCsoVQ3xfBG/K2z2XpBf.tm90GZmtOqtqWcB5.pYd5Eq8y7RlDyq");
        let pbkdf2 = |i: u64| {
            format!(
                "$pbkdf2-sha256$i={i},l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI"
            )
        };
        let scrypt = |params: &str| {
            format!(
                "$scrypt${params}$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE="
            )
        };
        let firescrypt = |params: &str| format!("$firescrypt${params}{firebase_tail}");
        let cases: Vec<(String, String, &str)> = vec![
            (
                argon2("m=1048576,t=10,p=16"),
                argon2("m=1048577,t=2,p=1"),
                "argon2: m=1048577 KiB",
            ),
            (
                argon2("m=1048576,t=10,p=16"),
                argon2("m=65536,t=11,p=1"),
                "argon2: t=11",
            ),
            (
                argon2("m=1048576,t=10,p=16"),
                argon2("m=65536,t=3,p=17"),
                "argon2: p=17",
            ),
            (bcrypt("15"), bcrypt("16"), "bcrypt: cost 16"),
            (bcrypt("15"), bcrypt("31"), "bcrypt: cost 31"),
            (pbkdf2(10_000_000), pbkdf2(10_000_001), "pbkdf2: i=10000001"),
            (
                scrypt("ln=131072,r=8,p=10"),
                scrypt("ln=262144,r=8,p=1"),
                "scrypt: N=262144",
            ),
            (scrypt("ln=131072,r=8,p=10"), scrypt("ln=16384,r=9,p=1"), "scrypt: r=9"),
            (
                scrypt("ln=131072,r=8,p=10"),
                scrypt("ln=16384,r=8,p=11"),
                "scrypt: p=11",
            ),
            (
                firescrypt("ln=17,r=8,p=10"),
                firescrypt("ln=18,r=8,p=1"),
                "firescrypt: ln=18",
            ),
            (
                firescrypt("ln=17,r=8,p=10"),
                firescrypt("ln=31,r=8,p=1"),
                "firescrypt: ln=31",
            ),
            (
                firescrypt("ln=17,r=8,p=10"),
                firescrypt("ln=14,r=9,p=1"),
                "firescrypt: r=9",
            ),
            (
                firescrypt("ln=17,r=8,p=10"),
                firescrypt("ln=14,r=8,p=11"),
                "firescrypt: p=11",
            ),
        ];
        for (at_limit, above, named) in &cases {
            assert_eq!(accepted_warnings(at_limit), Vec::<String>::new(), "{at_limit}");
            assert!(!exceeds_kratos_limits(at_limit), "{at_limit}");
            let warnings = accepted_warnings(above);
            assert_eq!(warnings.len(), 1, "{above}: {warnings:?}");
            assert_eq!(limit_warnings(above), warnings, "{above}");
            assert!(exceeds_kratos_limits(above), "{above}");
            let warning = &warnings[0];
            assert!(warning.starts_with(named), "{warning:?} should start with {named:?}");
            for needed in ["after v26.2.0", "at import and at login", "hash/hash_limits.go"] {
                assert!(warning.contains(needed), "{warning:?} lacks {needed:?}");
            }
        }
        // Several parameters above their bounds: one line each.
        let all = argon2("m=2097152,t=20,p=32");
        assert_eq!(limit_warnings(&all).len(), 3, "{:?}", limit_warnings(&all));
        assert_eq!(check_importable(&all), Ok(()));
        // Kratos's own DoS fixtures (hash/hash_limits_test.go) that are
        // otherwise well formed (its bcrypt one has 54 characters after the
        // cost, so it could never match and is refused).
        for hash in [
            "$argon2id$v=19$m=8388608,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
            "$argon2i$v=19$m=65536,t=1000,p=4$kk51rW/vxIVCYn+EG4kTSg$NyT88uraJ6im6dyha/M5jhXvpqlEdlS/9fEm7ScMb8c",
            "$pbkdf2-sha256$i=1000000000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
        ] {
            assert_eq!(accepted_warnings(hash).len(), 1, "{hash}");
            assert!(exceeds_kratos_limits(hash), "{hash}");
        }
    }

    /// Checks stricter than every Kratos version are warnings now: the hash
    /// is accepted, with a line saying what is unusual, and is within the
    /// limits.
    #[test]
    fn checks_kratos_does_not_make_are_warnings() {
        for (hash, says) in [
            // Kratos takes the key length from the decoded hash.
            (
                "$pbkdf2-sha256$i=1000,l=99$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
                "pbkdf2: l=99 does not match the 32 bytes",
            ),
            (
                "$pbkdf2-sha1$i=1000,l=0$c2FsdA$aGFzaA",
                "pbkdf2: l=0 does not match the 4 bytes",
            ),
            // Go's argon2 accepts any salt, m below 8*p and keys from 1 byte.
            (
                "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$Tl3lB/PLFH/SiJx3zJ9rbw",
                "argon2: the salt is shorter than",
            ),
            (
                "$argon2id$v=19$m=16,t=3,p=4$c29tZXNhbHRzYWx0$Tl3lB/PLFH/SiJx3zJ9rbw",
                "argon2: m is below 8 KiB",
            ),
            (
                "$argon2id$v=19$m=4,t=2,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
                "argon2: m is below 8 KiB",
            ),
            (
                "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzYWx0$aGFz",
                "argon2: the hash part is shorter than",
            ),
            // go-crypt uses a crypt salt as it is, however long.
            (
                "$sha256-crypt$rounds=5000$Q0Jk4Q7p2Dm8Kr6EQ0Jk$JqqrHsZRh9xkyVg4YKxaWUiBXc1fC2Fn9wC3ay0zGl5",
                "crypt: the salt is longer than 16",
            ),
            (
                "$md5-crypt$ry4QJGvZry$uXd1ZBN3V2j/Fnx8Vd5ft1",
                "crypt: the salt is longer than 8",
            ),
            // Kratos decodes SSHA without Strict(): stray trailing bits pass.
            (
                "{SSHA}AQIDBAUGBwgJCgsMDQ4PEBESExQVFh==",
                "ssha: the base64 ends with stray bits",
            ),
        ] {
            let warnings = accepted_warnings(hash);
            assert_eq!(warnings.len(), 1, "{hash}: {warnings:?}");
            assert!(warnings[0].starts_with(says), "{warnings:?} should start with {says:?}");
            assert!(
                !exceeds_kratos_limits(hash) && limit_warnings(hash).is_empty(),
                "{hash}"
            );
        }
        // Old refusals that were only stricter than Kratos: t above 1024,
        // pbkdf2 i above 100M, scrypt N above 2^24, firescrypt ln above 24.
        for hash in [
            "$argon2id$v=19$m=65536,t=2000,p=1$bmFjbGNsbmFjbA$Tl3lB/PLFH/SiJx3zJ9rbw",
            "$pbkdf2-sha256$i=200000000,l=4$c2FsdA$aGFzaA",
            "$scrypt$ln=33554432,r=8,p=1$c2FsdA==$aGFzaA==",
            "$firescrypt$ln=25,r=8,p=1$c2FsdA==$aGFzaA==$Bw==$a2V5aw==",
        ] {
            assert_eq!(check_importable(hash), Ok(()), "{hash}");
            assert!(exceeds_kratos_limits(hash), "{hash}");
        }
    }

    #[test]
    fn warnings_are_empty_for_refused_hashes() {
        assert!(import_warnings("$argon2id$v=19$m=2097152,t=2,p=1$bmFjbGNsbmFjbA$").is_empty());
        assert!(limit_warnings("$2a$20$short").is_empty());
        assert!(!exceeds_kratos_limits("nonsense"));
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
        assert!(import_warnings(&hashed).is_empty(), "{:?}", import_warnings(&hashed));
        let parsed = PasswordHash::new(&hashed);
        assert!(parsed.is_ok_and(|p| argon2::Argon2::default().verify_password(b"correct horse", &p).is_ok()));
        // A fresh salt each time.
        assert_ne!(hash_password_argon2id("correct horse").ok(), Some(hashed));
        assert!(hash_password_argon2id("").is_err());
    }
}
