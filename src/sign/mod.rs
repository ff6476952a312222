//! The signing driver: adds DNSKEY (and CDS/CDNSKEY, NSEC3PARAM) at the
//! apex, builds the denial chain, and signs every authoritative RRset with
//! the keys of the right role, in parallel.

pub mod reuse;
pub mod rrsig;

use bytes::Bytes;
use domain::base::iana::{DigestAlgorithm, Rtype};
use domain::base::rdata::ComposeRecordData as _;
use domain::rdata::{Dnskey, Rrsig};
use rayon::prelude::*;

use crate::denial::{Denial, nsec, nsec3};
use crate::error::{Error, Result};
use crate::keys::{Role, SigningKey};
use crate::zone::{Node, NodeKind, Rdata, Rrset, StoredName, Zone, write};
pub use reuse::{Previous, Reuse, cache_bytes};
pub use rrsig::{Timing, Window};

/// A key and what it signs.
#[derive(Clone, Copy, Debug)]
pub struct KeyUse<'a> {
    pub key: &'a SigningKey,
    pub role: Role,
}

/// How to sign.
#[derive(Clone, Debug)]
pub struct Options {
    pub denial: Denial,
    pub timing: Timing,
    pub dnskey_ttl: u32,
    /// Digests for CDS; CDS and CDNSKEY are published only when non-empty.
    pub cds_digests: Vec<DigestAlgorithm>,
}

pub type Signature = Rrsig<Bytes, StoredName>;

/// An owner of the signed zone with its RRsets and their signatures.
#[derive(Clone, Debug)]
pub struct SignedNode {
    pub node: Node,
    pub rrsigs: Vec<SignedRrsig>,
}

/// One RRSIG of the output.
#[derive(Clone, Debug)]
pub struct SignedRrsig {
    /// The TTL of the covered RRset.
    pub ttl: u32,
    pub sig: Signature,
    /// Taken over from the previous output rather than made in this run.
    pub reused: bool,
}

#[derive(Clone, Debug)]
pub struct SignedZone {
    pub apex: StoredName,
    pub nodes: Vec<SignedNode>,
}

impl SignedZone {
    pub fn signature_count(&self) -> usize {
        self.nodes.iter().map(|n| n.rrsigs.len()).sum()
    }

    /// Signatures taken over from the previous output.
    pub fn reused_count(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| n.rrsigs.iter().filter(|r| r.reused).count())
            .sum()
    }

    /// The apex SOA RRset with `serial`.
    pub fn soa_with_serial(&self, serial: u32) -> Option<Rrset> {
        crate::zone::soa_with_serial(&self.nodes.first()?.node, serial)
    }

    /// Puts `soa` (with a new serial) in place of the apex SOA and signs it
    /// anew with the zone signers among `keys`.
    pub fn replace_soa(&mut self, soa: Rrset, keys: &[KeyUse<'_>], timing: &Timing) -> Result<()> {
        let apex = &mut self.nodes[0];
        apex.rrsigs.retain(|r| r.sig.type_covered() != Rtype::SOA);
        let window = timing.window(&soa.owner, Rtype::SOA);
        for k in keys.iter().filter(|k| k.role.signs_zone()) {
            let sig = rrsig::sign_rrset(&rrsig::RrsigFields {
                rrset: &soa,
                key: k.key,
                window,
            })?;
            apex.rrsigs.push(SignedRrsig {
                ttl: soa.ttl,
                sig,
                reused: false,
            });
        }
        apex.node.insert(soa);
        Ok(())
    }

    /// The octets of the signatures taken over from the previous output.
    pub fn reused_signatures(&self) -> rustc_hash::FxHashSet<Bytes> {
        self.nodes
            .iter()
            .flat_map(|n| &n.rrsigs)
            .filter(|r| r.reused)
            .map(|r| r.sig.signature().clone())
            .collect()
    }

    /// The zone as the verifier reads a signed zone: each owner's RRSIGs as
    /// an RRSIG RRset, and every owner classified afresh (`classify` sets
    /// every kind) rather than taken from the signer, so a classification
    /// bug of the signer still shows.
    pub fn into_zone(self) -> Zone {
        let nodes = self
            .nodes
            .into_par_iter()
            .map(|sn| {
                let mut node = sn.node;
                if let Some(first) = sn.rrsigs.first() {
                    let ttl = first.ttl;
                    let sigs = sn.rrsigs.into_iter().map(|r| Rdata::Rrsig(r.sig));
                    node.insert(Rrset::new(
                        node.owner.clone(),
                        Rtype::RRSIG,
                        ttl,
                        sigs.collect(),
                    ));
                }
                node
            })
            .collect();
        let mut zone = Zone {
            apex: self.apex,
            nodes,
            warnings: Vec::new(),
        };
        zone.classify();
        zone
    }

    /// The zone and, per owner, its signatures: what [`SignedZone::into_zone`]
    /// gives the verifier, without writing the RRSIGs as RDATA for it to
    /// parse back. Owners are classified afresh here too.
    pub fn into_parts(self) -> (Zone, Vec<Vec<Signature>>) {
        let (nodes, sigs): (Vec<Node>, Vec<Vec<Signature>>) = self
            .nodes
            .into_par_iter()
            .map(|sn| (sn.node, sn.rrsigs.into_iter().map(|r| r.sig).collect()))
            .unzip();
        let mut zone = Zone {
            apex: self.apex,
            nodes,
            warnings: Vec::new(),
        };
        zone.classify();
        (zone, sigs)
    }

    /// The zone in presentation format, canonical order, one RR per line.
    /// RRsets are kept in type order and RDATA order; the RRSIGs of an
    /// owner go where their type (46) falls, in canonical RDATA order.
    pub fn to_text(&self) -> String {
        let chunks = self.text_chunks();
        let mut out = String::with_capacity(chunks.iter().map(String::len).sum());
        for c in &chunks {
            out.push_str(c);
        }
        out
    }

    /// Writes [`SignedZone::to_text`] to `w` without holding it whole: a
    /// batch of pieces is made in parallel while a thread writes the one
    /// before, so the writing hides behind the formatting.
    pub fn write_text(&self, w: &mut (dyn std::io::Write + Send)) -> std::io::Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<String>>(1);
        std::thread::scope(|s| {
            let writer = s.spawn(move || -> std::io::Result<()> {
                for batch in rx {
                    for piece in batch {
                        w.write_all(piece.as_bytes())?;
                    }
                }
                Ok(())
            });
            let bar = crate::progress::bar("writing", self.nodes.len() as u64);
            for batch in self.nodes.chunks(TEXT_CHUNK * 32) {
                bar.inc(batch.len() as u64);
                if tx.send(text_chunks(batch)).is_err() {
                    break; // the writer failed: its error is returned below
                }
            }
            drop(tx);
            writer
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the writer thread panicked")))
        })
    }

    /// [`SignedZone::to_text`] in pieces, made in parallel; written one
    /// after the other they are the whole text.
    pub fn text_chunks(&self) -> Vec<String> {
        text_chunks(&self.nodes)
    }

    /// The lines of the apex alone: the start of [`SignedZone::to_text`],
    /// so a new SOA can be put into a written text without writing it all.
    pub fn apex_text(&self) -> String {
        let mut out = String::new();
        if let Some(apex) = self.nodes.first() {
            write_node(&mut out, apex, &mut Scratch::default());
        }
        out
    }
}

/// The text of `nodes` in pieces made in parallel.
fn text_chunks(nodes: &[SignedNode]) -> Vec<String> {
    nodes
        .par_chunks(TEXT_CHUNK)
        .map(|nodes| {
            let mut out = String::with_capacity(nodes.len() * 256);
            let mut scratch = Scratch::default();
            for sn in nodes {
                write_node(&mut out, sn, &mut scratch);
            }
            out
        })
        .collect()
}

/// Owners per piece of parallel text output.
const TEXT_CHUNK: usize = 2048;

/// Buffers reused from one owner to the next while writing text.
#[derive(Default)]
struct Scratch {
    owner: String,
    /// Canonical RRSIG RDATA and the index of the signature.
    sigs: Vec<(Vec<u8>, usize)>,
}

/// Appends the lines of one owner.
fn write_node(out: &mut String, sn: &SignedNode, scratch: &mut Scratch) {
    let Scratch { owner, sigs } = scratch;
    owner.clear();
    write::write_name(owner, &sn.node.owner);
    sigs.resize_with(sn.rrsigs.len(), Default::default);
    for (i, (r, slot)) in sn.rrsigs.iter().zip(sigs.iter_mut()).enumerate() {
        slot.0.clear();
        // A lone signature needs no sort key.
        if sn.rrsigs.len() > 1 {
            let _ = r.sig.compose_canonical_rdata(&mut slot.0);
        }
        slot.1 = i;
    }
    sigs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut sigs_written = false;
    let write_sigs = |out: &mut String| {
        for (_, i) in sigs.iter() {
            let r = &sn.rrsigs[*i];
            write::rrsig_line_at(out, owner, r.ttl, &r.sig);
        }
    };
    for set in &sn.node.rrsets {
        if !sigs_written && set.rtype.to_int() > Rtype::RRSIG.to_int() {
            write_sigs(out);
            sigs_written = true;
        }
        for d in set.records() {
            write::record_line_at(out, owner, set.ttl, set.rtype, &d);
        }
    }
    if !sigs_written {
        write_sigs(out);
    }
}

/// Signs `zone` with `keys`: KSK/CSK sign DNSKEY, CDS and CDNSKEY; ZSK/CSK
/// sign everything else authoritative. `extra_dnskeys` are published but
/// do not sign (for example a successor key before it is active).
pub fn sign_zone(
    zone: Zone,
    keys: &[KeyUse<'_>],
    extra_dnskeys: &[Dnskey<Bytes>],
    opts: &Options,
) -> Result<SignedZone> {
    sign_zone_reusing(zone, keys, extra_dnskeys, opts, None)
}

/// [`sign_zone`], keeping the signatures of the previous output that
/// `reuse` allows.
pub fn sign_zone_reusing(
    zone: Zone,
    keys: &[KeyUse<'_>],
    extra_dnskeys: &[Dnskey<Bytes>],
    opts: &Options,
    reuse: Option<&Reuse<'_>>,
) -> Result<SignedZone> {
    let keyset_signers: Vec<&SigningKey> = keys
        .iter()
        .filter(|k| k.role.signs_keyset())
        .map(|k| k.key)
        .collect();
    let zone_signers: Vec<&SigningKey> = keys
        .iter()
        .filter(|k| k.role.signs_zone())
        .map(|k| k.key)
        .collect();
    if keyset_signers.is_empty() {
        return Err(Error::Sign(format!(
            "{}: no KSK or CSK to sign the DNSKEY RRset",
            &zone.apex
        )));
    }
    if zone_signers.is_empty() {
        return Err(Error::Sign(format!(
            "{}: no ZSK or CSK to sign the zone data",
            &zone.apex
        )));
    }
    let mut phases = crate::phases::Phases::start();
    let (soa_ttl, minimum) = zone.soa_ttls();
    let apex = zone.apex;
    let mut nodes = zone.nodes;
    add_apex_records(&mut nodes[0], &apex, keys, extra_dnskeys, opts)?;

    let denial_ttl = soa_ttl.min(minimum); // RFC 9077
    match &opts.denial {
        Denial::Nsec => {
            let chain: Vec<usize> = (0..nodes.len())
                .filter(|&i| crate::denial::in_chain(&nodes[i], false))
                .collect();
            for (i, set) in chain.into_iter().zip(nsec::nsec_rrsets(&nodes, denial_ttl)) {
                nodes[i].insert(set);
            }
        }
        Denial::Nsec3(params) => {
            let sets =
                nsec3::nsec3_rrsets(&nodes, &apex, params, denial_ttl).map_err(Error::Sign)?;
            nodes = merge_canonical(nodes, nsec3::nodes_of(sets));
        }
    }

    phases.mark("denial");
    let signers = Signers {
        keyset: &keyset_signers,
        zone: &zone_signers,
    };
    // Owners are signed in parallel, each with all its RRsets: no job list
    // to build and no signatures to hand back to their owners afterwards.
    let bar = crate::progress::bar("signing", nodes.len() as u64);
    let nodes = nodes
        .into_par_iter()
        .map(|node| {
            bar.inc(1);
            sign_node(node, &signers, &opts.timing, reuse)
        })
        .collect::<Result<Vec<SignedNode>>>()?;
    drop(bar);
    phases.mark("crypto");
    Ok(SignedZone { apex, nodes })
}

/// The keys that sign the keyset RRsets at the apex, and the others.
struct Signers<'a> {
    keyset: &'a [&'a SigningKey],
    zone: &'a [&'a SigningKey],
}

/// Signs every authoritative RRset of `node`, keeping what `reuse` allows.
fn sign_node(
    node: Node,
    signers: &Signers<'_>,
    timing: &Timing,
    reuse: Option<&Reuse<'_>>,
) -> Result<SignedNode> {
    let keys_for = |set: &Rrset| {
        if node.kind == NodeKind::Apex && is_keyset_type(set.rtype) {
            signers.keyset
        } else {
            signers.zone
        }
    };
    let signed = || node.rrsets.iter().filter(|s| is_signed(&node, s.rtype));
    // At its final size: most owners get one signature, not four slots.
    let mut rrsigs = Vec::with_capacity(signed().map(|s| keys_for(s).len()).sum());
    for set in signed() {
        let keys = keys_for(set);
        let candidates = reuse.map_or(&[][..], |r| r.candidates(set));
        for key in keys {
            let (sig, reused) = match reuse.and_then(|r| r.pick(candidates, set, key)) {
                Some(kept) => (kept, true),
                None => {
                    let fields = rrsig::RrsigFields {
                        rrset: set,
                        key,
                        window: timing.window(&set.owner, set.rtype),
                    };
                    (rrsig::sign_rrset(&fields)?, false)
                }
            };
            rrsigs.push(SignedRrsig {
                ttl: set.ttl,
                sig,
                reused,
            });
        }
    }
    Ok(SignedNode { node, rrsigs })
}

/// RRsets signed by KSKs (RFC 7344 s4.1 for CDS/CDNSKEY).
fn is_keyset_type(t: Rtype) -> bool {
    matches!(t, Rtype::DNSKEY | Rtype::CDS | Rtype::CDNSKEY)
}

/// Is this RRset authoritative, hence signed? (RFC 4035 s2.2)
pub fn is_signed(node: &Node, rtype: Rtype) -> bool {
    match node.kind {
        NodeKind::Apex | NodeKind::Authoritative => rtype != Rtype::RRSIG,
        NodeKind::Delegation => matches!(rtype, Rtype::DS | Rtype::NSEC),
        NodeKind::Occluded => false,
    }
}

fn add_apex_records(
    node: &mut Node,
    apex: &StoredName,
    keys: &[KeyUse<'_>],
    extra: &[Dnskey<Bytes>],
    opts: &Options,
) -> Result<()> {
    let mut dnskeys: Vec<Rdata> = keys
        .iter()
        .map(|k| Rdata::Dnskey(k.key.dnskey.clone()))
        .collect();
    dnskeys.extend(extra.iter().cloned().map(Rdata::Dnskey));
    node.insert(Rrset::new(
        apex.clone(),
        Rtype::DNSKEY,
        opts.dnskey_ttl,
        dnskeys,
    ));
    if !opts.cds_digests.is_empty() {
        let sep: Vec<&SigningKey> = keys
            .iter()
            .filter(|k| k.role.signs_keyset())
            .map(|k| k.key)
            .collect();
        let mut cds = Vec::new();
        let mut cdnskey = Vec::new();
        for k in &sep {
            for alg in &opts.cds_digests {
                if let Some(c) = crate::ds::cds(apex, &k.dnskey, *alg) {
                    cds.push(Rdata::Cds(c));
                }
            }
            if let Some(c) = crate::ds::cdnskey(&k.dnskey) {
                cdnskey.push(Rdata::Cdnskey(c));
            }
        }
        node.insert(Rrset::new(apex.clone(), Rtype::CDS, opts.dnskey_ttl, cds));
        node.insert(Rrset::new(
            apex.clone(),
            Rtype::CDNSKEY,
            opts.dnskey_ttl,
            cdnskey,
        ));
    }
    if let Denial::Nsec3(params) = &opts.denial {
        let p = nsec3::nsec3param(params).map_err(Error::Sign)?;
        // TTL 0 as BIND writes it: the record is for the primary's use.
        node.insert(Rrset::new(apex.clone(), Rtype::NSEC3PARAM, 0, vec![p]));
    }
    Ok(())
}

/// Merges two lists of nodes, each in canonical order, into one.
fn merge_canonical(a: Vec<Node>, b: Vec<Node>) -> Vec<Node> {
    use crate::zone::canon::push_key;
    let mut out = Vec::with_capacity(a.len() + b.len());
    // Two key buffers, reused: a key per node allocated was most of this.
    let key_into = |n: Option<&Node>, k: &mut Vec<u8>| {
        k.clear();
        if let Some(n) = n {
            push_key(&n.owner, k);
        }
    };
    let (mut ka, mut kb) = (Vec::new(), Vec::new());
    let mut b = b.into_iter();
    let mut next = b.next();
    key_into(next.as_ref(), &mut kb);
    for n in a {
        key_into(Some(&n), &mut ka);
        while next.is_some() && kb < ka {
            out.extend(next.take());
            next = b.next();
            key_into(next.as_ref(), &mut kb);
        }
        out.push(n);
    }
    out.extend(next);
    out.extend(b);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::keys;
    use crate::zone::{Dnssec, reader};
    use domain::base::iana::SecurityAlgorithm;
    use std::path::Path;
    use std::str::FromStr;

    /// A small zone signed by one CSK for 1000..2000 (NSEC).
    pub(crate) fn signed_example() -> SignedZone {
        let apex = StoredName::from_str("example.").unwrap();
        let text = "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n";
        let (recs, src) = reader::read_str(text, Path::new("t.zone"), &apex).unwrap();
        let zone = Zone::from_records(recs, &src, &apex, Dnssec::Strip).unwrap();
        let (_, key) = keys::generate(&apex, SecurityAlgorithm::ECDSAP256SHA256, 257).unwrap();
        let uses = [KeyUse {
            key: &key,
            role: Role::Csk,
        }];
        let options = Options {
            denial: Denial::Nsec,
            timing: Timing::Fixed(Window {
                inception: 1_000,
                expiration: 2_000,
            }),
            dnskey_ttl: 300,
            cds_digests: Vec::new(),
        };
        sign_zone(zone, &uses, &[], &options).unwrap()
    }
}
