//! The NSEC chain: one NSEC per authoritative owner, in canonical order,
//! the last pointing back to the apex (RFC 4034 s4.1.1).

use bytes::Bytes;
use domain::base::iana::Rtype;

use super::{bitmap_types, in_chain, push_bitmap};
use crate::zone::{Node, Rrset, canon};

/// NSEC RRsets for `nodes` (canonical order, apex first), with `ttl`
/// (RFC 9077: min(SOA TTL, SOA MINIMUM)).
pub fn nsec_rrsets(nodes: &[Node], ttl: u32) -> Vec<Rrset> {
    use rayon::prelude::*;
    let chain: Vec<&Node> = nodes.iter().filter(|n| in_chain(n, false)).collect();
    (0..chain.len())
        .into_par_iter()
        .map(|i| {
            let node = chain[i];
            let next = chain[(i + 1) % chain.len()];
            // The RDATA in wire form at once: the next name in canonical
            // form, then the bitmap (RFC 4034 s4.1).
            let types = bitmap_types(node, Some(Rtype::NSEC));
            let mut wire = Vec::with_capacity(next.owner.len() + 2 + 32);
            canon::push_wire(&next.owner, &mut wire);
            push_bitmap(&types, &mut wire);
            // Exactly as long as it is: a Bytes of a Vec with room to
            // spare costs an allocation more.
            let wire = Bytes::from(wire.into_boxed_slice());
            Rrset::single(node.owner.clone(), Rtype::NSEC, ttl, wire)
        })
        .collect()
}
