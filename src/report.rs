//! What a run did and what the operator must do: a short summary on
//! stderr, or JSON with `--json` (rules §1 step 7, §4 exit codes).

use std::fmt;

use serde::Serialize;

use crate::lifecycle::{Action, Transition};
use crate::time::rfc3339;

/// The outcome of one zone in a run.
#[derive(Debug, Default, Serialize)]
pub struct ZoneReport {
    pub zone: String,
    /// Set when the zone failed; its previous outputs are untouched.
    pub error: Option<String>,
    /// Outputs whose content changed and were replaced.
    pub written: Vec<String>,
    pub serial: Option<u32>,
    pub signatures: usize,
    /// Signatures kept from the previous output.
    pub reused: usize,
    pub transitions: Vec<Transition>,
    /// Tags of keys generated in this run.
    pub generated: Vec<u16>,
    /// Key files deleted after their key was purged.
    pub purged: Vec<String>,
    pub actions: Vec<Action>,
    /// Things done on the operator's behalf (DS sent, ds-seen from the parent).
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
    /// The latest time the next run must happen (epoch seconds).
    pub next_run_by: Option<u64>,
}

impl ZoneReport {
    pub fn failed(zone: &str, error: String) -> ZoneReport {
        ZoneReport {
            zone: zone.to_string(),
            error: Some(error),
            ..ZoneReport::default()
        }
    }
}

/// The outcome of a run over zones.
#[derive(Debug, Default, Serialize)]
pub struct RunReport {
    pub now: String,
    pub zones: Vec<ZoneReport>,
    /// The earliest `next_run_by` of the zones, RFC 3339.
    pub next_run_by: Option<String>,
}

impl RunReport {
    pub fn new(now: u64, zones: Vec<ZoneReport>) -> RunReport {
        let next = zones.iter().filter_map(|z| z.next_run_by).min();
        RunReport {
            now: rfc3339(now),
            zones,
            next_run_by: next.map(rfc3339),
        }
    }

    pub fn failed(&self) -> usize {
        self.zones.iter().filter(|z| z.error.is_some()).count()
    }

    pub fn pending_actions(&self) -> usize {
        self.zones.iter().map(|z| z.actions.len()).sum()
    }

    /// rules §4: 1 when a zone failed, 3 for pending actions when asked to.
    pub fn exit_code(&self, fail_on_pending: bool) -> u8 {
        if self.failed() > 0 {
            1
        } else if fail_on_pending && self.pending_actions() > 0 {
            3
        } else {
            0
        }
    }

    /// Is there anything to tell an operator who asked for quiet?
    pub fn needs_attention(&self) -> bool {
        self.failed() > 0 || self.pending_actions() > 0
    }
}

impl fmt::Display for ZoneReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.error {
            return writeln!(f, "{}: FAILED: {e}", self.zone);
        }
        let what = if self.written.is_empty() {
            "unchanged".to_string()
        } else {
            format!("wrote {}", self.written.join(", "))
        };
        let serial = self
            .serial
            .map(|s| format!(", serial {s}"))
            .unwrap_or_default();
        writeln!(
            f,
            "{}: {what}{serial}; {} signatures ({} reused)",
            self.zone, self.signatures, self.reused
        )?;
        for t in &self.transitions {
            writeln!(
                f,
                "  {} {} {} -> {}",
                t.role.label(),
                t.tag,
                t.from.name(),
                t.to.name()
            )?;
        }
        if !self.generated.is_empty() {
            let tags: Vec<String> = self.generated.iter().map(u16::to_string).collect();
            writeln!(f, "  generated key(s) {}", tags.join(", "))?;
        }
        for p in &self.purged {
            writeln!(f, "  deleted key files {p}")?;
        }
        for n in &self.notes {
            writeln!(f, "  {n}")?;
        }
        for w in &self.warnings {
            writeln!(f, "  warning: {w}")?;
        }
        for a in &self.actions {
            writeln!(f, "  ACTION: {}", a.message)?;
        }
        Ok(())
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for z in &self.zones {
            write!(f, "{z}")?;
        }
        let failed = self.failed();
        write!(f, "{} zone(s), {failed} failed", self.zones.len())?;
        if let Some(n) = &self.next_run_by {
            write!(f, "; run again by {n}")?;
        }
        writeln!(f)
    }
}
