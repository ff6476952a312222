//! The private keys of a zone signed elsewhere, as its signer keeps them:
//! BIND key pairs (`K<zone>.+<alg>+<tag>.key/.private`, also what
//! `dnssec-keygen`, `ldns-keygen` and `keymgr import-bind` use) and PKCS#8
//! PEM files (Knot's `keys/<id>.pem`), with the timing metadata each signer
//! records: BIND's `Created:`/`Publish:`/`Activate:`/`Inactive:`/`Delete:`
//! lines, Knot's `keymgr -j ZONE list`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use domain::crypto::sign::SecretKeyBytes;
use domain::rdata::Dnskey;

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

/// A PKCS#8 PEM private key (Knot's key store).
pub fn from_pem(text: &str) -> Result<SecretKeyBytes, String> {
    crate::crypto::pkcs8::secret_from_pem(text)
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
}
