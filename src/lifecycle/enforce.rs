//! The transition rules of doc/rules.md §2 (OpenDNSSEC 1.4 in RFC 7583 terms).

use super::scheme::{self, conforms};
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
    let mut fresh = false;
    let bound = 20 * (s.keys.len() + 1);
    for _ in 0..bound {
        if scheme::update_signing(policy, &mut s, now) {
            continue;
        }
        if !step(policy, &mut s, &mut fresh, now, &mut out) {
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

/// Does the zone publish no key (a new zone, or one made insecure)? Then
/// no DS can be in a cache, and first keys may be used at once.
fn bootstrapping(s: &ZoneState) -> bool {
    !s.keys.iter().any(|k| k.published())
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
        .find(|k| k.role == role && k.state == KeyState::Active && conforms(t.policy, k));
    match active.and_then(|a| t.end_of_life(a)) {
        Some(end) => !t.manual(role) && t.now >= end,
        None => true,
    }
}

/// Retires every other active key whose work the newly active key `by`
/// (with the other active keys) now does. Their data signatures stop or
/// stay by `scheme::update_signing`.
fn retire_replaced(policy: &Policy, s: &mut ZoneState, by: usize, now: u64, out: &mut Outcome) {
    let by = s.keys[by].clone();
    let retire: Vec<usize> = (0..s.keys.len())
        .filter(|&i| {
            let k = &s.keys[i];
            k.tag != by.tag && k.state == KeyState::Active && scheme::replaced(policy, s, k, &by)
        })
        .collect();
    for i in retire {
        move_key(&mut s.keys[i], KeyState::Retire, now, out);
    }
}

/// Keys of an algorithm or scheme the policy no longer uses that have not
/// served yet leave by the ordinary way out (retire, with their DS withdrawn
/// if the parent has it); one never published is simply removed.
fn abandon(policy: &Policy, s: &mut ZoneState, now: u64, out: &mut Outcome) -> bool {
    // Standby KSKs beyond the policy's number: the newest goes.
    let waiting = |k: &KeyRecord| {
        k.standby
            && matches!(
                k.state,
                KeyState::Dssub | KeyState::Dspublish | KeyState::Dsready
            )
    };
    let standbys = s.keys.iter().filter(|k| waiting(k)).count();
    if standbys > policy.ksk.standby as usize
        && let Some(i) = (0..s.keys.len())
            .filter(|&i| waiting(&s.keys[i]))
            .max_by_key(|&i| s.keys[i].times.generate)
    {
        move_key(&mut s.keys[i], KeyState::Retire, now, out);
        return true;
    }
    let Some(i) = s.keys.iter().position(|k| {
        !conforms(policy, k)
            && matches!(
                k.state,
                KeyState::Generate
                    | KeyState::Publish
                    | KeyState::Ready
                    | KeyState::Dssub
                    | KeyState::Dspublish
                    | KeyState::Dsready
                    | KeyState::Keypublish
            )
    }) else {
        return false;
    };
    if s.keys[i].state == KeyState::Generate && s.keys[i].times.signing.is_none() {
        let k = s.keys.remove(i);
        out.purged.push(k.file);
    } else {
        move_key(&mut s.keys[i], KeyState::Retire, now, out);
    }
    true
}

/// One pass over the keys; returns whether anything changed.
/// `fresh`: at some point of this enforcement the zone published no key
/// (new, or its last keys just left): every key made then is used at once.
fn step(policy: &Policy, s: &mut ZoneState, fresh: &mut bool, now: u64, out: &mut Outcome) -> bool {
    *fresh |= bootstrapping(s);
    let fresh = *fresh;
    let history = s.history.clone();
    let t = Timing::new(policy, &history, now);
    if abandon(policy, s, now, out) {
        return true;
    }
    // Going insecure: every key retires at once; the DS is withdrawn and
    // the zone stays signed until it has left every cache.
    if policy.insecure
        && let Some(k) = s.keys.iter_mut().find(|k| k.state == KeyState::Active)
    {
        move_key(k, KeyState::Retire, now, out);
        return true;
    }
    for i in 0..s.keys.len() {
        let k = &s.keys[i];
        let role = k.role;
        let is_due = due(&t, s, k).is_some_and(|d| now >= d);
        match k.state {
            KeyState::Generate if k.standby => {
                let k = &mut s.keys[i];
                move_key(k, KeyState::Dssub, now, out);
                k.times.ds_submitted = Some(now);
                return true;
            }
            KeyState::Generate if fresh => {
                // No DS exists yet, so no validator can break: use at once.
                // The DS is asked for once the DNSKEY RRset has propagated.
                let k = &mut s.keys[i];
                k.times.publish = Some(now);
                k.times.ready = Some(now);
                move_key(k, KeyState::Active, now, out);
                return true;
            }
            KeyState::Generate if is_due => {
                move_key(&mut s.keys[i], KeyState::Publish, now, out);
                return true;
            }
            KeyState::Active
                if role != Role::Zsk
                    && k.times.ds_submitted.is_none()
                    && k.times.ds_seen.is_none()
                    && first_ds_at(&t, s, k).is_some_and(|at| now >= at) =>
            {
                s.keys[i].times.ds_submitted = Some(now);
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
            KeyState::Ready if conforms(policy, k) => {
                let go = match role {
                    Role::Zsk => roll_due(&t, s, role),
                    Role::Ksk | Role::Csk => s.keys[i].times.ds_seen.is_some(),
                };
                if go {
                    move_key(&mut s.keys[i], KeyState::Active, now, out);
                    retire_replaced(policy, s, i, now, out);
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
                retire_replaced(policy, s, i, now, out);
                return true;
            }
            KeyState::Dead
                if is_due && (role == Role::Ksk || k.times.signatures_gone.is_some()) =>
            {
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
fn due(t: &Timing<'_>, s: &ZoneState, k: &KeyRecord) -> Option<u64> {
    let entered = k.times.entered(k.state).unwrap_or(t.now);
    match k.state {
        KeyState::Generate if k.standby => Some(entered),
        KeyState::Generate if scheme::introduced(s, k.algorithm) => {
            scheme::publish_after_signatures(t, s, k)
        }
        KeyState::Generate => Some(entered),
        // A KSK or CSK asks for its DS when ready: never before the zone's
        // signatures have replaced any unsigned data in caches.
        KeyState::Publish if k.role != Role::Zsk => {
            Some((entered + t.ipub()).max(signed_everywhere(t, s)))
        }
        KeyState::Publish | KeyState::Keypublish => Some(entered + t.ipub()),
        KeyState::Dspublish => Some(entered + t.ds_ready_wait()),
        KeyState::Retire => dead_at(t, s, k),
        KeyState::Dead => Some(entered + t.policy.purge),
        _ => None,
    }
}

/// When an active KSK or CSK of a new zone asks for its first DS: once the
/// signed zone and its DNSKEY RRset are on every secondary and in every
/// cache: Ipub after publication (OpenDNSSEC waits Dprp + TTLkey), and
/// [`signed_everywhere`].
fn first_ds_at(t: &Timing<'_>, s: &ZoneState, k: &KeyRecord) -> Option<u64> {
    k.times
        .publish
        .map(|p| (p + t.ipub()).max(signed_everywhere(t, s)))
}

/// When no cache can hold the zone's data unsigned any more: Dprp + TTLsig
/// + Sp after its first published key (the zone was signed since then).
fn signed_everywhere(t: &Timing<'_>, s: &ZoneState) -> u64 {
    let since = s
        .keys
        .iter()
        .filter(|k| k.published())
        .filter_map(|k| k.times.publish)
        .min()
        .unwrap_or(t.now);
    since + t.signatures_propagated()
}

/// When a retired key may leave the zone: its data signatures gone from
/// caches (ZSK, CSK) and its DS gone from caches (KSK, CSK). A key whose
/// algorithm is leaving the zone still signs: its DNSKEY goes with the
/// last KSK of the algorithm, and its signatures after that (RFC 6781
/// s4.1.4).
fn dead_at(t: &Timing<'_>, s: &ZoneState, k: &KeyRecord) -> Option<u64> {
    let retired = k.times.retire.unwrap_or(t.now);
    let still_signing = k.role != Role::Ksk && k.times.signatures_gone.is_none();
    let sep_of_algorithm = s.keys.iter().any(|o| {
        o.tag != k.tag && o.role != Role::Zsk && o.algorithm == k.algorithm && o.published()
    });
    let zsk = || match still_signing {
        true if sep_of_algorithm => None,
        true => Some(t.now),
        false => Some(k.times.signatures_gone.unwrap_or(retired) + t.zsk_retire_wait()),
    };
    let ksk = || {
        // A DS never asked for has nothing to wait for; one asked for may
        // yet reach the parent, and must be known gone.
        let gone = match (super::decide::ds_asked(k), k.times.ds_gone) {
            (_, Some(g)) => g,
            (false, None) => retired,
            (true, None) => return None,
        };
        // The last KSK of an algorithm stays while a ZSK of it is still in
        // use: every algorithm of the DNSKEY RRset signs it (RFC 4035 s2.2).
        let zsk_of_algorithm_in_use = s.keys.iter().any(|o| {
            o.role == Role::Zsk
                && o.algorithm == k.algorithm
                && o.published()
                && o.state != KeyState::Retire
        });
        let other_sep = s.keys.iter().any(|o| {
            o.tag != k.tag && o.role != Role::Zsk && o.algorithm == k.algorithm && o.published()
        });
        if zsk_of_algorithm_in_use && !other_sep {
            return None;
        }
        Some(gone + t.ksk_retire_wait())
    };
    match k.role {
        Role::Zsk => zsk(),
        Role::Ksk => ksk(),
        Role::Csk if still_signing => ksk(),
        Role::Csk => Some(ksk()?.max(zsk()?)),
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
    if policy.insecure {
        return out;
    }
    for &role in roles(policy) {
        let live = |k: &&KeyRecord| k.role == role && !k.standby && conforms(policy, k);
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
            .any(|k| k.role == role && k.state == KeyState::Keypublish && conforms(policy, k));
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
    let active_ds_seen = s.keys.iter().any(|k| {
        k.role == Role::Ksk
            && k.state == KeyState::Active
            && k.times.ds_seen.is_some()
            && conforms(policy, k)
    });
    if !policy.csk && active_ds_seen {
        let standbys = s
            .keys
            .iter()
            .filter(|k| {
                k.standby
                    && conforms(policy, k)
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
    let mut times: Vec<u64> = s.keys.iter().filter_map(|k| due(&t, s, k)).collect();
    for k in &s.keys {
        if k.state == KeyState::Active && k.role != Role::Zsk && k.times.ds_submitted.is_none() {
            times.extend(first_ds_at(&t, s, k));
        }
        if k.role != Role::Ksk && k.times.signing.is_some() && k.times.signatures_gone.is_none() {
            times.extend(scheme::algorithm_cached_until(&t, s, k.algorithm));
        }
    }
    for k in s.keys.iter().filter(|k| k.state == KeyState::Active) {
        if let Some(end) = t.end_of_life(k) {
            // The successor's generation, then the hand-over.
            times.push(end.saturating_sub(t.lead_time(k.role)));
            times.push(end);
        }
    }
    times.into_iter().filter(|&x| x > now).min()
}
