//! The private keys of a zone signed elsewhere, as its signer keeps them:
//! BIND key pairs (`K<zone>.+<alg>+<tag>.key/.private`, also what
//! `dnssec-keygen`, `ldns-keygen` and `keymgr import-bind` use) and PKCS#8
//! PEM files (Knot's `keys/<id>.pem`), with the timing metadata each signer
//! records: BIND's `Created:`/`Publish:`/`Activate:`/`Inactive:`/`Delete:`
//! lines, Knot's `keymgr -j ZONE list`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use domain::crypto::sign::{RsaSecretKeyBytes, SecretKeyBytes};
use domain::rdata::Dnskey;
use pkcs8::der::Decode as _;
use secrecy::SecretBox;

use crate::error::{Error, Result};
use crate::zone::StoredName;

/// When the previous signer published, activated, retired and removed a
/// key, as far as its metadata says (epoch seconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    pub created: Option<u64>,
    pub publish: Option<u64>,
    pub activate: Option<u64>,
    pub inactive: Option<u64>,
    pub delete: Option<u64>,
}

/// A private key found in a key source.
pub struct Material {
    pub secret: SecretKeyBytes,
    /// The DNSKEY from the key file, where the format has one (BIND).
    pub dnskey: Option<Dnskey<Bytes>>,
    pub meta: Metadata,
    /// Where it was found, for messages.
    pub origin: PathBuf,
}

/// Every private key in `paths` (directories or files) that may belong to
/// `apex`: BIND pairs of that owner and PEM files. `knot_list` is Knot's
/// `keymgr -j ZONE list` output, whose timing goes with the PEM file named
/// by each key's id.
pub fn collect(
    paths: &[PathBuf],
    apex: &StoredName,
    knot_list: Option<&Path>,
) -> Result<Vec<Material>> {
    let knot = match knot_list {
        Some(p) => knot_times(p)?,
        None => HashMap::new(),
    };
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::io(p, e))?
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            files.extend(entries);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            return Err(Error::io(p, std::io::ErrorKind::NotFound.into()));
        }
    }
    let bind_prefix = format!("K{}+", crate::zone::write::name_text(apex)).to_ascii_lowercase();
    let mut out = Vec::new();
    for f in files {
        let Some(name) = f.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(".private") && name.to_ascii_lowercase().starts_with(&bind_prefix) {
            let pair = crate::keys::read_bind(&f)?;
            out.push(Material {
                meta: bind_times(&pair.private_text),
                secret: pair.secret,
                dnskey: Some(pair.dnskey),
                origin: f,
            });
        } else if let Some(id) = name.strip_suffix(".pem") {
            let text = std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
            out.push(Material {
                secret: from_pem(&text).map_err(|e| Error::key(&f, e))?,
                dnskey: None,
                meta: knot.get(id).copied().unwrap_or_default(),
                origin: f,
            });
        }
    }
    Ok(out)
}

/// BIND's timing lines in a `.private` file (`Activate: 20261207100237`).
pub fn bind_times(private: &str) -> Metadata {
    let field = |name: &str| {
        private.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| bind_stamp(v.trim())).flatten()
        })
    };
    Metadata {
        created: field("Created"),
        publish: field("Publish"),
        activate: field("Activate"),
        inactive: field("Inactive"),
        delete: field("Delete"),
    }
}

/// `YYYYMMDDHHMMSS` in UTC.
fn bind_stamp(v: &str) -> Option<u64> {
    let d = v.get(..14)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let text = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[8..10],
        &d[10..12],
        &d[12..14]
    );
    crate::time::parse_instant(&text).ok()
}

/// Knot's key list: id → timing (0 is "not set").
fn knot_times(path: &Path) -> Result<HashMap<String, Metadata>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let list: Vec<serde_json::Value> = serde_json::from_str(&text)
        .map_err(|e| Error::key(path, format!("not the JSON of `keymgr -j ZONE list`: {e}")))?;
    let mut out = HashMap::new();
    for k in list {
        let Some(id) = k.get("id").and_then(|v| v.as_str()) else {
            return Err(Error::key(path, "a key without an \"id\""));
        };
        let t = |name: &str| k.get(name).and_then(|v| v.as_u64()).filter(|&v| v > 0);
        out.insert(
            id.to_string(),
            Metadata {
                created: None,
                publish: t("publish"),
                activate: t("active"),
                inactive: t("retire").or(t("retire-active")),
                delete: t("remove"),
            },
        );
    }
    Ok(out)
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";

/// A PKCS#8 PEM private key. RSA keys come out as RSASHA256; which RSA
/// algorithm a key serves is settled by the DNSKEY it is matched with.
pub fn from_pem(text: &str) -> Result<SecretKeyBytes, String> {
    let (_, doc) =
        pkcs8::SecretDocument::from_pem(text).map_err(|e| format!("not a PEM private key: {e}"))?;
    let info = pkcs8::PrivateKeyInfo::from_der(doc.as_bytes())
        .map_err(|e| format!("not a PKCS#8 private key: {e}"))?;
    let oid = info.algorithm.oid.to_string();
    let key = info.private_key;
    match oid.as_str() {
        OID_RSA => {
            let k = pkcs1::RsaPrivateKey::from_der(key).map_err(|e| format!("bad RSA key: {e}"))?;
            let secret = |u: pkcs1::UintRef<'_>| SecretBox::new(Box::<[u8]>::from(u.as_bytes()));
            Ok(SecretKeyBytes::RsaSha256(RsaSecretKeyBytes {
                n: k.modulus.as_bytes().into(),
                e: k.public_exponent.as_bytes().into(),
                d: secret(k.private_exponent),
                p: secret(k.prime1),
                q: secret(k.prime2),
                d_p: secret(k.exponent1),
                d_q: secret(k.exponent2),
                q_i: secret(k.coefficient),
            }))
        }
        OID_EC => {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|e| format!("EC key without a curve: {e}"))?
                .to_string();
            let k = sec1::EcPrivateKey::from_der(key).map_err(|e| format!("bad EC key: {e}"))?;
            match curve.as_str() {
                OID_P256 => Ok(SecretKeyBytes::EcdsaP256Sha256(SecretBox::new(Box::new(
                    fixed::<32>(k.private_key)?,
                )))),
                OID_P384 => Ok(SecretKeyBytes::EcdsaP384Sha384(SecretBox::new(Box::new(
                    fixed::<48>(k.private_key)?,
                )))),
                other => Err(format!("EC curve {other} is no DNSSEC algorithm")),
            }
        }
        OID_ED25519 => Ok(SecretKeyBytes::Ed25519(SecretBox::new(Box::new(fixed::<
            32,
        >(
            octets(key)?,
        )?)))),
        OID_ED448 => Ok(SecretKeyBytes::Ed448(SecretBox::new(Box::new(
            fixed::<57>(octets(key)?)?,
        )))),
        other => Err(format!("key algorithm {other} is no DNSSEC algorithm")),
    }
}

/// The OCTET STRING that holds an EdDSA private key (RFC 8410 s7).
fn octets(der: &[u8]) -> Result<&[u8], String> {
    pkcs8::der::asn1::OctetStringRef::from_der(der)
        .map(|o| o.as_bytes())
        .map_err(|e| format!("bad EdDSA key: {e}"))
}

/// A big-endian integer as exactly `N` octets: some writers add a zero
/// octet in front (GnuTLS), others drop leading zeros.
fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], String> {
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
    fn bind_timing_lines_are_read() {
        let m = bind_times(
            "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: x\n\
             Created: 20261207100237\nPublish: 20261207100237\nActivate: 20261208000000\n",
        );
        assert_eq!(m.created, Some(1_796_637_757));
        assert_eq!(m.activate, Some(1_796_688_000));
        assert_eq!(m.inactive, None);
    }

    #[test]
    fn fixed_width_scalars() {
        assert_eq!(fixed::<4>(&[0, 1, 2, 3, 4]).unwrap(), [1, 2, 3, 4]);
        assert_eq!(fixed::<4>(&[7, 8]).unwrap(), [0, 0, 7, 8]);
        assert!(fixed::<2>(&[1, 2, 3]).is_err());
    }
}
