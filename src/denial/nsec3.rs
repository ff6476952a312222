//! The NSEC3 chain (RFC 5155): hashed owners of every authoritative name and
//! empty non-terminal, sorted by hash, each pointing to the next.

use std::collections::HashSet;

use bytes::Bytes;
use domain::base::iana::{Nsec3HashAlgorithm, Rtype};
use domain::base::name::ToName;
use domain::rdata::nsec3::{Nsec3Salt, OwnerHash};
use domain::rdata::{Nsec3, Nsec3param};

use super::{Nsec3Params, bitmap, bitmap_types, in_chain};
use crate::zone::{Node, NodeKind, Rdata, Rrset, StoredName, canon};

/// IH(salt, x, k) of RFC 5155 s5 over the canonical owner name.
pub fn hash(name: &StoredName, salt: &[u8], iterations: u16) -> [u8; 20] {
    hash_wire(&canon::wire(name), salt, iterations)
}

pub fn hash_wire(wire: &[u8], salt: &[u8], iterations: u16) -> [u8; 20] {
    let sha1 = &ring::digest::SHA1_FOR_LEGACY_USE_ONLY;
    let mut ctx = ring::digest::Context::new(sha1);
    ctx.update(wire);
    ctx.update(salt);
    let mut h = [0u8; 20];
    h.copy_from_slice(ctx.finish().as_ref());
    for _ in 0..iterations {
        let mut ctx = ring::digest::Context::new(sha1);
        ctx.update(&h);
        ctx.update(salt);
        h.copy_from_slice(ctx.finish().as_ref());
    }
    h
}

/// Lower-case base32hex without padding, as NSEC3 owner labels are written.
pub fn base32hex(h: &[u8]) -> String {
    let mut s = String::with_capacity(h.len().div_ceil(5) * 8);
    push_base32hex(&mut s, h);
    s
}

/// Appends [`base32hex`] of `h` to `out`.
pub fn push_base32hex(out: &mut String, h: &[u8]) {
    let start = out.len();
    let _ = domain::utils::base32::display_hex(h, out);
    out[start..].make_ascii_lowercase();
}

/// The owner name of the NSEC3 for `hash` in zone `apex`.
pub fn hashed_owner(h: &[u8], apex: &StoredName) -> Result<StoredName, String> {
    let label = base32hex(h);
    let mut wire = Vec::with_capacity(apex.len() + 33);
    wire.push(label.len() as u8);
    wire.extend_from_slice(label.as_bytes());
    let _ = apex.compose(&mut wire);
    StoredName::from_octets(Bytes::from(wire))
        .map_err(|_| format!("NSEC3 owner under {apex} is too long"))
}

/// The NSEC3PARAM record data: flags are always 0 (RFC 5155 s4.1.2).
pub fn nsec3param(params: &Nsec3Params) -> Result<Rdata, String> {
    let salt = Nsec3Salt::from_octets(Bytes::from(params.salt.clone()))
        .map_err(|_| "NSEC3 salt too long")?;
    Ok(Rdata::Nsec3param(Nsec3param::new(
        Nsec3HashAlgorithm::SHA1,
        0,
        params.iterations,
        salt,
    )))
}

/// Names that need an NSEC3: the chained owners plus every empty
/// non-terminal between them and the apex (RFC 5155 s7.1).
pub fn chain_names(
    nodes: &[Node],
    apex: &StoredName,
    opt_out: bool,
) -> Vec<(Vec<u8>, Option<usize>)> {
    let mut existing: HashSet<Vec<u8>> = HashSet::with_capacity(nodes.len());
    for n in nodes {
        existing.insert(canon::wire(&n.owner));
    }
    let apex_len = apex.label_count();
    let mut ents: HashSet<Vec<u8>> = HashSet::new();
    let mut out = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        if !in_chain(n, opt_out) {
            continue;
        }
        let wire = canon::wire(&n.owner);
        // Walk up the ancestors until the apex or a name already known.
        let mut pos = 0usize;
        let mut labels = n.owner.label_count();
        while labels > apex_len + 1 {
            pos += wire[pos] as usize + 1;
            labels -= 1;
            let ancestor = &wire[pos..];
            if existing.contains(ancestor) || ents.contains(ancestor) {
                break;
            }
            ents.insert(ancestor.to_vec());
            out.push((ancestor.to_vec(), None));
        }
        out.push((wire, Some(i)));
    }
    out
}

/// NSEC3 RRsets sorted by hash. `nodes` must already hold the apex's
/// DNSKEY and NSEC3PARAM so that the apex bitmap lists them.
pub fn nsec3_rrsets(
    nodes: &[Node],
    apex: &StoredName,
    params: &Nsec3Params,
    ttl: u32,
) -> Result<Vec<Rrset>, String> {
    use rayon::prelude::*;
    let names = chain_names(nodes, apex, params.opt_out);
    let mut hashed: Vec<([u8; 20], Option<usize>)> = names
        .par_iter()
        .map(|(wire, idx)| (hash_wire(wire, &params.salt, params.iterations), *idx))
        .collect();
    drop(names);
    hashed.par_sort_unstable_by_key(|a| a.0);
    for w in hashed.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(format!(
                "NSEC3 hash collision ({}); choose another salt",
                base32hex(&w[0].0)
            ));
        }
    }
    let salt = Nsec3Salt::from_octets(Bytes::from(params.salt.clone()))
        .map_err(|_| "NSEC3 salt too long")?;
    let flags = u8::from(params.opt_out);
    (0..hashed.len())
        .into_par_iter()
        .map(|i| {
            let (h, idx) = &hashed[i];
            let next = &hashed[(i + 1) % hashed.len()].0;
            let types = match idx {
                Some(i) => bitmap_types(&nodes[*i], None),
                None => Vec::new(),
            };
            let data = Nsec3::new(
                Nsec3HashAlgorithm::SHA1,
                flags,
                params.iterations,
                salt.clone(),
                OwnerHash::from_octets(Bytes::copy_from_slice(next))
                    .map_err(|_| "bad NSEC3 hash".to_string())?,
                bitmap(&types),
            );
            let owner = hashed_owner(h, apex)?;
            Ok(Rrset::new(
                owner,
                Rtype::NSEC3,
                ttl,
                vec![Rdata::Nsec3(data)],
            ))
        })
        .collect()
}

/// Wraps NSEC3 RRsets into nodes, so they are signed and written like any
/// other authoritative owner.
pub fn nodes_of(rrsets: Vec<Rrset>) -> Vec<Node> {
    rrsets
        .into_iter()
        .map(|r| Node {
            owner: r.owner.clone(),
            kind: NodeKind::Authoritative,
            rrsets: vec![r],
        })
        .collect()
}
