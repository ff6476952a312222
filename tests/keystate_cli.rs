//! The key-state commands through the binary: status, ds-seen, ds-gone,
//! rollover and plan, all honouring --now.

mod common;
#[path = "common/lifecycle.rs"]
mod lc;

use common::zonesign;
use lc::*;
use zonesign::keys::Role;
use zonesign::state::{KeyState, ZoneState};

const NOW: &str = "2027-01-15T00:00:00Z";

/// A configuration with the test policy and a zone whose keys are active.
fn setup() -> (tempfile::TempDir, u16, u16) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("zonesign.toml"),
        r#"
[policy.default]
zsk = { lifetime = "30d" }
ksk = { lifetime = "90d", standby = 0 }
"#,
    )
    .unwrap();
    let p = policy();
    let mut keys = FakeKeys::new();
    let s = lc::run(&p, &ZoneState::new("example.com"), &[], T0, &mut keys).state;
    // The run after the DNSKEY RRset propagated asks for the first DS.
    let s = lc::run(&p, &s, &[], T0 + DAY, &mut keys).state;
    let ksk = one(&s, Role::Ksk, KeyState::Active);
    let zsk = one(&s, Role::Zsk, KeyState::Active);
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    s.save(&dir.path().join("state/example.com.toml")).unwrap();
    (dir, ksk, zsk)
}

fn zs(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    zonesign()
        .arg("--config")
        .arg(dir.join("zonesign.toml"))
        .args(["--now", NOW])
        .args(args)
        .output()
        .unwrap()
}

fn state(dir: &std::path::Path) -> ZoneState {
    ZoneState::load(&dir.join("state/example.com.toml"), "example.com").unwrap()
}

#[test]
fn status_lists_keys_and_actions() {
    let (dir, ksk, zsk) = setup();
    let o = zs(dir.path(), &["status"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!("KSK {ksk:>5}")) && text.contains(&format!("ZSK {zsk:>5}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("zonesign ds-seen example.com {ksk}")),
        "{text}"
    );
    let o = zs(dir.path(), &["status", "example.com", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["keys"].as_array().unwrap().len(), 2);
}

#[test]
fn ds_seen_and_gone_are_recorded_or_refused() {
    let (dir, ksk, zsk) = setup();
    assert!(
        zs(dir.path(), &["ds-seen", "example.com", &ksk.to_string()])
            .status
            .success()
    );
    let s = state(dir.path());
    assert_eq!(
        s.key(ksk).unwrap().times.ds_seen,
        Some(zonesign::time::parse_instant(NOW).unwrap())
    );
    for bad in [
        ["ds-seen", "example.com", "9"],
        ["ds-seen", "example.com", &zsk.to_string()],
        ["ds-gone", "example.com", &ksk.to_string()],
    ] {
        let o = zs(dir.path(), &bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(!o.stderr.is_empty());
    }
    assert_eq!(
        zs(dir.path(), &["ds-seen", "nowhere.example", "1"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn rollover_is_pending_until_the_next_run() {
    let (dir, _, _) = setup();
    assert!(
        zs(dir.path(), &["rollover", "example.com", "--zsk"])
            .status
            .success()
    );
    assert!(state(dir.path()).pending.zsk_rollover);
    assert!(
        zs(dir.path(), &["rollover", "example.com", "--ksk"])
            .status
            .success()
    );
    assert!(state(dir.path()).pending.ksk_rollover);
    assert_eq!(
        zs(dir.path(), &["rollover", "example.com", "--use-standby"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        zs(dir.path(), &["rollover", "example.com"]).status.code(),
        Some(2)
    );
}

#[test]
fn plan_as_table_and_json() {
    let (dir, _, _) = setup();
    let o = zs(dir.path(), &["plan", "example.com", "--until", "1y"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("publish -> ready") && text.contains("retire -> dead"),
        "{text}"
    );
    let o = zs(
        dir.path(),
        &["plan", "example.com", "--until", "1y", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v.as_array().unwrap();
    let zsk_rolls = rows
        .iter()
        .filter(|r| r["role"] == "zsk" && r["to"] == "active")
        .count();
    assert!(
        (11..=13).contains(&zsk_rolls),
        "30-day ZSKs over a year: {zsk_rolls}"
    );
    assert!(rows.iter().any(|r| r["action"] == "submit DS"));
}

#[test]
fn init_writes_a_config_the_other_commands_accept() {
    let dir = tempfile::tempdir().unwrap();
    let o = zonesign().arg("init").arg(dir.path()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cfg = dir.path().join("zonesign.toml");
    let o = zonesign()
        .arg("--config")
        .arg(&cfg)
        .args(["plan", "example.com", "--until", "400d"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("-> active"));
    let o = zonesign().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "init must not overwrite");
    std::fs::write(&cfg, "[policy.default]\nzsk = { lifetime = \"2h\" }\n").unwrap();
    let o = zonesign()
        .arg("--config")
        .arg(&cfg)
        .args(["status"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("zsk.lifetime"));
}
