//! The waits of rules §2 by name (RFC 7583 terms), each using the largest
//! TTL that may still be cached, not just the current one.

use crate::keys::Role;
use crate::policy::Policy;
use crate::state::{History, KeyRecord};

/// The timing formulas as they stand at one instant.
#[derive(Clone, Copy, Debug)]
pub struct Timing<'a> {
    pub policy: &'a Policy,
    pub history: &'a History,
    pub now: u64,
}

impl<'a> Timing<'a> {
    pub fn new(policy: &'a Policy, history: &'a History, now: u64) -> Timing<'a> {
        Timing {
            policy,
            history,
            now,
        }
    }

    /// TTLkey, the largest DNSKEY TTL still cached. A secondary may serve
    /// a record Dprp after the primary changed it, so the TTL that was in
    /// force Dprp ago still counts.
    pub fn ttl_key(&self) -> u64 {
        let served = self.now.saturating_sub(self.policy.zone_propagation_delay);
        self.history
            .dnskey_ttl
            .effective(served)
            .max(self.policy.dnskey_ttl)
    }

    /// TTLsig, the largest zone TTL still cached (as TTLkey).
    pub fn ttl_sig(&self) -> u64 {
        let served = self.now.saturating_sub(self.policy.zone_propagation_delay);
        self.history
            .max_zone_ttl
            .effective(served)
            .max(self.policy.max_zone_ttl)
    }

    /// TTLds, the largest DS TTL still cached (the parent's servers lag by
    /// Dprp_p).
    pub fn ttl_ds(&self) -> u64 {
        let served = self
            .now
            .saturating_sub(self.policy.parent_propagation_delay);
        self.history
            .ds_ttl
            .effective(served)
            .max(self.policy.ds_ttl)
    }

    /// Ipub = TTLkey + Dprp + Sp: publish → ready, keypublish → active.
    pub fn ipub(&self) -> u64 {
        self.ttl_key() + self.policy.zone_propagation_delay + self.policy.publish_safety
    }

    /// Retired ZSK → dead, counted from the first run without its
    /// signatures: Dprp + TTLsig + Sr.
    pub fn zsk_retire_wait(&self) -> u64 {
        self.policy.zone_propagation_delay + self.ttl_sig() + self.policy.retire_safety
    }

    /// Until a zone's new signatures are in every cache, from the first run
    /// that carried them: Dprp + TTLsig + Sp (an algorithm's keys wait so
    /// long to be published, a new zone's first DS too).
    pub fn signatures_propagated(&self) -> u64 {
        self.policy.zone_propagation_delay + self.ttl_sig() + self.policy.publish_safety
    }

    /// Until no cache holds a DNSKEY RRset with a key that left the zone:
    /// Dprp + TTLkey + Sr (an algorithm's signatures stay so long after
    /// its last DNSKEY).
    pub fn dnskey_retire_wait(&self) -> u64 {
        self.policy.zone_propagation_delay + self.ttl_key() + self.policy.retire_safety
    }

    /// Retired KSK → dead, counted from ds-gone: TTLds + Dprp_p + Sr.
    pub fn ksk_retire_wait(&self) -> u64 {
        self.ttl_ds() + self.policy.parent_propagation_delay + self.policy.retire_safety
    }

    /// Standby dspublish → dsready, counted from ds-seen: TTLds + Dprp_p + Sp.
    pub fn ds_ready_wait(&self) -> u64 {
        self.ttl_ds() + self.policy.parent_propagation_delay + self.policy.publish_safety
    }

    /// How long before the end of a lifetime the successor is generated:
    /// Ipub, plus Dreg when the parent must publish a DS.
    pub fn lead_time(&self, role: Role) -> u64 {
        match role {
            Role::Zsk => self.ipub(),
            Role::Ksk | Role::Csk => self.ipub() + self.policy.registration_delay,
        }
    }

    pub fn lifetime(&self, role: Role) -> u64 {
        match role {
            Role::Zsk => self.policy.zsk.lifetime,
            Role::Ksk | Role::Csk => self.policy.ksk.lifetime,
        }
    }

    pub fn manual(&self, role: Role) -> bool {
        match role {
            Role::Zsk => self.policy.zsk.manual_rollover,
            Role::Ksk | Role::Csk => self.policy.ksk.manual_rollover,
        }
    }

    /// When an active key's lifetime ends.
    pub fn end_of_life(&self, key: &KeyRecord) -> Option<u64> {
        key.times.active.map(|a| a + self.lifetime(key.role))
    }
}
