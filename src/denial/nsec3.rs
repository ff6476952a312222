//! The NSEC3 chain (RFC 5155): hashed owners of every authoritative name and
//! empty non-terminal, sorted by hash, each pointing to the next.

use bytes::Bytes;
use domain::base::iana::{Nsec3HashAlgorithm, Rtype};
use domain::base::name::ToName;
use domain::rdata::Nsec3param;
use domain::rdata::nsec3::Nsec3Salt;

use super::{Nsec3Params, bitmap_types, in_chain, push_bitmap, rdata_bytes};
use crate::zone::{Node, NodeKind, Rdata, Rrset, StoredName, canon};

/// IH(salt, x, k) of RFC 5155 s5 over the canonical owner name.
pub fn hash(name: &StoredName, salt: &[u8], iterations: u16) -> [u8; 20] {
    hash_wire(&canon::wire(name), salt, iterations)
}

pub fn hash_wire(wire: &[u8], salt: &[u8], iterations: u16) -> [u8; 20] {
    let sha1 = &crate::crypto::digest::SHA1_FOR_LEGACY_USE_ONLY;
    let mut ctx = crate::crypto::digest::Context::new(sha1);
    ctx.update(wire);
    ctx.update(salt);
    let mut h = [0u8; 20];
    h.copy_from_slice(ctx.finish().as_ref());
    for _ in 0..iterations {
        let mut ctx = crate::crypto::digest::Context::new(sha1);
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
///
/// `nodes` are in canonical order, where every name's descendants follow
/// it without a break. So the names that exist (owners, and the empty
/// non-terminals found so far) above the owner at hand are exactly the
/// stack of ancestors kept from the owners before it, and no set of every
/// name is needed. At an owner right below the apex that stack is the apex
/// alone, whatever came before: the owners are cut into parts there and
/// the parts walked in parallel (a serial walk was 0.15 s at 1M owners).
pub fn chain_names(
    nodes: &[Node],
    apex: &StoredName,
    opt_out: bool,
) -> Vec<(Vec<u8>, Option<usize>)> {
    use rayon::prelude::*;
    let apex_labels = apex.label_count();
    let apex_wire = canon::wire(apex);
    // Owners right below the apex: their first label and the apex are
    // all of them (every owner is at or below the apex).
    let right_below = |n: &Node| {
        let wire = n.owner.as_slice();
        wire.first()
            .is_some_and(|&len| wire.len() == 1 + usize::from(len) + apex_wire.len())
    };
    // Each part starts at the first such owner past an even cut, looked
    // for only up to the next cut: a deep zone may have none at all (a
    // search to the end from every cut, with domain's label count, made
    // the ip6.arpa zone's names 0.12 -> 0.29 s).
    let parts = (rayon::current_num_threads() * 16)
        .min(nodes.len() / 4096)
        .max(1);
    let mut starts = vec![0];
    for k in 1..parts {
        let (from, to) = (k * nodes.len() / parts, (k + 1) * nodes.len() / parts);
        if let Some(at) = nodes[from..to].iter().position(right_below) {
            starts.push(from + at);
        }
    }
    starts.dedup();
    starts.push(nodes.len());
    let walk = |w: &[usize]| chain_names_of(nodes, w[0]..w[1], &apex_wire, apex_labels, opt_out);
    if starts.len() == 2 {
        return walk(&starts);
    }
    let per_part: Vec<Vec<(Vec<u8>, Option<usize>)>> = starts.par_windows(2).map(walk).collect();
    per_part.concat()
}

/// [`chain_names`] of `nodes[range]`, where the first owner is the apex
/// or right below it.
fn chain_names_of(
    nodes: &[Node],
    range: std::ops::Range<usize>,
    apex_wire: &[u8],
    apex_labels: usize,
    opt_out: bool,
) -> Vec<(Vec<u8>, Option<usize>)> {
    // Canonical wires, each an ancestor of the next: the path from the
    // apex to the previous owner, through names that exist. A stack, so
    // its wires are kept end to end in one buffer (`path` holds where each
    // starts), and no owner costs an allocation here.
    let mut path_buf: Vec<u8> = Vec::new();
    let mut path: Vec<usize> = Vec::new();
    if range.start > 0 {
        path.push(0);
        path_buf.extend_from_slice(apex_wire);
    }
    let mut wire = Vec::new();
    let mut out = Vec::new();
    for i in range {
        let n = &nodes[i];
        crate::zone::prefetch_ahead(nodes, i);
        wire.clear();
        canon::push_wire(&n.owner, &mut wire);
        while let Some(&top) = path.last()
            && !canon::wire_at_or_below(&wire, &path_buf[top..])
        {
            path_buf.truncate(top);
            path.pop();
        }
        if in_chain(n, opt_out) {
            // Ancestors below the deepest known one are empty
            // non-terminals, found from the closest one up.
            let known = path.last().map_or(0, |&top| path_buf.len() - top);
            let mut ents = Vec::new();
            let (mut pos, mut labels) = (0usize, n.owner.label_count());
            while labels > apex_labels + 1 {
                pos += wire[pos] as usize + 1;
                labels -= 1;
                if wire.len() - pos <= known {
                    break;
                }
                ents.push(pos);
            }
            for &pos in ents.iter().rev() {
                out.push((wire[pos..].to_vec(), None));
                path.push(path_buf.len());
                path_buf.extend_from_slice(&wire[pos..]);
            }
            out.push((wire.clone(), Some(i)));
        }
        path.push(path_buf.len());
        path_buf.extend_from_slice(&wire);
    }
    out
}

/// The owners of the NSEC3 chain, each with its NSEC3 RRset, sorted by
/// hash. `nodes` must already hold the apex's DNSKEY and NSEC3PARAM so
/// that the apex bitmap lists them.
pub fn nsec3_nodes(
    nodes: &[Node],
    apex: &StoredName,
    params: &Nsec3Params,
    ttl: u32,
) -> Result<Vec<Node>, String> {
    use rayon::prelude::*;
    let mut phases = crate::phases::Phases::start();
    let names = chain_names(nodes, apex, params.opt_out);
    phases.mark("nsec3 names");
    let mut hashed: Vec<([u8; 20], Option<usize>)> = names
        .par_iter()
        .map(|(wire, idx)| (hash_wire(wire, &params.salt, params.iterations), *idx))
        .collect();
    drop(names);
    phases.mark("nsec3 hash");
    hashed.par_sort_unstable_by_key(|a| a.0);
    phases.mark("nsec3 sort");
    for w in hashed.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(format!(
                "NSEC3 hash collision ({}); choose another salt",
                base32hex(&w[0].0)
            ));
        }
    }
    if params.salt.len() > 255 {
        return Err("NSEC3 salt too long".into());
    }
    // Every hashed owner is as long as any other: if one fits, all do,
    // and the owners are made without a result each (a parallel collect
    // of results held the whole vector twice: 1.5M owners, 80 MB more).
    hashed_owner(&[0; 20], apex)?;
    let flags = u8::from(params.opt_out);
    Ok((0..hashed.len())
        .into_par_iter()
        .map(|i| {
            let (h, idx) = &hashed[i];
            let next = &hashed[(i + 1) % hashed.len()].0;
            let types = match idx {
                Some(i) => bitmap_types(&nodes[*i], None),
                None => Vec::new(),
            };
            // The RDATA in wire form at once (RFC 5155 s3.2): hash
            // algorithm (SHA-1), flags, iterations, salt, next hash, types.
            let salt = &params.salt;
            let mut wire = Vec::with_capacity(6 + salt.len() + next.len() + 34);
            wire.push(Nsec3HashAlgorithm::SHA1.to_int());
            wire.push(flags);
            wire.extend_from_slice(&params.iterations.to_be_bytes());
            wire.push(salt.len() as u8);
            wire.extend_from_slice(salt);
            wire.push(next.len() as u8);
            wire.extend_from_slice(next);
            push_bitmap(&types, &mut wire);
            let owner = hashed_owner(h, apex).unwrap_or_else(|_| apex.clone());
            let set = Rrset::single(owner.clone(), Rtype::NSEC3, ttl, rdata_bytes(wire));
            // A node of its own, signed and written like any other
            // authoritative owner.
            Node {
                owner,
                kind: NodeKind::Authoritative,
                rrsets: vec![set],
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::{Dnssec, Zone, reader};
    use std::collections::BTreeSet;
    use std::path::Path;
    use std::str::FromStr;

    /// The names every in-chain owner and every ancestor of one between it
    /// and the apex that is not an owner: RFC 5155 s7.1 read literally,
    /// with a set of every owner.
    fn by_the_rfc(zone: &Zone, opt_out: bool) -> BTreeSet<(Vec<u8>, Option<usize>)> {
        let owners: BTreeSet<Vec<u8>> = zone.nodes.iter().map(|n| canon::wire(&n.owner)).collect();
        let mut want = BTreeSet::new();
        for (i, n) in zone.nodes.iter().enumerate() {
            if !in_chain(n, opt_out) {
                continue;
            }
            let wire = canon::wire(&n.owner);
            want.insert((wire.clone(), Some(i)));
            let mut pos = 0;
            for _ in zone.apex.label_count() + 1..n.owner.label_count() {
                pos += wire[pos] as usize + 1;
                if !owners.contains(&wire[pos..]) {
                    want.insert((wire[pos..].to_vec(), None));
                }
            }
        }
        want
    }

    /// Deep empty non-terminals shared by several owners, names in mixed
    /// case, an owner that is a label prefix of another, a secure and an
    /// insecure delegation with names below them, and a DNAME.
    #[test]
    fn empty_non_terminals_are_those_of_the_rfc() {
        let text = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n\
                    a.b.c.d A 192.0.2.1\nX.b.C.d A 192.0.2.1\nz.c.d A 192.0.2.1\n\
                    d A 192.0.2.1\ne.f.g A 192.0.2.1\nee.f.g A 192.0.2.1\n\
                    h.i.ee.f.g A 192.0.2.1\nsecure NS ns.secure\nsecure DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000\n\
                    a.b.secure A 192.0.2.1\nx.insec.k NS ns.x.insec.k\n\
                    ns.x.insec.k A 192.0.2.1\nm.n.x.insec.k A 192.0.2.1\n\
                    dn DNAME example.net.\ny.z.dn A 192.0.2.1\n";
        let apex = StoredName::from_str("example.").unwrap();
        let (recs, src) = reader::read_str(text, Path::new("t.zone"), &apex).unwrap();
        let zone = Zone::from_records(recs, &src, &apex, Dnssec::Strip).unwrap();
        for opt_out in [false, true] {
            let got: Vec<_> = chain_names(&zone.nodes, &apex, opt_out);
            let set: BTreeSet<_> = got.iter().cloned().collect();
            assert_eq!(set.len(), got.len(), "a name twice");
            assert_eq!(set, by_the_rfc(&zone, opt_out), "opt-out {opt_out}");
        }
        // b.c.d, c.d, f.g, g, i.ee.f.g; insec.k and k only without opt-out.
        let ents = |o| {
            chain_names(&zone.nodes, &apex, o)
                .iter()
                .filter(|n| n.1.is_none())
                .count()
        };
        assert_eq!((ents(false), ents(true)), (7, 5));
    }

    /// A zone large enough to be walked in parts: shared empty
    /// non-terminals under owners right below the apex, which is where
    /// the parts are cut, and delegations with and without DS.
    #[test]
    fn names_walked_in_parts_are_those_of_the_rfc() {
        let mut text = String::from("$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
        for i in 0..12_000 {
            text.push_str(&format!("a{i}.B{}.c{} A 192.0.2.1\n", i % 50, i % 3));
            if i % 5 == 0 {
                text.push_str(&format!("n{i} A 192.0.2.1\nx.y.n{i} A 192.0.2.1\n"));
            }
            if i % 7 == 0 {
                text.push_str(&format!("d{i}.e NS ns.d{i}.e\nns.d{i}.e A 192.0.2.1\n"));
            }
            if i % 14 == 0 {
                text.push_str(&format!("d{i}.e DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000\n"));
            }
        }
        let apex = StoredName::from_str("example.").unwrap();
        let (recs, src) = reader::read_str(&text, Path::new("t.zone"), &apex).unwrap();
        let zone = Zone::from_records(recs, &src, &apex, Dnssec::Strip).unwrap();
        assert!(zone.nodes.len() > 4 * 4096, "{}", zone.nodes.len());
        for opt_out in [false, true] {
            let got = chain_names(&zone.nodes, &apex, opt_out);
            let set: BTreeSet<_> = got.iter().cloned().collect();
            assert_eq!(set.len(), got.len(), "a name twice");
            assert_eq!(set, by_the_rfc(&zone, opt_out), "opt-out {opt_out}");
        }
    }
}
