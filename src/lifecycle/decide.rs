//! What the key states mean for the zone and its parent (rules §2 table),
//! and the operator actions they call for.

use serde::Serialize;

use super::timing::Timing;
use super::{Action, ActionKind};
use crate::keys::Role;
use crate::policy::Policy;
use crate::state::{KeyRecord, KeyState, ZoneState};

/// Which keys do what, by key tag.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Decisions {
    /// DNSKEYs in the zone.
    pub published: Vec<u16>,
    /// Keys that sign the DNSKEY RRset (and CDS/CDNSKEY): every published
    /// KSK or CSK (double-KSK, RFC 7583 s3.3.2).
    pub keyset_signers: Vec<u16>,
    /// Keys that sign the other authoritative RRsets.
    pub zone_signers: Vec<u16>,
    /// DS records the parent must hold.
    pub ds_wanted: Vec<u16>,
    /// DS records the parent must drop.
    pub ds_withdraw: Vec<u16>,
    /// Keys published as CDS/CDNSKEY (those wanted at the parent and in the zone).
    pub cds: Vec<u16>,
}

/// A KSK or CSK whose DS the parent must serve. An active key of a new
/// zone asks for it only once its DNSKEY RRset has propagated.
pub fn ds_wanted(k: &KeyRecord) -> bool {
    k.role != Role::Zsk
        && k.state.ds_wanted()
        && (k.state != KeyState::Active
            || k.times.ds_submitted.is_some()
            || k.times.ds_seen.is_some())
}

/// Does the key sign the zone's data: active, or an algorithm coming or
/// going (see `scheme`)?
pub fn signs_data(k: &KeyRecord) -> bool {
    k.role != Role::Ksk
        && k.times.signatures_gone.is_none()
        && (k.state == KeyState::Active || k.times.signing.is_some())
}

/// A retired KSK or CSK whose DS the parent serves, or may yet serve: it
/// was asked for (a policy change can retire a key whose DS is still on
/// its way). `ds-gone`, or the parent seen without it, settles it.
pub fn ds_to_withdraw(k: &KeyRecord) -> bool {
    k.role != Role::Zsk && k.state == KeyState::Retire && ds_asked(k) && k.times.ds_gone.is_none()
}

/// Was the key's DS ever seen, or asked for by a run before the one that
/// retired the key?
pub fn ds_asked(k: &KeyRecord) -> bool {
    let retired = k.times.retire.unwrap_or(u64::MAX);
    k.times.ds_seen.is_some() || k.times.ds_submitted.is_some_and(|s| s < retired)
}

/// A retired standby KSK whose DS the parent still serves: while there is
/// one, the retired KSKs that were in use keep their DS, or the parent
/// could be left with only the DS of a key never published.
fn standby_ds_pending(state: &ZoneState) -> bool {
    state.keys.iter().any(|k| k.standby && ds_to_withdraw(k))
}

impl Decisions {
    /// Keys that sign the data before their DNSKEY is published (an
    /// algorithm being introduced).
    pub fn signing_ahead(&self) -> impl Iterator<Item = &u16> {
        self.zone_signers
            .iter()
            .filter(|t| !self.published.contains(t))
    }
}

/// Derives the decisions from the key states.
pub fn decide(state: &ZoneState) -> Decisions {
    let mut d = Decisions::default();
    let standby_pending = standby_ds_pending(state);
    for k in &state.keys {
        let sep = k.role != Role::Zsk;
        if k.published() {
            d.published.push(k.tag);
            if sep {
                d.keyset_signers.push(k.tag);
            }
        }
        if signs_data(k) {
            d.zone_signers.push(k.tag);
        }
        if ds_wanted(k) {
            d.ds_wanted.push(k.tag);
            if k.published() {
                d.cds.push(k.tag);
            }
        }
        if ds_to_withdraw(k) && (k.standby || !standby_pending) {
            d.ds_withdraw.push(k.tag);
        } else if ds_to_withdraw(k) {
            d.ds_wanted.push(k.tag);
            if k.published() {
                d.cds.push(k.tag);
            }
        }
    }
    d
}

/// The operator actions the current states call for.
pub fn actions(policy: &Policy, s: &ZoneState, now: u64) -> Vec<Action> {
    let t = Timing::new(policy, &s.history, now);
    let zone = s.zone.trim_end_matches('.');
    let mut out = Vec::new();
    // The order of withdrawals is the decisions' (standby DS first).
    let withdraw = decide(s).ds_withdraw;
    for k in &s.keys {
        let tag = k.tag;
        if ds_wanted(k) && k.times.ds_seen.is_none() {
            // The predecessor's end of life is when the new DS is needed.
            let deadline = s
                .keys
                .iter()
                .filter(|o| o.role == k.role && o.state == KeyState::Active && o.tag != tag)
                .filter_map(|o| t.end_of_life(o))
                .min();
            let by = deadline
                .map(|d| format!(" by {}", crate::time::rfc3339(d)))
                .unwrap_or_default();
            out.push(Action {
                kind: ActionKind::SubmitDs,
                tag: Some(tag),
                deadline,
                message: format!(
                    "submit DS {tag} to the parent of {zone}{by} (ds/{zone}.ds), then run `zonesign ds-seen {zone} {tag}`"
                ),
            });
        }
        if withdraw.contains(&k.tag) {
            out.push(Action {
                kind: ActionKind::WithdrawDs,
                tag: Some(tag),
                deadline: None,
                message: format!(
                    "withdraw DS {tag} from the parent of {zone}, then run `zonesign ds-gone {zone} {tag}`"
                ),
            });
        }
        if k.state == KeyState::Active
            && t.manual(k.role)
            && !k.standby
            && let Some(end) = t.end_of_life(k).filter(|&e| now >= e)
        {
            let flag = if k.role == Role::Zsk {
                "--zsk"
            } else {
                "--ksk"
            };
            out.push(Action {
                    kind: ActionKind::RolloverDue,
                    tag: Some(tag),
                    deadline: Some(end),
                    message: format!(
                        "{} {tag} reached the end of its lifetime on {}: run `zonesign rollover {zone} {flag}`",
                        k.role.label(),
                        crate::time::rfc3339(end)
                    ),
                });
        }
    }
    out
}
