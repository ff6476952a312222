//! A resolver's cache across two versions of a signed zone: whatever it
//! holds from the older version (DNSKEY RRset, DS, data with signatures)
//! it may combine with anything fresh from the newer one. A key change is
//! safe only if every such mix validates. Timing-free and so stricter
//! than TTLs require, which a correct rollover still meets between any two
//! consecutive versions (RFC 6781 s4.1, RFC 7583).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use zonesign::zone::{Rdata, reader};

/// (algorithm, key tag).
type Key = (u8, u16);

/// What a resolver can see of one version of the zone and its parent.
#[derive(Debug, Default)]
pub struct Version {
    pub dnskeys: BTreeSet<Key>,
    /// Keys whose RRSIG covers the DNSKEY RRset.
    pub keyset_signers: BTreeSet<Key>,
    /// (owner, type) → keys signing it, other than the DNSKEY RRset.
    pub signed: BTreeMap<(String, u16), BTreeSet<Key>>,
    /// The DS records the parent serves meanwhile.
    pub ds: BTreeSet<Key>,
}

/// Reads a signed zone (any signer's text form) and the parent's DS text.
pub fn version(zone_text: &str, ds_text: &str, origin: &str) -> Version {
    let apex = crate::common::name(origin);
    let (records, _) = reader::read_str(zone_text, Path::new("signed zone"), &apex)
        .expect("a readable signed zone");
    let mut v = Version::default();
    for r in records {
        match r.rdata() {
            Some(Rdata::Dnskey(k)) if r.owner == apex => {
                v.dnskeys.insert((k.algorithm().to_int(), k.key_tag()));
            }
            Some(Rdata::Rrsig(s)) => {
                let key = (s.algorithm().to_int(), s.key_tag());
                if s.type_covered() == domain::base::iana::Rtype::DNSKEY {
                    v.keyset_signers.insert(key);
                } else {
                    let at = (r.owner.to_string(), s.type_covered().to_int());
                    v.signed.entry(at).or_default().insert(key);
                }
            }
            _ => {}
        }
    }
    if !ds_text.trim().is_empty() {
        let (records, _) =
            reader::read_str_default_ttl(ds_text, Path::new("parent DS"), &apex, 3600)
                .expect("readable DS records");
        for r in records {
            if let Some(Rdata::Ds(d)) = r.rdata() {
                v.ds.insert((d.algorithm().to_int(), d.key_tag()));
            }
        }
    }
    v
}

/// Every way a cache mixing `old` and `new` fails to validate.
pub fn mixes(old: &Version, new: &Version) -> Vec<String> {
    let mut bad = Vec::new();
    let chain =
        |ds: &BTreeSet<Key>, signers: &BTreeSet<Key>| ds.is_empty() || !ds.is_disjoint(signers);
    if !chain(&old.ds, &new.keyset_signers) {
        bad.push(format!(
            "cached DS {:?} matches no key signing the new DNSKEY RRset {:?}",
            old.ds, new.keyset_signers
        ));
    }
    if !chain(&new.ds, &old.keyset_signers) {
        bad.push(format!(
            "new DS {:?} matches no key signing the cached DNSKEY RRset {:?}",
            new.ds, old.keyset_signers
        ));
    }
    for ((owner, t), keys) in &new.signed {
        if keys.is_disjoint(&old.dnskeys) {
            bad.push(format!(
                "new {owner} type {t} signed by {keys:?}, none in the cached DNSKEY RRset {:?}",
                old.dnskeys
            ));
        }
    }
    for ((owner, t), keys) in &old.signed {
        if keys.is_disjoint(&new.dnskeys) {
            bad.push(format!(
                "cached {owner} type {t} signed by {keys:?}, none in the new DNSKEY RRset {:?}",
                new.dnskeys
            ));
        }
    }
    bad.truncate(5);
    bad
}
