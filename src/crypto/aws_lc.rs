//! aws-lc-rs: the fastest backend here for RSA, ECDSA and Ed25519.

ring_like_backend!(aws_lc_rs);

fn ecdsa_load(
    alg: &'static sig::EcdsaSigningAlgorithm,
    private: &[u8],
    point: &[u8],
) -> Result<sig::EcdsaKeyPair, aws_lc_rs::error::KeyRejected> {
    sig::EcdsaKeyPair::from_private_key_and_public_key(alg, private, point)
}

/// PKCS#8 of a new RSA key: aws-lc-rs makes the three usual sizes.
fn rsa_generate(bits: u32) -> Option<Result<Vec<u8>, String>> {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::rsa::KeySize;
    let size = match bits {
        2048 => KeySize::Rsa2048,
        3072 => KeySize::Rsa3072,
        4096 => KeySize::Rsa4096,
        _ => return None,
    };
    let made = sig::RsaKeyPair::generate(size)
        .and_then(|k| k.as_der())
        .map(|der: aws_lc_rs::encoding::Pkcs8V1Der<'_>| der.as_ref().to_vec())
        .map_err(|_| "RSA key generation failed".to_string());
    Some(made)
}
