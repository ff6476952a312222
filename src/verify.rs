//! The offline verifier: every RRSIG checked cryptographically (not just one
//! per RRset, as validators do), signatures only where data is
//! authoritative, the NSEC or NSEC3 chain with its bitmaps, NSEC3PARAM, the
//! CDS/CDNSKEY and DS links to the DNSKEY RRset.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use bytes::Bytes;
use domain::base::iana::{Rtype, SecurityAlgorithm};
use domain::rdata::{Dnskey, Ds};
use rayon::prelude::*;

use crate::denial::{bitmap_types, in_chain, nsec3};
use crate::error::{Error, Result};
use crate::sign::{Signature, is_signed, rrsig};
use crate::zone::{Dnssec, Node, NodeKind, Rdata, Rrset, StoredName, Zone, reader};

/// The verdict: a list of problems (empty means the zone is good).
#[derive(Debug, Default)]
pub struct Report {
    pub errors: Vec<String>,
    pub rrsigs_verified: usize,
    pub rrsets_checked: usize,
    /// RRSIGs by keys not in the DNSKEY RRset, which validators pass over:
    /// an algorithm rollover's first step has them.
    pub rrsigs_unmatched: usize,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    fn error(&mut self, msg: String) {
        self.errors.push(msg);
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 50;
        for e in self.errors.iter().take(SHOWN) {
            writeln!(f, "error: {e}")?;
        }
        if self.errors.len() > SHOWN {
            writeln!(f, "error: … and {} more", self.errors.len() - SHOWN)?;
        }
        if self.rrsigs_unmatched > 0 {
            writeln!(
                f,
                "note: {} RRSIGs by keys not in the DNSKEY RRset (validators pass over them)",
                self.rrsigs_unmatched
            )?;
        }
        writeln!(
            f,
            "{}: {} RRsets, {} RRSIGs verified, {} problems",
            if self.is_ok() { "OK" } else { "FAILED" },
            self.rrsets_checked,
            self.rrsigs_verified,
            self.errors.len()
        )
    }
}

/// Verifies the signed zone in `path` as of `now`; with `ds`, also the link
/// from those DS records to the DNSKEY RRset.
pub fn verify_file(path: &Path, apex: &StoredName, ds: Option<&Path>, now: u64) -> Result<Report> {
    let zone = Zone::load(path, apex, Dnssec::Keep)?;
    let ds_set = match ds {
        Some(p) => Some(read_ds(p, apex)?),
        None => None,
    };
    Ok(verify_zone(&zone, ds_set.as_deref(), now))
}

fn read_ds(path: &Path, apex: &StoredName) -> Result<Vec<Ds<Bytes>>> {
    let (records, _) = reader::read_file_default_ttl(path, apex, 3600)?;
    let mut out = Vec::new();
    for r in records {
        if r.owner == *apex
            && let Some(Rdata::Ds(ds)) = r.rdata()
        {
            out.push(ds);
        }
    }
    if out.is_empty() {
        return Err(Error::Zone {
            file: path.to_path_buf(),
            reason: format!("no DS records for {apex}"),
        });
    }
    Ok(out)
}

/// A DNSKEY usable for verification.
struct Key {
    dnskey: Dnskey<Bytes>,
    tag: u16,
}

/// Nodes that hold only an NSEC3 (and its RRSIG): the chain, not data.
fn is_nsec3_node(n: &Node) -> bool {
    n.has(Rtype::NSEC3)
        && n.rrsets
            .iter()
            .all(|r| matches!(r.rtype, Rtype::NSEC3 | Rtype::RRSIG))
}

pub fn verify_zone(zone: &Zone, ds: Option<&[Ds<Bytes>]>, now: u64) -> Report {
    verify_zone_trusting(zone, ds, now, &|_| false)
}

/// [`verify_zone`], taking the cryptography of the signatures `trusted`
/// accepts as done: every other check still applies to them. `zonesign run`
/// trusts the signatures it kept from the output it wrote and verified
/// before, found by their signature octets.
pub fn verify_zone_trusting(
    zone: &Zone,
    ds: Option<&[Ds<Bytes>]>,
    now: u64,
    trusted: &(dyn Fn(&Signature) -> bool + Sync),
) -> Report {
    verify(zone, None, ds, now, trusted, &[])
}

/// [`verify_zone_trusting`] for a zone whose RRSIGs are given per owner
/// (`sigs[i]` are those of `zone.nodes[i]`) rather than held as RRSIG
/// RRsets: a zone just signed, from [`crate::sign::SignedZone::into_parts`].
/// `ahead` are keys that sign before their DNSKEY is published: their
/// RRSIGs must verify too.
pub fn verify_signed_trusting(
    zone: &Zone,
    sigs: &[Vec<Signature>],
    ds: Option<&[Ds<Bytes>]>,
    now: u64,
    trusted: &(dyn Fn(&Signature) -> bool + Sync),
    ahead: &[Dnskey<Bytes>],
) -> Report {
    verify(zone, Some(sigs), ds, now, trusted, ahead)
}

fn verify(
    zone: &Zone,
    given: Option<&[Vec<Signature>]>,
    ds: Option<&[Ds<Bytes>]>,
    now: u64,
    trusted: &(dyn Fn(&Signature) -> bool + Sync),
    ahead: &[Dnskey<Bytes>],
) -> Report {
    let mut report = Report::default();
    let mut phases = crate::phases::Phases::start();
    let apex = &zone.apex;
    let keys: Vec<Key> = match zone.apex_node().get(Rtype::DNSKEY) {
        Some(set) => set
            .rdata()
            .filter_map(|d| match d {
                Rdata::Dnskey(k) => Some(Key {
                    tag: k.key_tag(),
                    dnskey: k,
                }),
                _ => None,
            })
            .collect(),
        None => {
            report.error(format!("{apex}: no DNSKEY RRset at the apex"));
            return report;
        }
    };
    let algorithms: HashSet<SecurityAlgorithm> =
        keys.iter().map(|k| k.dnskey.algorithm()).collect();

    let ahead: Vec<Key> = ahead
        .iter()
        .map(|k| Key {
            tag: k.key_tag(),
            dnskey: k.clone(),
        })
        .collect();
    let ctx = Ctx {
        zone,
        keys: &keys,
        ahead: &ahead,
        algorithms: &algorithms,
        now,
        trusted,
    };
    // Node by node in parallel: each node's RRSIGs are parsed once and
    // checked against the RRsets they cover.
    let bar = crate::progress::bar("verifying", zone.nodes.len() as u64);
    // Folded per split of the owners and joined in order, with a scratch
    // list per split: no result and no list per owner or RRset.
    let tally = zone
        .nodes
        .par_iter()
        .enumerate()
        .fold(
            || (Tally::default(), Vec::new()),
            |(mut tally, mut good_algs), (i, node)| {
                bar.inc(1);
                let parsed: Vec<Signature>;
                let sigs = match given.and_then(|g| g.get(i)) {
                    Some(sigs) => &sigs[..],
                    None => {
                        parsed = node.rrsigs().collect();
                        &parsed[..]
                    }
                };
                check_node(&ctx, node, sigs, &mut tally, &mut good_algs);
                (tally, good_algs)
            },
        )
        .map(|(tally, _)| tally)
        .reduce(Tally::default, Tally::join);
    drop(bar);
    report.errors.extend(tally.errors);
    report.rrsigs_verified += tally.verified;
    report.rrsets_checked += tally.rrsets;
    report.rrsigs_unmatched += tally.unmatched;
    let dnskey_signers = tally.dnskey_signers;
    phases.mark("verify: signatures");
    check_keyset(zone, &keys, &dnskey_signers, ds, &mut report);
    check_order(zone, &mut report);
    phases.mark("verify: order");
    check_denial(zone, &mut report);
    phases.mark("verify: denial");
    report
}

/// Owners must be in strictly increasing canonical order: a parsed zone
/// always is, a signer's zone verified in memory must be too, or its
/// denial chain would be judged on the signer's own order.
fn check_order(zone: &Zone, report: &mut Report) {
    let first_wrong = zone.nodes.par_windows(2).position_first(|pair| {
        let key = crate::zone::canon::key;
        key(&pair[1].owner) <= key(&pair[0].owner)
    });
    if let Some(i) = first_wrong {
        report.error(format!(
            "{}: owner out of canonical order (after {})",
            zone.nodes[i + 1].owner,
            zone.nodes[i].owner
        ));
    }
}

/// What every RRset is checked against.
struct Ctx<'a> {
    zone: &'a Zone,
    keys: &'a [Key],
    /// Keys that sign before they are published.
    ahead: &'a [Key],
    algorithms: &'a HashSet<SecurityAlgorithm>,
    now: u64,
    trusted: &'a (dyn Fn(&Signature) -> bool + Sync),
}

/// What checking a run of owners found, in owner order.
#[derive(Default)]
struct Tally {
    errors: Vec<String>,
    /// RRSIGs that verified, and RRsets checked.
    verified: usize,
    rrsets: usize,
    /// RRSIGs by keys neither published nor signing ahead.
    unmatched: usize,
    /// The tags of the keys whose RRSIGs over the apex DNSKEY RRset verify.
    dnskey_signers: Vec<u16>,
}

impl Tally {
    /// `self` followed by `later`.
    fn join(mut self, later: Tally) -> Tally {
        self.errors.extend(later.errors);
        self.verified += later.verified;
        self.rrsets += later.rrsets;
        self.unmatched += later.unmatched;
        if !later.dnskey_signers.is_empty() {
            self.dnskey_signers = later.dnskey_signers;
        }
        self
    }
}

/// Checks every RRset of `node` with the RRSIGs that cover it, and that
/// every RRSIG covers an RRset there. `good_algs` is scratch space.
fn check_node(
    ctx: &Ctx<'_>,
    node: &Node,
    sigs: &[Signature],
    tally: &mut Tally,
    good_algs: &mut Vec<SecurityAlgorithm>,
) {
    for s in sigs.iter().filter(|s| !node.has(s.type_covered())) {
        tally.errors.push(format!(
            "{} RRSIG covers {}, which is not there",
            node.owner,
            s.type_covered()
        ));
    }
    for set in node.rrsets.iter().filter(|set| set.rtype != Rtype::RRSIG) {
        tally.rrsets += 1;
        check_rrset(ctx, node, set, sigs, tally, good_algs);
    }
}

/// Checks one RRset against the RRSIGs among `sigs` that cover it:
/// signatures only if authoritative, every RRSIG valid, every DNSKEY
/// algorithm represented (RFC 6840 s5.11).
fn check_rrset(
    ctx: &Ctx<'_>,
    node: &Node,
    set: &Rrset,
    sigs: &[Signature],
    tally: &mut Tally,
    good_algs: &mut Vec<SecurityAlgorithm>,
) {
    let covering = || sigs.iter().filter(|s| s.type_covered() == set.rtype);
    let errors = &mut tally.errors;
    // Named only in errors: formatting it for every RRset cost more than
    // checking a kept signature.
    let what = || format!("{} {}", set.owner, set.rtype);
    if !is_signed(node, set.rtype) {
        if covering().next().is_some() {
            let why = match node.kind {
                NodeKind::Occluded => "occluded data or glue",
                _ => "non-authoritative data at a delegation",
            };
            errors.push(format!("{}: has an RRSIG but is {why}", what()));
        }
        return;
    }
    if covering().next().is_none() {
        errors.push(format!("{}: no RRSIG", what()));
        return;
    }
    let keyset = set.rtype == Rtype::DNSKEY && set.owner == ctx.zone.apex;
    good_algs.clear();
    let mut verified = 0;
    for sig in covering() {
        match check_rrsig(ctx, set, sig) {
            Ok(Signer::Published) => {
                verified += 1;
                good_algs.push(sig.algorithm());
                if keyset {
                    tally.dnskey_signers.push(sig.key_tag());
                }
            }
            Ok(Signer::Ahead) => tally.verified += 1,
            Ok(Signer::Unknown) => tally.unmatched += 1,
            Err(e) => errors.push(format!(
                "{}: RRSIG by key {} ({}): {e}",
                what(),
                sig.key_tag(),
                sig.algorithm()
            )),
        }
    }
    if verified == 0 && !errors.iter().any(|e| e.starts_with(&what())) {
        errors.push(format!("{}: no RRSIG by a key of the DNSKEY RRset", what()));
    }
    for alg in ctx.algorithms {
        if !good_algs.contains(alg) && verified > 0 {
            errors.push(format!(
                "{}: no valid RRSIG of algorithm {alg}, which the DNSKEY RRset uses",
                what()
            ));
        }
    }
    tally.verified += verified;
}

/// The keys of `keys` that may have made `sig`.
fn matching<'k>(keys: &'k [Key], sig: &Signature) -> Vec<&'k Dnskey<Bytes>> {
    keys.iter()
        .filter(|k| k.tag == sig.key_tag() && k.dnskey.algorithm() == sig.algorithm())
        .map(|k| &k.dnskey)
        .collect()
}

/// Whose an RRSIG that passed its checks is.
enum Signer {
    /// A key of the DNSKEY RRset.
    Published,
    /// A key signing before it is published (and it verified).
    Ahead,
    /// A key we do not know: validators pass over it.
    Unknown,
}

fn check_rrsig(ctx: &Ctx<'_>, set: &Rrset, sig: &Signature) -> Result<Signer, String> {
    let now = ctx.now;
    if !crate::zone::canon::same(sig.signer_name(), &ctx.zone.apex) {
        return Err(format!("signer {} is not the zone", sig.signer_name()));
    }
    if sig.labels() != rrsig::label_count(&set.owner) {
        return Err(format!("labels field {} is wrong", sig.labels()));
    }
    if sig.original_ttl().as_secs() != set.ttl {
        return Err(format!(
            "original TTL {} differs from the RRset TTL {}",
            sig.original_ttl().as_secs(),
            set.ttl
        ));
    }
    let (inc, exp) = (
        crate::time::rrsig_instant(sig.inception().into_int(), now),
        crate::time::rrsig_instant(sig.expiration().into_int(), now),
    );
    if exp < inc {
        return Err(format!(
            "expires ({}) before its inception ({})",
            crate::time::rfc3339(exp),
            crate::time::rfc3339(inc)
        ));
    }
    if now < inc {
        return Err(format!("not valid before {}", crate::time::rfc3339(inc)));
    }
    if now > exp {
        return Err(format!("expired at {}", crate::time::rfc3339(exp)));
    }
    let (candidates, signer) = match (matching(ctx.keys, sig), matching(ctx.ahead, sig)) {
        (published, _) if !published.is_empty() => (published, Signer::Published),
        (_, ahead) if !ahead.is_empty() => (ahead, Signer::Ahead),
        _ => return Ok(Signer::Unknown),
    };
    if (ctx.trusted)(sig) {
        return Ok(signer);
    }
    // The signed data as our second path makes it, not as the signer did.
    let data = crate::crosscheck::of_rrset(set, sig)?;
    if candidates
        .iter()
        .any(|k| verify_signature(k, &data, sig.signature()).is_ok())
    {
        Ok(signer)
    } else {
        Err("signature does not verify".into())
    }
}

/// Does `sig` verify over `set` with `key`? (No time or field checks.)
pub fn signature_verifies(set: &Rrset, sig: &Signature, key: &Dnskey<Bytes>) -> bool {
    crate::crosscheck::of_rrset(set, sig)
        .is_ok_and(|data| verify_signature(key, &data, sig.signature()).is_ok())
}

/// Verifies through the crypto layer (any backend, RSA of any size).
pub(crate) fn verify_signature(
    key: &Dnskey<Bytes>,
    data: &[u8],
    signature: &[u8],
) -> Result<(), ()> {
    crate::crypto::verify(key.algorithm(), key.public_key(), data, signature)
        .then_some(())
        .ok_or(())
}

/// The DNSKEY RRset must be signed by a SEP key (or, with DS records, by a
/// key a DS names); every DS, CDS and CDNSKEY must match a DNSKEY.
fn check_keyset(
    zone: &Zone,
    keys: &[Key],
    signers: &[u16],
    ds: Option<&[Ds<Bytes>]>,
    report: &mut Report,
) {
    let apex = &zone.apex;
    let sep_signed = keys
        .iter()
        .any(|k| k.dnskey.is_secure_entry_point() && signers.contains(&k.tag));
    if !sep_signed {
        report.error(format!(
            "{apex} DNSKEY: not signed by any key with the SEP flag"
        ));
    }
    if let Some(ds) = ds {
        for d in ds {
            let matched: Vec<&Key> = keys
                .iter()
                .filter(|k| crate::ds::matches(apex, d, &k.dnskey))
                .collect();
            if matched.is_empty() {
                report.error(format!(
                    "DS {} {}: matches no DNSKEY of {apex}",
                    d.key_tag(),
                    d.algorithm()
                ));
            }
        }
        let chained = ds.iter().any(|d| {
            keys.iter()
                .any(|k| crate::ds::matches(apex, d, &k.dnskey) && signers.contains(&k.tag))
        });
        if !chained {
            report.error(format!(
                "{apex} DNSKEY: not signed by any key that a DS record names"
            ));
        }
    }
    let apex_node = zone.apex_node();
    if let Some(cds) = apex_node.get(Rtype::CDS) {
        for d in cds.rdata() {
            if let Rdata::Cds(c) = d {
                let as_ds = Ds::new(
                    c.key_tag(),
                    c.algorithm(),
                    c.digest_type(),
                    c.digest().clone(),
                );
                let ok = as_ds.is_ok_and(|ds| {
                    keys.iter()
                        .any(|k| crate::ds::matches(apex, &ds, &k.dnskey))
                });
                // Algorithm 0 is the RFC 8078 delete request.
                if !ok && c.algorithm().to_int() != 0 {
                    report.error(format!("CDS {}: matches no DNSKEY", c.key_tag()));
                }
            }
        }
    }
    if let Some(cdnskey) = apex_node.get(Rtype::CDNSKEY) {
        for d in cdnskey.rdata() {
            if let Rdata::Cdnskey(c) = d {
                let ok = keys.iter().any(|k| {
                    k.dnskey.flags() == c.flags()
                        && k.dnskey.algorithm() == c.algorithm()
                        && k.dnskey.public_key() == c.public_key()
                });
                if !ok && c.algorithm().to_int() != 0 {
                    report.error("CDNSKEY: matches no DNSKEY".to_string());
                }
            }
        }
    }
}

fn check_denial(zone: &Zone, report: &mut Report) {
    let apex = zone.apex_node();
    let has_nsec3 = apex.has(Rtype::NSEC3PARAM) || zone.nodes.iter().any(is_nsec3_node);
    let has_nsec = zone.nodes.iter().any(|n| n.has(Rtype::NSEC));
    match (has_nsec, has_nsec3) {
        (false, false) => report.error(format!("{}: no NSEC or NSEC3 chain", zone.apex)),
        (true, true) => report.error(format!("{}: both NSEC and NSEC3 records", zone.apex)),
        (true, false) => check_nsec(zone, report),
        (false, true) => check_nsec3(zone, report),
    }
}

fn check_nsec(zone: &Zone, report: &mut Report) {
    let chain: Vec<&Node> = zone.nodes.iter().filter(|n| in_chain(n, false)).collect();
    for n in zone
        .nodes
        .iter()
        .filter(|n| !in_chain(n, false) && n.has(Rtype::NSEC))
    {
        report.error(format!("{}: NSEC at an occluded name", n.owner));
    }
    // Node by node in parallel, errors kept in chain order.
    let errors: Vec<Vec<String>> = (0..chain.len())
        .into_par_iter()
        .map(|i| nsec_errors(chain[i], &chain[(i + 1) % chain.len()].owner))
        .collect();
    report.errors.extend(errors.into_iter().flatten());
}

/// What is wrong with the NSEC of `node`, whose successor is `next`.
fn nsec_errors(node: &Node, next: &StoredName) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(set) = node.get(Rtype::NSEC) else {
        errors.push(format!("{}: no NSEC", node.owner));
        return errors;
    };
    if set.len() != 1 {
        errors.push(format!("{}: {} NSEC records", node.owner, set.len()));
    }
    let Some(Rdata::Nsec(nsec)) = set.first() else {
        return errors;
    };
    if !crate::zone::canon::same(nsec.next_name(), next) {
        errors.push(format!(
            "{} NSEC: next name is {}, expected {}",
            node.owner,
            nsec.next_name(),
            next
        ));
    }
    let want = bitmap_types(node, Some(Rtype::NSEC));
    if !nsec.types().iter().eq(want.iter().copied()) {
        let got: Vec<Rtype> = nsec.types().iter().collect();
        errors.push(format!(
            "{} NSEC: type bitmap {} differs from the types present {}",
            node.owner,
            list(&got),
            list(&want)
        ));
    }
    errors
}

fn list(types: &[Rtype]) -> String {
    types
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn check_nsec3(zone: &Zone, report: &mut Report) {
    let apex = &zone.apex;
    let params = match zone
        .apex_node()
        .get(Rtype::NSEC3PARAM)
        .map(|s| s.rdata().collect::<Vec<_>>())
        .as_deref()
    {
        Some([Rdata::Nsec3param(p)]) => p.clone(),
        Some(_) => {
            report.error(format!("{apex}: more than one NSEC3PARAM"));
            return;
        }
        None => {
            report.error(format!("{apex}: NSEC3 records but no NSEC3PARAM"));
            return;
        }
    };
    if params.flags() != 0 {
        report.error(format!(
            "{apex} NSEC3PARAM: flags {} (must be 0, RFC 5155 s4.1.2)",
            params.flags()
        ));
    }
    let salt = params.salt().as_slice().to_vec();
    let iterations = params.iterations();
    // The chain as published: hash → (node index, opt-out flag).
    let mut published: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut opt_out = false;
    for (i, n) in zone
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| is_nsec3_node(n))
    {
        let Some(Rdata::Nsec3(r)) = n.get(Rtype::NSEC3).and_then(Rrset::first) else {
            continue;
        };
        if r.iterations() != iterations
            || r.salt().as_slice() != salt.as_slice()
            || r.hash_algorithm() != params.hash_algorithm()
        {
            report.error(format!(
                "{} NSEC3: parameters differ from the NSEC3PARAM",
                n.owner
            ));
        }
        opt_out |= r.opt_out();
        let label = n.owner.first().as_slice().to_ascii_lowercase();
        match domain::utils::base32::decode_hex::<Vec<u8>>(&String::from_utf8_lossy(&label)) {
            Ok(h) if n.owner.parent().is_some_and(|p| p == *apex) => {
                published.insert(h, i);
            }
            _ => report.error(format!("{}: not a hashed owner name of {apex}", n.owner)),
        }
    }
    let data: Vec<Node> = zone
        .nodes
        .iter()
        .filter(|n| !is_nsec3_node(n))
        .cloned()
        .collect();
    let wanted: HashMap<[u8; 20], Option<usize>> = hashed(&data, apex, &salt, iterations, false);
    let required = if opt_out {
        hashed(&data, apex, &salt, iterations, true)
    } else {
        wanted.clone()
    };
    for (h, idx) in &required {
        if !published.contains_key(&h[..]) {
            let name = idx
                .map(|i| data[i].owner.to_string())
                .unwrap_or_else(|| "an empty non-terminal".into());
            report.error(format!("no NSEC3 for {name} ({})", nsec3::base32hex(h)));
        }
    }
    let mut order: Vec<(&Vec<u8>, &usize)> = published.iter().collect();
    order.sort();
    for (k, (h, ni)) in order.iter().enumerate() {
        let node = &zone.nodes[**ni];
        let Some(Rdata::Nsec3(r)) = node.get(Rtype::NSEC3).and_then(Rrset::first) else {
            continue;
        };
        let next = order[(k + 1) % order.len()].0;
        if r.next_owner().as_slice() != next.as_slice() {
            report.error(format!(
                "{} NSEC3: next hashed owner is wrong (chain broken)",
                node.owner
            ));
        }
        let mut key = [0u8; 20];
        if h.len() == 20 {
            key.copy_from_slice(h);
        }
        let Some(target) = wanted.get(&key) else {
            report.error(format!(
                "{} NSEC3: no name of the zone hashes to it",
                node.owner
            ));
            continue;
        };
        let want = match target {
            Some(i) => bitmap_types(&data[*i], None),
            None => Vec::new(),
        };
        let got: Vec<Rtype> = r.types().iter().collect();
        if got != want {
            report.error(format!(
                "{} NSEC3: type bitmap {} differs from the types present {}",
                node.owner,
                list(&got),
                list(&want)
            ));
        }
    }
}

fn hashed(
    data: &[Node],
    apex: &StoredName,
    salt: &[u8],
    iterations: u16,
    opt_out: bool,
) -> HashMap<[u8; 20], Option<usize>> {
    nsec3::chain_names(data, apex, opt_out)
        .into_iter()
        .map(|(wire, idx)| (nsec3::hash_wire(&wire, salt, iterations), idx))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::tests::signed_example;
    use std::str::FromStr;

    fn load(text: &str) -> Zone {
        let apex = StoredName::from_str("example.").unwrap();
        let (recs, src) = reader::read_str(text, Path::new("s.zone"), &apex).unwrap();
        Zone::from_records(recs, &src, &apex, Dnssec::Keep).unwrap()
    }

    /// The signature field (last token) of the RRSIG line covering `rtype`
    /// at `owner`.
    fn sig_of<'a>(text: &'a str, owner: &str, rtype: &str) -> &'a str {
        let line = text
            .lines()
            .find(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.first() == Some(&owner) && f.get(3) == Some(&"RRSIG") && f.get(4) == Some(&rtype)
            })
            .unwrap();
        line.rsplit(' ').next().unwrap()
    }

    /// Trust skips only the cryptography: a swapped signature fails unless
    /// trusted, and a trusted one is still held to its validity window.
    #[test]
    fn trusted_signatures_skip_only_the_cryptography() {
        let text = signed_example().to_text().unwrap();
        let good = load(&text);
        let report = verify_zone(&good, None, 1_500);
        assert!(report.is_ok(), "{report}\n{text}");

        let www = sig_of(&text, "www.example.", "A");
        let ns = sig_of(&text, "ns.example.", "A");
        let swapped = load(&text.replacen(www, ns, 1));
        let report = verify_zone(&swapped, None, 1_500);
        assert_eq!(report.errors.len(), 1, "{report}");
        assert!(report.errors[0].contains("www.example A"), "{report}");

        let ns_octets = good.nodes[good.nodes.len() - 2]
            .rrsigs()
            .find(|s| s.type_covered() == Rtype::A)
            .unwrap()
            .signature()
            .clone();
        let trust_ns = |s: &Signature| s.signature().as_ref() == ns_octets.as_ref();
        assert!(verify_zone_trusting(&swapped, None, 1_500, &trust_ns).is_ok());
        let trust_all = |_: &Signature| true;
        assert!(!verify_zone_trusting(&swapped, None, 2_001, &trust_all).is_ok());
    }

    /// A zone just signed is judged the same with its signatures given per
    /// owner as written into RRSIG RRsets, and a bad one is caught.
    #[test]
    fn signatures_given_per_owner_are_checked_alike() {
        let (zone, sigs) = signed_example().into_parts();
        let none = |_: &Signature| false;
        let report = verify_signed_trusting(&zone, &sigs, None, 1_500, &none, &[]);
        assert!(report.is_ok(), "{report}");
        let as_rrsets = verify_zone(&signed_example().into_zone(), None, 1_500);
        assert_eq!(report.rrsigs_verified, as_rrsets.rrsigs_verified);
        assert_eq!(report.rrsets_checked, as_rrsets.rrsets_checked);

        // Move the last owner's signatures to the owner before it.
        let mut moved = sigs.clone();
        let last = moved.len() - 1;
        let taken = std::mem::take(&mut moved[last]);
        moved[last - 1] = taken;
        let report = verify_signed_trusting(&zone, &moved, None, 1_500, &none, &[]);
        assert!(!report.is_ok());
        assert!(
            report.errors.iter().any(|e| e.contains("no RRSIG")),
            "{report}"
        );
    }
}
