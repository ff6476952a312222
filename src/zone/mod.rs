//! The zone model: RRsets grouped by owner in canonical order (RFC 4034
//! s6.1), each owner classified as apex, authoritative, delegation point or
//! occluded (glue and data below a cut or a DNAME, RFC 4035 s2.2).

mod build;
pub mod canon;
mod fast;
pub mod generate;
pub mod lexer;
mod parse;
pub mod rdata_ext;
mod rdata_text;
pub mod reader;
pub mod rrset;
pub mod semantic;
pub mod write;

use std::path::Path;

use domain::base::iana::Rtype;

pub use reader::{Rdata, Source, SourceRecord, StoredName, StoredRecord};
pub use rrset::Rrset;

use crate::error::Result;

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

    /// The RRSIG records at this owner (a signed zone read with its DNSSEC
    /// records kept).
    pub fn rrsigs(&self) -> impl Iterator<Item = crate::sign::Signature> + '_ {
        self.get(Rtype::RRSIG).into_iter().flat_map(|s| {
            s.rdata().filter_map(|d| match d {
                Rdata::Rrsig(r) => Some(r),
                _ => None,
            })
        })
    }
}

/// For a loop over `nodes` in order at `i`: asks for the owner name and
/// RRsets of the node a few steps on. They lie wherever the records were
/// parsed and the owners built, so a walk in canonical order otherwise
/// waits on memory at every owner (the NSEC3 names went from 0.20 to
/// 0.15 s at 1M owners).
pub fn prefetch_ahead(nodes: &[Node], i: usize) {
    const AHEAD: usize = 8;
    if let Some(n) = nodes.get(i + AHEAD) {
        crate::memory::prefetch(n.owner.as_slice().as_ptr());
        crate::memory::prefetch(n.rrsets.as_ptr());
    }
}

/// [`prefetch_ahead`] and then, for a loop that reads the RDATA too, the
/// RDATA of the node a couple of steps on, whose RRsets were asked for
/// steps before.
pub fn prefetch_data_ahead(nodes: &[Node], i: usize) {
    prefetch_ahead(nodes, i);
    if let Some(n) = nodes.get(i + 2) {
        n.rrsets.iter().for_each(Rrset::prefetch_data);
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

/// The SOA RRset of `apex` with `serial`.
pub fn soa_with_serial(apex: &Node, serial: u32) -> Option<Rrset> {
    let set = apex.get(Rtype::SOA)?;
    let soa = set.soa()?;
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
        let (pieces, source) = reader::read_file_pieces(path, apex)?;
        phases.mark("read");
        let z = Zone::from_pieces(pieces, &source, apex, dnssec);
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
        Zone::from_pieces(vec![records], source, apex, dnssec)
    }

    /// [`Zone::from_records`] for records in pieces, in file order, as the
    /// reader parsed them: a large zone is built a piece per core.
    pub fn from_pieces(
        pieces: Vec<Vec<SourceRecord>>,
        source: &Source,
        apex: &StoredName,
        dnssec: Dnssec,
    ) -> Result<Zone> {
        let mut phases = crate::phases::Phases::start();
        let built = build::nodes(pieces, source, apex, dnssec)?;
        phases.mark("group");
        let mut zone = Zone {
            apex: apex.clone(),
            nodes: built.nodes,
            warnings: built.warnings,
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
        soa.and_then(|s| Some((s.ttl, s.soa()?.minimum().as_secs())))
            .unwrap_or_default()
    }

    /// The SOA serial.
    pub fn serial(&self) -> u32 {
        self.apex_node()
            .get(Rtype::SOA)
            .and_then(Rrset::soa)
            .map_or(0, |soa| soa.serial().into_int())
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
        for i in 0..self.nodes.len() {
            prefetch_ahead(&self.nodes, i);
            let node = &mut self.nodes[i];
            // Below the cut: at or below it, and longer.
            if let Some(c) = &cut
                && node.owner.len() > c.len()
                && canon::is_at_or_below(&node.owner, c)
            {
                node.kind = NodeKind::Occluded;
                continue;
            }
            cut = None;
            node.kind = if canon::same(&node.owner, &self.apex) {
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
            .find_map(|n| n.get(Rtype::A).filter(|s| s.len() == 3))
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
