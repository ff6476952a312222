//! Private keys between the forms libraries speak (PKCS#8, PKCS#1, SEC1)
//! and the one BIND key files and zonesign's key store use
//! ([`SecretKeyBytes`]): generated keys, Knot's PEM files, and RSA keys
//! handed to the backends.

use domain::crypto::sign::{RsaSecretKeyBytes, SecretKeyBytes};
use pkcs8::der::Decode as _;
use secrecy::{ExposeSecret as _, SecretBox};

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";

/// A PKCS#8 PEM private key. RSA keys come out as RSASHA256; which RSA
/// algorithm a key serves is settled by the DNSKEY it is matched with.
pub fn secret_from_pem(text: &str) -> Result<SecretKeyBytes, String> {
    let (_, doc) =
        pkcs8::SecretDocument::from_pem(text).map_err(|e| format!("not a PEM private key: {e}"))?;
    Ok(key_pair_from_der(doc.as_bytes())?.0)
}

/// A PKCS#8 DER private key, and its DNSKEY public key field where the
/// encoding carries it (empty where not: a v1 EdDSA key).
pub fn key_pair_from_der(der: &[u8]) -> Result<(SecretKeyBytes, Vec<u8>), String> {
    let info = pkcs8::PrivateKeyInfo::from_der(der)
        .map_err(|e| format!("not a PKCS#8 private key: {e}"))?;
    let oid = info.algorithm.oid.to_string();
    let key = info.private_key;
    let eddsa_public = || info.public_key.map(<[u8]>::to_vec).unwrap_or_default();
    match oid.as_str() {
        OID_RSA => {
            let k = pkcs1::RsaPrivateKey::from_der(key).map_err(|e| format!("bad RSA key: {e}"))?;
            let secret = |u: pkcs1::UintRef<'_>| SecretBox::new(Box::<[u8]>::from(u.as_bytes()));
            let public =
                super::rsa_dnskey_public(k.public_exponent.as_bytes(), k.modulus.as_bytes());
            let bytes = RsaSecretKeyBytes {
                n: k.modulus.as_bytes().into(),
                e: k.public_exponent.as_bytes().into(),
                d: secret(k.private_exponent),
                p: secret(k.prime1),
                q: secret(k.prime2),
                d_p: secret(k.exponent1),
                d_q: secret(k.exponent2),
                q_i: secret(k.coefficient),
            };
            Ok((SecretKeyBytes::RsaSha256(bytes), public))
        }
        OID_EC => {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|e| format!("EC key without a curve: {e}"))?
                .to_string();
            let k = sec1::EcPrivateKey::from_der(key).map_err(|e| format!("bad EC key: {e}"))?;
            // The uncompressed point 04‖x‖y; DNSSEC keeps x‖y.
            let public = match k.public_key {
                Some([4, xy @ ..]) => xy.to_vec(),
                _ => Vec::new(),
            };
            let secret = match curve.as_str() {
                OID_P256 => {
                    SecretKeyBytes::EcdsaP256Sha256(SecretBox::new(Box::new(fixed(k.private_key)?)))
                }
                OID_P384 => {
                    SecretKeyBytes::EcdsaP384Sha384(SecretBox::new(Box::new(fixed(k.private_key)?)))
                }
                other => return Err(format!("EC curve {other} is no DNSSEC algorithm")),
            };
            Ok((secret, public))
        }
        OID_ED25519 => Ok((
            SecretKeyBytes::Ed25519(SecretBox::new(Box::new(fixed(octets(key)?)?))),
            eddsa_public(),
        )),
        OID_ED448 => Ok((
            SecretKeyBytes::Ed448(SecretBox::new(Box::new(fixed(octets(key)?)?))),
            eddsa_public(),
        )),
        other => Err(format!("key algorithm {other} is no DNSSEC algorithm")),
    }
}

/// An RSA key as PKCS#1 `RSAPrivateKey` DER (RFC 8017 A.1.2), the form
/// every backend loads.
pub fn rsa_private_der(k: &RsaSecretKeyBytes) -> Result<pkcs8::SecretDocument, String> {
    fn uint(b: &[u8]) -> Result<pkcs1::UintRef<'_>, String> {
        let start = b
            .iter()
            .position(|&x| x != 0)
            .unwrap_or(b.len().saturating_sub(1));
        pkcs1::UintRef::new(&b[start..]).map_err(|e| format!("bad RSA key: {e}"))
    }
    let key = pkcs1::RsaPrivateKey {
        modulus: uint(&k.n)?,
        public_exponent: uint(&k.e)?,
        private_exponent: uint(k.d.expose_secret())?,
        prime1: uint(k.p.expose_secret())?,
        prime2: uint(k.q.expose_secret())?,
        exponent1: uint(k.d_p.expose_secret())?,
        exponent2: uint(k.d_q.expose_secret())?,
        coefficient: uint(k.q_i.expose_secret())?,
        other_prime_infos: None,
    };
    pkcs8::SecretDocument::encode_msg(&key).map_err(|e| format!("bad RSA key: {e}"))
}

/// The OCTET STRING that holds an EdDSA private key (RFC 8410 s7).
fn octets(der: &[u8]) -> Result<&[u8], String> {
    pkcs8::der::asn1::OctetStringRef::from_der(der)
        .map(|o| o.as_bytes())
        .map_err(|e| format!("bad EdDSA key: {e}"))
}

/// A big-endian integer as exactly `N` octets: some writers add a zero
/// octet in front (GnuTLS), others drop leading zeros.
pub fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], String> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = &bytes[start..];
    if digits.len() > N {
        return Err(format!("private key longer than {N} octets"));
    }
    let mut out = [0u8; N];
    out[N - digits.len()..].copy_from_slice(digits);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_scalars() {
        assert_eq!(fixed::<4>(&[0, 1, 2, 3, 4]).unwrap(), [1, 2, 3, 4]);
        assert_eq!(fixed::<4>(&[7, 8]).unwrap(), [0, 0, 7, 8]);
        assert!(fixed::<2>(&[1, 2, 3]).is_err());
    }
}
