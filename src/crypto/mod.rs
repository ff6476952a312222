//! The crypto layer: signing, verifying and generating keys through one
//! interface over several libraries, chosen per algorithm on measured speed
//! (doc/crypto.md has the figures).
//!
//! Backends are build features: `aws-lc` (aws-lc-rs) and `openssl` by
//! default, `ring` as the alternative that needs no C toolchain. The `rsa`
//! crate is always there for RSA keys the others refuse (under 2048 bits,
//! imported from old signers) and sizes they do not generate.
//!
//! Keys in a PKCS#11 token (`pkcs11`) sign in the token; the rest of this
//! layer verifies their signatures like any others.
//!
//! Whichever backend signs, Ed25519 and RSA PKCS#1 v1.5 signatures are the
//! same octets: both schemes are deterministic (tests below). ECDSA takes a
//! random nonce, so only verification across backends can be compared.

mod legacy;
pub mod pkcs11;
pub mod pkcs8;
#[macro_use]
mod ring_like;
#[cfg(feature = "aws-lc")]
mod aws_lc;
#[cfg(feature = "openssl")]
mod ossl;
#[cfg(feature = "ring")]
mod ring_backend;

use domain::base::iana::SecurityAlgorithm;
use domain::crypto::sign::SecretKeyBytes;

#[cfg(not(any(feature = "aws-lc", feature = "ring")))]
compile_error!("zonesign needs the `aws-lc` or the `ring` feature");

/// Digests (SHA-1 for NSEC3, SHA-2 for DS and reuse checks) from the
/// fastest library built in; aws-lc-rs and ring share this API.
#[cfg(feature = "aws-lc")]
pub use aws_lc_rs::digest;
#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
pub use ring::digest;

/// Fills `buf` with random octets from the operating system (NSEC3
/// salts).
pub fn fill_random(buf: &mut [u8]) -> Result<(), String> {
    #[cfg(feature = "aws-lc")]
    use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
    #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
    use ring::rand::{SecureRandom as _, SystemRandom};
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| "no random numbers from the system".to_string())
}

/// A crypto library zonesign can sign with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    AwsLc,
    OpenSsl,
    Ring,
    /// The `rsa` crate: RSA only, slow, for what the others refuse.
    RustCrypto,
    /// A PKCS#11 token: the key is there and signs there.
    Pkcs11,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::AwsLc => "aws-lc-rs",
            Backend::OpenSsl => "openssl",
            Backend::Ring => "ring",
            Backend::RustCrypto => "rsa",
            Backend::Pkcs11 => "pkcs11",
        }
    }

    /// Backends built into this binary that take private keys as octets.
    pub fn compiled() -> Vec<Backend> {
        [
            Backend::AwsLc,
            Backend::OpenSsl,
            Backend::Ring,
            Backend::RustCrypto,
        ]
        .into_iter()
        .filter(|b| b.is_compiled())
        .collect()
    }

    fn is_compiled(self) -> bool {
        match self {
            Backend::AwsLc => cfg!(feature = "aws-lc"),
            Backend::OpenSsl => cfg!(feature = "openssl"),
            Backend::Ring => cfg!(feature = "ring"),
            Backend::RustCrypto | Backend::Pkcs11 => true,
        }
    }
}

/// Backends for `alg`, fastest first, as measured by
/// `examples/crypto_floor` on this project's machines (doc/crypto.md).
pub fn preference(alg: SecurityAlgorithm) -> impl Iterator<Item = Backend> {
    use Backend::*;
    let order: &[Backend] = match alg {
        SecurityAlgorithm::RSASHA256 | SecurityAlgorithm::RSASHA512 => {
            &[AwsLc, OpenSsl, Ring, RustCrypto]
        }
        SecurityAlgorithm::ED448 => &[OpenSsl],
        _ => &[AwsLc, Ring, OpenSsl],
    };
    order.iter().copied().filter(|b| b.is_compiled())
}

/// A private key loaded into one backend, ready to sign.
pub struct KeyPair {
    alg: SecurityAlgorithm,
    imp: Imp,
}

enum Imp {
    #[cfg(feature = "aws-lc")]
    AwsLc(aws_lc::Key),
    #[cfg(feature = "openssl")]
    OpenSsl(ossl::Key),
    #[cfg(feature = "ring")]
    Ring(Box<ring_backend::Key>),
    RustCrypto(Box<legacy::Key>),
    Token(Box<pkcs11::TokenKey>),
}

impl KeyPair {
    /// Loads `secret` (with `public`, its DNSKEY public key field) into the
    /// fastest backend that takes it: an RSA key of 1024 bits goes past
    /// aws-lc-rs (2048 at least) to the next.
    pub fn load(
        alg: SecurityAlgorithm,
        secret: &SecretKeyBytes,
        public: &[u8],
    ) -> Result<Self, String> {
        let mut first_error = None;
        for backend in preference(alg) {
            match Self::load_with(backend, alg, secret, public) {
                Ok(k) => return Ok(k),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| no_backend(alg)))
    }

    /// Loads `secret` into `backend`.
    pub fn load_with(
        backend: Backend,
        alg: SecurityAlgorithm,
        secret: &SecretKeyBytes,
        public: &[u8],
    ) -> Result<Self, String> {
        let imp = match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => Imp::AwsLc(aws_lc::load(alg, secret, public)?),
            #[cfg(feature = "openssl")]
            Backend::OpenSsl => Imp::OpenSsl(ossl::load(alg, secret, public)?),
            #[cfg(feature = "ring")]
            Backend::Ring => Imp::Ring(Box::new(ring_backend::load(alg, secret, public)?)),
            Backend::RustCrypto => Imp::RustCrypto(Box::new(legacy::load(alg, secret)?)),
            Backend::Pkcs11 => return Err("a token's keys are found in the token".into()),
            #[allow(unreachable_patterns)]
            other => return Err(format!("{} is not built into zonesign", other.name())),
        };
        Ok(KeyPair { alg, imp })
    }

    /// A key pair in a PKCS#11 token.
    pub fn from_token(alg: SecurityAlgorithm, key: pkcs11::TokenKey) -> Self {
        KeyPair {
            alg,
            imp: Imp::Token(Box::new(key)),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.imp {
            #[cfg(feature = "aws-lc")]
            Imp::AwsLc(_) => Backend::AwsLc,
            #[cfg(feature = "openssl")]
            Imp::OpenSsl(_) => Backend::OpenSsl,
            #[cfg(feature = "ring")]
            Imp::Ring(_) => Backend::Ring,
            Imp::RustCrypto(_) => Backend::RustCrypto,
            Imp::Token(_) => Backend::Pkcs11,
        }
    }

    pub fn algorithm(&self) -> SecurityAlgorithm {
        self.alg
    }

    /// The signature over `data` in DNSSEC wire format (RFC 3110, RFC 6605,
    /// RFC 8080): PKCS#1 v1.5 for RSA, r‖s for ECDSA, raw EdDSA.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        match &self.imp {
            #[cfg(feature = "aws-lc")]
            Imp::AwsLc(k) => aws_lc::sign(k, data),
            #[cfg(feature = "openssl")]
            Imp::OpenSsl(k) => ossl::sign(k, data),
            #[cfg(feature = "ring")]
            Imp::Ring(k) => ring_backend::sign(k, data),
            Imp::RustCrypto(k) => legacy::sign(k, data),
            Imp::Token(k) => k.sign(data),
        }
    }
}

fn no_backend(alg: SecurityAlgorithm) -> String {
    format!("{alg}: no crypto backend built into zonesign handles this algorithm")
}

/// Does `signature` verify over `data` with the DNSKEY public key field
/// `public` of algorithm `alg`? The first backend that knows the
/// algorithm and key size decides.
pub fn verify(alg: SecurityAlgorithm, public: &[u8], data: &[u8], signature: &[u8]) -> bool {
    preference(alg)
        .find_map(|b| verify_with(b, alg, public, data, signature))
        .unwrap_or(false)
}

/// [`verify`] with one backend: `None` when it does not know `alg` at
/// this key size.
pub fn verify_with(
    backend: Backend,
    alg: SecurityAlgorithm,
    public: &[u8],
    data: &[u8],
    signature: &[u8],
) -> Option<bool> {
    match backend {
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc => aws_lc::verify(alg, public, data, signature),
        #[cfg(feature = "openssl")]
        Backend::OpenSsl => ossl::verify(alg, public, data, signature),
        #[cfg(feature = "ring")]
        Backend::Ring => ring_backend::verify(alg, public, data, signature),
        Backend::RustCrypto => legacy::verify(alg, public, data, signature),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// A new key pair of `alg` (`bits` for RSA): its secret and its DNSKEY
/// public key field, from the first backend in [`preference`] order that
/// makes such keys.
pub fn generate(alg: SecurityAlgorithm, bits: u32) -> Result<(SecretKeyBytes, Vec<u8>), String> {
    preference(alg)
        .find_map(|b| generate_with(b, alg, bits))
        .unwrap_or_else(|| Err(no_backend(alg)))
}

/// [`generate`] with one backend: `None` when it does not make keys of
/// `alg` and `bits`.
pub fn generate_with(
    backend: Backend,
    alg: SecurityAlgorithm,
    bits: u32,
) -> Option<Result<(SecretKeyBytes, Vec<u8>), String>> {
    let made = match backend {
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc => aws_lc::generate(alg, bits),
        #[cfg(feature = "openssl")]
        Backend::OpenSsl => ossl::generate(alg, bits),
        #[cfg(feature = "ring")]
        Backend::Ring => ring_backend::generate(alg, bits),
        Backend::RustCrypto => legacy::generate(alg, bits),
        #[allow(unreachable_patterns)]
        _ => None,
    }?;
    Some(made.map(|(secret, public)| (with_rsa_algorithm(secret, alg), public)))
}

/// PKCS#8 knows RSA, not RSASHA256 or RSASHA512: the algorithm asked for
/// settles which.
pub fn with_rsa_algorithm(secret: SecretKeyBytes, alg: SecurityAlgorithm) -> SecretKeyBytes {
    use SecretKeyBytes::{RsaSha256, RsaSha512};
    match (secret, alg) {
        (RsaSha256(k), SecurityAlgorithm::RSASHA512) => RsaSha512(k),
        (RsaSha512(k), SecurityAlgorithm::RSASHA256) => RsaSha256(k),
        (s, _) => s,
    }
}

/// RSASHA256 or RSASHA512: the algorithms whose key size is a choice.
pub fn is_rsa(alg: SecurityAlgorithm) -> bool {
    matches!(
        alg,
        SecurityAlgorithm::RSASHA256 | SecurityAlgorithm::RSASHA512
    )
}

/// The key size in bits: the RSA modulus, or the curve's size.
pub fn key_bits(alg: SecurityAlgorithm, public: &[u8]) -> Option<u32> {
    match alg {
        SecurityAlgorithm::RSASHA256 | SecurityAlgorithm::RSASHA512 => {
            let (_, n) = rsa_public(public)?;
            let lead = n.iter().position(|&b| b != 0)?;
            let n = &n[lead..];
            Some(n.len() as u32 * 8 - n[0].leading_zeros())
        }
        SecurityAlgorithm::ECDSAP256SHA256 | SecurityAlgorithm::ED25519 => Some(256),
        SecurityAlgorithm::ECDSAP384SHA384 => Some(384),
        SecurityAlgorithm::ED448 => Some(456),
        _ => None,
    }
}

/// Exponent and modulus of an RSA DNSKEY public key field (RFC 3110 s2):
/// a one-octet exponent length, or zero and a two-octet one.
pub fn rsa_public(public: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = match *public {
        [0, hi, lo, ref rest @ ..] => (usize::from(u16::from_be_bytes([hi, lo])), rest),
        [len, ref rest @ ..] => (usize::from(len), rest),
        [] => return None,
    };
    (len > 0 && rest.len() > len).then(|| rest.split_at(len))
}

/// The DNSKEY public key field of an RSA key (RFC 3110 s2).
pub fn rsa_dnskey_public(e: &[u8], n: &[u8]) -> Vec<u8> {
    let strip = |v: &[u8]| v[v.iter().position(|&b| b != 0).unwrap_or(v.len())..].to_vec();
    let (e, n) = (strip(e), strip(n));
    let mut public = Vec::with_capacity(3 + e.len() + n.len());
    match u8::try_from(e.len()) {
        Ok(len) => public.push(len),
        Err(_) => {
            public.push(0);
            public.extend_from_slice(&(e.len() as u16).to_be_bytes());
        }
    }
    public.extend_from_slice(&e);
    public.extend_from_slice(&n);
    public
}

/// The octets of an ECDSA signature (r‖s) or public key (x‖y) of `alg`.
fn ecdsa_half(alg: SecurityAlgorithm) -> Option<usize> {
    match alg {
        SecurityAlgorithm::ECDSAP256SHA256 => Some(32),
        SecurityAlgorithm::ECDSAP384SHA384 => Some(48),
        _ => None,
    }
}

/// The private scalar of an ECDSA key.
fn ecdsa_scalar(secret: &SecretKeyBytes) -> Option<&[u8]> {
    use secrecy::ExposeSecret as _;
    match secret {
        SecretKeyBytes::EcdsaP256Sha256(d) => Some(&d.expose_secret()[..]),
        SecretKeyBytes::EcdsaP384Sha384(d) => Some(&d.expose_secret()[..]),
        _ => None,
    }
}

/// A DNSKEY ECDSA key (x‖y, RFC 6605 s4) as an uncompressed SEC1 point.
/// On the stack: verification makes one per signature.
fn sec1_point(public: &[u8]) -> smallvec::SmallVec<[u8; 128]> {
    let mut point = smallvec::SmallVec::new();
    point.push(4);
    point.extend_from_slice(public);
    point
}

#[cfg(test)]
mod tests;
