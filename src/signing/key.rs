//! Loading RSA keys from PEM, refusing anything that is not a usable, private,
//! unencrypted RSA key with one line that names where it came from.

use std::fmt;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::der::Decode;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, PrivateKeyInfoRef, SubjectPublicKeyInfoRef};
use rsa::{Pkcs1v15Sign, PrivateKey, PublicKey};
use sha2::{Digest, Sha256};

/// The smallest RSA key idcon signs with (NIST has deprecated smaller ones).
pub const MIN_KEY_BITS: u32 = 2048;

/// A key file larger than this is not a key (and might be `/dev/zero`-like).
const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// An RSA private key that signs with PKCS#1 v1.5 and SHA-256, the Yoti scheme.
///
/// The key is parsed and checked with the `rsa` crate (every refusal names the
/// file), then handed to `ring` to sign: ring's RSA is constant-time and about
/// 3.5 times faster (0.5 ms against 1.76 ms, `cargo bench --bench signing`),
/// and a PKCS#1 v1.5 signature is deterministic, so both give the same bytes
/// (the Yoti SDK vectors in `tests/signing.rs` hold for either). A key ring
/// will not take (over 8192 bits, more than two primes) signs with the `rsa`
/// crate, blinded.
pub struct SigningKey {
    private: PrivateKey,
    fast: Option<ring::signature::RsaKeyPair>,
}

impl fmt::Debug for SigningKey {
    // Never print key material, not even in a debug dump.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// The public half, enough to check a signature (the demo server uses it).
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    public: PublicKey,
}

/// Why a key was refused, and where it came from; displays as one line.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {problem}")]
pub struct KeyError {
    origin: String,
    problem: KeyProblem,
}

impl KeyError {
    fn new(origin: &str, problem: KeyProblem) -> Self {
        Self {
            origin: origin.to_owned(),
            problem,
        }
    }

    /// What was wrong, for callers that react to the kind of failure.
    pub fn problem(&self) -> &KeyProblem {
        &self.problem
    }
}

/// The kinds of key refusal; each message says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("no such file")]
    Missing,
    #[error("the RSA key has only {bits} bits; at least {MIN_KEY_BITS} are needed to sign safely")]
    TooSmall { bits: u32 },
    #[error("cannot read it: {0}")]
    Unreadable(String),
    #[error("not a regular file")]
    NotAFile,
    #[error("larger than {MAX_KEY_FILE_BYTES} bytes, too large to be a key")]
    TooLarge,
    #[error(
        "permissions {mode:04o} are too open: group or others can access the private key \
         (run `chmod 600` on it, or pass --insecure-key-permissions)"
    )]
    TooOpen { mode: u32 },
    #[error(
        "the key is encrypted with a passphrase; decrypt a copy first: `(umask 077; openssl pkey -in FILE -out NEW)`"
    )]
    Encrypted,
    #[error("holds {0}, not an RSA key; Yoti signing needs RSA")]
    NotRsa(String),
    #[error("holds {0}, not a private key")]
    NotPrivateKey(String),
    #[error("holds {0}, not a public key")]
    NotPublicKey(String),
    #[error("is in OpenSSH format; convert a copy to PEM with `ssh-keygen -p -m PEM -f COPY`")]
    OpenSshFormat,
    #[error("no PEM key found (expected -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)")]
    NoPem,
    #[error("corrupt PEM: {0}")]
    CorruptPem(String),
    #[error("corrupt {label} key data: {detail}")]
    CorruptKey { label: String, detail: String },
}

impl SigningKey {
    /// Refuses, with a [`KeyError`] whose Display is one line naming the file:
    /// missing, unreadable, permissions wider than 0600 (group/other bits set; as
    /// ssh does) unless `allow_insecure_permissions`, encrypted PEM, not RSA,
    /// corrupt PEM / DER, or not a private key.
    pub fn from_pem_file(path: &Path, allow_insecure_permissions: bool) -> Result<Self, KeyError> {
        let origin = file_origin(path);
        let text =
            read_key_file(path, !allow_insecure_permissions).map_err(|problem| KeyError::new(&origin, problem))?;
        Self::from_pem_str(&text, &origin)
    }

    /// Same parsing from a string; `source` names it in errors (e.g. "embedded demo key").
    pub fn from_pem_str(pem: &str, source: &str) -> Result<Self, KeyError> {
        let private = parse_private(pem).map_err(|problem| KeyError::new(source, problem))?;
        // Below this a SHA-256 PKCS#1 v1.5 signature either does not fit or is
        // trivially forgeable; refuse at load so signing itself cannot fail.
        let bits = u32::try_from(rsa::traits::PublicKeyParts::size(&private) * 8).unwrap_or(u32::MAX);
        if bits < MIN_KEY_BITS {
            return Err(KeyError::new(source, KeyProblem::TooSmall { bits }));
        }
        let fast = ring_key_pair(&private);
        Ok(Self { private, fast })
    }

    /// The public half, for verifying what this key signed.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            public: self.private.to_public_key(),
        }
    }

    /// Standard base64 of the PKCS#1 v1.5 SHA-256 signature of `message`.
    pub(crate) fn sign_base64(&self, message: &[u8]) -> String {
        use base64::Engine as _;
        if let Some(signature) = self.sign_with_ring(message) {
            return base64::engine::general_purpose::STANDARD.encode(signature);
        }
        base64::engine::general_purpose::STANDARD.encode(self.sign_with_rsa_crate(message))
    }

    /// ring's constant-time PKCS#1 v1.5 SHA-256 signature; `None` when the
    /// key is not one ring takes (or, in theory, ring fails).
    #[doc(hidden)]
    pub fn sign_with_ring(&self, message: &[u8]) -> Option<Vec<u8>> {
        let pair = self.fast.as_ref()?;
        let mut signature = vec![0u8; pair.public().modulus_len()];
        let rng = ring::rand::SystemRandom::new();
        pair.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, message, &mut signature)
            .ok()?;
        Some(signature)
    }

    /// The `rsa` crate's signature, blinded with the OS random source (the
    /// fallback signer; public for `benches/signing.rs`, which compares both).
    #[doc(hidden)]
    pub fn sign_with_rsa_crate(&self, message: &[u8]) -> Vec<u8> {
        let hashed = Sha256::digest(message);
        // Blinded with the OS random source. The only failures left are a key too
        // small for a SHA-256 signature (impossible: `from_pem_str` refuses keys
        // under MIN_KEY_BITS) and the OS failing to give random bytes, which leaves
        // nothing sensible to do.
        self.private
            .sign(Pkcs1v15Sign::new::<Sha256>(), &hashed)
            .expect("RSA PKCS#1 v1.5 signing of a SHA-256 digest with a loaded key")
    }

    /// Whether signatures come from ring (see the type's documentation).
    pub fn signs_with_ring(&self) -> bool {
        self.fast.is_some()
    }
}

/// The key as ring's key pair, through its PKCS#1 DER (kept in zeroizing
/// memory by the `rsa` crate).
fn ring_key_pair(private: &PrivateKey) -> Option<ring::signature::RsaKeyPair> {
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    let der = private.to_pkcs1_der().ok()?;
    ring::signature::RsaKeyPair::from_der(der.as_bytes()).ok()
}

impl VerifyingKey {
    /// Accepts "PUBLIC KEY" (SPKI), "RSA PUBLIC KEY" (PKCS#1), or a private key PEM
    /// (takes its public half). A public key is not secret, so permissions are not checked.
    pub fn from_pem_file(path: &Path) -> Result<Self, KeyError> {
        let origin = file_origin(path);
        let text = read_key_file(path, false).map_err(|problem| KeyError::new(&origin, problem))?;
        Self::from_pem_str(&text, &origin)
    }

    /// Same parsing from a string; `source` names it in errors.
    pub fn from_pem_str(pem: &str, source: &str) -> Result<Self, KeyError> {
        parse_public(pem)
            .map(|public| Self { public })
            .map_err(|problem| KeyError::new(source, problem))
    }

    /// True when `signature` is this key's PKCS#1 v1.5 SHA-256 signature of `message`.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let hashed = Sha256::digest(message);
        self.public
            .verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, signature)
            .is_ok()
    }
}

fn file_origin(path: &Path) -> String {
    format!("key file {}", path.display())
}

/// Reads a key file the way ssh does: a regular file, private to its owner.
fn read_key_file(path: &Path, require_private_permissions: bool) -> Result<String, KeyProblem> {
    let file = File::open(path).map_err(|err| match err.kind() {
        ErrorKind::NotFound => KeyProblem::Missing,
        _ => KeyProblem::Unreadable(io_reason(&err)),
    })?;
    // Check the file we opened, not the path again, so nothing can swap it in between.
    let meta = file.metadata().map_err(|err| KeyProblem::Unreadable(io_reason(&err)))?;
    if !meta.is_file() {
        return Err(KeyProblem::NotAFile);
    }
    #[cfg(unix)]
    if require_private_permissions {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(KeyProblem::TooOpen { mode });
        }
    }
    #[cfg(not(unix))]
    let _ = require_private_permissions;
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(KeyProblem::TooLarge);
    }
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| KeyProblem::Unreadable(io_reason(&err)))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(KeyProblem::TooLarge);
    }
    String::from_utf8(bytes)
        .map_err(|_| KeyProblem::CorruptPem("not text (a binary DER file? idcon reads PEM only)".to_owned()))
}

/// An io::Error as a short reason, without the "(os error N)" noise.
fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::IsADirectory => "it is a directory".to_owned(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_owned(),
                None => text,
            }
        }
    }
}

fn parse_blocks(pem_text: &str) -> Result<Vec<pem::Pem>, KeyProblem> {
    if pem_text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Err(KeyProblem::OpenSshFormat);
    }
    let blocks = pem::parse_many(pem_text).map_err(|err| KeyProblem::CorruptPem(err.to_string()))?;
    if blocks.is_empty() {
        if pem_text.contains("-----BEGIN") {
            return Err(KeyProblem::CorruptPem(
                "a BEGIN line without a matching END line".to_owned(),
            ));
        }
        return Err(KeyProblem::NoPem);
    }
    Ok(blocks)
}

/// What a PEM block with a given label holds, in words for an error message.
fn describe_label(label: &str) -> String {
    match label {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => "a certificate".to_owned(),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => "a certificate request".to_owned(),
        "PUBLIC KEY" | "RSA PUBLIC KEY" => "a public key".to_owned(),
        "EC PARAMETERS" => "EC parameters".to_owned(),
        other => format!("a PEM block labelled {other:?}"),
    }
}

/// Names the key type behind a PKCS#8 / SPKI algorithm OID.
fn describe_algorithm(oid: &str) -> String {
    match oid {
        "1.2.840.10045.2.1" => "an EC key".to_owned(),
        "1.3.101.112" => "an Ed25519 key".to_owned(),
        "1.3.101.113" => "an Ed448 key".to_owned(),
        "1.3.101.110" => "an X25519 key".to_owned(),
        "1.3.101.111" => "an X448 key".to_owned(),
        "1.2.840.10040.4.1" => "a DSA key".to_owned(),
        "1.2.840.113549.1.1.10" => "an RSA-PSS-only key (it cannot sign PKCS#1 v1.5)".to_owned(),
        other => format!("a key of algorithm {other}"),
    }
}

fn is_encrypted(block: &pem::Pem) -> bool {
    block.tag() == "ENCRYPTED PRIVATE KEY"
        || block
            .headers()
            .get("Proc-Type")
            .is_some_and(|value| value.contains("ENCRYPTED"))
}

fn corrupt(label: &str, detail: impl fmt::Display) -> KeyProblem {
    KeyProblem::CorruptKey {
        label: label.to_owned(),
        detail: detail.to_string(),
    }
}

/// Finds the first private-key block (a file may carry parameters or a
/// certificate beside it) and decodes it as RSA.
fn parse_private(pem_text: &str) -> Result<PrivateKey, KeyProblem> {
    let blocks = parse_blocks(pem_text)?;
    for block in &blocks {
        if is_encrypted(block) {
            return Err(KeyProblem::Encrypted);
        }
        match block.tag() {
            "RSA PRIVATE KEY" => {
                return PrivateKey::from_pkcs1_der(block.contents()).map_err(|err| corrupt("PKCS#1 RSA private", err));
            }
            "PRIVATE KEY" => return decode_pkcs8_private(block.contents()),
            "EC PRIVATE KEY" => return Err(KeyProblem::NotRsa("an EC key".to_owned())),
            "DSA PRIVATE KEY" => return Err(KeyProblem::NotRsa("a DSA key".to_owned())),
            _ => {}
        }
    }
    // No private key at all: say what the file holds instead.
    let first = blocks
        .first()
        .map(|block| describe_label(block.tag()))
        .unwrap_or_default();
    Err(KeyProblem::NotPrivateKey(first))
}

fn decode_pkcs8_private(der: &[u8]) -> Result<PrivateKey, KeyProblem> {
    let info = PrivateKeyInfoRef::from_der(der).map_err(|err| corrupt("PKCS#8 private", err))?;
    let oid = info.algorithm.oid.to_string();
    if oid != OID_RSA_ENCRYPTION {
        return Err(KeyProblem::NotRsa(describe_algorithm(&oid)));
    }
    PrivateKey::from_pkcs8_der(der).map_err(|err| corrupt("PKCS#8 RSA private", err))
}

/// A public key from SPKI, PKCS#1 or the public half of a private key.
fn parse_public(pem_text: &str) -> Result<PublicKey, KeyProblem> {
    let blocks = parse_blocks(pem_text)?;
    for block in &blocks {
        match block.tag() {
            "PUBLIC KEY" => {
                let info =
                    SubjectPublicKeyInfoRef::from_der(block.contents()).map_err(|err| corrupt("SPKI public", err))?;
                let oid = info.algorithm.oid.to_string();
                if oid != OID_RSA_ENCRYPTION {
                    return Err(KeyProblem::NotRsa(describe_algorithm(&oid)));
                }
                return PublicKey::from_public_key_der(block.contents()).map_err(|err| corrupt("SPKI RSA public", err));
            }
            "RSA PUBLIC KEY" => {
                return PublicKey::from_pkcs1_der(block.contents()).map_err(|err| corrupt("PKCS#1 RSA public", err));
            }
            "RSA PRIVATE KEY" | "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "EC PRIVATE KEY" | "DSA PRIVATE KEY" => {
                return parse_private(pem_text).map(|private| private.to_public_key());
            }
            _ => {}
        }
    }
    let first = blocks
        .first()
        .map(|block| describe_label(block.tag()))
        .unwrap_or_default();
    Err(KeyProblem::NotPublicKey(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ring signs what the `rsa` crate signs, byte for byte (PKCS#1 v1.5 is
    /// deterministic), for both key encodings and messages of every size.
    #[test]
    fn ring_and_the_rsa_crate_give_identical_signatures() {
        let keys = [
            include_str!("../../tests/data/keys/rsa_pkcs1.pem"),
            include_str!("../../tests/data/keys/rsa_pkcs8.pem"),
            crate::demo::DEMO_PRIVATE_KEY_PEM,
        ];
        for (index, pem) in keys.into_iter().enumerate() {
            let key = match SigningKey::from_pem_str(pem, "test key") {
                Ok(key) => key,
                Err(err) => panic!("key {index}: {err}"),
            };
            assert!(key.signs_with_ring(), "key {index} is one ring takes");
            for message in [&b""[..], b"GET&/admin/identities?nonce=n&timestamp=1", &[0xa5; 70_000]] {
                let fast = key.sign_with_ring(message).unwrap_or_default();
                assert_eq!(
                    fast,
                    key.sign_with_rsa_crate(message),
                    "key {index}, {} bytes",
                    message.len()
                );
                assert!(key.verifying_key().verifies(message, &fast), "key {index}");
            }
        }
    }
}
