//! A zonesign site in a temporary directory: zonesign.toml, zones/, and
//! helpers to run `zonesign run` at chosen times.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const T0: u64 = 1_798_761_600; // 2027-01-01T00:00:00Z
pub const DAY: u64 = 86400;

/// Policy lines with short lifetimes and waits, so that rollovers follow
/// each other within simulated months: ZSK 30 days, KSK 90.
pub const FAST_ROLLOVERS: &str = r#"zsk = { lifetime = "30d" }
ksk = { lifetime = "90d" }
keys = { ttl = "1h", publish_safety = "1h", retire_safety = "1h", purge = "2d" }
signatures = { resign = "1d", refresh = "5d", validity = "14d", validity_denial = "14d", validity_keyset = "14d", jitter = "1d", inception_offset = "1h", max_zone_ttl = "1d" }
zone = { propagation_delay = "2h" }
parent = { propagation_delay = "1h", ds_ttl = "1h", registration_delay = "2d" }
"#;

pub struct Site {
    pub dir: tempfile::TempDir,
}

/// A small zone with `extra` records appended.
pub fn zone_text(name: &str, serial: u32, extra: &str) -> String {
    format!(
        "$ORIGIN {name}.\n$TTL 3600\n\
         @ IN SOA ns1.{name}. hostmaster.{name}. {serial} 7200 1800 1209600 300\n\
         @ IN NS ns1.{name}.\n\
         ns1 IN A 192.0.2.1\n\
         www IN A 192.0.2.2\n\
         mail IN MX 10 www\n\
         {extra}\n"
    )
}

impl Site {
    /// A site whose zonesign.toml is `config` (paths default).
    pub fn new(config: &str) -> Site {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("zones")).unwrap();
        std::fs::write(dir.path().join("zonesign.toml"), config).unwrap();
        Site { dir }
    }

    /// Writes each zone with a delegation in it, and gives each a parent
    /// that serves its DS.
    pub fn delegating_zones<'z>(&self, zones: &[&'z str]) -> BTreeMap<&'z str, Parent> {
        for z in zones {
            self.write_zone(
                z,
                &zone_text(z, 1, "sub IN NS ns.sub\nns.sub IN A 192.0.2.53"),
            );
        }
        zones.iter().map(|z| (*z, Parent::default())).collect()
    }

    /// `zonesign run -q` with `--parent-ds` holding the DS the parents
    /// serve at `now`.
    pub fn run_with_parents(&self, parents: &mut BTreeMap<&str, Parent>, now: u64) {
        let mut served = String::new();
        for p in parents.values_mut() {
            p.tick(now);
            served.push_str(&p.serving);
        }
        let parent_ds = self.path("parent.ds");
        std::fs::write(&parent_ds, &served).unwrap();
        self.run_ok(now, &["-q", "--parent-ds", parent_ds.to_str().unwrap()]);
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write_zone(&self, name: &str, text: &str) {
        std::fs::write(self.path(&format!("zones/{name}.zone")), text).unwrap();
    }

    pub fn signed(&self, zone: &str) -> PathBuf {
        self.path(&format!("signed/{zone}.zone"))
    }

    pub fn ds(&self, zone: &str) -> PathBuf {
        self.path(&format!("ds/{zone}.ds"))
    }

    pub fn state(&self, zone: &str) -> PathBuf {
        self.path(&format!("state/{zone}.toml"))
    }

    pub fn read(&self, path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// `zonesign --config … --now T ARGS…`, not yet run.
    pub fn command(&self, now: u64, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zonesign"));
        cmd.arg("--config")
            .arg(self.path("zonesign.toml"))
            .arg("--now")
            .arg(zonesign::time::rfc3339(now))
            .args(args);
        cmd
    }

    /// `zonesign run -q` at `now`, killed with SIGKILL after a random
    /// time up to 1.5 × `full` µs if it is still running; returns whether
    /// it was killed. A run that ended first shortens `full`, so that a slow
    /// first measurement cannot leave the kills too late to land.
    pub fn run_maybe_killed(&self, now: u64, full: &mut u64, rng: &mut fastrand::Rng) -> bool {
        let mut child = self
            .command(now, &["-q", "run"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(rng.u64(0..*full * 3 / 2)));
        let killed = child.try_wait().unwrap().is_none();
        if killed {
            child.kill().unwrap(); // SIGKILL
        } else {
            *full = (*full * 3 / 4).max(1);
        }
        child.wait().unwrap();
        killed
    }

    /// Runs a command; returns (exit code, stdout + stderr).
    pub fn zonesign(&self, now: u64, args: &[&str]) -> (i32, String) {
        let out: Output = self.command(now, args).output().expect("zonesign runs");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(-1), text)
    }

    /// `zonesign run` that must succeed.
    pub fn run_ok(&self, now: u64, args: &[&str]) -> String {
        let mut a = vec!["run"];
        a.extend_from_slice(args);
        let (code, out) = self.zonesign(now, &a);
        assert_eq!(code, 0, "zonesign run failed: {out}");
        out
    }

    /// `zonesign run` that must fail (exit 1), saying each of `says`.
    pub fn run_fails(&self, now: u64, says: &[&str]) -> String {
        let (code, out) = self.zonesign(now, &["run"]);
        assert_eq!(code, 1, "{out}");
        for s in says {
            assert!(out.contains(s), "{s:?} not in: {out}");
        }
        out
    }

    /// `zonesign run --json`, parsed.
    pub fn run_json(&self, now: u64, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["--json", "run"];
        a.extend_from_slice(args);
        let out = self.command(now, &a).output().expect("zonesign runs");
        assert!(
            out.status.success(),
            "zonesign run failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON report")
    }

    /// Our verifier on a signed zone as of `now`, with a DS file (a new
    /// zone's holds none until its DNSKEY RRset has propagated: then the
    /// signatures alone are judged).
    pub fn verify(&self, zone: &str, ds: &Path, now: u64) -> (bool, String) {
        let signed = self.signed(zone);
        let mut args = vec!["verify", signed.to_str().unwrap(), "--origin", zone];
        if has_ds(ds) {
            args.extend(["--ds", ds.to_str().unwrap()]);
        }
        let (code, out) = self.zonesign(now, &args);
        (code == 0, out)
    }

    /// RRSIG lines of a signed zone.
    pub fn rrsigs(&self, zone: &str) -> Vec<String> {
        self.read(&self.signed(zone))
            .lines()
            .filter(|l| l.split_whitespace().nth(3) == Some("RRSIG"))
            .map(str::to_string)
            .collect()
    }

    /// The SOA serial of the signed zone.
    pub fn serial(&self, zone: &str) -> u32 {
        let text = self.read(&self.signed(zone));
        let soa = text
            .lines()
            .find(|l| l.split_whitespace().nth(3) == Some("SOA"))
            .expect("a SOA");
        soa.split_whitespace().nth(6).unwrap().parse().unwrap()
    }
}

/// A parent that publishes the wanted DS set a random while after it
/// changes, and keeps what it serves in `parent.ds`.
#[derive(Default)]
pub struct Parent {
    pub serving: String,
    pub pending: Option<(u64, String)>,
}

impl Parent {
    pub fn tick(&mut self, now: u64) {
        if let Some((at, text)) = &self.pending
            && *at <= now
        {
            self.serving = text.clone();
            self.pending = None;
        }
    }

    pub fn wants(&mut self, wanted: String, now: u64, rng: &mut fastrand::Rng) {
        let queued = self.pending.as_ref().map(|p| &p.1);
        if wanted != self.serving && Some(&wanted) != queued {
            self.pending = Some((now + rng.u64(0..2 * DAY), wanted));
        }
    }
}

/// `--ahead KEYFILE` for every key of the site: the judge checks the
/// signatures of keys not yet published with their key files.
pub fn ahead_keys(site: &Site) -> Vec<String> {
    // Keys in a token have no files; a site with only those has no keys/.
    let Ok(dir) = std::fs::read_dir(site.path("keys")) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "key"))
        .flat_map(|p| ["--ahead".to_string(), p.display().to_string()])
        .collect()
}

/// The judge as of `now`, with a DS file.
pub fn oracle_at(zone: &Path, origin: &str, ds: &Path, now: u64) -> (bool, String) {
    oracle_at_with(zone, origin, ds, now, &[])
}

/// [`oracle_at`] with more judge arguments (`--ahead KEYFILE`…).
pub fn oracle_at_with(
    zone: &Path,
    origin: &str,
    ds: &Path,
    now: u64,
    more: &[String],
) -> (bool, String) {
    let t = zonesign::time::rfc3339(now);
    let when: String = t.chars().filter(char::is_ascii_digit).collect();
    let mut args = vec!["--time", &when];
    args.extend(more.iter().map(String::as_str));
    crate::common::judge(zone, origin, has_ds(ds).then_some(ds), &args)
}

/// Does the DS file hold a DS record?
pub fn has_ds(ds: &Path) -> bool {
    std::fs::read_to_string(ds).is_ok_and(|t| t.contains(" DS "))
}
