//! The NSEC chain: one NSEC per authoritative owner, in canonical order,
//! the last pointing back to the apex (RFC 4034 s4.1.1).

use domain::base::iana::Rtype;
use domain::rdata::Nsec;

use super::{bitmap, bitmap_types, in_chain};
use crate::zone::{Node, Rdata, Rrset, StoredName};

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
            let next_name = lowercase(&next.owner);
            let types = bitmap_types(node, Some(Rtype::NSEC));
            let data = Rdata::Nsec(Nsec::new(next_name, bitmap(&types)));
            Rrset::new(node.owner.clone(), Rtype::NSEC, ttl, vec![data])
        })
        .collect()
}

/// The name in lower case (the NSEC next name is written in canonical form).
pub fn lowercase(name: &StoredName) -> StoredName {
    StoredName::from_octets(bytes::Bytes::from(crate::zone::canon::wire(name)))
        .unwrap_or_else(|_| name.clone())
}
