//! The rerun with nothing to do. When the zone file, the policy, the
//! children's DS files, what the parent serves, the key records and the DS
//! file are what the last run saw and left, and no signature or key
//! timing falls due yet, that run's outputs are what this run would write:
//! it ends after reading the inputs, without parsing or signing the zone.

use std::path::Path;

use crate::crypto::digest::{Context, SHA256};

use super::parent::Observed;
use super::{ZoneTree, ds_file};
use crate::config::Config;
use crate::policy::Policy;
use crate::report::ZoneReport;
use crate::state::{Quiet, ZoneState};

/// SHA-256 of a zone file; None when it includes other files (those
/// are not fingerprinted, so such zones never end early).
pub fn zone_digest(path: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    if contains(&bytes, b"$INCLUDE") {
        return None;
    }
    Some(
        crate::crypto::digest::digest(&SHA256, &bytes)
            .as_ref()
            .to_vec(),
    )
}

/// Everything a run reads, but the previous output: SHA-256 in hex.
#[allow(clippy::too_many_arguments)]
pub fn inputs(
    cfg: &Config,
    zone: &str,
    zone_digest: Option<&[u8]>,
    tree: &ZoneTree,
    policy: &Policy,
    state: &ZoneState,
    observed: Option<&Observed>,
    ds_text: Option<&[u8]>,
) -> Option<String> {
    let zone_digest = zone_digest?;
    let mut h = Context::new(&SHA256);
    let mut part = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    part(zone_digest);
    part(format!("{policy:?}").as_bytes());
    for child in tree.children_of(zone) {
        part(&read_or_empty(&ds_file(cfg, child)));
    }
    part(format!("{:?}", observed.map(|o| (&o.ds, o.delay))).as_bytes());
    part(format!("{:?}{:?}", state.keys, state.pending).as_bytes());
    match ds_text {
        Some(t) => part(t),
        None => part(&read_or_empty(&ds_file(cfg, zone))),
    }
    Some(domain::utils::base16::encode_string(h.finish().as_ref()))
}

/// The report of a run that can end here, if it can.
/// `margin` is how long before their expiration signatures are refreshed
/// (the larger of `refresh` and `resign`).
pub fn skip(
    state: &ZoneState,
    inputs: Option<&str>,
    signed: &Path,
    now: u64,
    resign: u64,
    margin: u64,
) -> Option<ZoneReport> {
    let q = state.history.quiet.as_ref()?;
    let until = q.until?;
    let last = state.history.last_run?;
    if inputs != Some(q.inputs.as_str()) || now < last || now >= until {
        return None;
    }
    // The signed zone must be the file the last run wrote.
    let bytes = std::fs::read(signed).ok()?;
    let digest = crate::crypto::digest::digest(&SHA256, &bytes);
    if state.history.signed_sha256.as_deref()
        != Some(domain::utils::base16::encode_string(digest.as_ref()).as_str())
    {
        return None;
    }
    // And its own signatures, not the state's record of them (which can
    // be edited), must outlive the margin the last run kept.
    if earliest_expiration(&bytes, now).is_some_and(|at| at <= now.saturating_add(margin)) {
        return None;
    }
    Some(ZoneReport {
        zone: state.zone.clone(),
        serial: state.history.serial,
        signatures: q.signatures,
        reused: q.signatures,
        notes: vec!["nothing changed since the last run".to_string()],
        next_run_by: Some(until.min(now + resign)),
        ..ZoneReport::default()
    })
}

/// What the next run needs to know to end early.
pub fn record(inputs: Option<String>, until: u64, signatures: usize) -> Option<Quiet> {
    Some(Quiet {
        inputs: inputs?,
        until: Some(until),
        signatures,
    })
}

/// The earliest RRSIG expiration in zonesign's own signed-zone text (one
/// record per line: owner TTL class RRSIG covered algorithm labels TTL
/// expiration …).
fn earliest_expiration(text: &[u8], now: u64) -> Option<u64> {
    memchr::memmem::find_iter(text, b" RRSIG ")
        .filter_map(|at| {
            let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |n| at + n);
            let field = text[at..end].split(|&c| c == b' ').nth(6)?;
            let t = crate::time::rrsig_field(field)?;
            Some(crate::time::rrsig_instant(t, now))
        })
        .min()
}

fn read_or_empty(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.iter().enumerate().any(|(i, &c)| {
        c == needle[0]
            && hay
                .get(i..i + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}
