//! The parent side of a run: what the parent actually serves (from
//! `--parent-ds`, `[zone] parent_ds`, or the signed output of a parent zone
//! in the same configuration) turned into ds-seen / ds-gone; children's DS
//! published in a parent of the configuration; and the `ds_submit_command`.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use bytes::Bytes;
use domain::base::iana::Rtype;
use domain::rdata::{Dnskey, Ds};

use super::{ZoneTree, ds_file, signed_file};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::keys::Role;
use crate::lifecycle::Event;
use crate::lifecycle::decide::ds_to_withdraw;
use crate::state::{KeyState, ZoneState};
use crate::zone::{NodeKind, Rdata, Rrset, StoredName, Zone, reader, write};

/// The DS RRset a parent serves for a zone.
pub struct Observed {
    pub ds: Vec<Ds<Bytes>>,
    /// How long a change must have been seen before it counts: Dprp_p for
    /// a parent zone we sign ourselves (its secondaries need that long),
    /// nothing for a DS set observed at the parent's servers.
    pub delay: u64,
    /// Where it came from, for the report.
    pub source: String,
}

/// The DS records for `apex` in a zone file (other owners are ignored). A
/// DS file may give no TTL (BIND's `dsset-`): the TTL is not used here.
fn ds_records_in(path: &Path, text: &str, apex: &StoredName) -> Result<Vec<(u32, Ds<Bytes>)>> {
    let (records, _) = reader::read_str_default_ttl(text, path, apex, 3600)?;
    Ok(records
        .into_iter()
        .filter(|r| r.owner == *apex)
        .filter_map(|r| match r.rdata()? {
            Rdata::Ds(ds) => Some((r.ttl, ds)),
            _ => None,
        })
        .collect())
}

/// Lines of a zone file owned by `apex`: a parent zone may be large, and
/// only the child's DS lines matter.
fn lines_of(text: &str, apex: &StoredName) -> String {
    let owner = write::name_text(apex);
    text.lines()
        .filter(|l| {
            l.strip_prefix(owner.as_str())
                .is_some_and(|rest| rest.starts_with([' ', '\t']))
        })
        .flat_map(|l| [l, "\n"])
        .collect()
}

/// What the parent of `zone` serves, if anything tells us.
pub fn observe(
    cfg: &Config,
    zone: &str,
    apex: &StoredName,
    tree: &ZoneTree,
    cli_parent_ds: Option<&Path>,
) -> Result<Option<Observed>> {
    let file = cli_parent_ds
        .map(Path::to_path_buf)
        .or_else(|| cfg.zones.get(zone).and_then(|z| z.parent_ds.clone()));
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let ds = ds_records_in(&path, &text, apex)?;
        return Ok(Some(Observed {
            ds: ds.into_iter().map(|(_, d)| d).collect(),
            delay: 0,
            source: path.display().to_string(),
        }));
    }
    let Some(parent) = tree.parent_of(zone) else {
        return Ok(None);
    };
    let path = signed_file(cfg, parent);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        // The parent was never signed: nothing is served yet.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let ds = ds_records_in(&path, &lines_of(&text, apex), apex)?;
    Ok(Some(Observed {
        ds: ds.into_iter().map(|(_, d)| d).collect(),
        delay: cfg.policy_for(parent).parent_propagation_delay,
        source: format!("parent zone {parent}"),
    }))
}

/// Turns an observation into ds-seen / ds-gone events, remembering in the
/// state since when a change has been seen. `dnskeys` holds the DNSKEY of
/// every key that may have a DS.
pub fn events(
    state: &mut ZoneState,
    apex: &StoredName,
    observed: &Observed,
    dnskeys: &HashMap<u16, Dnskey<Bytes>>,
    now: u64,
) -> Vec<Event> {
    let settled = |since: &mut Option<u64>| {
        let t = *since.get_or_insert(now);
        now >= t.saturating_add(observed.delay)
    };
    let mut out = Vec::new();
    for k in state.keys.iter_mut().filter(|k| k.role != Role::Zsk) {
        let Some(dnskey) = dnskeys.get(&k.tag) else {
            continue;
        };
        let present = observed
            .ds
            .iter()
            .any(|d| crate::ds::matches(apex, d, dnskey));
        let awaited =
            k.times.ds_seen.is_none() && (k.state.ds_wanted() || k.state == KeyState::Publish);
        if awaited {
            if !present {
                k.times.ds_observed = None;
            } else if settled(&mut k.times.ds_observed) {
                out.push(Event::DsSeen(k.tag));
            }
        }
        if ds_to_withdraw(k) {
            if present {
                k.times.ds_absent = None;
            } else if settled(&mut k.times.ds_absent) {
                out.push(Event::DsGone(k.tag));
            }
        }
    }
    out
}

/// Puts the current DS set of every child zone of the configuration into
/// `zone` (their parent) at the delegation point. Returns warnings.
pub fn publish_children_ds(
    cfg: &Config,
    zone: &mut Zone,
    name: &str,
    tree: &ZoneTree,
) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    for child in tree.children_of(name) {
        let path = ds_file(cfg, child);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&path, e)),
        };
        let child_apex = crate::zone::parse_origin(child)?;
        let records = ds_records_in(&path, &text, &child_apex)?;
        let Some(node) = zone.nodes.iter_mut().find(|n| n.owner == child_apex) else {
            warnings.push(format!(
                "child zone {child} is not delegated from {name} (no NS for it): its DS is not published"
            ));
            continue;
        };
        if node.kind != NodeKind::Delegation {
            warnings.push(format!(
                "{child} is not a delegation point in {name}: its DS is not published"
            ));
            continue;
        }
        // None yet (a new child's DNSKEYs are still propagating): the
        // delegation stays insecure, whatever DS the input gave it.
        let Some(&(ttl, _)) = records.first() else {
            node.remove(Rtype::DS);
            continue;
        };
        let rdata = records.into_iter().map(|(_, d)| Rdata::Ds(d)).collect();
        node.insert(Rrset::new(child_apex, Rtype::DS, ttl, rdata));
    }
    Ok(warnings)
}

/// Runs `ds_submit_command` with the DS RRset on stdin; the zone and the
/// tags of the new keys are in `ZONESIGN_ZONE` and `ZONESIGN_KEYTAGS`.
pub fn submit(command: &str, zone: &str, tags: &[u16], ds_text: &str) -> Result<(), String> {
    let tags: Vec<String> = tags.iter().map(u16::to_string).collect();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("ZONESIGN_ZONE", zone)
        .env("ZONESIGN_KEYTAGS", tags.join(" "))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("ds_submit_command: cannot start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is its own business.
        let _ = stdin.write_all(ds_text.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("ds_submit_command: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ds_submit_command failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
