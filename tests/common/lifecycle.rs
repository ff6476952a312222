//! A harness for the enforcer: a policy in which every timing parameter has
//! its own value (so a wrong term in a formula cannot hide), and a fake
//! key generator.
#![allow(dead_code)]

use zonesign::keys::Role;
use zonesign::lifecycle::{Event, KeyRequest, Outcome, advance};
use zonesign::policy::Policy;
use zonesign::state::{KeyRecord, KeyState, KeyTimes, ZoneState};

pub const DAY: u64 = 86400;
pub const T0: u64 = 1_800_000_000;

// Distinct values: TTLkey, Dprp, Sp, Sr, TTLsig, Dprp_p, TTLds, Dreg, purge.
pub const TTL_KEY: u64 = 3000;
pub const DPRP: u64 = 700;
pub const SP: u64 = 1100;
pub const SR: u64 = 1300;
pub const TTL_SIG: u64 = 5000;
pub const DPRP_P: u64 = 1700;
pub const TTL_DS: u64 = 1900;
pub const DREG: u64 = 23000;
pub const PURGE: u64 = 2900;

pub const IPUB: u64 = TTL_KEY + DPRP + SP;
pub const ZSK_RETIRE: u64 = DPRP + TTL_SIG + SR;
pub const KSK_RETIRE: u64 = TTL_DS + DPRP_P + SR;
pub const DS_READY: u64 = TTL_DS + DPRP_P + SP;

pub fn policy() -> Policy {
    let mut p = Policy::default_named("test");
    p.dnskey_ttl = TTL_KEY;
    p.zone_propagation_delay = DPRP;
    p.publish_safety = SP;
    p.retire_safety = SR;
    p.max_zone_ttl = TTL_SIG;
    p.parent_propagation_delay = DPRP_P;
    p.ds_ttl = TTL_DS;
    p.registration_delay = DREG;
    p.purge = PURGE;
    p.zsk.lifetime = 30 * DAY;
    p.ksk.lifetime = 90 * DAY;
    assert!(p.problems().is_empty(), "{:?}", p.problems());
    p
}

/// Makes keys with consecutive tags, of the policy's algorithm.
pub struct FakeKeys {
    pub next_tag: u16,
    pub algorithm: u8,
}

impl FakeKeys {
    pub fn new() -> Self {
        FakeKeys {
            next_tag: 1000,
            algorithm: 13,
        }
    }

    pub fn make(&mut self, req: &KeyRequest) -> Result<KeyRecord, String> {
        self.next_tag += 1;
        Ok(KeyRecord {
            tag: self.next_tag,
            algorithm: self.algorithm,
            role: req.role,
            state: KeyState::Generate,
            standby: req.standby,
            file: format!("Ktest.+{:03}+{:05}", self.algorithm, self.next_tag),
            bits: None,
            times: KeyTimes::default(),
        })
    }
}

impl Default for FakeKeys {
    fn default() -> Self {
        Self::new()
    }
}

/// One run of the enforcer.
pub fn run(p: &Policy, s: &ZoneState, events: &[Event], now: u64, keys: &mut FakeKeys) -> Outcome {
    keys.algorithm = p.algorithm.to_int();
    advance(p, s, events, now, |r| keys.make(r)).expect("fake keys never fail")
}

pub fn tags_in(s: &ZoneState, role: Role, state: KeyState) -> Vec<u16> {
    s.keys
        .iter()
        .filter(|k| k.role == role && k.state == state)
        .map(|k| k.tag)
        .collect()
}

pub fn one(s: &ZoneState, role: Role, state: KeyState) -> u16 {
    let v = tags_in(s, role, state);
    assert_eq!(v.len(), 1, "{role:?} in {state:?}: {v:?}\n{s:#?}");
    v[0]
}
