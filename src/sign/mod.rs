//! The signing driver: adds DNSKEY (and CDS/CDNSKEY, NSEC3PARAM) at the
//! apex, builds the denial chain, and signs every authoritative RRset with
//! the keys of the right role, in parallel.

mod owners;
pub mod reuse;
pub mod rrsig;
pub mod text;

use bytes::Bytes;
use domain::base::iana::{DigestAlgorithm, Rtype};
use domain::rdata::{Dnskey, Rrsig};
use rayon::prelude::*;

use crate::denial::{Denial, nsec, nsec3};
use crate::error::{Error, Result};
use crate::keys::{Role, SigningKey};
use crate::zone::{Node, NodeKind, Rdata, Rrset, StoredName, Zone};
use owners::Owners;
pub use reuse::{Previous, Reuse, cache_bytes};
pub use rrsig::{Timing, Window};

/// A key and what it signs.
#[derive(Clone, Copy, Debug)]
pub struct KeyUse<'a> {
    pub key: &'a SigningKey,
    pub role: Role,
    /// In the DNSKEY RRset. A key of an algorithm being introduced signs
    /// the zone's data before it is published (RFC 6781 s4.1.4).
    pub published: bool,
}

/// How to sign.
#[derive(Clone, Debug)]
pub struct Options {
    pub denial: Denial,
    pub timing: Timing,
    pub dnskey_ttl: u32,
    /// Digests for CDS; CDS and CDNSKEY are published only when non-empty.
    pub cds_digests: Vec<DigestAlgorithm>,
    /// The keys CDS and CDNSKEY name (those whose DS the parent must hold,
    /// RFC 7344); `None`: every published KSK or CSK.
    pub cds_keys: Option<Vec<u16>>,
    /// The zone is going insecure: CDS and CDNSKEY ask the parent to
    /// delete its DS (RFC 8078 s4).
    pub cds_delete: bool,
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
                signer: &k.key.owner,
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

    /// The zone in presentation format (see [`text`]).
    pub fn to_text(&self) -> Result<String> {
        Ok(self.text_chunks()?.concat())
    }

    /// [`SignedZone::to_text`] in pieces, made in parallel; written one
    /// after the other they are the whole text.
    pub fn text_chunks(&self) -> Result<Vec<String>> {
        text::chunks(&self.nodes)
    }

    /// The lines of the apex alone: the start of [`SignedZone::to_text`],
    /// so a new SOA can be put into a written text without writing it all.
    pub fn apex_text(&self) -> Result<String> {
        let mut piece = text::Piece::with_owners(1);
        if let Some(apex) = self.nodes.first() {
            piece.push(&apex.node, &apex.rrsigs);
        }
        piece.finish()
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

/// The zone as it is, with no DNSSEC record: a zone gone insecure (its
/// input's DNSSEC records were stripped as it was read).
pub fn unsigned(zone: Zone) -> SignedZone {
    let nodes = zone
        .nodes
        .into_iter()
        .map(|node| SignedNode {
            node,
            rrsigs: Vec::new(),
        })
        .collect();
    SignedZone {
        apex: zone.apex,
        nodes,
    }
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
    let signers = Signers::of(keys, &zone.apex)?;
    let (apex, owners) = with_denial(zone, keys, extra_dnskeys, opts)?;
    let nodes = owners.into_vec();
    let mut phases = crate::phases::Phases::start();
    // Owners are signed in parallel, each with all its RRsets: no job list
    // to build and no signatures to hand back to their owners afterwards.
    let bar = crate::progress::bar("signing", nodes.len() as u64);
    let nodes = nodes
        .into_par_iter()
        .map(|node| {
            bar.inc(1);
            let rrsigs = sign_rrsets(&node, &signers, &opts.timing, reuse)?;
            Ok(SignedNode { node, rrsigs })
        })
        .collect::<Result<Vec<SignedNode>>>()?;
    drop(bar);
    phases.mark("crypto");
    Ok(SignedZone { apex, nodes })
}

/// What [`sign_zone_streamed`] made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub owners: usize,
    pub signatures: usize,
}

/// Owners signed and turned into text per batch, while the batch before is
/// written: large enough to keep every core busy, small enough that the
/// text in flight is a few MiB.
const BATCH: usize = 16384;

/// Owners per task of a batch: small, because every core waits at a
/// batch's end for the last task to finish.
const BATCH_TASK: usize = 256;

/// [`sign_zone`] straight to text, for `zonesign sign`: owners are signed
/// and written out batch by batch, each piece of text made by the task
/// that signed its owners, and each owner dropped once written, so the
/// signed zone is never whole in memory and its text needs no pass of its
/// own. Every batch, its text in order, goes to `send`; when `send`
/// returns false (the writer failed) signing stops.
pub fn sign_zone_streamed(
    zone: Zone,
    keys: &[KeyUse<'_>],
    opts: &Options,
    send: &mut dyn FnMut(Vec<String>) -> bool,
) -> Result<Counts> {
    let signers = Signers::of(keys, &zone.apex)?;
    let (_, owners) = with_denial(zone, keys, &[], opts)?;
    let mut counts = Counts {
        owners: owners.len(),
        signatures: 0,
    };
    let bar = crate::progress::bar("signing", counts.owners as u64);
    let mut rest = owners.into_iter();
    loop {
        let batch: Vec<Node> = rest.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        bar.inc(batch.len() as u64);
        let pieces = batch
            .into_par_iter()
            .chunks(BATCH_TASK)
            .map(|owners| {
                let signers = signers.own_copy();
                let mut piece = text::Piece::with_owners(owners.len());
                let mut signatures = 0;
                for (i, node) in owners.iter().enumerate() {
                    crate::zone::prefetch_data_ahead(&owners, i);
                    let rrsigs = sign_rrsets(node, &signers, &opts.timing, None)?;
                    signatures += rrsigs.len();
                    piece.push(node, &rrsigs);
                }
                Ok((piece.finish()?, signatures))
            })
            .collect::<Result<Vec<(String, usize)>>>()?;
        counts.signatures += pieces.iter().map(|p| p.1).sum::<usize>();
        if !send(pieces.into_iter().map(|p| p.0).collect()) {
            break;
        }
    }
    Ok(counts)
}

/// The zone ready to sign: DNSKEY (and CDS/CDNSKEY, NSEC3PARAM) at the
/// apex and the denial chain in place.
fn with_denial(
    zone: Zone,
    keys: &[KeyUse<'_>],
    extra_dnskeys: &[Dnskey<Bytes>],
    opts: &Options,
) -> Result<(StoredName, Owners)> {
    let mut phases = crate::phases::Phases::start();
    let (soa_ttl, minimum) = zone.soa_ttls();
    let apex = zone.apex;
    let mut nodes = zone.nodes;
    let mut nsec3_nodes = Vec::new();
    add_apex_records(&mut nodes[0], &apex, keys, extra_dnskeys, opts)?;
    let denial_ttl = soa_ttl.min(minimum); // RFC 9077
    match &opts.denial {
        Denial::Nsec => nsec::add_nsec_rrsets(&mut nodes, denial_ttl),
        Denial::Nsec3(params) => {
            nsec3_nodes =
                nsec3::nsec3_nodes(&nodes, &apex, params, denial_ttl).map_err(Error::Sign)?;
        }
    }
    phases.mark("denial");
    let owners = Owners {
        zone: nodes,
        nsec3: nsec3_nodes,
    };
    Ok((apex, owners))
}

/// The keys that sign the keyset RRsets at the apex, and the others.
struct Signers<'a> {
    keyset: Vec<Signer<'a>>,
    zone: Vec<Signer<'a>>,
}

/// A key and the signer name its RRSIGs hold.
struct Signer<'a> {
    key: &'a SigningKey,
    name: StoredName,
}

impl<'a> Signers<'a> {
    /// The signers among `keys`; there must be at least one of each.
    fn of(keys: &[KeyUse<'a>], apex: &StoredName) -> Result<Signers<'a>> {
        let with = |role: fn(Role) -> bool| -> Vec<Signer<'a>> {
            keys.iter()
                .filter(|k| role(k.role))
                .map(|k| Signer {
                    key: k.key,
                    name: k.key.owner.clone(),
                })
                .collect()
        };
        let signers = Signers {
            keyset: with(Role::signs_keyset),
            zone: with(Role::signs_zone),
        };
        if signers.keyset.is_empty() {
            return Err(Error::Sign(format!(
                "{apex}: no KSK or CSK to sign the DNSKEY RRset"
            )));
        }
        if signers.zone.is_empty() {
            return Err(Error::Sign(format!(
                "{apex}: no ZSK or CSK to sign the zone data"
            )));
        }
        Ok(signers)
    }

    /// The same signers with signer names of their own. Every RRSIG
    /// holds its signer name by a reference count; one count shared by
    /// every core moves between their caches at each signature made and
    /// dropped, so each signing task takes its own copy.
    fn own_copy(&self) -> Signers<'a> {
        let copy = |list: &[Signer<'a>]| {
            list.iter()
                .map(|s| Signer {
                    key: s.key,
                    name: StoredName::from_octets(Bytes::copy_from_slice(s.name.as_slice()))
                        .unwrap_or_else(|_| s.name.clone()),
                })
                .collect()
        };
        Signers {
            keyset: copy(&self.keyset),
            zone: copy(&self.zone),
        }
    }
}

/// Signs every authoritative RRset of `node`, keeping what `reuse` allows.
fn sign_rrsets(
    node: &Node,
    signers: &Signers<'_>,
    timing: &Timing,
    reuse: Option<&Reuse<'_>>,
) -> Result<Vec<SignedRrsig>> {
    let keys_for = |set: &Rrset| {
        if node.kind == NodeKind::Apex && is_keyset_type(set.rtype) {
            &signers.keyset
        } else {
            &signers.zone
        }
    };
    let signed = || node.rrsets.iter().filter(|s| is_signed(node, s.rtype));
    // At its final size: most owners get one signature, not four slots.
    let mut rrsigs = Vec::with_capacity(signed().map(|s| keys_for(s).len()).sum());
    for set in signed() {
        let keys = keys_for(set);
        let candidates = reuse.map_or(&[][..], |r| r.candidates(set));
        for signer in keys {
            let (sig, reused) = match reuse.and_then(|r| r.pick(candidates, set, signer.key)) {
                Some(kept) => (kept, true),
                None => {
                    let fields = rrsig::RrsigFields {
                        rrset: set,
                        key: signer.key,
                        signer: &signer.name,
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
    Ok(rrsigs)
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
        .filter(|k| k.published)
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
            .filter(|k| k.published && k.role.signs_keyset())
            .filter(|k| {
                opts.cds_keys
                    .as_ref()
                    .is_none_or(|t| t.contains(&k.key.key_tag))
            })
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
        if opts.cds_delete
            && let Some((c, k)) = crate::ds::delete_records()
        {
            cds.push(Rdata::Cds(c));
            cdnskey.push(Rdata::Cdnskey(k));
        }
        if !cds.is_empty() {
            node.insert(Rrset::new(apex.clone(), Rtype::CDS, opts.dnskey_ttl, cds));
            node.insert(Rrset::new(
                apex.clone(),
                Rtype::CDNSKEY,
                opts.dnskey_ttl,
                cdnskey,
            ));
        }
    }
    if let Denial::Nsec3(params) = &opts.denial {
        let p = nsec3::nsec3param(params).map_err(Error::Sign)?;
        // TTL 0 as BIND writes it: the record is for the primary's use.
        node.insert(Rrset::new(apex.clone(), Rtype::NSEC3PARAM, 0, vec![p]));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::keys;
    use crate::zone::{Dnssec, reader};
    use domain::base::iana::SecurityAlgorithm;
    use std::path::Path;
    use std::str::FromStr;

    const EXAMPLE: &str = "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n\
                           www A 192.0.2.2\n";

    /// A zone, a CSK and the options to sign with (NSEC, 1000..2000).
    fn example(text: &str) -> (Zone, SigningKey, Options) {
        let apex = StoredName::from_str("example.").unwrap();
        let (recs, src) = reader::read_str(text, Path::new("t.zone"), &apex).unwrap();
        let zone = Zone::from_records(recs, &src, &apex, Dnssec::Strip).unwrap();
        let (_, key) =
            keys::generate(&apex, SecurityAlgorithm::ECDSAP256SHA256, 257, 2048).unwrap();
        let options = Options {
            denial: Denial::Nsec,
            timing: Timing::Fixed(Window {
                inception: 1_000,
                expiration: 2_000,
            }),
            dnskey_ttl: 300,
            cds_digests: Vec::new(),
            cds_keys: None,
            cds_delete: false,
        };
        (zone, key, options)
    }

    fn csk(key: &SigningKey) -> [KeyUse<'_>; 1] {
        [KeyUse {
            key,
            role: Role::Csk,
            published: true,
        }]
    }

    /// A small zone signed by one CSK for 1000..2000 (NSEC).
    pub(crate) fn signed_example() -> SignedZone {
        let (zone, key, options) = example(EXAMPLE);
        sign_zone(zone, &csk(&key), &[], &options).unwrap()
    }

    /// ECDSA signatures differ from run to run: the text without them.
    fn without_signatures(text: &str) -> String {
        text.lines()
            .map(|l| match l.split_whitespace().nth(3) {
                Some("RRSIG") => l.rsplit_once(' ').map_or(l, |(head, _)| head),
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Streamed signing writes what signing the whole zone and writing it
    /// would, batch after batch, and counts what it made.
    #[test]
    fn streamed_text_is_the_signed_zone_text() {
        let with_delegation = format!("{EXAMPLE}sub NS ns.sub\nns.sub A 192.0.2.3\n");
        let (zone, key, options) = example(&with_delegation);
        let whole = sign_zone(zone.clone(), &csk(&key), &[], &options).unwrap();
        let mut batches = Vec::new();
        let counts = sign_zone_streamed(zone, &csk(&key), &options, &mut |b| {
            batches.push(b.concat());
            true
        })
        .unwrap();
        let streamed = batches.concat();
        assert_eq!(
            without_signatures(&streamed),
            without_signatures(&whole.to_text().unwrap())
        );
        assert!(streamed.contains("RRSIG"), "{streamed}");
        assert_eq!(
            counts,
            Counts {
                owners: whole.nodes.len(),
                signatures: whole.signature_count(),
            }
        );
        let rrsig_lines = streamed
            .lines()
            .filter(|l| l.split_whitespace().nth(3) == Some("RRSIG"))
            .count();
        assert_eq!(rrsig_lines, counts.signatures);
    }

    /// A zone without a key for its data is refused before any text.
    #[test]
    fn streamed_signing_needs_a_zone_signer() {
        let (zone, key, options) = example(EXAMPLE);
        let ksk_only = [KeyUse {
            key: &key,
            role: Role::Ksk,
            published: true,
        }];
        let mut sent = 0;
        let err = sign_zone_streamed(zone, &ksk_only, &options, &mut |_| {
            sent += 1;
            true
        })
        .unwrap_err();
        assert!(err.to_string().contains("no ZSK or CSK"), "{err}");
        assert_eq!(sent, 0);
    }
}
