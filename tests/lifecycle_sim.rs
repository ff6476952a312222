//! Years of runs at irregular times against a simulated parent, with
//! manual, emergency and standby rollovers and policy changes (algorithm
//! both ways, KSK+ZSK to CSK and back, insecure and back, TTLs up and down)
//! mixed in. At every instant a new
//! zone or DS set appears, every cache state a validating resolver may hold
//! is checked under the lenient rule (one chain of trust suffices) and the
//! strict one (every algorithm of the DS RRset and of the DNSKEY RRset signs
//! every RRset, RFC 4035 s2.2, RFC 6840 s5.11); and rollovers of every kind
//! must complete. Sabotaged enforcers must be caught.

#[path = "common/lifecycle.rs"]
mod lc;

use std::collections::{BTreeMap, BTreeSet};

use domain::base::iana::SecurityAlgorithm;
use lc::*;
use zonesign::keys::Role;
use zonesign::lifecycle::scheme::conforms;
use zonesign::lifecycle::{Decisions, Event, decide};
use zonesign::policy::Policy;
use zonesign::state::{KeyState, ZoneState};

/// What the child zone served from `at` on.
#[derive(Clone, Debug)]
struct ZoneVersion {
    at: u64,
    /// The DNSKEY TTL and the largest data TTL of this version.
    ttl_key: u64,
    ttl_sig: u64,
    published: BTreeSet<u16>,
    keyset_signers: BTreeSet<u16>,
    zone_signers: BTreeSet<u16>,
}

/// The DS set the parent served from `at` on.
#[derive(Clone, Debug)]
struct DsVersion {
    at: u64,
    /// The DS TTL this version was served with.
    ttl: u64,
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
    /// Publish the keys of a new algorithm with its first signatures.
    NewAlgorithmKeysWithSignatures,
    /// Drop an algorithm's signatures with its last DNSKEY.
    OldAlgorithmSignaturesWithKeys,
}

#[derive(Default, Debug)]
struct Stats {
    runs: usize,
    dead: [usize; 3],
    standby_used: usize,
    manual: usize,
    emergency: usize,
    /// Policy changes made, by kind ("13->15", "ksk+zsk->csk"), and how
    /// long each took until no key of the old policy was left in any role.
    changes: BTreeMap<String, Vec<u64>>,
}

fn role_index(r: Role) -> usize {
    match r {
        Role::Ksk => 0,
        Role::Zsk => 1,
        Role::Csk => 2,
    }
}

fn sabotage(d: &mut Decisions, s: &ZoneState, next_run: u64, how: Sabotage) {
    match how {
        Sabotage::NewAlgorithmKeysWithSignatures => {
            for k in s.keys.iter().filter(|k| k.state == KeyState::Generate) {
                let alg_signs = s
                    .keys
                    .iter()
                    .any(|o| o.algorithm == k.algorithm && d.zone_signers.contains(&o.tag));
                if alg_signs && !k.standby {
                    d.published.push(k.tag);
                    if k.role != Role::Zsk {
                        d.keyset_signers.push(k.tag);
                    }
                }
            }
        }
        Sabotage::OldAlgorithmSignaturesWithKeys => {
            let published = d.published.clone();
            d.zone_signers.retain(|t| published.contains(t));
        }
        _ => {}
    }
    let mut drop: Vec<u16> = Vec::new();
    for k in &s.keys {
        let gone = match how {
            Sabotage::None
            | Sabotage::NewAlgorithmKeysWithSignatures
            | Sabotage::OldAlgorithmSignaturesWithKeys => false,
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
    /// Mean days between policy changes (0: never).
    change_every: u64,
    /// When the next policy change is made.
    next_policy_change: u64,
    /// The policy change in progress: (kind, since).
    changing: Option<(String, u64)>,
    /// Every key's algorithm, by tag.
    algorithms: BTreeMap<u16, u8>,
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
                ttl: TTL_DS,
                ds: BTreeSet::new(),
            }],
            registrar: Vec::new(),
            inbox: Vec::new(),
            change_every: 0,
            next_policy_change: 0,
            changing: None,
            algorithms: BTreeMap::new(),
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
                let ttl = self.policy.ds_ttl;
                self.parent.push(DsVersion { at, ttl, ds });
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
        self.change_policy(now);
        let out = run(&self.policy, &self.state, &events, now, &mut self.keys);
        for k in &out.state.keys {
            self.algorithms.insert(k.tag, k.algorithm);
        }
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
            (!d.zone_signers.is_empty() && !d.keyset_signers.is_empty())
                || (self.policy.insecure && d.published.is_empty()),
            "nothing signs at {now}: {d:?} insecure {} {:#?}",
            self.policy.insecure,
            out.state.keys
        );
        self.zone.push(ZoneVersion {
            at: now,
            ttl_key: self.policy.dnskey_ttl,
            ttl_sig: self.policy.max_zone_ttl,
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
        // A change is complete when no key of the old policy is left.
        if let Some((kind, since)) = &self.changing
            && self.state.keys.iter().all(|k| conforms(&self.policy, k))
        {
            let took = now - since;
            self.stats
                .changes
                .entry(kind.clone())
                .or_default()
                .push(took);
            self.changing = None;
        }
    }

    /// About every `change_every` days (at random), switches the policy to
    /// another algorithm or key scheme, sometimes while the last change is
    /// still in progress.
    fn change_policy(&mut self, now: u64) {
        if self.change_every == 0 || self.stats.runs == 0 {
            return;
        }
        if self.next_policy_change == 0 {
            self.next_policy_change = now + self.rng.u64(0..=2 * self.change_every * DAY);
        }
        if now < self.next_policy_change {
            return;
        }
        self.next_policy_change = now + self.rng.u64(0..=2 * self.change_every * DAY);
        let before = (self.policy.algorithm.to_int(), self.policy.csk);
        let mut p = self.policy.clone();
        if self.rng.u32(0..8) == 0 {
            // More or fewer standby KSKs.
            p.ksk.standby = (p.ksk.standby + 1 + self.rng.u32(0..2)) % 3;
            self.stats
                .changes
                .entry("standby".into())
                .or_default()
                .push(0);
            self.policy = p;
            return;
        }
        if self.rng.u32(0..4) == 0 {
            // A TTL up or down: three times or a third of the base value.
            let ttl = match self.rng.u32(0..3) {
                0 => (&mut p.dnskey_ttl, TTL_KEY),
                1 => (&mut p.max_zone_ttl, TTL_SIG),
                _ => (&mut p.ds_ttl, TTL_DS),
            };
            *ttl.0 = if *ttl.0 > ttl.1 { ttl.1 / 3 } else { ttl.1 * 3 };
            self.stats.changes.entry("ttl".into()).or_default().push(0);
            self.policy = p;
            return;
        }
        if p.insecure || self.rng.u32(0..8) == 0 {
            // Going insecure, or back to secure.
            p.insecure = !p.insecure;
            let kind = if p.insecure { "insecure" } else { "secure" };
            self.changing = Some((kind.to_string(), now));
            self.policy = p;
            return;
        }
        if self.rng.bool() {
            let algs = [
                SecurityAlgorithm::ECDSAP256SHA256,
                SecurityAlgorithm::ED25519,
                SecurityAlgorithm::ECDSAP384SHA384,
            ];
            p.algorithm = algs[self.rng.usize(0..algs.len())];
        } else {
            p.csk = !p.csk;
        }
        if (p.algorithm.to_int(), p.csk) == before {
            return;
        }
        let scheme = |csk: bool| if csk { "csk" } else { "ksk+zsk" };
        let kind = if p.csk == before.1 {
            format!("{}->{}", before.0, p.algorithm.to_int())
        } else {
            format!("{}->{}", scheme(before.1), scheme(p.csk))
        };
        // A change on top of one in progress is counted as the new kind.
        self.changing = Some((kind, now));
        self.policy = p;
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

/// Versions of a history a cache may hold at `t`: served by then, and
/// replaced less than `hold` (its TTL and propagation delay) before.
fn cached_at<T>(
    versions: &[T],
    at: impl Fn(&T) -> u64,
    hold: impl Fn(&T) -> u64,
    t: u64,
) -> Vec<&T> {
    (0..versions.len())
        .filter(|&i| {
            let start = at(&versions[i]);
            let end = versions.get(i + 1).map_or(u64::MAX, &at);
            start <= t && end.saturating_add(hold(&versions[i])) > t
        })
        .map(|i| &versions[i])
        .collect()
}

/// Algorithms of a set of keys.
fn algs(sim: &Sim, tags: &BTreeSet<u16>) -> BTreeSet<u8> {
    tags.iter().map(|t| sim.algorithms[t]).collect()
}

/// Keys of `tags` with algorithm `alg`.
fn of_alg<'a>(sim: &'a Sim, tags: &'a BTreeSet<u16>, alg: u8) -> impl Iterator<Item = &'a u16> {
    tags.iter().filter(move |t| sim.algorithms[t] == alg)
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
        let ds_sets = cached_at(&sim.parent, |v| v.at, |v| v.ttl + DPRP_P, t);
        let keysets = cached_at(&sim.zone, |v| v.at, |v| v.ttl_key + DPRP, t);
        let sigs = cached_at(&sim.zone, |v| v.at, |v| v.ttl_sig + DPRP, t);
        for ds in ds_sets.iter().filter(|d| !d.ds.is_empty()) {
            for k in &keysets {
                // Lenient: one DS matches a key that signs the DNSKEY RRset;
                // strict: one for each algorithm of the DS RRset.
                for alg in algs(sim, &ds.ds) {
                    if !of_alg(sim, &ds.ds, alg)
                        .any(|tag| k.keyset_signers.contains(tag) && k.published.contains(tag))
                    {
                        out.push(format!(
                            "at {t}: DS set {:?} (from {}) has no algorithm-{alg} key signing the DNSKEY RRset {:?} of {:?} (from {})",
                            ds.ds, ds.at, k.keyset_signers, k.published, k.at
                        ));
                    }
                }
                for s in &sigs {
                    for alg in algs(sim, &ds.ds) {
                        if !of_alg(sim, &s.zone_signers, alg).any(|z| k.published.contains(z)) {
                            out.push(format!(
                                "at {t}: DS set {:?} (from {}) has algorithm {alg}, data signed by {:?} (zone from {}) with DNSKEYs {:?} (from {})",
                                ds.ds, ds.at, s.zone_signers, s.at, k.published, k.at
                            ));
                        }
                    }
                }
            }
        }
        if ds_sets.iter().all(|d| d.ds.is_empty()) {
            // No cache holds a DS: validators treat the zone as insecure.
            continue;
        }
        for k in &keysets {
            // Every algorithm of the DNSKEY RRset signs it and every RRset
            // with a key in it (which the lenient rule needs too: one).
            for alg in algs(sim, &k.published) {
                if !of_alg(sim, &k.keyset_signers, alg).any(|x| k.published.contains(x)) {
                    out.push(format!(
                        "at {t}: DNSKEY RRset {:?} (from {}) is not signed with its algorithm {alg}",
                        k.published, k.at
                    ));
                }
                for s in &sigs {
                    if !of_alg(sim, &s.zone_signers, alg).any(|z| k.published.contains(z)) {
                        out.push(format!(
                            "at {t}: signatures by {:?} (zone from {}) but DNSKEY RRset {:?} (from {}) has algorithm {alg}",
                            s.zone_signers, s.at, k.published, k.at
                        ));
                    }
                }
            }
        }
    }
    out
}

const YEARS: u64 = 4;

/// Simulates YEARS of runs (with policy changes about every
/// `change_every` days, 0 for none) and asserts that no cache state ever
/// fails.
fn simulate_safely(p: &Policy, seed: u64, change_every: u64) -> Sim {
    let mut sim = Sim::new(p.clone(), seed);
    sim.change_every = change_every;
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
        let sim = simulate_safely(&p, seed, 0);
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
        let sim = simulate_safely(&p, seed, 0);
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

/// The shortest an algorithm rollover can take by rules §2 with zero
/// registrar and operator delays: signatures first (Dprp + TTLsig + Sp),
/// the new DNSKEYs (Ipub), the old DS out of caches (TTLds + Dprp_p + Sr),
/// then the old signatures out of caches (Dprp + TTLkey + Sr); with every
/// TTL at the lowest the simulation sets (a third).
const ALGORITHM_ROLL_MIN: u64 = (DPRP + TTL_SIG / 3 + SP)
    + (TTL_KEY / 3 + DPRP + SP)
    + (TTL_DS / 3 + DPRP_P + SR)
    + (DPRP + TTL_KEY / 3 + SR);

/// Seeds of the policy-change simulation (each four years, a change about
/// every 20 days); a longer sweep: change the range and run it alone.
const SEEDS: std::ops::Range<u64> = 20..60;

#[test]
fn policy_changes_mid_flight_stay_safe_for_years() {
    let mut totals: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for seed in SEEDS {
        let standby = u32::from(seed % 3 == 0);
        let mut p = policy();
        p.ksk.standby = standby;
        p.csk = seed % 2 == 1;
        let sim = simulate_safely(&p, seed, 20);
        assert!(
            sim.stats.dead.iter().sum::<usize>() > 10,
            "rollovers completed: {:?}",
            sim.stats
        );
        for (kind, took) in &sim.stats.changes {
            totals.entry(kind.clone()).or_default().extend(took);
        }
    }
    for (kind, took) in &totals {
        let min = took.iter().min().unwrap();
        let max = took.iter().max().unwrap();
        eprintln!(
            "{kind}: {} completed, {:.1} to {:.1} days",
            took.len(),
            *min as f64 / DAY as f64,
            *max as f64 / DAY as f64
        );
        if kind.contains("->1") || kind.contains("->8") {
            assert!(
                *min >= ALGORITHM_ROLL_MIN,
                "{kind} took {min} s, less than the rules allow ({ALGORITHM_ROLL_MIN} s)"
            );
        }
    }
    let algorithm_rolls: usize = totals
        .iter()
        .filter(|(k, _)| k.contains("->") && !k.contains("csk"))
        .map(|(_, v)| v.len())
        .sum();
    let insecure = totals.get("insecure").map_or(0, Vec::len);
    let secure = totals.get("secure").map_or(0, Vec::len);
    let scheme_changes: usize = totals
        .iter()
        .filter(|(k, _)| k.contains("csk"))
        .map(|(_, v)| v.len())
        .sum();
    assert!(algorithm_rolls >= 10, "{totals:?}");
    assert!(scheme_changes >= 10, "{totals:?}");
    assert!(insecure >= 3 && secure >= 3, "{totals:?}");
}

#[test]
fn sabotaged_algorithm_rollovers_are_caught() {
    for how in [
        Sabotage::NewAlgorithmKeysWithSignatures,
        Sabotage::OldAlgorithmSignaturesWithKeys,
    ] {
        let mut sim = Sim::new(policy(), 98);
        sim.change_every = 45;
        sim.simulate(YEARS * 365, how);
        assert!(!violations(&sim).is_empty(), "{how:?} went unnoticed");
    }
}
