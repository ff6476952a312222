//! Before any signing: refuse where keys of our own making would be bogus.
//! The published zone and the parent's DS are what resolvers trust; a key
//! state that does not account for them (lost, restored from an old
//! backup, or never made because the zone was signed elsewhere) must not
//! decide what gets published next.

use std::collections::HashMap;
use std::io::BufRead as _;
use std::path::Path;

use bytes::Bytes;
use domain::rdata::Dnskey;

use super::parent::Observed;
use super::signed_file;
use super::zone::Keyring;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::keys::SigningKey;
use crate::state::ZoneState;
use crate::zone::{Rdata, StoredName, parse_origin, reader, write};

/// Refuses when the state is gone but the zone was published signed (its
/// DS may be at the parent; new keys would not match it), when the
/// published zone holds a DNSKEY the state does not know (the state is
/// older than the zone: a restored backup), or when the parent serves DS
/// records none of the zone's keys matches. `kept` are the base names of
/// the zone's key pairs in the key directory.
pub fn refuse_unknown_trust(
    cfg: &Config,
    name: &str,
    state: &ZoneState,
    keyring: &mut Keyring,
    kept: &[String],
    observed: Option<&Observed>,
) -> Result<()> {
    let refuse = |reason: String| {
        Err(Error::Zone {
            file: cfg.state_file(name),
            reason,
        })
    };
    let recover = format!(
        "Restore state/ and keys/ from the same backup, or take the zone over with \
         `zonesign adopt {name} --signed {} --keys {} --parent-ds FILE`; nothing done",
        signed_file(cfg, name).display(),
        cfg.paths.keys.display()
    );
    let at_parent: Vec<String> = observed
        .map(|o| o.ds.iter().map(|d| d.key_tag().to_string()).collect())
        .unwrap_or_default();
    let apex = parse_origin(name)?;
    let signed = signed_file(cfg, name);
    let published = head_dnskeys(&signed, &apex)?;
    if state.keys.is_empty() {
        if !published.is_empty() || !at_parent.is_empty() || !kept.is_empty() {
            let why = if !published.is_empty() {
                format!("{} holds DNSKEYs", signed.display())
            } else if !at_parent.is_empty() {
                format!("the parent serves DS {}", at_parent.join(" "))
            } else {
                format!(
                    "{} holds its keys {} (their DS may be at the parent)",
                    cfg.paths.keys.display(),
                    kept.join(" ")
                )
            };
            return refuse(format!(
                "no key state, but {why}: new keys would not match the DS the parent may \
                 hold, and resolvers would fail the zone. {recover}"
            ));
        }
        return Ok(());
    }
    let unknown: Vec<String> = published
        .iter()
        .filter(|k| {
            !state
                .keys
                .iter()
                .any(|r| r.tag == k.key_tag() && r.algorithm == k.algorithm().to_int())
        })
        .map(|k| k.key_tag().to_string())
        .collect();
    if !unknown.is_empty() {
        return refuse(format!(
            "{} publishes DNSKEY {} that the key state does not know: the state is older \
             than the published zone (restored from a backup?), and signing by it would \
             drop keys whose signatures resolvers hold. {recover}",
            signed.display(),
            unknown.join(" ")
        ));
    }
    let Some(obs) = observed.filter(|o| !o.ds.is_empty()) else {
        return Ok(());
    };
    let dnskeys = keyring.dnskeys(state)?;
    let matched = obs
        .ds
        .iter()
        .any(|d| dnskeys.values().any(|k| crate::ds::matches(&apex, d, k)));
    match matched {
        true => Ok(()),
        false => refuse(format!(
            "the parent serves DS {} ({}), which matches no key of this zone: it would be \
             bogus. Import the key the DS belongs to (`zonesign adopt`), or have the DS \
             withdrawn; nothing done",
            at_parent.join(" "),
            obs.source
        )),
    }
}

/// The zone keys at the apex of a signed zone file, read from its head
/// only: signers write the apex first (canonical order), so this costs a
/// few lines however large the zone. Lines that begin with another owner
/// end the head; a missing file has none.
pub fn head_dnskeys(path: &Path, apex: &StoredName) -> Result<Vec<Dnskey<Bytes>>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let owner = write::name_text(apex).to_ascii_lowercase();
    let mut head = String::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let first = line.split_whitespace().next().unwrap_or("");
        let continues = line.starts_with([' ', '\t', ';', '$', ')'])
            || first.is_empty()
            || first == "@"
            || first.eq_ignore_ascii_case(&owner);
        if !continues {
            break;
        }
        head.push_str(&line);
        head.push('\n');
    }
    let (records, _) = reader::read_str_default_ttl(&head, path, apex, 3600)?;
    Ok(records
        .into_iter()
        .filter(|r| r.owner == *apex)
        .filter_map(|r| match r.rdata()? {
            Rdata::Dnskey(k) if k.is_zone_key() => Some(k),
            _ => None,
        })
        .collect())
}

/// The last net before publication, whatever the lifecycle decided: the
/// DNSKEY RRset about to be published must be signed by a key whose DS the
/// parent serves, as far as the run knows (what it observes of the parent,
/// else the DS records the state holds as seen and not gone). A zone whose
/// parent serves no DS is insecure there and passes.
pub fn chain_to_parent(
    cfg: &Config,
    name: &str,
    apex: &StoredName,
    state: &ZoneState,
    keyset_signers: &[u16],
    loaded: &HashMap<u16, SigningKey>,
    observed: Option<&Observed>,
) -> Result<()> {
    let (chained, held) = match observed {
        Some(o) => (
            o.ds.is_empty()
                || o.ds.iter().any(|ds| {
                    keyset_signers
                        .iter()
                        .filter_map(|t| loaded.get(t))
                        .any(|k| crate::ds::matches(apex, ds, &k.dnskey))
                }),
            o.ds.iter().map(|d| d.key_tag()).collect::<Vec<_>>(),
        ),
        None => {
            let seen: Vec<u16> = state
                .keys
                .iter()
                .filter(|k| k.times.ds_seen.is_some() && k.times.ds_gone.is_none())
                .map(|k| k.tag)
                .collect();
            let chained = seen.is_empty() || seen.iter().any(|t| keyset_signers.contains(t));
            (chained, seen)
        }
    };
    if chained {
        return Ok(());
    }
    let tags = |v: &[u16]| v.iter().map(u16::to_string).collect::<Vec<_>>().join(" ");
    Err(Error::Zone {
        file: cfg.state_file(name),
        reason: format!(
            "the DNSKEY RRset would be signed by {} while the parent serves DS {}: resolvers \
             would fail the zone. Nothing published; check what the parent serves \
             (--parent-ds, ds-seen, ds-gone)",
            match keyset_signers.is_empty() {
                true => "no key".to_string(),
                false => format!("key {}", tags(keyset_signers)),
            },
            tags(&held)
        ),
    })
}
