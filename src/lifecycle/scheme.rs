//! Policy changes that replace every key at once (rules §2, "Algorithm and
//! key scheme changes"): a new algorithm (RFC 6781 s4.1.4, RFC 7583 s3.3),
//! KSK+ZSK to CSK and back.
//!
//! Keys that do not match the policy are rolled out by the ordinary states;
//! what differs is when data signatures start and stop. A key of an
//! algorithm no active key signs with yet signs the zone's data before its
//! DNSKEY is published, and keeps its predecessors' algorithm signing
//! until no cache can hold a DNSKEY RRset of that algorithm: every
//! algorithm of the DNSKEY RRset and of the DS RRset signs every RRset
//! (RFC 4035 s2.2, RFC 6840 s5.11).

use super::timing::Timing;
use crate::keys::Role;
use crate::policy::Policy;
use crate::state::{KeyRecord, KeyState, ZoneState};

/// Does the key match what the policy asks for now (algorithm, scheme,
/// RSA key size, key store)? A key of another size or store but the same
/// algorithm is rolled like any key at the end of its life: no algorithm
/// rollover is needed, and keys move between stores only that way.
pub fn conforms(policy: &Policy, k: &KeyRecord) -> bool {
    let rsa = crate::crypto::is_rsa(policy.algorithm);
    !policy.insecure
        && k.algorithm == policy.algorithm.to_int()
        && (k.role == Role::Csk) == policy.csk
        && (!rsa || k.bits.is_none_or(|b| b == policy.rsa_bits))
        && crate::keystore::store_of(&k.file) == policy.keystore.as_deref()
}

/// Does the key sign data (not only the DNSKEY RRset) when active?
pub fn data_role(role: Role) -> bool {
    role != Role::Ksk
}

/// Algorithms of the active keys that sign the zone's data.
fn active_data_algorithms(s: &ZoneState) -> Vec<u8> {
    s.keys
        .iter()
        .filter(|k| data_role(k.role) && k.state == KeyState::Active)
        .map(|k| k.algorithm)
        .collect()
}

/// Is `alg` new to the zone's data signatures: no active key signs with it?
pub fn introduced(s: &ZoneState, alg: u8) -> bool {
    !active_data_algorithms(s).contains(&alg)
}

/// Until when a DNSKEY RRset holding a key of `alg` may still be cached:
/// `None` while one is published; the signatures of that algorithm stay
/// until then. Dprp + TTLkey + Sr after the last such key left.
pub fn algorithm_cached_until(t: &Timing<'_>, s: &ZoneState, alg: u8) -> Option<u64> {
    let keys = s.keys.iter().filter(|k| k.algorithm == alg);
    if keys.clone().any(|k| k.published()) {
        return None;
    }
    Some(
        keys.filter_map(|k| k.times.dead)
            .map(|d| d + t.dnskey_retire_wait())
            .max()
            .unwrap_or(0),
    )
}

/// When a key of an introduced algorithm may be published: once the data
/// signatures of its algorithm by keys to be published are in every cache
/// (Dprp + TTLsig + Sp after the first run that carried them). `None`
/// while no such key signs.
pub fn publish_after_signatures(t: &Timing<'_>, s: &ZoneState, k: &KeyRecord) -> Option<u64> {
    s.keys
        .iter()
        .filter(|o| o.algorithm == k.algorithm && data_role(o.role))
        // Signatures of a key on its way out do not count: it is not in
        // the DNSKEY RRset that is to be published.
        .filter(|o| !matches!(o.state, KeyState::Retire | KeyState::Dead))
        .filter_map(|o| o.times.signing)
        .min()
        .map(|since| since + t.signatures_propagated())
}

/// Starts and stops data signatures (`times.signing`,
/// `times.signatures_gone`); returns whether anything changed.
pub fn update_signing(policy: &Policy, s: &mut ZoneState, now: u64) -> bool {
    let history = s.history.clone();
    let t = Timing::new(policy, &history, now);
    let mut changed = false;
    for i in 0..s.keys.len() {
        let k = &s.keys[i];
        if !data_role(k.role) || k.times.signatures_gone.is_some() {
            continue;
        }
        let (alg, state) = (k.algorithm, k.state);
        let start = match state {
            KeyState::Active => true,
            KeyState::Generate | KeyState::Publish | KeyState::Ready => {
                conforms(policy, k) && introduced(s, alg)
            }
            _ => false,
        };
        // Going insecure, the signatures go with the last DNSKEY: the DS
        // has left every cache by then, so no validator needs them.
        let unsigned = policy.insecure && !s.keys.iter().any(|o| o.published());
        let stop = match state {
            KeyState::Retire | KeyState::Dead => {
                k.times.signing.is_none()
                    || unsigned
                    || !introduced(s, alg)
                    || algorithm_cached_until(&t, s, alg).is_some_and(|u| now >= u)
            }
            _ => false,
        };
        let k = &mut s.keys[i];
        if start && k.times.signing.is_none() {
            k.times.signing = Some(now);
            changed = true;
        }
        if stop {
            k.times.signatures_gone = Some(now);
            changed = true;
        }
    }
    changed
}

/// Is every function of the active key `k` served by another active key
/// that matches the policy (or is the same role as the key taking over)?
pub fn replaced(policy: &Policy, s: &ZoneState, k: &KeyRecord, by: &KeyRecord) -> bool {
    if k.role != by.role && conforms(policy, k) {
        return false;
    }
    let served = |sep: bool| {
        s.keys.iter().any(|o| {
            o.tag != k.tag
                && o.state == KeyState::Active
                && (o.tag == by.tag || conforms(policy, o))
                && if sep {
                    o.role != Role::Zsk
                } else {
                    data_role(o.role)
                }
        })
    };
    (k.role == Role::Zsk || served(true)) && (k.role == Role::Ksk || served(false))
}

/// The policy change in progress, in words: what changes and the step it
/// is at (`status`, `plan`). `None` when every key matches the policy.
pub fn describe(policy: &Policy, s: &ZoneState, now: u64) -> Option<String> {
    let old: Vec<&KeyRecord> = s.keys.iter().filter(|k| !conforms(policy, k)).collect();
    let first = old.first()?;
    let new_alg = policy.algorithm.to_int();
    let what = if first.algorithm != new_alg {
        format!("algorithm rollover {} -> {new_alg}", first.algorithm)
    } else if policy.csk {
        "KSK+ZSK -> CSK".to_string()
    } else {
        "CSK -> KSK+ZSK".to_string()
    };
    let t = Timing::new(policy, &s.history, now);
    let new = |states: &[KeyState]| {
        s.keys
            .iter()
            .filter(|k| conforms(policy, k) && !k.standby && states.contains(&k.state))
            .collect::<Vec<_>>()
    };
    let at = |x: Option<u64>| x.map_or("-".into(), crate::time::rfc3339);
    let step = if let Some(k) = new(&[KeyState::Generate]).first() {
        format!(
            "new signatures in the zone, new DNSKEYs published from {}",
            at(publish_after_signatures(&t, s, k))
        )
    } else if !new(&[KeyState::Publish]).is_empty() {
        "new DNSKEYs published, waiting for them to reach every cache".to_string()
    } else if new(&[KeyState::Ready])
        .iter()
        .any(|k| k.role != Role::Zsk && k.times.ds_seen.is_none())
    {
        "waiting for the new DS at the parent (ds-seen)".to_string()
    } else if old.iter().any(|k| super::decide::ds_to_withdraw(k)) {
        "waiting for the old DS to leave the parent (ds-gone)".to_string()
    } else if old.iter().any(|k| k.published()) {
        "old DNSKEYs leave the zone once the old DS has left every cache".to_string()
    } else if let Some(k) = old.iter().find(|k| super::decide::signs_data(k)) {
        format!(
            "old signatures leave the zone at {}",
            at(algorithm_cached_until(&t, s, k.algorithm))
        )
    } else {
        "old keys are purged".to_string()
    };
    Some(format!("{what}: {step}"))
}
