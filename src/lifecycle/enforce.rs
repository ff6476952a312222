//! The transition rules of doc/rules.md §2 (OpenDNSSEC 1.4 in RFC 7583 terms).

use super::timing::Timing;
use super::{Action, ActionKind, Event, KeyRequest, Outcome, Transition};
use crate::keys::Role;
use crate::policy::Policy;
use crate::state::{KeyRecord, KeyState, ZoneState};

/// Enforces the policy on `state` at `now` after applying `events`.
pub fn enforce(policy: &Policy, state: &ZoneState, events: &[Event], now: u64) -> Outcome {
    let mut s = state.clone();
    let mut out = Outcome::default();
    let mut zone_ttl = policy.max_zone_ttl;
    for e in events {
        if let Event::ZoneMaxTtl(t) = e {
            zone_ttl = zone_ttl.max(*t);
        }
    }
    s.history.dnskey_ttl.observe(policy.dnskey_ttl, now);
    s.history.ds_ttl.observe(policy.ds_ttl, now);
    s.history.max_zone_ttl.observe(zone_ttl, now);
    for e in events {
        apply_event(&mut s, e, now, &mut out.actions);
    }
    // Several transitions may fall due at once (generate → publish, …);
    // each key passes through at most every state once.
    let bound = 10 * (s.keys.len() + 1);
    for _ in 0..bound {
        if !step(policy, &mut s, now, &mut out) {
            break;
        }
    }
    out.requests = needed_keys(policy, &s, now);
    out.actions.extend(super::decide::actions(policy, &s, now));
    out.next_change = next_change(policy, &s, now);
    s.history.last_run = Some(now);
    out.state = s;
    out
}

fn ignored(actions: &mut Vec<Action>, tag: Option<u16>, message: String) {
    actions.push(Action {
        kind: ActionKind::Ignored,
        tag,
        deadline: None,
        message,
    });
}

pub(super) fn apply_event(s: &mut ZoneState, e: &Event, now: u64, actions: &mut Vec<Action>) {
    match *e {
        Event::DsSeen(tag) => match s
            .keys
            .iter_mut()
            .find(|k| k.tag == tag && k.role != Role::Zsk)
        {
            Some(k) if k.state == KeyState::Dssub => {
                k.times.ds_seen = Some(now);
                k.state = KeyState::Dspublish;
                k.times.dspublish = Some(now);
            }
            Some(k)
                if matches!(
                    k.state,
                    KeyState::Publish | KeyState::Ready | KeyState::Active
                ) =>
            {
                k.times.ds_seen.get_or_insert(now);
            }
            Some(k) => ignored(
                actions,
                Some(tag),
                format!("ds-seen {tag}: the key is in state {}", k.state.name()),
            ),
            None => ignored(
                actions,
                Some(tag),
                format!("ds-seen {tag}: no such KSK or CSK"),
            ),
        },
        Event::DsGone(tag) => match s
            .keys
            .iter_mut()
            .find(|k| k.tag == tag && k.role != Role::Zsk)
        {
            Some(k) if k.state == KeyState::Retire => {
                k.times.ds_gone.get_or_insert(now);
            }
            Some(k) => ignored(
                actions,
                Some(tag),
                format!(
                    "ds-gone {tag}: the key is in state {}, not retire",
                    k.state.name()
                ),
            ),
            None => ignored(
                actions,
                Some(tag),
                format!("ds-gone {tag}: no such KSK or CSK"),
            ),
        },
        Event::Rollover { role, emergency } => {
            let has_standby = s.keys.iter().any(|k| k.state == KeyState::Dsready);
            match role {
                Role::Zsk => s.pending.zsk_rollover = true,
                Role::Ksk if emergency && has_standby => s.pending.use_standby = true,
                Role::Ksk | Role::Csk => s.pending.ksk_rollover = true,
            }
        }
        Event::UseStandby => {
            if s.keys.iter().any(|k| k.state == KeyState::Dsready) {
                s.pending.use_standby = true;
            } else {
                ignored(
                    actions,
                    None,
                    "rollover --use-standby: no standby KSK is in state dsready".into(),
                );
            }
        }
        Event::ZoneMaxTtl(_) => {}
    }
}

fn move_key(k: &mut KeyRecord, to: KeyState, now: u64, out: &mut Outcome) {
    out.transitions.push(Transition {
        tag: k.tag,
        role: k.role,
        from: k.state,
        to,
        at: now,
    });
    k.state = to;
    k.times.set_entered(to, now);
}

/// Is this role without any key in the zone (a brand-new zone)?
fn bootstrapping(s: &ZoneState, role: Role) -> bool {
    !s.keys
        .iter()
        .any(|k| k.role == role && !k.standby && (k.state.published() || k.state == KeyState::Dead))
}

/// The pending-rollover flag of a role.
fn pending(s: &ZoneState, role: Role) -> bool {
    match role {
        Role::Zsk => s.pending.zsk_rollover,
        Role::Ksk | Role::Csk => s.pending.ksk_rollover,
    }
}

fn clear_pending(s: &mut ZoneState, role: Role) {
    match role {
        Role::Zsk => s.pending.zsk_rollover = false,
        Role::Ksk | Role::Csk => s.pending.ksk_rollover = false,
    }
}

/// Should the active key of `role` hand over to a ready successor now?
fn roll_due(t: &Timing<'_>, s: &ZoneState, role: Role) -> bool {
    if pending(s, role) {
        return true;
    }
    let active = s
        .keys
        .iter()
        .find(|k| k.role == role && k.state == KeyState::Active);
    match active.and_then(|a| t.end_of_life(a)) {
        Some(end) => !t.manual(role) && t.now >= end,
        None => true,
    }
}

/// Retires every active key of `role` except `except`.
fn retire_others(s: &mut ZoneState, role: Role, except: u16, now: u64, out: &mut Outcome) {
    for k in s
        .keys
        .iter_mut()
        .filter(|k| k.role == role && k.state == KeyState::Active && k.tag != except)
    {
        move_key(k, KeyState::Retire, now, out);
        if k.role != Role::Ksk {
            // This run's output holds none of its data signatures.
            k.times.signatures_gone = Some(now);
        }
    }
}

/// One pass over the keys; returns whether anything changed.
fn step(policy: &Policy, s: &mut ZoneState, now: u64, out: &mut Outcome) -> bool {
    let history = s.history.clone();
    let t = Timing::new(policy, &history, now);
    for i in 0..s.keys.len() {
        let k = &s.keys[i];
        let (role, tag) = (k.role, k.tag);
        let is_due = due(&t, k).is_some_and(|d| now >= d);
        match k.state {
            KeyState::Generate if k.standby => {
                let k = &mut s.keys[i];
                move_key(k, KeyState::Dssub, now, out);
                k.times.ds_submitted = Some(now);
                return true;
            }
            KeyState::Generate if bootstrapping(s, role) => {
                // No DS exists yet, so no validator can break: use at once.
                let k = &mut s.keys[i];
                k.times.publish = Some(now);
                k.times.ready = Some(now);
                move_key(k, KeyState::Active, now, out);
                if role != Role::Zsk {
                    k.times.ds_submitted = Some(now);
                }
                return true;
            }
            KeyState::Generate => {
                move_key(&mut s.keys[i], KeyState::Publish, now, out);
                return true;
            }
            KeyState::Publish if is_due => {
                let k = &mut s.keys[i];
                move_key(k, KeyState::Ready, now, out);
                if role != Role::Zsk {
                    k.times.ds_submitted = Some(now);
                }
                return true;
            }
            KeyState::Ready => {
                let go = match role {
                    Role::Zsk => roll_due(&t, s, role),
                    Role::Ksk | Role::Csk => s.keys[i].times.ds_seen.is_some(),
                };
                if go {
                    move_key(&mut s.keys[i], KeyState::Active, now, out);
                    retire_others(s, role, tag, now, out);
                    clear_pending(s, role);
                    return true;
                }
            }
            KeyState::Retire if is_due => {
                move_key(&mut s.keys[i], KeyState::Dead, now, out);
                return true;
            }
            KeyState::Dspublish if is_due => {
                move_key(&mut s.keys[i], KeyState::Dsready, now, out);
                return true;
            }
            KeyState::Dsready if s.pending.use_standby => {
                move_key(&mut s.keys[i], KeyState::Keypublish, now, out);
                s.pending.use_standby = false;
                s.pending.ksk_rollover = false;
                return true;
            }
            KeyState::Keypublish if is_due => {
                let k = &mut s.keys[i];
                k.standby = false;
                move_key(k, KeyState::Active, now, out);
                retire_others(s, role, tag, now, out);
                return true;
            }
            KeyState::Dead if is_due => {
                let k = s.keys.remove(i);
                out.purged.push(k.file);
                return true;
            }
            _ => {}
        }
    }
    false
}

/// When the time-driven transition out of a key's state falls due; `None`
/// when the state waits for an event (or for the predecessor's lifetime).
fn due(t: &Timing<'_>, k: &KeyRecord) -> Option<u64> {
    let entered = k.times.entered(k.state).unwrap_or(t.now);
    match k.state {
        KeyState::Publish | KeyState::Keypublish => Some(entered + t.ipub()),
        KeyState::Dspublish => Some(entered + t.ds_ready_wait()),
        KeyState::Retire => dead_at(t, k),
        KeyState::Dead => Some(entered + t.policy.purge),
        _ => None,
    }
}

/// When a retired key may leave the zone: its data signatures gone from
/// caches (ZSK, CSK) and its DS gone from caches (KSK, CSK).
fn dead_at(t: &Timing<'_>, k: &KeyRecord) -> Option<u64> {
    let retired = k.times.retire.unwrap_or(t.now);
    let zsk = || k.times.signatures_gone.unwrap_or(retired) + t.zsk_retire_wait();
    let ksk = || {
        // A DS never seen at the parent has nothing to wait for.
        let gone = match (k.times.ds_seen, k.times.ds_gone) {
            (_, Some(g)) => g,
            (None, None) => retired,
            (Some(_), None) => return None,
        };
        Some(gone + t.ksk_retire_wait())
    };
    match k.role {
        Role::Zsk => Some(zsk()),
        Role::Ksk => ksk(),
        Role::Csk => ksk().map(|d| d.max(zsk())),
    }
}

/// Roles the policy signs with.
pub fn roles(policy: &Policy) -> &'static [Role] {
    if policy.csk {
        &[Role::Csk]
    } else {
        &[Role::Ksk, Role::Zsk]
    }
}

/// Keys the zone needs now: first keys, successors within their lead
/// time (or asked for), and standby KSKs.
fn needed_keys(policy: &Policy, s: &ZoneState, now: u64) -> Vec<KeyRequest> {
    let t = Timing::new(policy, &s.history, now);
    let mut out = Vec::new();
    for &role in roles(policy) {
        let live = |k: &&KeyRecord| k.role == role && !k.standby;
        let active = s
            .keys
            .iter()
            .filter(live)
            .find(|k| k.state == KeyState::Active);
        let successor = s.keys.iter().filter(live).any(|k| {
            matches!(
                k.state,
                KeyState::Generate | KeyState::Publish | KeyState::Ready
            )
        }) || s
            .keys
            .iter()
            .any(|k| k.role == role && k.state == KeyState::Keypublish);
        let using_standby = role != Role::Zsk && s.pending.use_standby;
        let need = match active {
            None => !successor,
            Some(a) => {
                let due = t
                    .end_of_life(a)
                    .is_some_and(|end| !t.manual(role) && now + t.lead_time(role) >= end);
                !successor && !using_standby && (due || pending(s, role))
            }
        };
        if need {
            out.push(KeyRequest {
                role,
                standby: false,
            });
        }
    }
    // A standby's DS goes to the parent only beside the active KSK's DS:
    // alone in the DS RRset it would make the zone bogus.
    let active_ds_seen = s
        .keys
        .iter()
        .any(|k| k.role == Role::Ksk && k.state == KeyState::Active && k.times.ds_seen.is_some());
    if !policy.csk && active_ds_seen {
        let standbys = s
            .keys
            .iter()
            .filter(|k| {
                k.standby
                    && matches!(
                        k.state,
                        KeyState::Dssub | KeyState::Dspublish | KeyState::Dsready
                    )
            })
            .count();
        for _ in standbys..policy.ksk.standby as usize {
            out.push(KeyRequest {
                role: Role::Ksk,
                standby: true,
            });
        }
    }
    out
}

/// The earliest time after `now` at which a time-driven transition or
/// successor generation falls due.
fn next_change(policy: &Policy, s: &ZoneState, now: u64) -> Option<u64> {
    let t = Timing::new(policy, &s.history, now);
    let mut times: Vec<u64> = s.keys.iter().filter_map(|k| due(&t, k)).collect();
    for k in s.keys.iter().filter(|k| k.state == KeyState::Active) {
        if let Some(end) = t.end_of_life(k) {
            // The successor's generation, then the hand-over.
            times.push(end.saturating_sub(t.lead_time(k.role)));
            times.push(end);
        }
    }
    times.into_iter().filter(|&x| x > now).min()
}
