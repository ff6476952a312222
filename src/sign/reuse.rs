//! Signature reuse (rules §3): a signature from the previous output is kept
//! when its RRset is unchanged, its key still signs that RRset, it is
//! already valid and it expires later than now + `refresh`. Reuse is what
//! makes a rerun cheap and its output byte-identical.
//!
//! RRsets are matched by a SHA-256 digest of what an RRSIG over them signs
//! besides its own fields (owner, type, TTL, canonical RDATA), so the index
//! of the previous output can be kept beside it as a signature cache
//! (`state/<zone>.sigs`): the next run reads that instead of parsing the
//! whole signed zone text.

use bytes::{BufMut as _, Bytes};
use domain::base::iana::Rtype;
use domain::base::name::FlattenInto as _;
use domain::base::rdata::ComposeRecordData as _;
use domain::rdata::Rrsig;
use octseq::Parser;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::{Signature, SignedZone};
use crate::keys::SigningKey;
use crate::zone::{Rrset, Zone};

/// SHA-256 over an RRset's owner (canonical), type, TTL and RDATA.
type Digest = [u8; 32];

/// The digest under which an RRset's signatures are found.
pub fn rrset_digest(set: &Rrset) -> Digest {
    let mut ctx = crate::crypto::digest::Context::new(&crate::crypto::digest::SHA256);
    ctx.update(&crate::zone::canon::wire(&set.owner));
    ctx.update(&set.rtype.to_int().to_be_bytes());
    ctx.update(&set.ttl.to_be_bytes());
    set.for_each_canonical(|wire| {
        ctx.update(&(wire.len() as u16).to_be_bytes());
        ctx.update(wire);
    });
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The previous signed zone: signatures by the digest of their RRset.
#[derive(Default)]
pub struct Previous {
    /// Digests are uniform already: FxHash is enough, SipHash was a tenth
    /// of a rerun.
    sets: FxHashMap<Digest, Vec<Signature>>,
    /// The SOA serial of that output.
    pub serial: Option<u32>,
}

impl Previous {
    /// An output none of whose signatures may be kept.
    pub fn serial_only(serial: u32) -> Previous {
        Previous {
            sets: FxHashMap::default(),
            serial: Some(serial),
        }
    }

    /// Indexes a signed zone read with `Dnssec::Keep`.
    pub fn from_zone(zone: Zone) -> Previous {
        let serial = Some(zone.serial());
        let sets = zone
            .nodes
            .into_par_iter()
            .flat_map_iter(|node| {
                let sigs: Vec<Signature> = node.rrsigs().collect();
                node.rrsets
                    .iter()
                    .filter(|set| set.rtype != Rtype::RRSIG)
                    .map(|set| {
                        let covering = sigs
                            .iter()
                            .filter(|s| s.type_covered() == set.rtype)
                            .cloned()
                            .collect();
                        (rrset_digest(set), covering)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Previous { sets, serial }
    }

    /// Reads a signature cache written by [`cache_bytes`]; `None` unless it
    /// is whole and belongs to the output whose SHA-256 is `output_sha256`.
    pub fn from_cache(bytes: Bytes, output_sha256: &[u8]) -> Option<Previous> {
        // Its signatures are not verified again: a damaged cache must not
        // get through, so it ends in a SHA-256 of all before it.
        let body_len = bytes.len().checked_sub(32)?;
        let sum = crate::crypto::digest::digest(&crate::crypto::digest::SHA256, &bytes[..body_len]);
        if sum.as_ref() != &bytes[body_len..] {
            return None;
        }
        let bytes = bytes.slice(..body_len);
        let mut p = Parser::from_ref(&bytes);
        let mut magic = [0u8; 8];
        p.parse_buf(&mut magic).ok()?;
        let mut sha = [0u8; 32];
        p.parse_buf(&mut sha).ok()?;
        if magic != *MAGIC || sha[..] != *output_sha256 {
            return None;
        }
        let serial = p.parse_u32_be().ok()?;
        let mut sets = FxHashMap::default();
        while p.remaining() > 0 {
            let mut digest = [0u8; 32];
            p.parse_buf(&mut digest).ok()?;
            let count = p.parse_u8().ok()?;
            let mut sigs = Vec::with_capacity(count.into());
            for _ in 0..count {
                let len = usize::from(p.parse_u16_be().ok()?);
                let mut rdata = p.parse_parser(len).ok()?;
                let sig = Rrsig::parse(&mut rdata).ok()?;
                if rdata.remaining() != 0 {
                    return None;
                }
                sigs.push(sig.try_flatten_into().ok()?);
            }
            sets.insert(digest, sigs);
        }
        Some(Previous {
            sets,
            serial: Some(serial),
        })
    }
}

const MAGIC: &[u8; 8] = b"ZSSIGS1\n";

/// The signature cache of `signed`, whose text has SHA-256 `output_sha256`
/// and SOA serial `serial`: the magic, that digest, the serial, then per
/// signed RRset its digest, the number of its RRSIGs and each RRSIG's RDATA
/// (length first); last, the SHA-256 of everything before it.
pub fn cache_bytes(signed: &SignedZone, output_sha256: &[u8], serial: u32) -> Vec<u8> {
    let pieces: Vec<Vec<u8>> = signed
        .nodes
        .par_chunks(1024)
        .map(|nodes| {
            let mut out = Vec::new();
            let mut rdata = Vec::new();
            for sn in nodes {
                for set in &sn.node.rrsets {
                    let sigs: Vec<&Signature> = sn
                        .rrsigs
                        .iter()
                        .map(|r| &r.sig)
                        .filter(|s| s.type_covered() == set.rtype)
                        .collect();
                    if sigs.is_empty() {
                        continue;
                    }
                    out.put_slice(&rrset_digest(set));
                    out.put_u8(sigs.len().min(255) as u8);
                    for sig in sigs.into_iter().take(255) {
                        rdata.clear();
                        let _ = sig.compose_rdata(&mut rdata);
                        out.put_u16(rdata.len() as u16);
                        out.put_slice(&rdata);
                    }
                }
            }
            out
        })
        .collect();
    let mut out = Vec::with_capacity(44 + pieces.iter().map(Vec::len).sum::<usize>());
    out.put_slice(MAGIC);
    out.put_slice(output_sha256);
    out.put_u32(serial);
    for piece in pieces {
        out.extend_from_slice(&piece);
    }
    let sum = crate::crypto::digest::digest(&crate::crypto::digest::SHA256, &out);
    out.extend_from_slice(sum.as_ref());
    out
}

/// What may be reused at one run.
pub struct Reuse<'a> {
    pub previous: &'a Previous,
    pub now: u64,
    /// Signatures expiring before now + refresh are made anew.
    pub refresh: u64,
}

impl Reuse<'_> {
    /// The previous signatures over exactly this RRset (empty if none).
    pub fn candidates(&self, set: &Rrset) -> &[Signature] {
        if self.previous.sets.is_empty() {
            return &[];
        }
        self.previous
            .sets
            .get(&rrset_digest(set))
            .map_or(&[], Vec::as_slice)
    }

    /// Of `candidates` (over `set`), the signature by `key` that may be kept.
    pub fn pick(
        &self,
        candidates: &[Signature],
        set: &Rrset,
        key: &SigningKey,
    ) -> Option<Signature> {
        let keep_until = self.now.saturating_add(self.refresh);
        candidates
            .iter()
            .find(|s| {
                s.key_tag() == key.key_tag
                    && s.algorithm() == key.algorithm()
                    && *s.signer_name() == key.owner
                    && s.original_ttl().as_secs() == set.ttl
                    && crate::time::rrsig_instant(s.inception().into_int(), self.now) <= self.now
                    && crate::time::rrsig_instant(s.expiration().into_int(), self.now) > keep_until
            })
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::tests::signed_example;

    /// The cache gives the same signatures for every RRset as indexing the
    /// signed zone itself, and nothing once damaged or for another output.
    #[test]
    fn the_cache_reads_back_what_the_zone_holds() {
        let signed = signed_example();
        let sha = [7u8; 32];
        let cache = Bytes::from(cache_bytes(&signed, &sha, 42));
        let from_cache = Previous::from_cache(cache.clone(), &sha).expect("a whole cache");
        let from_zone = Previous::from_zone(signed.into_zone());
        assert_eq!(from_cache.serial, Some(42));
        assert_eq!(from_cache.sets.len(), from_zone.sets.len());
        assert!(from_cache.sets.len() >= 5);
        for (digest, sigs) in &from_zone.sets {
            let mut a: Vec<&[u8]> = sigs.iter().map(|s| s.signature().as_ref()).collect();
            let mut b: Vec<&[u8]> = from_cache.sets[digest]
                .iter()
                .map(|s| s.signature().as_ref())
                .collect();
            a.sort();
            b.sort();
            assert_eq!(a, b);
        }
        assert!(Previous::from_cache(cache.clone(), &[8u8; 32]).is_none());
        let mut damaged = cache.to_vec();
        damaged[60] ^= 1;
        assert!(Previous::from_cache(damaged.into(), &sha).is_none());
        assert!(Previous::from_cache(cache.slice(..cache.len() - 1), &sha).is_none());
    }
}
