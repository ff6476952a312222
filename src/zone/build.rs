//! From parsed records to owners and RRsets in canonical order.
//!
//! Zone files list an owner's records together, so the records are cut into
//! runs of one owner in file order (in parallel, piece by piece, each piece
//! freed once its records have moved into runs), the runs are sorted by a
//! canonical byte key (one `memcmp` per comparison), runs of the same owner
//! are joined, and every owner is built on its own, in parallel, with its
//! few records sorted by type and RDATA. No record is moved twice and no
//! copy of the whole zone is ever held.

use domain::base::iana::Rtype;
use rayon::prelude::*;

use super::{Dnssec, Source};
use super::{Node, NodeKind, Rrset, SourceRecord, StoredName, canon, canonical_wire, is_generated};
use crate::error::Result;

/// Records of one owner, with their canonical RDATA, and the owner's sort
/// key (without the apex labels every owner shares).
struct Run {
    key: Vec<u8>,
    recs: Vec<(SourceRecord, Box<[u8]>)>,
}

impl Run {
    fn first_src(&self) -> u32 {
        self.recs.first().map_or(0, |(r, _)| r.src)
    }
}

/// What [`nodes`] makes: owners in canonical order and the warnings.
pub(super) struct Built {
    pub nodes: Vec<Node>,
    pub warnings: Vec<String>,
}

/// Checks the pieces (records in file order, piece after piece) and builds
/// the owners; DNSSEC records are dropped first under `Dnssec::Strip`.
pub(super) fn nodes(
    pieces: Vec<Vec<SourceRecord>>,
    source: &Source,
    apex: &StoredName,
    dnssec: Dnssec,
) -> Result<Built> {
    check_soa_placement(pieces.iter().flatten(), source, apex)?;
    // The first out-of-zone record in file order is the one reported.
    if let Some(r) = pieces
        .par_iter()
        .find_map_first(|p| p.iter().find(|r| !r.record.owner().ends_with(apex)))
    {
        let owner = r.record.owner();
        return Err(source.error(
            r.src as usize,
            format!("out-of-zone record: {owner} is not in zone {apex}"),
        ));
    }
    let skip = apex.label_count() - 1;
    let per_piece: Vec<(Vec<Run>, usize)> = pieces
        .into_par_iter()
        .map(|piece| runs_of(piece, apex, skip, dnssec))
        .collect();
    let mut warnings = Vec::new();
    let stripped: usize = per_piece.iter().map(|(_, n)| n).sum();
    if stripped > 0 {
        warnings.push(format!(
            "{stripped} DNSSEC record(s) in the input were dropped and will be regenerated"
        ));
    }
    let mut runs: Vec<Run> = per_piece.into_iter().flat_map(|(r, _)| r).collect();
    // Runs are in file order: on equal owners the earlier run goes first.
    runs.par_sort_unstable_by(|a, b| a.key.cmp(&b.key).then(a.first_src().cmp(&b.first_src())));
    runs.dedup_by(|later, earlier| {
        let same = later.key == earlier.key;
        if same {
            earlier.recs.append(&mut later.recs);
        }
        same
    });
    let built: Vec<Result<(Node, Vec<String>)>> = runs
        .into_par_iter()
        .map(|run| build_node(run.recs, source))
        .collect();
    let mut nodes = Vec::with_capacity(built.len());
    for b in built {
        let (node, w) = b?;
        nodes.push(node);
        warnings.extend(w);
    }
    Ok(Built { nodes, warnings })
}

/// Cuts one piece into runs of one owner (byte-equal, so owners that differ
/// in case only are joined after sorting), dropping generated records
/// under `Dnssec::Strip`; returns the runs and how many were dropped.
fn runs_of(
    mut piece: Vec<SourceRecord>,
    apex: &StoredName,
    skip: usize,
    dnssec: Dnssec,
) -> (Vec<Run>, usize) {
    let before = piece.len();
    if dnssec == Dnssec::Strip {
        piece.retain(|r| !is_generated(r.record.rtype(), r.record.owner() == apex));
    }
    let stripped = before - piece.len();
    // Run lengths first, so that every run is allocated at its size.
    let lens: Vec<usize> = piece
        .chunk_by(|a, b| a.record.owner().as_slice() == b.record.owner().as_slice())
        .map(<[_]>::len)
        .collect();
    let mut recs = piece.into_iter();
    let runs = lens
        .into_iter()
        .map(|len| {
            let recs: Vec<(SourceRecord, Box<[u8]>)> = recs
                .by_ref()
                .take(len)
                .map(|r| {
                    let wire = canonical_wire(r.record.data());
                    (r, wire)
                })
                .collect();
            let owner = recs[0].0.record.owner();
            let mut key = Vec::with_capacity(owner.len());
            canon::push_key_below(owner, skip, &mut key);
            Run { key, recs }
        })
        .collect();
    (runs, stripped)
}

/// Builds one owner from its records: RRsets in type order, RDATA in
/// canonical order, duplicates merged, TTLs harmonised, and the per-owner
/// rules (CNAME) applied. Returns the node and its warnings.
fn build_node(
    mut recs: Vec<(SourceRecord, Box<[u8]>)>,
    source: &Source,
) -> Result<(Node, Vec<String>)> {
    recs.sort_by(|(ra, wa), (rb, wb)| {
        (ra.record.rtype().to_int().cmp(&rb.record.rtype().to_int()))
            .then_with(|| wa.cmp(wb))
            .then(ra.src.cmp(&rb.src))
    });
    let mut warnings = Vec::new();
    // Vectors at their final size (a pushed-to Vec starts at four slots, and
    // most owners hold one RRset of one record): room for the types here
    // and the NSEC to come, and each RRset for its records of that type.
    let sizes: Vec<usize> = recs
        .chunk_by(|(a, _), (b, _)| a.record.rtype() == b.record.rtype())
        .map(<[_]>::len)
        .collect();
    let mut node = Node {
        owner: recs[0].0.record.owner().clone(),
        kind: NodeKind::Authoritative,
        rrsets: Vec::with_capacity(sizes.len() + 1),
    };
    // Per RRset: the source index that set its TTL (the earliest in the file).
    let mut ttl_src: u32 = 0;
    let mut first_src: Vec<u32> = Vec::new();
    let mut sizes = sizes.into_iter();
    for (r, wire) in recs {
        let rec = r.record;
        let rtype = rec.rtype();
        let ttl = rec.ttl().as_secs();
        match node.rrsets.last_mut() {
            Some(set) if set.rtype == rtype => {
                if set.wire.last().is_some_and(|w| **w == *wire) {
                    continue; // duplicate RR (perhaps in another case)
                }
                // The TTL of the record earliest in the file wins, as in BIND.
                let earlier = r.src < ttl_src;
                if set.ttl != ttl {
                    let keep = if earlier { ttl } else { set.ttl };
                    warnings.push(format!(
                        "{}: {} {} has records with TTLs {} and {}; all set to {}",
                        source.position(r.src as usize),
                        rec.owner(),
                        rtype,
                        set.ttl,
                        ttl,
                        keep
                    ));
                    set.ttl = keep;
                }
                if earlier {
                    ttl_src = r.src;
                }
                if rtype == Rtype::CNAME {
                    return Err(source.error(
                        r.src as usize,
                        format!("{}: more than one CNAME record", rec.owner()),
                    ));
                }
                set.rdata.push(rec.into_data());
                set.wire.push(wire);
            }
            _ => {
                ttl_src = r.src;
                first_src.push(r.src);
                let n = sizes.next().unwrap_or(1);
                let owner = rec.owner().clone();
                let mut rdata = Vec::with_capacity(n);
                rdata.push(rec.into_data());
                let mut wires = Vec::with_capacity(n);
                wires.push(wire);
                node.rrsets.push(Rrset {
                    owner,
                    rtype,
                    ttl,
                    rdata,
                    wire: wires,
                });
            }
        }
        check_node_rules(&node, &first_src, source)?;
    }
    Ok((node, warnings))
}

/// Types that may stand beside a CNAME (RFC 4035 s2.5).
fn cname_compatible(rtype: Rtype) -> bool {
    matches!(
        rtype,
        Rtype::CNAME | Rtype::RRSIG | Rtype::NSEC | Rtype::KEY
    )
}

fn check_node_rules(node: &Node, first_src: &[u32], source: &Source) -> Result<()> {
    let has_cname = node.has(Rtype::CNAME);
    if has_cname && node.rrsets.iter().any(|r| !cname_compatible(r.rtype)) {
        // Name the record that appears later in the file.
        let src = first_src.iter().copied().max().unwrap_or(0);
        return Err(source.error(
            src as usize,
            format!("{}: CNAME and other data", node.owner),
        ));
    }
    Ok(())
}

/// Rejects an SOA record anywhere but at the apex.
fn check_soa_placement<'a>(
    records: impl Iterator<Item = &'a SourceRecord>,
    source: &Source,
    apex: &StoredName,
) -> Result<()> {
    let mut seen = false;
    for r in records {
        if r.record.rtype() != Rtype::SOA {
            continue;
        }
        if r.record.owner() != apex {
            return Err(source.error(
                r.src as usize,
                format!(
                    "SOA record not at the top of the zone ({})",
                    r.record.owner()
                ),
            ));
        }
        if seen {
            return Err(source.error(r.src as usize, format!("{apex}: more than one SOA record")));
        }
        seen = true;
    }
    Ok(())
}
