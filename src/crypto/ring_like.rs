//! The backend code aws-lc-rs and ring share: aws-lc-rs keeps ring's API,
//! so one body serves both. Each backend module supplies what differs:
//! `ecdsa_load` (ring wants a random source there) and `rsa_generate`
//! (ring makes no RSA keys).

macro_rules! ring_like_backend {
    ($lib:ident) => {
        use domain::base::iana::SecurityAlgorithm;
        use domain::crypto::sign::SecretKeyBytes;
        use secrecy::ExposeSecret as _;
        use $lib::signature::{self as sig};

        use super::{ecdsa_half, ecdsa_scalar, rsa_public, sec1_point};

        pub enum Key {
            Ecdsa(sig::EcdsaKeyPair),
            Ed25519(sig::Ed25519KeyPair),
            Rsa(sig::RsaKeyPair, &'static dyn sig::RsaEncoding),
        }

        fn ecdsa_signing(alg: SecurityAlgorithm) -> Option<&'static sig::EcdsaSigningAlgorithm> {
            match alg {
                SecurityAlgorithm::ECDSAP256SHA256 => Some(&sig::ECDSA_P256_SHA256_FIXED_SIGNING),
                SecurityAlgorithm::ECDSAP384SHA384 => Some(&sig::ECDSA_P384_SHA384_FIXED_SIGNING),
                _ => None,
            }
        }

        pub fn load(
            alg: SecurityAlgorithm,
            secret: &SecretKeyBytes,
            public: &[u8],
        ) -> Result<Key, String> {
            let refused = |e: $lib::error::KeyRejected| format!("key refused: {e}");
            match secret {
                SecretKeyBytes::RsaSha256(k) | SecretKeyBytes::RsaSha512(k) => {
                    let encoding: &'static dyn sig::RsaEncoding =
                        if alg == SecurityAlgorithm::RSASHA512 {
                            &sig::RSA_PKCS1_SHA512
                        } else {
                            &sig::RSA_PKCS1_SHA256
                        };
                    let der = super::pkcs8::rsa_private_der(k)?;
                    let key = sig::RsaKeyPair::from_der(der.as_bytes()).map_err(refused)?;
                    Ok(Key::Rsa(key, encoding))
                }
                SecretKeyBytes::EcdsaP256Sha256(_) | SecretKeyBytes::EcdsaP384Sha384(_) => {
                    let signing = ecdsa_signing(alg).ok_or("not an ECDSA algorithm")?;
                    let d = ecdsa_scalar(secret).ok_or("not an ECDSA key")?;
                    ecdsa_load(signing, d, &sec1_point(public)[..])
                        .map(Key::Ecdsa)
                        .map_err(refused)
                }
                SecretKeyBytes::Ed25519(seed) => {
                    sig::Ed25519KeyPair::from_seed_and_public_key(&seed.expose_secret()[..], public)
                        .map(Key::Ed25519)
                        .map_err(refused)
                }
                _ => Err(format!("{} does not sign {alg}", stringify!($lib))),
            }
        }

        pub fn sign(key: &Key, data: &[u8]) -> Result<Vec<u8>, String> {
            let rng = $lib::rand::SystemRandom::new();
            match key {
                Key::Ecdsa(k) => k
                    .sign(&rng, data)
                    .map(|s| s.as_ref().to_vec())
                    .map_err(|_| "ECDSA signing failed".to_string()),
                Key::Ed25519(k) => Ok(k.sign(data).as_ref().to_vec()),
                Key::Rsa(k, encoding) => {
                    // ring deprecates this name; aws-lc-rs has only it.
                    #[allow(deprecated)]
                    let mut out = vec![0; k.public_modulus_len()];
                    k.sign(*encoding, &rng, data, &mut out)
                        .map_err(|_| "RSA signing failed".to_string())?;
                    Ok(out)
                }
            }
        }

        /// `None` when this library does not verify `alg` at this key size.
        pub fn verify(
            alg: SecurityAlgorithm,
            public: &[u8],
            data: &[u8],
            signature: &[u8],
        ) -> Option<bool> {
            let ok = match alg {
                SecurityAlgorithm::RSASHA256 | SecurityAlgorithm::RSASHA512 => {
                    let (e, n) = rsa_public(public)?;
                    if n.len() < 128 {
                        return None;
                    }
                    let params = if alg == SecurityAlgorithm::RSASHA512 {
                        &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
                    } else {
                        &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
                    };
                    sig::RsaPublicKeyComponents { n, e }.verify(params, data, signature)
                }
                SecurityAlgorithm::ECDSAP256SHA256 | SecurityAlgorithm::ECDSAP384SHA384 => {
                    if Some(public.len()) != ecdsa_half(alg).map(|h| 2 * h) {
                        return Some(false);
                    }
                    let params = if alg == SecurityAlgorithm::ECDSAP256SHA256 {
                        &sig::ECDSA_P256_SHA256_FIXED
                    } else {
                        &sig::ECDSA_P384_SHA384_FIXED
                    };
                    sig::UnparsedPublicKey::new(params, sec1_point(public)).verify(data, signature)
                }
                SecurityAlgorithm::ED25519 => {
                    sig::UnparsedPublicKey::new(&sig::ED25519, public).verify(data, signature)
                }
                _ => return None,
            };
            Some(ok.is_ok())
        }

        /// `None` when this library does not make keys of `alg` and `bits`.
        pub fn generate(
            alg: SecurityAlgorithm,
            bits: u32,
        ) -> Option<Result<(SecretKeyBytes, Vec<u8>), String>> {
            let rng = $lib::rand::SystemRandom::new();
            let failed = |_| "key generation failed".to_string();
            let pkcs8 = match alg {
                SecurityAlgorithm::RSASHA256 | SecurityAlgorithm::RSASHA512 => rsa_generate(bits)?,
                SecurityAlgorithm::ED25519 => sig::Ed25519KeyPair::generate_pkcs8(&rng)
                    .map(|d| d.as_ref().to_vec())
                    .map_err(failed),
                _ => {
                    let signing = ecdsa_signing(alg)?;
                    sig::EcdsaKeyPair::generate_pkcs8(signing, &rng)
                        .map(|d| d.as_ref().to_vec())
                        .map_err(failed)
                }
            };
            Some(pkcs8.and_then(|der| super::pkcs8::key_pair_from_der(&der)))
        }
    };
}
