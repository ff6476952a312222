//! Authenticated denial of existence: NSEC (RFC 4034 s4) and NSEC3
//! (RFC 5155) chains over the authoritative names of a zone.

pub mod nsec;
pub mod nsec3;

use domain::base::iana::Rtype;
use domain::rdata::dnssec::RtypeBitmap;

use crate::zone::{Node, NodeKind};

/// NSEC3 parameters (RFC 5155 s3; RFC 9276: SHA-1, no salt, 0 iterations).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nsec3Params {
    pub iterations: u16,
    pub salt: Vec<u8>,
    /// Insecure delegations are left out of the chain (RFC 5155 s6).
    pub opt_out: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    Nsec,
    Nsec3(Nsec3Params),
}

/// Is this node part of the chain? (Occluded names never are.)
pub fn in_chain(node: &Node, opt_out: bool) -> bool {
    match node.kind {
        NodeKind::Apex | NodeKind::Authoritative => true,
        NodeKind::Delegation => !opt_out || node.has(Rtype::DS),
        NodeKind::Occluded => false,
    }
}

/// Does a signature exist at this node (for the RRSIG bit)?
pub fn has_signatures(node: &Node) -> bool {
    match node.kind {
        NodeKind::Apex | NodeKind::Authoritative => !node.rrsets.is_empty(),
        NodeKind::Delegation => node.has(Rtype::DS),
        NodeKind::Occluded => false,
    }
}

/// The types at a chained node, as its NSEC or NSEC3 bitmap lists them.
/// At a delegation only NS and DS count (RFC 4035 s2.3).
pub fn bitmap_types(node: &Node, own: Option<Rtype>) -> Vec<Rtype> {
    let mut types: Vec<Rtype> = match node.kind {
        NodeKind::Delegation => node
            .rrsets
            .iter()
            .map(|r| r.rtype)
            .filter(|t| matches!(*t, Rtype::NS | Rtype::DS))
            .collect(),
        _ => node.rrsets.iter().map(|r| r.rtype).collect(),
    };
    if has_signatures(node) || own.is_some() {
        types.push(Rtype::RRSIG);
    }
    if let Some(t) = own {
        types.push(t);
    }
    types.sort_by_key(|t| t.to_int());
    types.dedup();
    types
}

pub fn bitmap(types: &[Rtype]) -> RtypeBitmap<bytes::Bytes> {
    let mut b = RtypeBitmap::<bytes::Bytes>::builder();
    for t in types {
        // Adding to a Vec-backed builder cannot fail.
        let _ = b.add(*t);
    }
    b.finalize()
}
