//! ring: pure Rust and assembly, no C toolchain; slower than aws-lc-rs on
//! every algorithm measured (doc/crypto.md).

ring_like_backend!(ring);

fn ecdsa_load(
    alg: &'static sig::EcdsaSigningAlgorithm,
    private: &[u8],
    point: &[u8],
) -> Result<sig::EcdsaKeyPair, ring::error::KeyRejected> {
    let rng = ring::rand::SystemRandom::new();
    sig::EcdsaKeyPair::from_private_key_and_public_key(alg, private, point, &rng)
}

/// ring makes no RSA keys.
fn rsa_generate(_bits: u32) -> Option<Result<Vec<u8>, String>> {
    None
}
