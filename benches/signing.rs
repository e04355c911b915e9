//! Signing cost per request, the two signers side by side: the `rsa` crate
//! (pure Rust, blinded) and ring (constant-time, what idcon signs with when the
//! key allows). Every request idcon sends is signed, so this bounds how fast
//! `plan`/`apply`/`list` can go on one core.
//!
//! `cargo bench --bench signing`

use criterion::{Criterion, criterion_group, criterion_main};
use idcon::signing::SigningKey;

fn benches(c: &mut Criterion) {
    let key = match SigningKey::from_pem_str(idcon::demo::DEMO_PRIVATE_KEY_PEM, "demo key") {
        Ok(key) => key,
        Err(err) => panic!("{err}"),
    };
    assert!(key.signs_with_ring());
    let message = b"PUT&/admin/identities/6c2f1c2e-0b6b-4bb1-b4a3-0d7c1b4c9b1a?nonce=\
        0f4e1c1a-7d2b-4c47-9b0e-2f5d7e9a1b3c&timestamp=1765108800000&eyJzY2hlbWFfaWQiOiJkZWZhdWx0In0=";
    let mut group = c.benchmark_group("sign RSA-2048 PKCS#1 v1.5 SHA-256");
    group.bench_function("rsa crate", |b| b.iter(|| key.sign_with_rsa_crate(message)));
    group.bench_function("ring", |b| b.iter(|| key.sign_with_ring(message)));
    group.finish();
}

criterion_group!(signing, benches);
criterion_main!(signing);
