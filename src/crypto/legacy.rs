//! The `rsa` crate: RSA of any size. Slow, so last in every preference
//! list, but it takes what the fast backends refuse: keys under 2048 bits
//! from old signers (RFC 5702's examples have 512), and key sizes between
//! the usual ones.

use domain::base::iana::SecurityAlgorithm;
use domain::crypto::sign::SecretKeyBytes;
use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};
use secrecy::ExposeSecret as _;

pub struct Key {
    key: rsa::RsaPrivateKey,
    alg: SecurityAlgorithm,
}

pub fn load(alg: SecurityAlgorithm, secret: &SecretKeyBytes) -> Result<Key, String> {
    let (SecretKeyBytes::RsaSha256(k) | SecretKeyBytes::RsaSha512(k)) = secret else {
        return Err(format!("the rsa crate does not sign {alg}"));
    };
    let int = |b: &[u8]| rsa::BigUint::from_bytes_be(b);
    let key = rsa::RsaPrivateKey::from_components(
        int(&k.n),
        int(&k.e),
        int(k.d.expose_secret()),
        vec![int(k.p.expose_secret()), int(k.q.expose_secret())],
    )
    .map_err(|e| format!("bad RSA key: {e}"))?;
    if key.size() < 64 {
        return Err("RSA key shorter than 512 bits".into());
    }
    Ok(Key { key, alg })
}

pub fn sign(k: &Key, data: &[u8]) -> Result<Vec<u8>, String> {
    let (scheme, hashed) = pkcs1v15(k.alg, data);
    k.key
        .sign(scheme, &hashed)
        .map_err(|e| format!("RSA signing failed: {e}"))
}

pub fn verify(alg: SecurityAlgorithm, public: &[u8], data: &[u8], sig: &[u8]) -> Option<bool> {
    if !super::is_rsa(alg) {
        return None;
    }
    let Some((e, n)) = super::rsa_public(public) else {
        return Some(false);
    };
    let int = rsa::BigUint::from_bytes_be;
    let Ok(key) = rsa::RsaPublicKey::new(int(n), int(e)) else {
        return Some(false);
    };
    let (scheme, hashed) = pkcs1v15(alg, data);
    Some(key.verify(scheme, &hashed, sig).is_ok())
}

/// An RSA key pair of `bits` (exponent 65537).
pub fn generate(
    alg: SecurityAlgorithm,
    bits: u32,
) -> Option<Result<(SecretKeyBytes, Vec<u8>), String>> {
    if !super::is_rsa(alg) {
        return None;
    }
    Some(generate_rsa(bits))
}

fn generate_rsa(bits: u32) -> Result<(SecretKeyBytes, Vec<u8>), String> {
    use domain::crypto::sign::RsaSecretKeyBytes;
    use secrecy::SecretBox;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits as usize)
        .map_err(|e| format!("RSA key generation failed: {e}"))?;
    let be = |n: &rsa::BigUint| n.to_bytes_be().into_boxed_slice();
    let secret = |n: &rsa::BigUint| SecretBox::new(be(n));
    let [p, q] = key.primes() else {
        return Err("RSA key generation gave more than two primes".into());
    };
    let (Some(dp), Some(dq), Some(qi)) = (key.dp(), key.dq(), key.crt_coefficient()) else {
        return Err("RSA key without CRT values".into());
    };
    let bytes = RsaSecretKeyBytes {
        n: be(key.n()),
        e: be(key.e()),
        d: secret(key.d()),
        p: secret(p),
        q: secret(q),
        d_p: secret(dp),
        d_q: secret(dq),
        q_i: secret(&qi),
    };
    let public = super::rsa_dnskey_public(&key.e().to_bytes_be(), &key.n().to_bytes_be());
    Ok((SecretKeyBytes::RsaSha256(bytes), public))
}

/// The PKCS#1 v1.5 scheme and message digest of an RSA DNSSEC algorithm
/// (RFC 5702).
fn pkcs1v15(alg: SecurityAlgorithm, data: &[u8]) -> (rsa::Pkcs1v15Sign, Vec<u8>) {
    use sha2::Digest as _;
    if alg == SecurityAlgorithm::RSASHA512 {
        (
            rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
            sha2::Sha512::digest(data).to_vec(),
        )
    } else {
        (
            rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            sha2::Sha256::digest(data).to_vec(),
        )
    }
}
