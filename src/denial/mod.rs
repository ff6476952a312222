//! Authenticated denial of existence: NSEC (RFC 4034 s4) and NSEC3
//! (RFC 5155) chains over the authoritative names of a zone.

pub mod nsec;
pub mod nsec3;

use domain::base::iana::Rtype;

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

/// Denial RDATA made in a vector, as `Bytes` exactly as long as it is: a
/// `Bytes` of a vector with room to spare costs an allocation more, per
/// NSEC or NSEC3 of the zone.
fn rdata_bytes(wire: Vec<u8>) -> bytes::Bytes {
    bytes::Bytes::from(wire.into_boxed_slice())
}

/// Appends the type bitmap of `types` (ascending, without repeats) in wire
/// form (RFC 4034 s4.1.2): per window of 256 types, its number, the length
/// of its bitmap, and the bitmap without trailing zero octets.
pub fn push_bitmap(types: &[Rtype], out: &mut Vec<u8>) {
    let mut rest = types;
    while let Some(first) = rest.first() {
        let window = first.to_int() >> 8;
        let n = rest
            .iter()
            .position(|t| t.to_int() >> 8 != window)
            .unwrap_or(rest.len());
        let mut bits = [0u8; 32];
        let mut len = 0;
        for t in &rest[..n] {
            let low = usize::from(t.to_int() & 0xff);
            bits[low / 8] |= 0x80 >> (low % 8);
            len = len.max(low / 8 + 1);
        }
        out.push(window as u8);
        out.push(len as u8);
        out.extend_from_slice(&bits[..len]);
        rest = &rest[n..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::rdata::dnssec::RtypeBitmap;

    /// Our bitmaps are byte for byte `domain`'s, over types in one window,
    /// many windows, and at the edges of octets and windows.
    #[test]
    fn bitmaps_match_domains_builder() {
        let sets: [&[u16]; 6] = [
            &[],
            &[1],
            &[1, 2, 6, 15, 46, 47, 48],
            &[7, 8, 255],
            &[1, 46, 256, 257, 32768, 65280, 65535],
            &[2, 43, 46, 47, 99, 1234, 4660, 65534],
        ];
        for set in sets {
            let types: Vec<Rtype> = set.iter().map(|&t| Rtype::from_int(t)).collect();
            let mut ours = Vec::new();
            push_bitmap(&types, &mut ours);
            let mut b = RtypeBitmap::<Vec<u8>>::builder();
            for t in &types {
                b.add(*t).unwrap();
            }
            assert_eq!(ours, b.finalize().as_slice(), "{set:?}");
        }
    }
}
