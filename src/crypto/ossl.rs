//! OpenSSL (the system's libssl): the only backend here with ED448, and
//! the second choice for RSA (doc/crypto.md).

use domain::base::iana::SecurityAlgorithm;
use domain::crypto::sign::SecretKeyBytes;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{HasPrivate, HasPublic, Id, PKey, PKeyRef, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use secrecy::{ExposeSecret as _, SecretBox};

use super::{ecdsa_half, ecdsa_scalar, rsa_public, sec1_point};

pub struct Key {
    pkey: PKey<Private>,
    alg: SecurityAlgorithm,
}

fn err(e: openssl::error::ErrorStack) -> String {
    format!("openssl: {e}")
}

fn curve(alg: SecurityAlgorithm) -> Option<Nid> {
    match alg {
        SecurityAlgorithm::ECDSAP256SHA256 => Some(Nid::X9_62_PRIME256V1),
        SecurityAlgorithm::ECDSAP384SHA384 => Some(Nid::SECP384R1),
        _ => None,
    }
}

/// The digest signed, or `None` for EdDSA, which hashes inside.
fn digest(alg: SecurityAlgorithm) -> Option<MessageDigest> {
    match alg {
        SecurityAlgorithm::RSASHA512 => Some(MessageDigest::sha512()),
        SecurityAlgorithm::ECDSAP384SHA384 => Some(MessageDigest::sha384()),
        SecurityAlgorithm::ED25519 | SecurityAlgorithm::ED448 => None,
        _ => Some(MessageDigest::sha256()),
    }
}

fn ec_public(nid: Nid, public: &[u8]) -> Result<EcKey<Public>, openssl::error::ErrorStack> {
    let group = EcGroup::from_curve_name(nid)?;
    let mut ctx = openssl::bn::BigNumContext::new()?;
    let point = EcPoint::from_bytes(&group, &sec1_point(public)[..], &mut ctx)?;
    EcKey::from_public_key(&group, &point)
}

pub fn load(alg: SecurityAlgorithm, secret: &SecretKeyBytes, public: &[u8]) -> Result<Key, String> {
    let num = |b: &[u8]| BigNum::from_slice(b).map_err(err);
    let pkey = match secret {
        SecretKeyBytes::RsaSha256(k) | SecretKeyBytes::RsaSha512(k) => {
            let rsa = Rsa::from_private_components(
                num(&k.n)?,
                num(&k.e)?,
                num(k.d.expose_secret())?,
                num(k.p.expose_secret())?,
                num(k.q.expose_secret())?,
                num(k.d_p.expose_secret())?,
                num(k.d_q.expose_secret())?,
                num(k.q_i.expose_secret())?,
            )
            .map_err(err)?;
            PKey::from_rsa(rsa).map_err(err)?
        }
        SecretKeyBytes::EcdsaP256Sha256(_) | SecretKeyBytes::EcdsaP384Sha384(_) => {
            let nid = curve(alg).ok_or("not an ECDSA algorithm")?;
            let d = ecdsa_scalar(secret).ok_or("not an ECDSA key")?;
            let pubkey = ec_public(nid, public).map_err(err)?;
            let key =
                EcKey::from_private_components(pubkey.group(), &*num(d)?, pubkey.public_key())
                    .map_err(err)?;
            key.check_key()
                .map_err(|_| "the private key does not match the DNSKEY")?;
            PKey::from_ec_key(key).map_err(err)?
        }
        SecretKeyBytes::Ed25519(s) => {
            PKey::private_key_from_raw_bytes(&s.expose_secret()[..], Id::ED25519).map_err(err)?
        }
        SecretKeyBytes::Ed448(s) => {
            PKey::private_key_from_raw_bytes(&s.expose_secret()[..], Id::ED448).map_err(err)?
        }
    };
    if matches!(alg, SecurityAlgorithm::ED25519 | SecurityAlgorithm::ED448)
        && pkey.raw_public_key().map_err(err)? != public
    {
        return Err("the private key does not match the DNSKEY".into());
    }
    Ok(Key { pkey, alg })
}

fn signer<'a, T: HasPrivate>(
    alg: SecurityAlgorithm,
    pkey: &'a PKeyRef<T>,
) -> Result<Signer<'a>, String> {
    match digest(alg) {
        Some(md) => Signer::new(md, pkey),
        None => Signer::new_without_digest(pkey),
    }
    .map_err(err)
}

pub fn sign(k: &Key, data: &[u8]) -> Result<Vec<u8>, String> {
    let der = signer(k.alg, &k.pkey)?
        .sign_oneshot_to_vec(data)
        .map_err(err)?;
    let Some(half) = ecdsa_half(k.alg) else {
        return Ok(der);
    };
    // OpenSSL gives ECDSA signatures in DER; DNSSEC wants r‖s (RFC 6605 s4).
    let sig = EcdsaSig::from_der(&der).map_err(err)?;
    let mut out = sig.r().to_vec_padded(half as i32).map_err(err)?;
    out.extend(sig.s().to_vec_padded(half as i32).map_err(err)?);
    Ok(out)
}

fn verifier_key(alg: SecurityAlgorithm, public: &[u8]) -> Option<PKey<Public>> {
    let made = match alg {
        SecurityAlgorithm::RSASHA256 | SecurityAlgorithm::RSASHA512 => {
            let (e, n) = rsa_public(public)?;
            let (n, e) = (BigNum::from_slice(n).ok()?, BigNum::from_slice(e).ok()?);
            PKey::from_rsa(Rsa::from_public_components(n, e).ok()?)
        }
        SecurityAlgorithm::ECDSAP256SHA256 | SecurityAlgorithm::ECDSAP384SHA384 => {
            PKey::from_ec_key(ec_public(curve(alg)?, public).ok()?)
        }
        SecurityAlgorithm::ED25519 => PKey::public_key_from_raw_bytes(public, Id::ED25519),
        SecurityAlgorithm::ED448 => PKey::public_key_from_raw_bytes(public, Id::ED448),
        _ => return None,
    };
    made.ok()
}

fn verifier<'a, T: HasPublic>(alg: SecurityAlgorithm, key: &'a PKeyRef<T>) -> Option<Verifier<'a>> {
    match digest(alg) {
        Some(md) => Verifier::new(md, key),
        None => Verifier::new_without_digest(key),
    }
    .ok()
}

pub fn verify(alg: SecurityAlgorithm, public: &[u8], data: &[u8], sig: &[u8]) -> Option<bool> {
    if !matches!(
        alg,
        SecurityAlgorithm::RSASHA256
            | SecurityAlgorithm::RSASHA512
            | SecurityAlgorithm::ECDSAP256SHA256
            | SecurityAlgorithm::ECDSAP384SHA384
            | SecurityAlgorithm::ED25519
            | SecurityAlgorithm::ED448
    ) {
        return None;
    }
    let Some(key) = verifier_key(alg, public) else {
        return Some(false);
    };
    let der;
    let sig = match ecdsa_half(alg) {
        Some(half) if sig.len() == 2 * half => {
            let (r, s) = sig.split_at(half);
            let ecdsa = BigNum::from_slice(r)
                .and_then(|r| EcdsaSig::from_private_components(r, BigNum::from_slice(s)?));
            match ecdsa.and_then(|e| e.to_der()) {
                Ok(d) => {
                    der = d;
                    &der[..]
                }
                Err(_) => return Some(false),
            }
        }
        Some(_) => return Some(false),
        None => sig,
    };
    let Some(mut v) = verifier(alg, &key) else {
        return Some(false);
    };
    Some(v.verify_oneshot(sig, data).unwrap_or(false))
}

/// Any key OpenSSL makes; the preference order asks it for ED448 and for
/// RSA sizes aws-lc-rs does not make.
pub fn generate(
    alg: SecurityAlgorithm,
    bits: u32,
) -> Option<Result<(SecretKeyBytes, Vec<u8>), String>> {
    let made = match alg {
        SecurityAlgorithm::ED448 | SecurityAlgorithm::ED25519 => eddsa_generate(alg),
        SecurityAlgorithm::RSASHA256 | SecurityAlgorithm::RSASHA512 => Rsa::generate(bits)
            .and_then(PKey::from_rsa)
            .and_then(|k| k.private_key_to_pkcs8())
            .map_err(err)
            .and_then(|der| super::pkcs8::key_pair_from_der(&der)),
        _ => {
            let group = EcGroup::from_curve_name(curve(alg)?);
            group
                .and_then(|g| EcKey::generate(&g))
                .and_then(PKey::from_ec_key)
                .and_then(|k| k.private_key_to_pkcs8())
                .map_err(err)
                .and_then(|der| super::pkcs8::key_pair_from_der(&der))
        }
    };
    Some(made)
}

fn eddsa_generate(alg: SecurityAlgorithm) -> Result<(SecretKeyBytes, Vec<u8>), String> {
    let key = if alg == SecurityAlgorithm::ED448 {
        PKey::generate_ed448()
    } else {
        PKey::generate_ed25519()
    }
    .map_err(err)?;
    let private = key.raw_private_key().map_err(err)?;
    let public = key.raw_public_key().map_err(err)?;
    let secret = if alg == SecurityAlgorithm::ED448 {
        SecretKeyBytes::Ed448(SecretBox::new(Box::new(super::pkcs8::fixed(&private)?)))
    } else {
        SecretKeyBytes::Ed25519(SecretBox::new(Box::new(super::pkcs8::fixed(&private)?)))
    };
    Ok((secret, public))
}
