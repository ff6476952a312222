//! Where an adopted key enters the lifecycle, from what the served zone
//! shows of it. A pure function: the served zone is the truth about what
//! resolvers have seen; the previous signer's metadata only dates it.
//!
//! Every time is taken no later than the adoption, and a time that makes a
//! wait shorter (when a key was published, when its signatures left) is
//! taken as the adoption itself, since the served zone proves only that the
//! key is there now.

use super::sources::Metadata;
use crate::keys::Role;
use crate::state::{KeyRecord, KeyState, KeyTimes};

/// What the served zone and the parent show of one DNSKEY.
#[derive(Clone, Debug)]
pub struct Seen {
    pub tag: u16,
    pub algorithm: u8,
    /// The SEP flag.
    pub sep: bool,
    /// A valid RRSIG of this key covers the DNSKEY RRset.
    pub signs_keyset: bool,
    /// A valid RRSIG of this key covers the SOA.
    pub signs_zone: bool,
    /// A DS the parent serves matches it.
    pub ds_at_parent: bool,
    /// Some key with the SEP flag signs the DNSKEY RRset.
    pub sep_signs_keyset: bool,
    pub meta: Metadata,
    /// Base name of its key files in our key store.
    pub file: String,
    /// Key size in bits.
    pub bits: Option<u32>,
}

/// The key record for `k` adopted at `now`.
pub fn place(k: &Seen, now: u64) -> KeyRecord {
    let at = |t: Option<u64>| t.map(|t| t.min(now));
    // BIND also signs the DNSKEY RRset with its ZSKs: a key that signs the
    // data is a CSK only if it has the SEP flag or no SEP key signs the keys.
    let role = match (k.signs_zone, k.signs_keyset) {
        (true, true) if k.sep || !k.sep_signs_keyset => Role::Csk,
        (true, _) => Role::Zsk,
        (false, true) => Role::Ksk,
        (false, false) if k.sep => Role::Ksk,
        (false, false) => Role::Zsk,
    };
    let mut times = KeyTimes::default();
    let signing = k.signs_keyset || k.signs_zone;
    let state = if signing {
        // In use: only its lifetime depends on these times.
        let active = at(k.meta.activate).unwrap_or(now);
        let publish = at(k.meta.publish).unwrap_or(active).min(active);
        times.publish = Some(publish);
        times.ready = Some(publish);
        times.active = Some(active);
        KeyState::Active
    } else if at(k.meta.inactive).is_some_and(|t| t <= now) {
        // Retired by the previous signer: its signatures may still be
        // cached, so the waits before it leaves start now.
        times.publish = Some(now);
        times.retire = Some(now);
        KeyState::Retire
    } else {
        // Introduced ahead of a rollover: propagated as of now.
        times.publish = Some(now);
        KeyState::Publish
    };
    let first = [times.publish, at(k.meta.created)]
        .into_iter()
        .flatten()
        .min();
    times.generate = first.or(Some(now));
    if k.ds_at_parent && role != Role::Zsk {
        times.ds_submitted = Some(now);
        times.ds_seen = Some(now);
    }
    KeyRecord {
        tag: k.tag,
        algorithm: k.algorithm,
        role,
        state,
        standby: false,
        file: k.file.clone(),
        bits: k.bits,
        times,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn seen(signs_keyset: bool, signs_zone: bool, sep: bool) -> Seen {
        Seen {
            tag: 1,
            algorithm: 13,
            sep,
            signs_keyset,
            signs_zone,
            ds_at_parent: false,
            sep_signs_keyset: sep && signs_keyset,
            meta: Metadata::default(),
            file: "K".into(),
            bits: None,
        }
    }

    #[test]
    fn roles_follow_what_each_key_signs() {
        assert_eq!(place(&seen(true, true, true), NOW).role, Role::Csk);
        assert_eq!(place(&seen(true, false, true), NOW).role, Role::Ksk);
        assert_eq!(place(&seen(false, true, false), NOW).role, Role::Zsk);
        // BIND's ZSK signs the DNSKEY RRset beside the KSK.
        let mut bind_zsk = seen(true, true, false);
        bind_zsk.sep_signs_keyset = true;
        assert_eq!(place(&bind_zsk, NOW).role, Role::Zsk);
        // A CSK without the SEP flag is still a CSK.
        assert_eq!(place(&seen(true, true, false), NOW).role, Role::Csk);
        let standby = place(&seen(false, false, true), NOW);
        assert_eq!(
            (standby.role, standby.state),
            (Role::Ksk, KeyState::Publish)
        );
    }

    #[test]
    fn metadata_dates_a_key_in_use_but_never_shortens_a_wait() {
        let mut k = seen(false, true, false);
        k.meta.publish = Some(NOW - 90 * 86400);
        k.meta.activate = Some(NOW - 80 * 86400);
        let r = place(&k, NOW);
        assert_eq!(r.state, KeyState::Active);
        assert_eq!(r.times.active, Some(NOW - 80 * 86400));
        assert_eq!(r.times.publish, Some(NOW - 90 * 86400));
        // A pre-published key counts as published from the adoption on.
        let mut p = seen(false, false, false);
        p.meta.publish = Some(NOW - 90 * 86400);
        let r = place(&p, NOW);
        assert_eq!((r.state, r.times.publish), (KeyState::Publish, Some(NOW)));
        // Metadata from the future is clamped.
        k.meta.activate = Some(NOW + 86400);
        assert_eq!(place(&k, NOW).times.active, Some(NOW));
    }

    #[test]
    fn a_retired_key_waits_from_the_adoption() {
        let mut k = seen(false, false, false);
        k.meta.inactive = Some(NOW - 86400);
        let r = place(&k, NOW);
        assert_eq!((r.state, r.times.retire), (KeyState::Retire, Some(NOW)));
    }

    #[test]
    fn the_parents_ds_counts_as_seen_for_a_ksk_only() {
        let mut k = seen(true, false, true);
        k.ds_at_parent = true;
        assert_eq!(place(&k, NOW).times.ds_seen, Some(NOW));
        let mut z = seen(false, true, false);
        z.ds_at_parent = true;
        assert_eq!(place(&z, NOW).times.ds_seen, None);
    }
}
