//! Years of runs at irregular times against a simulated parent, with
//! manual, emergency and standby rollovers mixed in. At every instant a new
//! zone or DS set appears, the safety invariant of SPEC §2 is checked for
//! every cache state a validating resolver may hold; and rollovers of every
//! kind must complete. Sabotaged enforcers must be caught.

#[path = "common/lifecycle.rs"]
mod lc;

use std::collections::BTreeSet;

use lc::*;
use zonesign::keys::Role;
use zonesign::lifecycle::{Decisions, Event, decide};
use zonesign::policy::Policy;
use zonesign::state::{KeyState, ZoneState};

/// What the child zone served from `at` on.
#[derive(Clone, Debug)]
struct ZoneVersion {
    at: u64,
    published: BTreeSet<u16>,
    keyset_signers: BTreeSet<u16>,
    zone_signers: BTreeSet<u16>,
}

/// The DS set the parent served from `at` on.
#[derive(Clone, Debug)]
struct DsVersion {
    at: u64,
    ds: BTreeSet<u16>,
}

/// A broken enforcer, to show the invariant check can fail.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Sabotage {
    None,
    /// Drop a retired ZSK from the DNSKEY RRset one run before the enforcer would.
    ZskRemovedOneRunEarly,
    /// Drop the old KSK the moment the new one is active.
    OldKskDroppedAtDsSeen,
    /// Publish a new ZSK only once it signs (no pre-publication).
    ZskNotPrepublished,
}

#[derive(Default, Debug)]
struct Stats {
    runs: usize,
    dead: [usize; 3],
    standby_used: usize,
    manual: usize,
    emergency: usize,
}

fn role_index(r: Role) -> usize {
    match r {
        Role::Ksk => 0,
        Role::Zsk => 1,
        Role::Csk => 2,
    }
}

fn sabotage(d: &mut Decisions, s: &ZoneState, next_run: u64, how: Sabotage) {
    let mut drop: Vec<u16> = Vec::new();
    for k in &s.keys {
        let gone = match how {
            Sabotage::None => false,
            Sabotage::ZskRemovedOneRunEarly => {
                k.role == Role::Zsk
                    && k.state == KeyState::Retire
                    && k.times
                        .signatures_gone
                        .is_some_and(|g| g + ZSK_RETIRE <= next_run)
            }
            Sabotage::OldKskDroppedAtDsSeen => k.role == Role::Ksk && k.state == KeyState::Retire,
            Sabotage::ZskNotPrepublished => {
                k.role == Role::Zsk && matches!(k.state, KeyState::Publish | KeyState::Ready)
            }
        };
        if gone {
            drop.push(k.tag);
        }
    }
    d.published.retain(|t| !drop.contains(t));
    d.keyset_signers.retain(|t| !drop.contains(t));
}

struct Sim {
    policy: Policy,
    rng: fastrand::Rng,
    keys: FakeKeys,
    state: ZoneState,
    zone: Vec<ZoneVersion>,
    parent: Vec<DsVersion>,
    /// Parent changes not yet made: (time, tag, add?).
    registrar: Vec<(u64, u16, bool)>,
    /// Operator events waiting for the next run: (earliest run, event).
    inbox: Vec<(u64, Event)>,
    stats: Stats,
}

impl Sim {
    fn new(policy: Policy, seed: u64) -> Sim {
        Sim {
            policy,
            rng: fastrand::Rng::with_seed(seed),
            keys: FakeKeys::new(),
            state: ZoneState::new("example.com"),
            zone: Vec::new(),
            parent: vec![DsVersion {
                at: 0,
                ds: BTreeSet::new(),
            }],
            registrar: Vec::new(),
            inbox: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// The parent publishes what the registrar was given, up to `until`;
    /// the operator then learns of it (ds-seen / ds-gone at the next run).
    fn parent_until(&mut self, until: u64) {
        self.registrar.sort();
        while let Some(&(at, tag, add)) = self.registrar.first() {
            if at > until {
                break;
            }
            self.registrar.remove(0);
            let mut ds = self.parent.last().map(|v| v.ds.clone()).unwrap_or_default();
            let changed = if add { ds.insert(tag) } else { ds.remove(&tag) };
            if changed {
                self.parent.push(DsVersion { at, ds });
            }
            let seen_after = at + self.rng.u64(0..=DPRP_P);
            self.inbox.push((
                seen_after,
                if add {
                    Event::DsSeen(tag)
                } else {
                    Event::DsGone(tag)
                },
            ));
        }
    }

    fn run(&mut self, now: u64, next_run: u64, how: Sabotage) {
        self.parent_until(now);
        let mut events: Vec<Event> = Vec::new();
        self.inbox.retain(|(at, e)| {
            if *at <= now {
                events.push(e.clone());
                false
            } else {
                true
            }
        });
        // The operator sometimes steps in.
        let roll = self.rng.u32(0..1000);
        if roll < 4 {
            events.push(Event::Rollover {
                role: if self.policy.csk {
                    Role::Csk
                } else {
                    Role::Zsk
                },
                emergency: false,
            });
            self.stats.manual += 1;
        } else if roll < 6 {
            let role = if self.policy.csk {
                Role::Csk
            } else {
                Role::Ksk
            };
            events.push(Event::Rollover {
                role,
                emergency: true,
            });
            self.stats.emergency += 1;
        } else if roll < 8 && self.policy.ksk.standby > 0 {
            events.push(Event::UseStandby);
        }
        let out = run(&self.policy, &self.state, &events, now, &mut self.keys);
        for t in &out.transitions {
            if t.to == KeyState::Dead {
                self.stats.dead[role_index(t.role)] += 1;
            }
            if t.to == KeyState::Keypublish {
                self.stats.standby_used += 1;
            }
        }
        let mut d = decide(&out.state);
        sabotage(&mut d, &out.state, next_run, how);
        assert!(
            !d.zone_signers.is_empty() && !d.keyset_signers.is_empty(),
            "nothing signs at {now}"
        );
        self.zone.push(ZoneVersion {
            at: now,
            published: d.published.iter().copied().collect(),
            keyset_signers: d.keyset_signers.iter().copied().collect(),
            zone_signers: d.zone_signers.iter().copied().collect(),
        });
        // The registrar is told what to add and remove.
        let at_parent = self.parent.last().map(|v| v.ds.clone()).unwrap_or_default();
        for tag in &d.ds_wanted {
            let queued = self.registrar.iter().any(|(_, t, add)| t == tag && *add);
            if !at_parent.contains(tag) && !queued {
                self.registrar
                    .push((now + self.rng.u64(0..=DREG), *tag, true));
            }
        }
        for tag in &d.ds_withdraw {
            let queued = self.registrar.iter().any(|(_, t, add)| t == tag && !*add);
            if at_parent.contains(tag) && !queued {
                self.registrar
                    .push((now + self.rng.u64(0..=DREG), *tag, false));
            }
        }
        self.state = out.state;
        self.stats.runs += 1;
    }

    /// Runs from T0 for `days` at irregular times.
    fn simulate(&mut self, days: u64, how: Sabotage) {
        let end = T0 + days * DAY;
        let mut now = T0;
        while now < end {
            let next = now + self.rng.u64(1200..=30 * 3600);
            self.run(now, next, how);
            now = next;
        }
        self.parent_until(end);
    }
}

/// Versions of a history whose serving time overlaps [from, to].
fn served_in<T>(versions: &[T], at: impl Fn(&T) -> u64, from: u64, to: u64) -> Vec<&T> {
    (0..versions.len())
        .filter(|&i| {
            let start = at(&versions[i]);
            let end = versions.get(i + 1).map_or(u64::MAX, &at);
            start <= to && end > from
        })
        .map(|i| &versions[i])
        .collect()
}

/// Checks the invariant at every instant a new version appears.
fn violations(sim: &Sim) -> Vec<String> {
    let mut instants: Vec<u64> = sim
        .zone
        .iter()
        .map(|v| v.at)
        .chain(sim.parent.iter().map(|v| v.at))
        .collect();
    instants.sort();
    instants.dedup();
    let mut out = Vec::new();
    for t in instants {
        let ds_sets = served_in(&sim.parent, |v| v.at, t.saturating_sub(TTL_DS + DPRP_P), t);
        let keysets = served_in(&sim.zone, |v| v.at, t.saturating_sub(TTL_KEY + DPRP), t);
        let sigs = served_in(&sim.zone, |v| v.at, t.saturating_sub(TTL_SIG + DPRP), t);
        for ds in ds_sets.iter().filter(|d| !d.ds.is_empty()) {
            for k in &keysets {
                if !ds
                    .ds
                    .iter()
                    .any(|tag| k.keyset_signers.contains(tag) && k.published.contains(tag))
                {
                    out.push(format!(
                        "at {t}: DS set {:?} (from {}) matches no key signing the DNSKEY RRset {:?} (from {})",
                        ds.ds, ds.at, k.keyset_signers, k.at
                    ));
                }
            }
        }
        for k in &keysets {
            for s in &sigs {
                if !s.zone_signers.is_subset(&k.published) {
                    out.push(format!(
                        "at {t}: signatures by {:?} (zone from {}) but DNSKEY RRset {:?} (from {})",
                        s.zone_signers, s.at, k.published, k.at
                    ));
                }
            }
        }
    }
    out
}

const YEARS: u64 = 4;

/// Simulates YEARS of runs and asserts that no cache state ever fails.
fn simulate_safely(p: &Policy, seed: u64) -> Sim {
    let mut sim = Sim::new(p.clone(), seed);
    sim.simulate(YEARS * 365, Sabotage::None);
    let v = violations(&sim);
    assert!(
        v.is_empty(),
        "seed {seed}: {} violations, first: {:?}",
        v.len(),
        &v[..v.len().min(3)]
    );
    sim
}

#[test]
fn ksk_zsk_with_standby_stays_safe_for_years() {
    let mut p = policy();
    p.ksk.standby = 1;
    for seed in 1..=3 {
        let sim = simulate_safely(&p, seed);
        let s = &sim.stats;
        eprintln!(
            "seed {seed}: {s:?}, {} zone versions, {} DS versions",
            sim.zone.len(),
            sim.parent.len()
        );
        // Scheduled rolls alone: a ZSK every 30 days, a KSK every 90.
        assert!(
            s.dead[1] as u64 >= YEARS * 365 / 30 - 2,
            "ZSK rollovers completed: {s:?}"
        );
        assert!(
            s.dead[0] as u64 >= YEARS * 365 / 90 - 2,
            "KSK rollovers completed: {s:?}"
        );
        assert!(s.standby_used >= 1, "a standby KSK was used: {s:?}");
        assert!(s.manual > 0 && s.emergency > 0, "{s:?}");
    }
}

#[test]
fn csk_stays_safe_for_years() {
    let mut p = policy();
    p.csk = true;
    for seed in 10..=12 {
        let sim = simulate_safely(&p, seed);
        assert!(
            sim.stats.dead[2] as u64 >= YEARS * 365 / 90 - 2,
            "CSK rollovers completed: {:?}",
            sim.stats
        );
    }
}

#[test]
fn sabotaged_enforcers_are_caught() {
    for how in [
        Sabotage::ZskRemovedOneRunEarly,
        Sabotage::OldKskDroppedAtDsSeen,
        Sabotage::ZskNotPrepublished,
    ] {
        let mut sim = Sim::new(policy(), 99);
        sim.simulate(YEARS * 365, how);
        assert!(!violations(&sim).is_empty(), "{how:?} went unnoticed");
    }
}
