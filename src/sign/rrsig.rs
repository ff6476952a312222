//! One RRSIG: the RFC 4034 s3.1.8.1 signed data, label count, and the
//! validity window with a deterministic per-RRset jitter.

use bytes::Bytes;
use domain::base::Ttl;
use domain::base::iana::Rtype;
use domain::rdata::Rrsig;
use domain::rdata::dnssec::Timestamp;

use crate::error::{Error, Result};
use crate::keys::SigningKey;
use crate::zone::{Rrset, StoredName, canon};

/// RRSIG labels field: owner labels without the root and a leading `*`
/// (RFC 4034 s3.1.3).
pub fn label_count(owner: &StoredName) -> u8 {
    // Over the wire form: domain's label iterator was a few percent of a
    // rerun, called for every signature made and checked.
    let wire = owner.as_slice();
    let mut n = 0u8;
    let mut at = 0;
    while let Some(&len) = wire.get(at)
        && len != 0
    {
        n += 1;
        at += len as usize + 1;
    }
    if wire.starts_with(b"\x01*") {
        n -= 1;
    }
    n
}

/// The signature validity window of one RRSIG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub inception: u32,
    pub expiration: u32,
}

/// The fields of an RRSIG before the signature is made.
pub struct RrsigFields<'a> {
    pub rrset: &'a Rrset,
    pub key: &'a SigningKey,
    /// The key's owner, as the RRSIG is to hold it.
    pub signer: &'a StoredName,
    pub window: Window,
}

/// The RRSIG RDATA without the signature (RFC 4034 s3.1.8.1), signer name
/// in canonical form.
fn prefix_of(sig: &Rrsig<Bytes, StoredName>, buf: &mut Vec<u8>) {
    buf.extend_from_slice(&sig.type_covered().to_int().to_be_bytes());
    buf.push(sig.algorithm().to_int());
    buf.push(sig.labels());
    buf.extend_from_slice(&sig.original_ttl().as_secs().to_be_bytes());
    buf.extend_from_slice(&sig.expiration().into_int().to_be_bytes());
    buf.extend_from_slice(&sig.inception().into_int().to_be_bytes());
    buf.extend_from_slice(&sig.key_tag().to_be_bytes());
    canon::push_wire(sig.signer_name(), buf);
}

/// The data `sig` signs: its RDATA without the signature, then every RR of
/// `rrset` in canonical form and order with the RRSIG's original TTL
/// (RFC 4034 s3.1.8.1, s6). Used to sign and to verify.
pub fn signed_data(rrset: &Rrset, sig: &Rrsig<Bytes, StoredName>) -> Vec<u8> {
    let owner_len = rrset.owner.len();
    let mut buf = Vec::with_capacity(64 + rrset.len() * (owner_len + 10) + rrset.wire_len());
    prefix_of(sig, &mut buf);
    let ttl = sig.original_ttl().as_secs();
    // The canonical owner is made once, then copied from the first record.
    let mut owner_at = None;
    rrset.for_each_canonical(|wire| {
        match owner_at {
            None => {
                owner_at = Some(buf.len());
                canon::push_wire(&rrset.owner, &mut buf);
            }
            Some(at) => buf.extend_from_within(at..at + owner_len),
        }
        buf.extend_from_slice(&rrset.rtype.to_int().to_be_bytes());
        buf.extend_from_slice(&1u16.to_be_bytes()); // class IN
        buf.extend_from_slice(&ttl.to_be_bytes());
        buf.extend_from_slice(&(wire.len() as u16).to_be_bytes());
        buf.extend_from_slice(wire);
    });
    buf
}

/// Makes one RRSIG over `rrset` with `key`.
pub fn sign_rrset(f: &RrsigFields<'_>) -> Result<Rrsig<Bytes, StoredName>> {
    let mut rrsig = Rrsig::new(
        f.rrset.rtype,
        f.key.algorithm(),
        label_count(&f.rrset.owner),
        Ttl::from_secs(f.rrset.ttl),
        Timestamp::from(f.window.expiration),
        Timestamp::from(f.window.inception),
        f.key.key_tag,
        f.signer.clone(),
        Bytes::new(),
    )
    .map_err(|_| {
        Error::Sign(format!(
            "RRSIG over {} {} too long",
            f.rrset.owner, f.rrset.rtype
        ))
    })?;
    let data = signed_data(f.rrset, &rrsig);
    // The second, separately written canonical form must agree, or the
    // signature would be over data no validator sees (rules §3).
    if !crate::crosscheck::agrees(f.rrset, &rrsig, &data) {
        return Err(Error::Sign(format!(
            "{} {}: the two canonical forms of the RRset disagree; nothing signed",
            f.rrset.owner, f.rrset.rtype
        )));
    }
    let signature = f.key.sign(&data)?;
    rrsig.set_signature(Bytes::from(signature));
    Ok(rrsig)
}

/// How signature lifetimes are chosen.
#[derive(Clone, Copy, Debug)]
pub enum Timing {
    /// The same window for every signature (like `ldns-signzone -i -e`).
    Fixed(Window),
    /// rules §3: inception = now − offset, expiration = now + validity for the
    /// kind of RRset ± a jitter derived from the RRset.
    Policy {
        now: u64,
        inception_offset: u64,
        validity: u64,
        validity_denial: u64,
        validity_keyset: u64,
        jitter: u64,
    },
}

impl Timing {
    pub fn window(&self, owner: &StoredName, rtype: Rtype) -> Window {
        match *self {
            Timing::Fixed(w) => w,
            Timing::Policy {
                now,
                inception_offset,
                validity,
                validity_denial,
                validity_keyset,
                jitter,
            } => {
                let v = match rtype {
                    Rtype::NSEC | Rtype::NSEC3 => validity_denial,
                    Rtype::DNSKEY | Rtype::CDS | Rtype::CDNSKEY => validity_keyset,
                    _ => validity,
                };
                let j = if jitter == 0 {
                    0
                } else {
                    (rrset_hash(owner, rtype) % (2 * jitter + 1)) as i64 - jitter as i64
                };
                let exp = (now + v) as i64 + j;
                Window {
                    inception: now.saturating_sub(inception_offset) as u32,
                    expiration: exp.max(0) as u32,
                }
            }
        }
    }
}

/// A stable hash of (owner, type), so that a rerun gives the same jitter:
/// FNV-1a over the canonical owner and the type, which is fixed by its
/// definition. (It was a SHA-256 and an allocation per RRset, about 1 % of
/// signing a TLD.)
fn rrset_hash(owner: &StoredName, rtype: Rtype) -> u64 {
    use std::hash::Hasher as _;
    // FNV-1a is a stream over octets: the canonical owner (every letter
    // lower-cased, as canon::push_wire makes it) is fed as it is read.
    let mut h = fnv::FnvHasher::default();
    for &c in owner.as_slice() {
        h.write_u8(c.to_ascii_lowercase());
    }
    h.write(&rtype.to_int().to_be_bytes());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// A bug in the signer's canonical form is a disagreement with the
    /// second path, and nothing is signed. Here the reader's lower-casing
    /// of AFSDB names is bypassed: the RRset holds them as written, which
    /// `domain` keeps (the bug of zonesign 0.1).
    #[test]
    fn canonical_forms_that_disagree_stop_the_signing() {
        let owner = StoredName::from_str("example.").unwrap();
        let (_, key) = crate::keys::generate(
            &owner,
            domain::base::iana::SecurityAlgorithm::ED25519,
            256,
            2048,
        )
        .unwrap();
        let window = Window {
            inception: 1,
            expiration: 2,
        };
        let sign = |wire: &'static [u8]| {
            let set = Rrset::from_wire(owner.clone(), Rtype::AFSDB, 60, vec![Bytes::from(wire)]);
            let f = RrsigFields {
                rrset: &set,
                key: &key,
                signer: &owner,
                window,
            };
            sign_rrset(&f).map(|_| ())
        };
        assert!(sign(b"\x00\x01\x03afs\x07example\x00").is_ok());
        let err = sign(b"\x00\x01\x03AFS\x07example\x00").unwrap_err();
        assert!(err.to_string().contains("disagree"), "{err}");
    }

    #[test]
    fn policy_window_is_deterministic_and_within_jitter() {
        let t = Timing::Policy {
            now: 1_000_000,
            inception_offset: 3600,
            validity: 14 * 86400,
            validity_denial: 7 * 86400,
            validity_keyset: 21 * 86400,
            jitter: 12 * 3600,
        };
        let mut seen = std::collections::HashSet::new();
        for i in 0..200 {
            let owner = StoredName::from_str(&format!("h{i}.example.")).unwrap();
            let w = t.window(&owner, Rtype::A);
            assert_eq!(w, t.window(&owner, Rtype::A), "same RRset, same window");
            assert_eq!(w.inception, 1_000_000 - 3600);
            let exp = w.expiration as i64 - 1_000_000;
            assert!((exp - 14 * 86400).abs() <= 12 * 3600, "{exp}");
            seen.insert(w.expiration);
            let nsec = t.window(&owner, Rtype::NSEC).expiration as i64 - 1_000_000;
            assert!((nsec - 7 * 86400).abs() <= 12 * 3600);
            let keyset = t.window(&owner, Rtype::DNSKEY).expiration as i64 - 1_000_000;
            assert!((keyset - 21 * 86400).abs() <= 12 * 3600);
        }
        assert!(
            seen.len() > 150,
            "jitter spreads expirations: {}",
            seen.len()
        );
    }

    #[test]
    fn labels_skip_root_and_wildcard() {
        assert_eq!(
            label_count(&StoredName::from_str("a.b.example.").unwrap()),
            3
        );
        assert_eq!(
            label_count(&StoredName::from_str("*.b.example.").unwrap()),
            2
        );
        assert_eq!(label_count(&StoredName::from_str(".").unwrap()), 0);
    }
}
