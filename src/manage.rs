//! Operator commands on the key state: `status`, `ds-seen`, `ds-gone`,
//! `rollover` and `plan`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::keys::Role;
use crate::lifecycle::{self, Action, ActionKind, Event, KeyRequest};
use crate::policy::Policy;
use crate::state::{KeyRecord, KeyState, KeyTimes, ZoneState};
use crate::time::rfc3339;

/// Loads a zone's state; a zone without a state file has no keys yet.
pub fn load_state(cfg: &Config, zone: &str) -> Result<ZoneState> {
    ZoneState::load(&cfg.state_file(zone), zone)
}

/// Records `events` (ds-seen, ds-gone, rollover requests) for the next run.
/// An event that does not fit the key states is a usage error.
pub fn record(cfg: &Config, zone: &str, events: &[Event], now: u64) -> Result<()> {
    let _lock = crate::lock::ZoneLock::acquire(&cfg.paths.state, zone, || {
        eprintln!("zonesign: {zone}: waiting for a run to finish");
    })?;
    let path = cfg.state_file(zone);
    if !path.exists() {
        return Err(Error::Usage(format!(
            "{zone}: no state yet (run `zonesign run {zone}` first)"
        )));
    }
    let state = load_state(cfg, zone)?;
    let (state, ignored) = lifecycle::record_events(&state, events, now);
    if let Some(a) = ignored.first() {
        return Err(Error::Usage(format!("{zone}: {}", a.message)));
    }
    state.save(&path)
}

/// `zonesign ds ZONE`: the DS RRset the parent must hold now, and the
/// same keys in CDNSKEY form for parents that take DNSKEYs.
pub fn ds_records(cfg: &Config, zone: &str) -> Result<String> {
    let state = load_state(cfg, zone)?;
    let policy = cfg.policy_for(zone);
    let apex = crate::zone::parse_origin(zone)?;
    let wanted = lifecycle::decide(&state).ds_wanted;
    let state_file = cfg.state_file(zone);
    let keys = state
        .keys
        .iter()
        .filter(|k| wanted.contains(&k.tag))
        .map(|k| crate::batch::zone::load_key(cfg, &apex, &state_file, k))
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&crate::keys::SigningKey> = keys.iter().collect();
    let mut out = crate::batch::zone::wanted_ds_text(&apex, &refs, policy);
    for k in &keys {
        if let Some(c) = crate::ds::cdnskey(&k.dnskey) {
            crate::zone::write::record_line(
                &mut out,
                &apex,
                policy.ds_ttl as u32,
                domain::base::iana::Rtype::CDNSKEY,
                &crate::zone::rrset::wire_of(&crate::zone::Rdata::Cdnskey(c)),
            );
        }
    }
    Ok(out)
}

/// One key as `status` shows it.
#[derive(Debug, Serialize)]
pub struct KeyStatus {
    pub tag: u16,
    pub role: Role,
    pub algorithm: u8,
    pub state: KeyState,
    pub since: Option<String>,
    pub standby: bool,
    pub ds_seen: Option<String>,
    /// When the key was made, published, activated, retired and removed
    /// (dead), as far as it got.
    pub created: Option<String>,
    pub published: Option<String>,
    pub active: Option<String>,
    pub retired: Option<String>,
    pub removed: Option<String>,
    /// The key's next state change under the policy, or operator action,
    /// if runs follow the plan.
    pub next: Option<String>,
}

/// A zone as `status` shows it.
#[derive(Debug, Serialize)]
pub struct ZoneStatus {
    pub zone: String,
    pub policy: String,
    pub keys: Vec<KeyStatus>,
    pub actions: Vec<Action>,
    pub next_change: Option<String>,
    /// The policy change in progress (algorithm or key scheme) and its step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollover: Option<String>,
}

/// `tree`: the zones of the configuration, for the parent relations.
pub fn status(
    cfg: &Config,
    zone: &str,
    now: u64,
    tree: &crate::batch::ZoneTree,
) -> Result<ZoneStatus> {
    let state = load_state(cfg, zone)?;
    let policy = cfg.policy_for(zone);
    // What the enforcer would do now, without saving it.
    let preview = lifecycle::enforce(policy, &state, &[], now);
    let upcoming = plan(policy, &state, now, now + 2 * 365 * 86400);
    let next = |tag: u16| {
        let label = key_label(tag);
        upcoming.iter().find(|e| e.key == label).map(|e| {
            let what = match (&e.action, e.to) {
                (Some(a), _) => a.clone(),
                (None, Some(to)) => to.name().to_string(),
                (None, None) => "purge".to_string(),
            };
            format!("{what} at {}", e.at)
        })
    };
    let keys = state
        .keys
        .iter()
        .map(|k| {
            let t = |v: Option<u64>| v.map(rfc3339);
            KeyStatus {
                tag: k.tag,
                role: k.role,
                algorithm: k.algorithm,
                state: k.state,
                since: t(k.times.entered(k.state)),
                standby: k.standby,
                ds_seen: t(k.times.ds_seen),
                created: t(k.times.generate),
                published: t(k.times.publish.or(k.times.keypublish)),
                active: t(k.times.active),
                retired: t(k.times.retire),
                removed: t(k.times.dead),
                next: next(k.tag),
            }
        })
        .collect();
    Ok(ZoneStatus {
        zone: zone.to_string(),
        policy: policy.name.clone(),
        keys,
        actions: crate::batch::operator_actions(preview.actions, tree.parent_of(zone).is_some()),
        next_change: preview.next_change.map(rfc3339),
        rollover: lifecycle::scheme::describe(policy, &preview.state, now),
    })
}

impl std::fmt::Display for ZoneStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} (policy {})", self.zone, self.policy)?;
        if self.keys.is_empty() {
            writeln!(f, "  no keys yet: the next run makes them")?;
        }
        for k in &self.keys {
            write!(
                f,
                "  {} {:>5}  alg {:<3} {:<10} since {}",
                k.role.label(),
                k.tag,
                k.algorithm,
                k.state.name(),
                k.since.as_deref().unwrap_or("-")
            )?;
            if k.standby {
                write!(f, "  (standby)")?;
            }
            if let Some(s) = &k.ds_seen {
                write!(f, "  DS seen {s}")?;
            }
            writeln!(f)?;
            let times = [
                ("created", &k.created),
                ("published", &k.published),
                ("active", &k.active),
                ("retired", &k.retired),
                ("removed", &k.removed),
            ];
            write!(f, "       ")?;
            for (what, at) in times {
                if let Some(at) = at {
                    write!(f, " {what} {at}")?;
                }
            }
            if let Some(n) = &k.next {
                write!(f, "; next: {n}")?;
            }
            writeln!(f)?;
        }
        if let Some(r) = &self.rollover {
            writeln!(f, "  policy change: {r}")?;
        }
        for a in &self.actions {
            writeln!(f, "  action: {}", a.message)?;
        }
        if let Some(n) = &self.next_change {
            writeln!(f, "  next change due: {n}")?;
        }
        Ok(())
    }
}

/// One line of a plan: a key changing state, or an operator action.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry {
    pub at: String,
    /// Epoch seconds, for sorting by machines.
    pub at_secs: u64,
    pub key: String,
    pub role: Role,
    pub from: Option<KeyState>,
    pub to: Option<KeyState>,
    pub action: Option<String>,
}

/// Tags at or above this are keys the plan imagines.
const FUTURE_TAG: u16 = 60000;

fn key_label(tag: u16) -> String {
    if tag >= FUTURE_TAG {
        format!("new#{}", tag - FUTURE_TAG + 1)
    } else {
        tag.to_string()
    }
}

/// The future key timeline under `policy` from `now` to `until`, assuming
/// runs at every due time and a parent that publishes (and withdraws) a DS
/// `Dreg` after it is asked to, confirmed at once with ds-seen / ds-gone.
pub fn plan(policy: &Policy, state: &ZoneState, now: u64, until: u64) -> Vec<PlanEntry> {
    let mut s = state.clone();
    let mut next_tag = FUTURE_TAG;
    let mut out = Vec::new();
    let mut scheduled: Vec<(u64, Event)> = Vec::new();
    let mut asked: std::collections::HashSet<(u16, bool)> = std::collections::HashSet::new();
    let mut t = now;
    for _ in 0..20_000 {
        let events: Vec<Event> = scheduled
            .iter()
            .filter(|(at, _)| *at <= t)
            .map(|(_, e)| e.clone())
            .collect();
        scheduled.retain(|(at, _)| *at > t);
        let keygen = |r: &KeyRequest| -> Result<KeyRecord, ()> {
            next_tag += 1;
            Ok(KeyRecord {
                tag: next_tag - 1,
                algorithm: policy.algorithm.to_int(),
                role: r.role,
                state: KeyState::Generate,
                standby: r.standby,
                file: String::new(),
                bits: None,
                times: KeyTimes::default(),
            })
        };
        let Ok(o) = lifecycle::advance(policy, &s, &events, t, keygen) else {
            break;
        };
        for tr in &o.transitions {
            out.push(PlanEntry {
                at: rfc3339(tr.at),
                at_secs: tr.at,
                key: key_label(tr.tag),
                role: tr.role,
                from: Some(tr.from),
                to: Some(tr.to),
                action: None,
            });
        }
        // An algorithm coming or going: its signatures start before its
        // DNSKEYs and leave after them.
        for k in &o.state.keys {
            let before = s.key(k.tag).map(|b| &b.times);
            let what = if k.times.signing.is_some()
                && before.is_none_or(|b| b.signing.is_none())
                && k.state == KeyState::Generate
            {
                "signs before its DNSKEY is published"
            } else if k.times.signatures_gone.is_some()
                && before.is_some_and(|b| b.signatures_gone.is_none())
                && k.state == KeyState::Dead
            {
                "signatures leave the zone"
            } else {
                continue;
            };
            out.push(PlanEntry {
                at: rfc3339(t),
                at_secs: t,
                key: key_label(k.tag),
                role: k.role,
                from: None,
                to: None,
                action: Some(what.into()),
            });
        }
        for a in &o.actions {
            let Some(tag) = a.tag else { continue };
            let add = match a.kind {
                ActionKind::SubmitDs => true,
                ActionKind::WithdrawDs => false,
                _ => continue,
            };
            if asked.insert((tag, add)) {
                let role = s
                    .key(tag)
                    .or_else(|| o.state.key(tag))
                    .map_or(Role::Ksk, |k| k.role);
                out.push(PlanEntry {
                    at: rfc3339(t),
                    at_secs: t,
                    key: key_label(tag),
                    role,
                    from: None,
                    to: None,
                    action: Some(if add {
                        "submit DS".into()
                    } else {
                        "withdraw DS".into()
                    }),
                });
                let e = if add {
                    Event::DsSeen(tag)
                } else {
                    Event::DsGone(tag)
                };
                scheduled.push((t + policy.registration_delay, e));
            }
        }
        s = o.state;
        let next_event = scheduled.iter().map(|(at, _)| *at).min();
        let next = match (o.next_change, next_event) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(u64::MAX),
        };
        if next > until || next <= t {
            break;
        }
        t = next;
    }
    out
}

/// The plan as a table.
pub fn plan_table(zone: &str, entries: &[PlanEntry]) -> String {
    let mut s = format!("{zone}: key timeline\n");
    let _ = writeln!(s, "{:<21} {:<4} {:>6}  what", "when (UTC)", "role", "key");
    for e in entries {
        let what = match (&e.from, &e.to, &e.action) {
            (Some(f), Some(t), _) => format!("{} -> {}", f.name(), t.name()),
            (_, _, Some(a)) => a.clone(),
            _ => String::new(),
        };
        let _ = writeln!(s, "{:<21} {:<4} {:>6}  {what}", e.at, e.role.label(), e.key);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_shows_two_years_of_rollovers() {
        let p = Policy::default_named("default");
        let now = 1_800_000_000;
        let entries = plan(
            &p,
            &ZoneState::new("example.com"),
            now,
            now + 2 * 365 * 86400,
        );
        let zsk_active = entries
            .iter()
            .filter(|e| e.role == Role::Zsk && e.to == Some(KeyState::Active))
            .count();
        let ksk_active = entries
            .iter()
            .filter(|e| e.role == Role::Ksk && e.to == Some(KeyState::Active))
            .count();
        // 90-day ZSKs and 1-year KSKs over two years, plus the first of each.
        assert!((8..=10).contains(&zsk_active), "{zsk_active}");
        assert!((2..=3).contains(&ksk_active), "{ksk_active}");
        assert!(
            entries
                .iter()
                .any(|e| e.action.as_deref() == Some("submit DS"))
        );
        assert!(entries.windows(2).all(|w| w[0].at_secs <= w[1].at_secs));
        let table = plan_table("example.com", &entries);
        assert!(table.contains("publish -> ready"), "{table}");
    }

    #[test]
    fn plan_shows_an_algorithm_rollover_in_its_order() {
        let mut p = Policy::default_named("default");
        let now = 1_800_000_000;
        let two_years = now + 2 * 365 * 86400;
        // A zone signed a year with algorithm 13, then the policy says 15.
        let mut s = ZoneState::new("example.com");
        let mut tag = 100;
        let keygen = |r: &KeyRequest| -> Result<KeyRecord, ()> {
            tag += 1;
            Ok(KeyRecord {
                tag,
                algorithm: 13,
                role: r.role,
                state: KeyState::Generate,
                standby: false,
                file: String::new(),
                bits: None,
                times: KeyTimes::default(),
            })
        };
        s = lifecycle::advance(&p, &s, &[], now, keygen).unwrap().state;
        let seen = [Event::DsSeen(101)];
        s = lifecycle::enforce(&p, &s, &seen, now + 86400).state;
        p.algorithm = domain::base::iana::SecurityAlgorithm::ED25519;
        let entries = plan(&p, &s, now + 2 * 86400, two_years);
        let first = |what: &str| {
            entries
                .iter()
                .position(|e| {
                    e.action.as_deref() == Some(what)
                        || e.to.is_some_and(|t| format!("-> {}", t.name()) == what)
                })
                .unwrap_or_else(|| panic!("{what}: {}", plan_table("x", &entries)))
        };
        let order = [
            "signs before its DNSKEY is published",
            "-> publish",
            "submit DS",
            "withdraw DS",
            "-> dead",
            "signatures leave the zone",
        ];
        let at: Vec<usize> = order.iter().map(|w| first(w)).collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{at:?}\n{}",
            plan_table("x", &entries)
        );
        // Signatures first: the new DNSKEYs Dprp + TTLsig + Sp later.
        let wait = p.zone_propagation_delay + p.max_zone_ttl + p.publish_safety;
        assert_eq!(entries[at[1]].at_secs - entries[at[0]].at_secs, wait);
    }
}
