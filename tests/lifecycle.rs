//! Each transition of the enforcer and its timing, against SPEC §2's
//! formulas, with a policy in which every timing parameter differs.

#[path = "common/lifecycle.rs"]
mod lc;

use lc::*;
use zonesign::keys::Role;
use zonesign::lifecycle::{ActionKind, Event, decide};
use zonesign::state::{KeyState, ZoneState};

fn bootstrap(p: &zonesign::policy::Policy, keys: &mut FakeKeys) -> ZoneState {
    run(p, &ZoneState::new("example.com"), &[], T0, keys).state
}

#[test]
fn new_zone_gets_active_keys_at_once_and_a_ds_once_the_keys_propagated() {
    let p = policy();
    let mut keys = FakeKeys::new();
    let out = run(&p, &ZoneState::new("example.com"), &[], T0, &mut keys);
    let s = &out.state;
    let ksk = one(s, Role::Ksk, KeyState::Active);
    let zsk = one(s, Role::Zsk, KeyState::Active);
    let d = decide(s);
    assert_eq!(d.keyset_signers, vec![ksk]);
    assert_eq!(d.zone_signers, vec![zsk]);
    // The first DS waits until the signed zone and its DNSKEY RRset are on
    // every secondary and in every cache: Ipub (OpenDNSSEC: Dprp + TTLkey)
    // and Dprp + TTLsig + Sp (the unsigned data cached before).
    assert!(d.ds_wanted.is_empty(), "{d:?}");
    assert!(out.actions.is_empty(), "{:?}", out.actions);
    let first_ds = T0 + IPUB.max(DPRP + TTL_SIG + SP);
    assert_eq!(out.next_change, Some(first_ds));
    let early = run(&p, s, &[], first_ds - 1, &mut keys);
    assert!(decide(&early.state).ds_wanted.is_empty());
    let out = run(&p, &early.state, &[], first_ds, &mut keys);
    assert_eq!(decide(&out.state).ds_wanted, vec![ksk]);
    assert!(
        out.actions
            .iter()
            .any(|a| a.kind == ActionKind::SubmitDs && a.tag == Some(ksk))
    );
    // ds-seen on an active KSK is recorded and clears the action.
    let out = run(
        &p,
        &out.state,
        &[Event::DsSeen(ksk)],
        first_ds + 100,
        &mut keys,
    );
    assert!(out.actions.is_empty(), "{:?}", out.actions);
}

#[test]
fn zsk_prepublish_rollover_timing() {
    let p = policy();
    let mut keys = FakeKeys::new();
    let s = bootstrap(&p, &mut keys);
    let old = one(&s, Role::Zsk, KeyState::Active);
    let end = T0 + 30 * DAY;
    // Successor generated Ipub before the end of life, not earlier.
    let s1 = run(&p, &s, &[], end - IPUB - 1, &mut keys).state;
    assert!(tags_in(&s1, Role::Zsk, KeyState::Publish).is_empty());
    let pub_at = end - IPUB;
    let s2 = run(&p, &s1, &[], pub_at, &mut keys).state;
    let new = one(&s2, Role::Zsk, KeyState::Publish);
    assert!(decide(&s2).published.contains(&new));
    assert!(!decide(&s2).zone_signers.contains(&new));
    // publish → ready after exactly Ipub.
    let s3 = run(&p, &s2, &[], pub_at + IPUB - 1, &mut keys).state;
    assert_eq!(one(&s3, Role::Zsk, KeyState::Publish), new);
    let s4 = run(&p, &s3, &[], pub_at + IPUB, &mut keys).state;
    assert_eq!(
        one(&s4, Role::Zsk, KeyState::Active),
        new,
        "ready and end of life at once"
    );
    assert_eq!(one(&s4, Role::Zsk, KeyState::Retire), old);
    assert_eq!(decide(&s4).zone_signers, vec![new]);
    assert!(decide(&s4).published.contains(&old));
    // retire → dead after Dprp + TTLsig + Sr from the first run without its signatures.
    let r = pub_at + IPUB;
    let s5 = run(&p, &s4, &[], r + ZSK_RETIRE - 1, &mut keys).state;
    assert_eq!(one(&s5, Role::Zsk, KeyState::Retire), old);
    let s6 = run(&p, &s5, &[], r + ZSK_RETIRE, &mut keys).state;
    assert_eq!(one(&s6, Role::Zsk, KeyState::Dead), old);
    assert!(!decide(&s6).published.contains(&old));
    // dead keys are purged after `purge`, with their files.
    let o7 = run(&p, &s6, &[], r + ZSK_RETIRE + PURGE - 1, &mut keys);
    assert!(o7.state.key(old).is_some());
    let o8 = run(&p, &o7.state, &[], r + ZSK_RETIRE + PURGE, &mut keys);
    assert!(o8.state.key(old).is_none());
    assert_eq!(o8.purged, vec![format!("Ktest.+013+{old:05}")]);
}

#[test]
fn ready_zsk_waits_for_the_end_of_life() {
    let mut p = policy();
    let mut keys = FakeKeys::new();
    let s = bootstrap(&p, &mut keys);
    let end = T0 + 30 * DAY;
    let s = run(&p, &s, &[], end - IPUB, &mut keys).state;
    let new = one(&s, Role::Zsk, KeyState::Publish);
    // The operator lengthens the ZSK lifetime meanwhile.
    p.zsk.lifetime = 40 * DAY;
    let s = run(&p, &s, &[], end, &mut keys).state;
    assert_eq!(one(&s, Role::Zsk, KeyState::Ready), new);
    let s = run(&p, &s, &[], T0 + 40 * DAY - 1, &mut keys).state;
    assert_eq!(one(&s, Role::Zsk, KeyState::Ready), new);
    let s = run(&p, &s, &[], T0 + 40 * DAY, &mut keys).state;
    assert_eq!(one(&s, Role::Zsk, KeyState::Active), new);
}

#[test]
fn ksk_double_ksk_rollover_with_ds_seen_and_ds_gone() {
    let p = policy();
    let mut keys = FakeKeys::new();
    let s = bootstrap(&p, &mut keys);
    let old = one(&s, Role::Ksk, KeyState::Active);
    let s = run(&p, &s, &[Event::DsSeen(old)], T0 + 10, &mut keys).state;
    let end = T0 + 90 * DAY;
    let lead = IPUB + DREG;
    let s1 = run(&p, &s, &[], end - lead - 1, &mut keys).state;
    assert!(tags_in(&s1, Role::Ksk, KeyState::Publish).is_empty());
    let s2 = run(&p, &s1, &[], end - lead, &mut keys).state;
    let new = one(&s2, Role::Ksk, KeyState::Publish);
    // Every published KSK signs the DNSKEY RRset, from the start.
    assert!(decide(&s2).keyset_signers.contains(&new));
    assert!(!decide(&s2).ds_wanted.contains(&new));
    let o3 = run(&p, &s2, &[], end - lead + IPUB, &mut keys);
    assert_eq!(one(&o3.state, Role::Ksk, KeyState::Ready), new);
    assert!(decide(&o3.state).ds_wanted.contains(&new));
    let submit = o3
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::SubmitDs)
        .expect("submit action");
    assert_eq!(submit.tag, Some(new));
    assert_eq!(submit.deadline, Some(end));
    assert!(
        submit
            .message
            .contains(&format!("zonesign ds-seen example.com {new}")),
        "{}",
        submit.message
    );
    // ready → active on ds-seen; the old KSK retires and its DS is withdrawn.
    let seen = end - 100;
    let o4 = run(&p, &o3.state, &[Event::DsSeen(new)], seen, &mut keys);
    assert_eq!(one(&o4.state, Role::Ksk, KeyState::Active), new);
    assert_eq!(one(&o4.state, Role::Ksk, KeyState::Retire), old);
    let d = decide(&o4.state);
    assert_eq!(d.ds_withdraw, vec![old]);
    assert!(
        d.keyset_signers.contains(&old),
        "old KSK signs until its DS is gone from caches"
    );
    assert!(
        o4.actions
            .iter()
            .any(|a| a.kind == ActionKind::WithdrawDs && a.tag == Some(old))
    );
    // Without ds-gone it stays; after ds-gone it goes TTLds + Dprp_p + Sr later.
    let s5 = run(&p, &o4.state, &[], seen + 30 * DAY, &mut keys).state;
    assert_eq!(one(&s5, Role::Ksk, KeyState::Retire), old);
    let gone = seen + 30 * DAY;
    let s6 = run(&p, &s5, &[Event::DsGone(old)], gone, &mut keys).state;
    let s7 = run(&p, &s6, &[], gone + KSK_RETIRE - 1, &mut keys).state;
    assert_eq!(one(&s7, Role::Ksk, KeyState::Retire), old);
    let s8 = run(&p, &s7, &[], gone + KSK_RETIRE, &mut keys).state;
    assert_eq!(one(&s8, Role::Ksk, KeyState::Dead), old);
}

#[test]
fn standby_ksk_path() {
    let mut p = policy();
    p.ksk.standby = 1;
    let mut keys = FakeKeys::new();
    let o = run(&p, &ZoneState::new("example.com"), &[], T0, &mut keys);
    let old = one(&o.state, Role::Ksk, KeyState::Active);
    // No standby until the active KSK's DS is at the parent.
    assert!(tags_in(&o.state, Role::Ksk, KeyState::Dssub).is_empty());
    let o = run(&p, &o.state, &[Event::DsSeen(old)], T0, &mut keys);
    let sb = one(&o.state, Role::Ksk, KeyState::Dssub);
    let d = decide(&o.state);
    assert!(d.ds_wanted.contains(&sb) && !d.published.contains(&sb));
    let s = run(&p, &o.state, &[Event::DsSeen(sb)], T0 + 50, &mut keys).state;
    assert_eq!(one(&s, Role::Ksk, KeyState::Dspublish), sb);
    let s = run(&p, &s, &[], T0 + 50 + DS_READY - 1, &mut keys).state;
    assert_eq!(one(&s, Role::Ksk, KeyState::Dspublish), sb);
    let s = run(&p, &s, &[], T0 + 50 + DS_READY, &mut keys).state;
    assert_eq!(one(&s, Role::Ksk, KeyState::Dsready), sb);
    let u = T0 + 5 * DAY;
    let s = run(&p, &s, &[Event::UseStandby], u, &mut keys).state;
    assert_eq!(one(&s, Role::Ksk, KeyState::Keypublish), sb);
    assert!(decide(&s).keyset_signers.contains(&sb));
    let s = run(&p, &s, &[], u + IPUB - 1, &mut keys).state;
    assert_eq!(one(&s, Role::Ksk, KeyState::Keypublish), sb);
    let s = run(&p, &s, &[], u + IPUB, &mut keys).state;
    assert_eq!(one(&s, Role::Ksk, KeyState::Active), sb);
    assert_eq!(one(&s, Role::Ksk, KeyState::Retire), old);
    // A new standby is made.
    assert_eq!(tags_in(&s, Role::Ksk, KeyState::Dssub).len(), 1);
}

#[test]
fn emergency_ksk_rollover_uses_a_ready_standby() {
    let mut p = policy();
    p.ksk.standby = 1;
    let mut keys = FakeKeys::new();
    let s = run(&p, &ZoneState::new("example.com"), &[], T0, &mut keys).state;
    let ksk = one(&s, Role::Ksk, KeyState::Active);
    let s = run(&p, &s, &[Event::DsSeen(ksk)], T0, &mut keys).state;
    let sb = one(&s, Role::Ksk, KeyState::Dssub);
    let s = run(&p, &s, &[Event::DsSeen(sb)], T0 + 1, &mut keys).state;
    let s = run(&p, &s, &[], T0 + 1 + DS_READY, &mut keys).state;
    let e = T0 + 2 * DAY;
    let s = run(
        &p,
        &s,
        &[Event::Rollover {
            role: Role::Ksk,
            emergency: true,
        }],
        e,
        &mut keys,
    )
    .state;
    assert_eq!(one(&s, Role::Ksk, KeyState::Keypublish), sb);
    assert!(
        tags_in(&s, Role::Ksk, KeyState::Publish).is_empty(),
        "no fresh KSK needed"
    );
}

#[test]
fn manual_rollover_policy_reports_and_waits_for_the_operator() {
    let mut p = policy();
    p.zsk.manual_rollover = true;
    let mut keys = FakeKeys::new();
    let s = bootstrap(&p, &mut keys);
    let old = one(&s, Role::Zsk, KeyState::Active);
    let end = T0 + 30 * DAY;
    let o = run(&p, &s, &[], end + DAY, &mut keys);
    assert!(tags_in(&o.state, Role::Zsk, KeyState::Publish).is_empty());
    let due = o
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::RolloverDue)
        .expect("rollover due");
    assert!(due.message.contains("--zsk"), "{}", due.message);
    let r = end + 2 * DAY;
    let s = run(
        &p,
        &o.state,
        &[Event::Rollover {
            role: Role::Zsk,
            emergency: false,
        }],
        r,
        &mut keys,
    )
    .state;
    let new = one(&s, Role::Zsk, KeyState::Publish);
    let s = run(&p, &s, &[], r + IPUB, &mut keys).state;
    assert_eq!(one(&s, Role::Zsk, KeyState::Active), new);
    assert_eq!(one(&s, Role::Zsk, KeyState::Retire), old);
    assert!(!s.pending.zsk_rollover);
}

#[test]
fn csk_rollover_needs_both_retire_conditions() {
    let mut p = policy();
    p.csk = true;
    let mut keys = FakeKeys::new();
    let s = bootstrap(&p, &mut keys);
    let old = one(&s, Role::Csk, KeyState::Active);
    assert_eq!(decide(&s).zone_signers, vec![old]);
    assert_eq!(decide(&s).keyset_signers, vec![old]);
    let s = run(&p, &s, &[Event::DsSeen(old)], T0 + 1, &mut keys).state;
    let start = T0 + 90 * DAY - IPUB - DREG;
    let s = run(&p, &s, &[], start, &mut keys).state;
    let new = one(&s, Role::Csk, KeyState::Publish);
    let s = run(&p, &s, &[], start + IPUB, &mut keys).state;
    assert_eq!(one(&s, Role::Csk, KeyState::Ready), new);
    assert_eq!(decide(&s).zone_signers, vec![old]);
    let a = start + IPUB + 10;
    let s = run(&p, &s, &[Event::DsSeen(new)], a, &mut keys).state;
    assert_eq!(decide(&s).zone_signers, vec![new]);
    assert_eq!(one(&s, Role::Csk, KeyState::Retire), old);
    // ds-gone comes quickly; the ZSK-side wait is the longer one here.
    let s = run(&p, &s, &[Event::DsGone(old)], a + 1, &mut keys).state;
    let s = run(&p, &s, &[], a + 1 + KSK_RETIRE, &mut keys).state;
    assert_eq!(
        one(&s, Role::Csk, KeyState::Retire),
        old,
        "signatures may still be cached"
    );
    let s = run(&p, &s, &[], a + ZSK_RETIRE, &mut keys).state;
    assert_eq!(one(&s, Role::Csk, KeyState::Dead), old);
}

#[test]
fn larger_old_ttl_lengthens_the_wait() {
    let mut p = policy();
    let mut keys = FakeKeys::new();
    let s = bootstrap(&p, &mut keys);
    // The DNSKEY TTL drops from 3000 to 100 at T0 + 1: for 3000 s the old
    // value may still be cached, so a key published then waits the old Ipub.
    p.dnskey_ttl = 100;
    let s = run(
        &p,
        &s,
        &[Event::Rollover {
            role: Role::Zsk,
            emergency: false,
        }],
        T0 + 1,
        &mut keys,
    )
    .state;
    let new = one(&s, Role::Zsk, KeyState::Publish);
    let short = 100 + DPRP + SP;
    let s = run(&p, &s, &[], T0 + 1 + short, &mut keys).state;
    assert_eq!(
        one(&s, Role::Zsk, KeyState::Publish),
        new,
        "the cached TTL is the larger one"
    );
    let s = run(&p, &s, &[], T0 + 1 + IPUB, &mut keys).state;
    assert_eq!(one(&s, Role::Zsk, KeyState::Active), new);
}

#[test]
fn events_for_unknown_keys_are_reported_not_applied() {
    let p = policy();
    let mut keys = FakeKeys::new();
    let s = bootstrap(&p, &mut keys);
    let zsk = one(&s, Role::Zsk, KeyState::Active);
    for e in [
        Event::DsSeen(9),
        Event::DsGone(9),
        Event::DsSeen(zsk),
        Event::UseStandby,
    ] {
        let o = run(&p, &s, std::slice::from_ref(&e), T0 + 5, &mut keys);
        assert!(
            o.actions.iter().any(|a| a.kind == ActionKind::Ignored),
            "{e:?}: {:?}",
            o.actions
        );
    }
}
