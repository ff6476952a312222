//! The zone model: RRsets grouped by owner in canonical order (RFC 4034
//! s6.1), each owner classified as apex, authoritative, delegation point or
//! occluded (glue and data below a cut or a DNAME, RFC 4035 s2.2).

pub mod canon;
pub mod generate;
pub mod lexer;
pub mod rdata_ext;
pub mod reader;
pub mod write;

use std::path::Path;

use domain::base::iana::Rtype;
use domain::base::rdata::ComposeRecordData;
use rayon::prelude::*;

pub use reader::{Rdata, Source, SourceRecord, StoredName, StoredRecord};

use crate::error::Result;

/// One RRset: records of one owner and type, deduplicated, in canonical
/// RDATA order, with their canonical wire form kept for signing.
#[derive(Clone, Debug)]
pub struct Rrset {
    pub owner: StoredName,
    pub rtype: Rtype,
    pub ttl: u32,
    pub rdata: Vec<Rdata>,
    /// Canonical RDATA wire form (RFC 4034 s6.2), parallel to `rdata`.
    pub wire: Vec<Box<[u8]>>,
}

impl Rrset {
    /// Builds an RRset from data, in canonical order without duplicates.
    pub fn new(owner: StoredName, rtype: Rtype, ttl: u32, rdata: Vec<Rdata>) -> Rrset {
        let mut pairs: Vec<(Box<[u8]>, Rdata)> =
            rdata.into_iter().map(|d| (canonical_wire(&d), d)).collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        let (wire, rdata) = pairs.into_iter().unzip();
        Rrset {
            owner,
            rtype,
            ttl,
            rdata,
            wire,
        }
    }
}

/// What an owner name is to the zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Apex,
    /// Authoritative data: signed and chained.
    Authoritative,
    /// A zone cut: only DS (and NSEC) are authoritative here.
    Delegation,
    /// Below a zone cut or a DNAME: kept, neither signed nor chained.
    Occluded,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub owner: StoredName,
    pub kind: NodeKind,
    /// RRsets in type order.
    pub rrsets: Vec<Rrset>,
}

impl Node {
    pub fn has(&self, rtype: Rtype) -> bool {
        self.rrsets.iter().any(|r| r.rtype == rtype)
    }

    /// Adds an RRset, or replaces the one of its type, keeping the type order.
    pub fn insert(&mut self, set: Rrset) {
        let at = self
            .rrsets
            .partition_point(|r| r.rtype.to_int() < set.rtype.to_int());
        match self.rrsets.get_mut(at) {
            Some(r) if r.rtype == set.rtype => *r = set,
            _ => self.rrsets.insert(at, set),
        }
    }

    /// Drops the RRset of this type, if any.
    pub fn remove(&mut self, rtype: Rtype) {
        self.rrsets.retain(|r| r.rtype != rtype);
    }

    pub fn get(&self, rtype: Rtype) -> Option<&Rrset> {
        self.rrsets.iter().find(|r| r.rtype == rtype)
    }
}

/// A parsed and checked zone.
#[derive(Clone, Debug)]
pub struct Zone {
    pub apex: StoredName,
    /// Owners in canonical order; the apex is first.
    pub nodes: Vec<Node>,
    /// Things the operator should know but that do not stop signing.
    pub warnings: Vec<String>,
}

/// Types a signer makes itself: stripped from unsigned input.
fn is_generated(rtype: Rtype, at_apex: bool) -> bool {
    matches!(rtype, Rtype::RRSIG | Rtype::NSEC | Rtype::NSEC3)
        || (at_apex
            && matches!(
                rtype,
                Rtype::NSEC3PARAM | Rtype::DNSKEY | Rtype::CDS | Rtype::CDNSKEY
            ))
}

/// How to treat DNSSEC records found in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dnssec {
    /// Unsigned input for signing: drop them, the signer regenerates them.
    Strip,
    /// A signed zone to verify: keep them.
    Keep,
}

pub fn canonical_wire(data: &Rdata) -> Box<[u8]> {
    let mut v = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = data.compose_canonical_rdata(&mut v);
    v.into_boxed_slice()
}

/// The SOA RRset of `apex` with `serial`.
pub fn soa_with_serial(apex: &Node, serial: u32) -> Option<Rrset> {
    let set = apex.get(Rtype::SOA)?;
    let Rdata::Soa(soa) = &set.rdata[0] else {
        return None;
    };
    let soa = domain::rdata::Soa::new(
        soa.mname().clone(),
        soa.rname().clone(),
        domain::base::Serial(serial),
        soa.refresh(),
        soa.retry(),
        soa.expire(),
        soa.minimum(),
    );
    Some(Rrset::new(
        set.owner.clone(),
        Rtype::SOA,
        set.ttl,
        vec![Rdata::Soa(soa)],
    ))
}

/// A zone name as an operator writes it (`example.com` or `example.com.`).
pub fn parse_origin(text: &str) -> Result<StoredName> {
    use std::str::FromStr as _;
    StoredName::from_str(&format!("{}.", text.trim_end_matches('.')))
        .map_err(|e| crate::error::Error::Usage(format!("bad zone name '{text}': {e}")))
}

impl Zone {
    /// Reads and checks the zone file at `path`.
    pub fn load(path: &Path, apex: &StoredName, dnssec: Dnssec) -> Result<Zone> {
        let mut phases = crate::phases::Phases::start();
        let (records, source) = reader::read_file(path, apex)?;
        phases.mark("read");
        let z = Zone::from_records(records, &source, apex, dnssec);
        phases.mark("build");
        z
    }

    /// Builds the zone from parsed records, enforcing RFC 1034/1035 rules.
    pub fn from_records(
        records: Vec<SourceRecord>,
        source: &Source,
        apex: &StoredName,
        dnssec: Dnssec,
    ) -> Result<Zone> {
        check_soa_placement(&records, source, apex)?;
        let mut phases = crate::phases::Phases::start();
        let mut records = records;
        let mut warnings = Vec::new();
        // The first out-of-zone record in file order is the one reported.
        if let Some(r) = records
            .par_iter()
            .find_first(|r| !r.record.owner().ends_with(apex))
        {
            let owner = r.record.owner();
            return Err(source.error(
                r.src as usize,
                format!("out-of-zone record: {owner} is not in zone {apex}"),
            ));
        }
        if dnssec == Dnssec::Strip {
            let before = records.len();
            records.retain(|r| !is_generated(r.record.rtype(), r.record.owner() == apex));
            let stripped = before - records.len();
            if stripped > 0 {
                warnings.push(format!(
                    "{stripped} DNSSEC record(s) in the input were dropped and will be regenerated"
                ));
            }
        }
        let wires: Vec<Box<[u8]>> = records
            .par_iter()
            .map(|r| canonical_wire(r.record.data()))
            .collect();
        phases.mark("checks and wire");
        let sorted = sort_canonical(records, wires, apex);
        phases.mark("sort");
        let nodes = group(sorted, source, &mut warnings)?;
        phases.mark("group");
        let mut zone = Zone {
            apex: apex.clone(),
            nodes,
            warnings,
        };
        zone.check(source)?;
        zone.classify();
        phases.mark("classify");
        Ok(zone)
    }

    pub fn apex_node(&self) -> &Node {
        &self.nodes[0]
    }

    /// SOA MINIMUM and SOA TTL, for RFC 9077 denial TTLs.
    pub fn soa_ttls(&self) -> (u32, u32) {
        let soa = self.apex_node().get(Rtype::SOA);
        soa.and_then(|s| match &s.rdata[0] {
            Rdata::Soa(soa) => Some((s.ttl, soa.minimum().as_secs())),
            _ => None,
        })
        .unwrap_or_default()
    }

    /// The SOA serial.
    pub fn serial(&self) -> u32 {
        match self.apex_node().get(Rtype::SOA).map(|s| &s.rdata[0]) {
            Some(Rdata::Soa(soa)) => soa.serial().into_int(),
            _ => 0,
        }
    }

    /// The apex SOA RRset with `serial`.
    pub fn soa_with_serial(&self, serial: u32) -> Option<Rrset> {
        soa_with_serial(self.apex_node(), serial)
    }

    /// Sets the SOA serial.
    pub fn set_serial(&mut self, serial: u32) {
        if let Some(set) = self.soa_with_serial(serial) {
            self.nodes[0].insert(set);
        }
    }

    /// Largest TTL of any authoritative RRset (TTLsig of RFC 7583).
    pub fn max_ttl(&self) -> u32 {
        self.nodes
            .iter()
            .filter(|n| n.kind != NodeKind::Occluded)
            .flat_map(|n| n.rrsets.iter().map(|r| r.ttl))
            .max()
            .unwrap_or(0)
    }

    fn check(&self, source: &Source) -> Result<()> {
        let apex_ok = self.nodes.first().is_some_and(|n| n.owner == self.apex);
        if !apex_ok || !self.nodes[0].has(Rtype::SOA) {
            return Err(source.zone_error(format!("no SOA record at the zone apex {}", self.apex)));
        }
        if !self.nodes[0].has(Rtype::NS) {
            return Err(source.zone_error(format!("no NS records at the zone apex {}", self.apex)));
        }
        Ok(())
    }

    /// Marks delegation points and occluded names (below a cut or a DNAME).
    pub(crate) fn classify(&mut self) {
        let mut cut: Option<StoredName> = None;
        for node in &mut self.nodes {
            if let Some(c) = &cut
                && node.owner.ends_with(c)
                && node.owner != *c
            {
                node.kind = NodeKind::Occluded;
                continue;
            }
            cut = None;
            node.kind = if node.owner == self.apex {
                NodeKind::Apex
            } else if node.has(Rtype::NS) {
                cut = Some(node.owner.clone());
                NodeKind::Delegation
            } else {
                NodeKind::Authoritative
            };
            if node.has(Rtype::DNAME) {
                cut = Some(node.owner.clone());
            }
        }
    }
}

/// A record with its canonical RDATA, and whether its owner differs from
/// the record before it in canonical order.
type Sorted = (SourceRecord, Box<[u8]>, bool);

/// Sorts records by owner (canonical order), type, RDATA and file position.
///
/// Zone files list an owner's records together, so runs of records with
/// the same owner are sorted as one item (in parallel, one `memcmp` per
/// comparison, keys without the apex labels they all share), and only the
/// few records of each owner by type and RDATA.
fn sort_canonical(
    recs: Vec<SourceRecord>,
    mut wires: Vec<Box<[u8]>>,
    apex: &StoredName,
) -> impl Iterator<Item = Sorted> {
    let owner = |i: usize| recs[i].record.owner().as_slice();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for i in 1..=recs.len() {
        if i == recs.len() || owner(i) != owner(start) {
            runs.push((start, i));
            start = i;
        }
    }
    let skip = apex.label_count() - 1;
    let mut keys = canon::Keys::with_capacity(runs.len());
    for &(s, _) in &runs {
        keys.push_below(recs[s].record.owner(), skip);
    }
    let mut run_order: Vec<u32> = (0..runs.len() as u32).collect();
    // Runs are in file order: on equal owners the earlier run goes first.
    run_order.par_sort_unstable_by(|&a, &b| {
        keys.get(a as usize)
            .cmp(keys.get(b as usize))
            .then(a.cmp(&b))
    });
    let mut order: Vec<u32> = Vec::with_capacity(recs.len());
    let mut new_owner: Vec<bool> = Vec::with_capacity(recs.len());
    let mut i = 0;
    while i < run_order.len() {
        let key = keys.get(run_order[i] as usize);
        let first = order.len();
        while i < run_order.len() && keys.get(run_order[i] as usize) == key {
            let (s, e) = runs[run_order[i] as usize];
            order.extend(s as u32..e as u32);
            i += 1;
        }
        order[first..].sort_by(|&a, &b| {
            let (ra, wa) = (&recs[a as usize], &wires[a as usize]);
            let (rb, wb) = (&recs[b as usize], &wires[b as usize]);
            (ra.record.rtype().to_int().cmp(&rb.record.rtype().to_int()))
                .then_with(|| wa.cmp(wb))
                .then(ra.src.cmp(&rb.src))
        });
        new_owner.push(true);
        new_owner.resize(order.len(), false);
    }
    drop(keys);
    let mut slots: Vec<Option<SourceRecord>> = recs.into_iter().map(Some).collect();
    order
        .into_iter()
        .zip(new_owner)
        .filter_map(move |(at, new)| {
            let at = at as usize;
            slots[at]
                .take()
                .map(|r| (r, std::mem::take(&mut wires[at]), new))
        })
}

/// Groups sorted records into nodes and RRsets, merging duplicates and
/// harmonising TTLs, and applies the per-owner rules (SOA, CNAME).
fn group(
    recs: impl Iterator<Item = Sorted>,
    source: &Source,
    warnings: &mut Vec<String>,
) -> Result<Vec<Node>> {
    let mut nodes: Vec<Node> = Vec::new();
    // Per RRset: the source index that set its TTL (the earliest in the file).
    let mut ttl_src: u32 = 0;
    let mut first_src: Vec<u32> = Vec::new();
    for (r, wire, new_owner) in recs {
        let rec = r.record;
        if new_owner || nodes.is_empty() {
            nodes.push(Node {
                owner: rec.owner().clone(),
                kind: NodeKind::Authoritative,
                rrsets: Vec::new(),
            });
            first_src.clear();
        }
        let Some(node) = nodes.last_mut() else {
            continue;
        };
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
                node.rrsets.push(Rrset {
                    owner: rec.owner().clone(),
                    rtype,
                    ttl,
                    rdata: vec![rec.into_data()],
                    wire: vec![wire],
                });
            }
        }
        check_node_rules(node, &first_src, source)?;
    }
    Ok(nodes)
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
fn check_soa_placement(records: &[SourceRecord], source: &Source, apex: &StoredName) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn mixed_ttls_take_the_earliest_records_ttl() {
        // Canonical RDATA order is .1, .2, .3; file order is .2, .3, .1.
        let text = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.9\n\
                    a 100 A 192.0.2.2\na 200 A 192.0.2.3\na 100 A 192.0.2.1\n";
        let apex = StoredName::from_str("example.").unwrap();
        let (recs, src) = reader::read_str(text, Path::new("t.zone"), &apex).unwrap();
        let zone = Zone::from_records(recs, &src, &apex, Dnssec::Strip).unwrap();
        let a = zone
            .nodes
            .iter()
            .find_map(|n| n.get(Rtype::A).filter(|s| s.rdata.len() == 3))
            .unwrap();
        assert_eq!(a.ttl, 100);
        assert_eq!(zone.warnings.len(), 1, "{:?}", zone.warnings);
        assert!(
            zone.warnings[0].starts_with("t.zone:6: "),
            "{:?}",
            zone.warnings
        );
    }
}
