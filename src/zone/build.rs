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

use super::rrset::{canonical, has_names, has_upper};
use super::{Dnssec, Source};
use super::{Node, NodeKind, Rrset, SourceRecord, StoredName, canon, is_generated};
use crate::error::Result;

/// Records of one owner and the owner's sort key (without the apex labels
/// every owner shares).
struct Run {
    /// The key's first eight octets, zero-padded, big-endian: most
    /// comparisons of the sort end here, without reaching for the key.
    prefix: u64,
    key: Key,
    recs: Vec<SourceRecord>,
}

/// A sort key, held in the run itself up to 16 octets (most owners of a
/// TLD: a delegation's label, or a glue name's two), so that it costs no
/// allocation and a comparison past the prefix no wait on memory; the run
/// is no larger than with a vector.
type Key = smallvec::SmallVec<[u8; 16]>;

impl Run {
    fn new(key: &[u8], recs: Vec<SourceRecord>) -> Run {
        let mut head = [0u8; 8];
        let n = key.len().min(8);
        head[..n].copy_from_slice(&key[..n]);
        Run {
            prefix: u64::from_be_bytes(head),
            key: Key::from_slice(key),
            recs,
        }
    }

    fn first_src(&self) -> u32 {
        self.recs.first().map_or(0, |r| r.src)
    }

    /// Canonical order of the owners; on equal owners, file order. Padding
    /// keeps the order of the prefixes that of the keys: a key octet after
    /// a label's 0x00 terminator is never 0x00 (no label is empty).
    fn order(&self, other: &Run) -> std::cmp::Ordering {
        (self.prefix.cmp(&other.prefix))
            .then_with(|| self.key.cmp(&other.key))
            .then_with(|| self.first_src().cmp(&other.first_src()))
    }
}

/// How many slices the owners are built in (see [`nodes`]).
const BUILD_SLICES: usize = 8;

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
    let mut phases = crate::phases::Phases::start();
    check_soa_placement(pieces.iter().flatten(), source, apex)?;
    // The first out-of-zone record in file order is the one reported.
    if let Some(r) = pieces
        .par_iter()
        .find_map_first(|p| p.iter().find(|r| !canon::is_at_or_below(&r.owner, apex)))
    {
        let owner = &r.owner;
        return Err(source.error(
            r.src as usize,
            format!("out-of-zone record: {owner} is not in zone {apex}"),
        ));
    }
    // RDATA that parses but cannot be valid, first in file order.
    if let Some((r, why)) = pieces.par_iter().find_map_first(|p| {
        p.iter()
            .find_map(|r| super::semantic::problem(r.rtype, &r.data).map(|why| (r, why)))
    }) {
        return Err(source.error(r.src as usize, format!("{}: {why}", r.owner)));
    }
    phases.mark("checks");
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
    phases.mark("runs");
    let run_count: usize = per_piece.iter().map(|(r, _)| r.len()).sum();
    crate::memory::release_freed(run_count);
    // At its final size: a collected flatten grows by doubling, and held
    // twice the runs' descriptors at its last step.
    let mut runs: Vec<Run> = Vec::with_capacity(run_count);
    for (piece_runs, _) in per_piece {
        runs.extend(piece_runs);
    }
    // Runs are in file order: on equal owners the earlier run goes first.
    runs.par_sort_unstable_by(Run::order);
    runs.dedup_by(|later, earlier| {
        let same = later.key == earlier.key;
        if same {
            earlier.recs.append(&mut later.recs);
        }
        same
    });
    phases.mark("sort");
    let (nodes, per_owner) = build_owners(runs, source)?;
    phases.mark("owners");
    warnings.extend(per_owner);
    Ok(Built { nodes, warnings })
}

/// Builds every owner from its run, in parallel, straight into the owners'
/// vector (a vector of results beside it would hold every owner twice at
/// the end); returns the owners and their warnings in canonical order, or
/// the error of the first owner that has one.
fn build_owners(mut runs: Vec<Run>, source: &Source) -> Result<(Vec<Node>, Vec<String>)> {
    let problems = std::sync::Mutex::new(Problems::default());
    let owners = runs.len();
    let mut nodes = Vec::with_capacity(owners);
    // A slice of the owners at a time, the memory of the records it freed
    // handed back before the next: freed in canonical order, they leave
    // pages the new owners do not fill.
    let slice = runs.len().div_ceil(BUILD_SLICES).max(1);
    while !runs.is_empty() {
        let first = nodes.len();
        let take = slice.min(runs.len());
        // Where each run's records are, to ask for them a few owners
        // ahead (as addresses: a prefetch is only a hint, never a read).
        let ahead: Vec<usize> = runs[..take]
            .iter()
            .map(|r| r.recs.as_ptr() as usize)
            .collect();
        let built =
            runs.par_drain(..take)
                .enumerate()
                .map_init(Scratch::default, |scratch, (k, run)| {
                    if let Some(&at) = ahead.get(k + 4) {
                        crate::memory::prefetch(at as *const SourceRecord);
                    }
                    let mut w = Vec::new();
                    let (node, error) = match build_node(run.recs, source, &mut w, scratch) {
                        Ok(node) => (node, None),
                        // The error is returned; an empty owner holds its place.
                        Err(e) => (empty_owner(), Some(e)),
                    };
                    if (!w.is_empty() || error.is_some())
                        && let Ok(mut p) = problems.lock()
                    {
                        p.note(first + k, w, error);
                    }
                    node
                });
        nodes.par_extend(built);
        if runs.is_empty() {
            drop(std::mem::take(&mut runs));
        }
        crate::memory::release_freed(owners);
    }
    let problems = problems
        .into_inner()
        .map_err(|_| source.zone_error("a thread building owners failed"))?;
    if let Some((_, e)) = problems.error {
        return Err(e);
    }
    let mut per_owner = problems.warnings;
    per_owner.sort_unstable_by_key(|(i, _)| *i);
    Ok((nodes, per_owner.into_iter().flat_map(|(_, w)| w).collect()))
}

fn empty_owner() -> Node {
    Node {
        owner: StoredName::root(),
        kind: NodeKind::Occluded,
        rrsets: Vec::new(),
    }
}

/// What building the owners found: warnings per owner, and the error of
/// the first owner (in canonical order) that had one.
#[derive(Default)]
struct Problems {
    warnings: Vec<(usize, Vec<String>)>,
    error: Option<(usize, crate::error::Error)>,
}

impl Problems {
    fn note(&mut self, owner: usize, warnings: Vec<String>, error: Option<crate::error::Error>) {
        if !warnings.is_empty() {
            self.warnings.push((owner, warnings));
        }
        if let Some(e) = error
            && self.error.as_ref().is_none_or(|(first, _)| owner < *first)
        {
            self.error = Some((owner, e));
        }
    }
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
        piece.retain(|r| !is_generated(r.rtype, canon::same(&r.owner, apex)));
    }
    let stripped = before - piece.len();
    // Run lengths first, so that every run is allocated at its size.
    let lens: Vec<usize> = piece
        .chunk_by(|a, b| a.owner.as_slice() == b.owner.as_slice())
        .map(<[_]>::len)
        .collect();
    let mut recs = piece.into_iter();
    let mut key = Vec::new();
    let runs = lens
        .into_iter()
        .map(|len| {
            let recs: Vec<SourceRecord> = recs.by_ref().take(len).collect();
            key.clear();
            canon::push_key_below(&recs[0].owner, skip, &mut key);
            Run::new(&key, recs)
        })
        .collect();
    (runs, stripped)
}

/// Buffers `build_node` needs for one owner and reuses for the next: two
/// allocations and frees less per owner.
#[derive(Default)]
struct Scratch {
    /// Per RRset: the source index of its first record in canonical order.
    first_src: Vec<u32>,
    /// The RDATA of the RRset being built.
    wires: Vec<bytes::Bytes>,
}

/// Builds one owner from its records: RRsets in type order, RDATA in
/// canonical order, duplicates merged, TTLs harmonised, and the per-owner
/// rules (CNAME) applied; its warnings go to `warnings`.
fn build_node(
    mut recs: Vec<SourceRecord>,
    source: &Source,
    warnings: &mut Vec<String>,
    scratch: &mut Scratch,
) -> Result<Node> {
    // The canonical form differs from the wire only where a name in the
    // RDATA has upper case: looked for once, not in every comparison.
    let folded = recs
        .iter()
        .any(|r| has_names(r.rtype) && has_upper(&r.data));
    fn canon(folded: bool, rtype: Rtype, data: &bytes::Bytes) -> std::borrow::Cow<'_, [u8]> {
        match folded {
            true => canonical(rtype, data),
            false => std::borrow::Cow::Borrowed(data),
        }
    }
    recs.sort_by(|a, b| {
        (a.rtype.to_int().cmp(&b.rtype.to_int()))
            .then_with(|| canon(folded, a.rtype, &a.data).cmp(&canon(folded, b.rtype, &b.data)))
            .then(a.src.cmp(&b.src))
    });
    let types = recs.chunk_by(|a, b| a.rtype == b.rtype).count();
    let mut node = Node {
        owner: recs[0].owner.clone(),
        kind: NodeKind::Authoritative,
        // At its final size, with room for the NSEC to come (a pushed-to
        // Vec starts at four slots, and most owners hold one RRset).
        rrsets: Vec::with_capacity(types + 1),
    };
    let Scratch { first_src, wires } = scratch;
    first_src.clear();
    // Records are taken apart, not copied: their octets share one counted
    // buffer per piece of the file, and every clone and drop of it is an
    // atomic operation on a line the other cores touch too.
    let mut recs = recs.into_iter().peekable();
    while let Some(first) = recs.next() {
        let rtype = first.rtype;
        // The TTL of the record earliest in the file wins, as in BIND.
        let mut ttl_src = first.src;
        let mut ttl = first.ttl;
        wires.clear();
        wires.push(first.data);
        while let Some(r) = recs.next_if(|r| r.rtype == rtype) {
            if wires
                .last()
                .is_some_and(|last| canon(folded, rtype, &r.data) == canon(folded, rtype, last))
            {
                continue; // duplicate RR (perhaps in another case)
            }
            if r.ttl != ttl {
                let earlier = r.src < ttl_src;
                let keep = if earlier { r.ttl } else { ttl };
                warnings.push(format!(
                    "{}: {} {} has records with TTLs {} and {}; all set to {}",
                    source.position(r.src as usize),
                    r.owner,
                    rtype,
                    ttl,
                    r.ttl,
                    keep
                ));
                ttl = keep;
            }
            ttl_src = ttl_src.min(r.src);
            if rtype == Rtype::CNAME {
                return Err(source.error(
                    r.src as usize,
                    format!("{}: more than one CNAME record", r.owner),
                ));
            }
            wires.push(r.data);
        }
        first_src.push(first.src);
        node.rrsets
            .push(Rrset::from_ordered(first.owner, rtype, ttl, wires));
        check_node_rules(&node, first_src, source)?;
    }
    Ok(node)
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
        if r.rtype != Rtype::SOA {
            continue;
        }
        if r.owner != *apex {
            return Err(source.error(
                r.src as usize,
                format!("SOA record not at the top of the zone ({})", r.owner),
            ));
        }
        if seen {
            return Err(source.error(r.src as usize, format!("{apex}: more than one SOA record")));
        }
        seen = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// Owners of every length around the eight-octet prefix, sharing
    /// prefixes, and a second run of one owner: the runs sort as their
    /// keys, then in file order.
    #[test]
    fn runs_sort_by_key_then_file_order() {
        let names = [
            "a",
            "ab",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefgh.b",
            "b.abcdefgh",
            "abcdefg.x",
            "x.abcdefg",
            "a.b.c.d",
            "z",
            "ab",
        ];
        let run = |i: usize, n: &str| {
            let owner = StoredName::from_str(&format!("{n}.example.")).unwrap();
            let mut key = Vec::new();
            canon::push_key_below(&owner, 1, &mut key);
            let rec = SourceRecord {
                owner,
                rtype: Rtype::A,
                ttl: 1,
                data: bytes::Bytes::from_static(&[192, 0, 2, 1]),
                src: i as u32,
            };
            Run::new(&key, vec![rec])
        };
        let mut runs: Vec<Run> = names.iter().enumerate().map(|(i, n)| run(i, n)).collect();
        runs.sort_by(Run::order);
        let got: Vec<(Vec<u8>, u32)> = runs
            .iter()
            .map(|r| (r.key.to_vec(), r.first_src()))
            .collect();
        let mut want = got.clone();
        want.sort();
        assert_eq!(got, want);
        // The two runs of "ab" are next to each other, the earlier first.
        let ab_owner = StoredName::from_str("ab.example.").unwrap();
        let ab: Vec<u32> = runs
            .iter()
            .filter(|r| r.recs[0].owner == ab_owner)
            .map(Run::first_src)
            .collect();
        assert_eq!(ab, [1, 11]);
    }

    /// An inline key keeps a run as small as a key vector did: the sort
    /// moves runs.
    #[test]
    fn runs_are_no_larger_than_with_a_key_vector() {
        let with_vector = std::mem::size_of::<(u64, Vec<u8>, Vec<SourceRecord>)>();
        assert!(std::mem::size_of::<Run>() <= with_vector);
    }
}
