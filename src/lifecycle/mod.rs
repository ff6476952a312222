//! The key lifecycle enforcer (rules §2): a pure function of (policy, state,
//! events, now) that moves keys through OpenDNSSEC's states, and the
//! decisions derived from the states (which DNSKEYs are published, which
//! keys sign what, which DS the parent must hold).
//!
//! No I/O and no clock: keys the enforcer asks for are made by the caller
//! (see [`advance`]), so years of rollovers can be simulated in a test.

pub mod decide;
pub mod enforce;
pub mod scheme;
pub mod timing;

use serde::Serialize;

use crate::keys::Role;
use crate::state::{KeyRecord, KeyState, ZoneState};
pub use decide::{Decisions, decide};
pub use enforce::enforce;

/// Something that happened outside the enforcer since the last run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `zonesign ds-seen ZONE TAG`: the parent serves this key's DS.
    DsSeen(u16),
    /// `zonesign ds-gone ZONE TAG`: the parent no longer serves it.
    DsGone(u16),
    /// `zonesign rollover ZONE --ksk|--zsk`; `emergency` for a compromised
    /// key (a KSK roll then uses a ready standby key when there is one).
    Rollover { role: Role, emergency: bool },
    /// `zonesign rollover ZONE --use-standby`.
    UseStandby,
    /// The largest TTL of the zone being signed (TTLsig).
    ZoneMaxTtl(u64),
}

/// A key the enforcer needs; the caller generates it and adds it to the
/// state in the generate state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KeyRequest {
    pub role: Role,
    pub standby: bool,
}

/// What the operator must do, with a deadline where one exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Action {
    pub kind: ActionKind,
    pub tag: Option<u16>,
    /// Epoch seconds.
    pub deadline: Option<u64>,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    SubmitDs,
    WithdrawDs,
    RolloverDue,
    /// An event that could not be applied (wrong key or state).
    Ignored,
}

/// One key changing state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub tag: u16,
    pub role: Role,
    pub from: KeyState,
    pub to: KeyState,
    pub at: u64,
}

/// The result of one enforcement.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub state: ZoneState,
    pub requests: Vec<KeyRequest>,
    pub transitions: Vec<Transition>,
    pub actions: Vec<Action>,
    /// Key files of purged dead keys, to delete.
    pub purged: Vec<String>,
    /// The earliest later time at which a transition is due (a run should
    /// happen by then).
    pub next_change: Option<u64>,
}

/// Records operator events in the state without moving any key: the next
/// run enforces them (and signs with the result). Returns the events that
/// could not be applied.
pub fn record_events(state: &ZoneState, events: &[Event], now: u64) -> (ZoneState, Vec<Action>) {
    let mut s = state.clone();
    let mut ignored = Vec::new();
    for e in events {
        enforce::apply_event(&mut s, e, now, &mut ignored);
    }
    (s, ignored)
}

/// Enforces, generating requested keys with `keygen`, until the enforcer
/// asks for nothing more. `keygen` gets the request and returns the key
/// record (in the generate state), or an error.
pub fn advance<E>(
    policy: &crate::policy::Policy,
    state: &ZoneState,
    events: &[Event],
    now: u64,
    mut keygen: impl FnMut(&KeyRequest) -> Result<KeyRecord, E>,
) -> Result<Outcome, E> {
    let mut out = enforce(policy, state, events, now);
    let ignored: Vec<Action> = out
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Ignored)
        .cloned()
        .collect();
    let mut transitions = std::mem::take(&mut out.transitions);
    let mut purged = std::mem::take(&mut out.purged);
    // Each round adds keys; a few rounds always suffice (KSK, ZSK, standbys).
    for _ in 0..8 {
        if out.requests.is_empty() {
            break;
        }
        let mut next = out.state.clone();
        for req in &out.requests {
            let mut key = keygen(req)?;
            key.state = KeyState::Generate;
            key.times.generate = Some(now);
            next.keys.push(key);
        }
        out = enforce(policy, &next, &[], now);
        transitions.append(&mut out.transitions);
        purged.append(&mut out.purged);
    }
    out.transitions = transitions;
    out.purged = purged;
    // Events are applied by the first enforcement only; keep what it refused.
    out.actions.retain(|a| a.kind != ActionKind::Ignored);
    out.actions.splice(0..0, ignored);
    Ok(out)
}
