//! Signature reuse (SPEC §3): a signature from the previous output is kept
//! when its RRset is unchanged, its key still signs that RRset, it is
//! already valid and it expires later than now + `refresh`. Reuse is what
//! makes a rerun cheap and its output byte-identical.

use std::collections::HashMap;

use domain::base::iana::Rtype;

use super::Signature;
use crate::keys::SigningKey;
use crate::zone::{Rdata, Rrset, StoredName, Zone};

/// An RRset of the previous output and the signatures over it.
struct Signed {
    ttl: u32,
    /// Canonical RDATA, sorted (as `Rrset::wire`).
    wire: Vec<Box<[u8]>>,
    sigs: Vec<Signature>,
}

/// The previous signed zone, indexed by (owner, type).
#[derive(Default)]
pub struct Previous {
    sets: HashMap<(StoredName, Rtype), Signed>,
}

impl Previous {
    /// Indexes a signed zone read with `Dnssec::Keep`.
    pub fn from_zone(zone: Zone) -> Previous {
        let mut sets = HashMap::new();
        for node in zone.nodes {
            let mut sigs: Vec<Signature> = Vec::new();
            let mut others = Vec::with_capacity(node.rrsets.len());
            for set in node.rrsets {
                if set.rtype == Rtype::RRSIG {
                    sigs.extend(set.rdata.into_iter().filter_map(|d| match d {
                        Rdata::Rrsig(r) => Some(r),
                        _ => None,
                    }));
                } else {
                    others.push(set);
                }
            }
            for set in others {
                let covering = sigs
                    .iter()
                    .filter(|s| s.type_covered() == set.rtype)
                    .cloned()
                    .collect();
                sets.insert(
                    (set.owner, set.rtype),
                    Signed {
                        ttl: set.ttl,
                        wire: set.wire,
                        sigs: covering,
                    },
                );
            }
        }
        Previous { sets }
    }
}

/// What may be reused at one run.
pub struct Reuse<'a> {
    pub previous: &'a Previous,
    pub now: u64,
    /// Signatures expiring before now + refresh are made anew.
    pub refresh: u64,
}

impl Reuse<'_> {
    /// A previous signature by `key` over exactly this RRset, if one may be kept.
    pub fn signature(&self, set: &Rrset, key: &SigningKey) -> Option<Signature> {
        let prev = self.previous.sets.get(&(set.owner.clone(), set.rtype))?;
        if prev.ttl != set.ttl || prev.wire != set.wire {
            return None;
        }
        let keep_until = self.now.saturating_add(self.refresh);
        prev.sigs
            .iter()
            .find(|s| {
                s.key_tag() == key.key_tag
                    && s.algorithm() == key.algorithm()
                    && *s.signer_name() == key.owner
                    && s.original_ttl().as_secs() == set.ttl
                    && u64::from(s.inception().into_int()) <= self.now
                    && u64::from(s.expiration().into_int()) > keep_until
            })
            .cloned()
    }
}
