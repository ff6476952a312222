//! The per-zone key state, `state/<zone>.toml`: the source of truth for the
//! lifecycle. Human-readable, versioned, written atomically.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::keys::Role;

/// The state file format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// OpenDNSSEC key states (the seed), including the standby-KSK path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Generate,
    Publish,
    Ready,
    Active,
    Retire,
    Dead,
    /// Standby KSK: DS submitted, waiting for `ds-seen`.
    Dssub,
    /// Standby KSK: DS seen at the parent, waiting for it to propagate.
    Dspublish,
    /// Standby KSK: its DS can be relied on; the key can be used at once.
    Dsready,
    /// Standby KSK: asked to be used, its DNSKEY is being published.
    Keypublish,
}

impl KeyState {
    /// Is the DNSKEY in the zone? (rules §2 table)
    pub fn published(self) -> bool {
        matches!(
            self,
            KeyState::Publish
                | KeyState::Ready
                | KeyState::Active
                | KeyState::Retire
                | KeyState::Keypublish
        )
    }

    /// Does the parent need this key's DS?
    pub fn ds_wanted(self) -> bool {
        matches!(
            self,
            KeyState::Ready
                | KeyState::Active
                | KeyState::Dssub
                | KeyState::Dspublish
                | KeyState::Dsready
                | KeyState::Keypublish
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyState::Generate => "generate",
            KeyState::Publish => "publish",
            KeyState::Ready => "ready",
            KeyState::Active => "active",
            KeyState::Retire => "retire",
            KeyState::Dead => "dead",
            KeyState::Dssub => "dssub",
            KeyState::Dspublish => "dspublish",
            KeyState::Dsready => "dsready",
            KeyState::Keypublish => "keypublish",
        }
    }
}

/// When a key entered each state, and the parent-side events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyTimes {
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub generate: Option<u64>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub publish: Option<u64>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub ready: Option<u64>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub active: Option<u64>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub retire: Option<u64>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub dead: Option<u64>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub dssub: Option<u64>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub dspublish: Option<u64>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub dsready: Option<u64>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub keypublish: Option<u64>,
    /// The DS was handed to the parent (report, DS file, hook).
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub ds_submitted: Option<u64>,
    /// `ds-seen`: the parent serves the DS.
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub ds_seen: Option<u64>,
    /// `ds-gone`: the parent no longer serves the DS.
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub ds_gone: Option<u64>,
    /// The first run whose output held this key's data signatures before
    /// the key was active (an algorithm being introduced, rules §2).
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub signing: Option<u64>,
    /// The first run whose output held none of this key's data signatures.
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub signatures_gone: Option<u64>,
    /// `ds_submit_command` delivered the DS.
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub ds_sent: Option<u64>,
    /// The first run that saw the DS in a parent zone of the configuration
    /// (ds-seen follows Dprp_p later).
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub ds_observed: Option<u64>,
    /// The first run that saw the DS gone from that parent zone.
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub ds_absent: Option<u64>,
}

impl KeyTimes {
    pub fn entered(&self, s: KeyState) -> Option<u64> {
        match s {
            KeyState::Generate => self.generate,
            KeyState::Publish => self.publish,
            KeyState::Ready => self.ready,
            KeyState::Active => self.active,
            KeyState::Retire => self.retire,
            KeyState::Dead => self.dead,
            KeyState::Dssub => self.dssub,
            KeyState::Dspublish => self.dspublish,
            KeyState::Dsready => self.dsready,
            KeyState::Keypublish => self.keypublish,
        }
    }

    pub fn set_entered(&mut self, s: KeyState, t: u64) {
        let slot = match s {
            KeyState::Generate => &mut self.generate,
            KeyState::Publish => &mut self.publish,
            KeyState::Ready => &mut self.ready,
            KeyState::Active => &mut self.active,
            KeyState::Retire => &mut self.retire,
            KeyState::Dead => &mut self.dead,
            KeyState::Dssub => &mut self.dssub,
            KeyState::Dspublish => &mut self.dspublish,
            KeyState::Dsready => &mut self.dsready,
            KeyState::Keypublish => &mut self.keypublish,
        };
        *slot = Some(t);
    }
}

/// One key of the zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub tag: u16,
    pub algorithm: u8,
    pub role: Role,
    pub state: KeyState,
    /// A standby KSK (its DS is published before its DNSKEY).
    #[serde(default)]
    pub standby: bool,
    /// Base name of the BIND key files in the keys directory.
    pub file: String,
    /// Key size: for RSA a policy's `bits` may change, which rolls the key.
    /// Absent in states older than the field; filled in from the key files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    pub times: KeyTimes,
}

impl KeyRecord {
    /// Is the DNSKEY in the zone? A standby KSK retired before it was ever
    /// used (the policy changed) stays out: only its DS is withdrawn.
    pub fn published(&self) -> bool {
        self.state.published() && !(self.standby && self.state == KeyState::Retire)
    }
}

/// A TTL that may change between runs: the largest value still cached is
/// what every wait must use (rules §2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtlHistory {
    pub current: u64,
    #[serde(default)]
    pub previous: u64,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub changed: Option<u64>,
}

impl TtlHistory {
    /// Records the TTL in force at `now`.
    pub fn observe(&mut self, ttl: u64, now: u64) {
        if self.changed.is_none() && self.current == 0 {
            self.current = ttl;
            self.changed = Some(now);
        } else if ttl != self.current {
            // Keep the larger of the old values while it may be cached.
            self.previous = self.effective(now);
            self.current = ttl;
            self.changed = Some(now);
        }
    }

    /// The largest value of this TTL that may still be in caches at `now`.
    pub fn effective(&self, now: u64) -> u64 {
        match self.changed {
            Some(c) if now < c.saturating_add(self.previous) => self.current.max(self.previous),
            _ => self.current,
        }
    }
}

/// What the rules need to remember about earlier runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub last_run: Option<u64>,
    /// TTLkey over time.
    #[serde(default)]
    pub dnskey_ttl: TtlHistory,
    /// TTLsig (largest zone TTL) over time.
    #[serde(default)]
    pub max_zone_ttl: TtlHistory,
    /// TTLds over time.
    #[serde(default)]
    pub ds_ttl: TtlHistory,
    /// The last SOA serial published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<u32>,
    /// SHA-256 of the signed zone the last run wrote: only that file's
    /// signatures are reused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_sha256: Option<String>,
    /// The NSEC3 salt in use (hex) and when it was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsec3_salt: Option<String>,
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub nsec3_salt_changed: Option<u64>,
    /// The earliest RRSIG expiration of the signed zone last written: when
    /// the published zone starts to fail if no run succeeds before.
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
    /// When the next run may end early (see `batch::quiet`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet: Option<Quiet>,
}

impl History {
    /// The last run, if it was later than `now`: the clock has gone back.
    pub fn run_after(&self, now: u64) -> Option<u64> {
        self.last_run.filter(|&last| now < last)
    }
}

/// The inputs the last run saw, and until when its outputs stay current.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quiet {
    /// SHA-256 of the inputs (`batch::quiet::inputs`).
    pub inputs: String,
    /// The first signature refresh or key event falls due then.
    #[serde(default, with = "stamp", skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
    pub signatures: usize,
}

/// Requests recorded by commands and honoured by the next enforcement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    #[serde(default)]
    pub zsk_rollover: bool,
    #[serde(default)]
    pub ksk_rollover: bool,
    #[serde(default)]
    pub use_standby: bool,
}

/// `state/<zone>.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneState {
    pub version: u32,
    pub zone: String,
    #[serde(default)]
    pub history: History,
    #[serde(default)]
    pub pending: Pending,
    #[serde(default, rename = "key")]
    pub keys: Vec<KeyRecord>,
}

impl ZoneState {
    pub fn new(zone: &str) -> ZoneState {
        ZoneState {
            version: FORMAT_VERSION,
            zone: zone.to_string(),
            ..ZoneState::default()
        }
    }

    pub fn key(&self, tag: u16) -> Option<&KeyRecord> {
        self.keys.iter().find(|k| k.tag == tag)
    }

    /// Reads the state of a zone; a missing file is a new zone.
    pub fn load(path: &Path, zone: &str) -> Result<ZoneState> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ZoneState::new(zone)),
            Err(e) => return Err(Error::io(path, e)),
        };
        let state: ZoneState = toml::from_str(&text).map_err(|e| Error::Zone {
            file: path.to_path_buf(),
            reason: format!("bad state file: {e}"),
        })?;
        if state.version != FORMAT_VERSION {
            return Err(Error::Zone {
                file: path.to_path_buf(),
                reason: format!(
                    "state format version {} (this zonesign reads {FORMAT_VERSION})",
                    state.version
                ),
            });
        }
        Ok(state)
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!(
            "# zonesign key state for {} — the source of truth for its key lifecycle.\n\
             # Edit only with zonesign commands (ds-seen, ds-gone, rollover).\n{body}",
            self.zone
        )
    }

    /// Writes atomically (temporary file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::atomic::write_atomic(path, self.to_toml().as_bytes(), false)
    }
}

/// Times in the state file are RFC 3339 UTC strings.
mod stamp {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(&crate::time::rfc3339(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        match text {
            None => Ok(None),
            Some(t) => crate::time::parse_instant(&t)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_toml() {
        let mut s = ZoneState::new("example.com.");
        s.history.last_run = Some(1_700_000_000);
        s.history.dnskey_ttl.observe(3600, 1_700_000_000);
        s.keys.push(KeyRecord {
            tag: 12345,
            algorithm: 13,
            role: Role::Ksk,
            state: KeyState::Active,
            standby: false,
            file: "Kexample.com.+013+12345".into(),
            bits: None,
            times: KeyTimes {
                generate: Some(1_700_000_000),
                active: Some(1_700_000_000),
                ..KeyTimes::default()
            },
        });
        let text = s.to_toml();
        assert!(text.contains("state = \"active\""), "{text}");
        assert!(text.contains("2023-11-14T22:13:20Z"), "{text}");
        let back: ZoneState = toml::from_str(&text).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn ttl_history_keeps_the_larger_value_while_cached() {
        let mut h = TtlHistory::default();
        h.observe(7200, 1000);
        assert_eq!(h.effective(1000), 7200);
        h.observe(300, 5000);
        assert_eq!(h.effective(5000), 7200);
        assert_eq!(h.effective(5000 + 7199), 7200);
        assert_eq!(h.effective(5000 + 7200), 300);
    }
}
