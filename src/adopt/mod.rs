//! `zonesign adopt`: take over a zone signed elsewhere with its keys and
//! its DS unchanged, so that no rollover and no change at the parent is
//! needed. The served signed zone says which keys resolvers know and which
//! sign what; the parent's DS says which KSK is trusted; the previous
//! signer's key files give the private keys and date them, or its PKCS#11
//! token holds them (OpenDNSSEC), where they stay.
//!
//! Nothing is written unless every DNSKEY of the served zone has its
//! private key and the served zone validates with the parent's DS: a key
//! zonesign could not sign with would have to leave the zone while its
//! signatures may still be cached.

pub mod kasp;
mod place;
pub mod sources;

use std::path::PathBuf;

use bytes::Bytes;
use domain::base::iana::{Rtype, SecurityAlgorithm};
use domain::rdata::{Dnskey, Ds};

use crate::batch::ZoneTree;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::keys::SigningKey;
use crate::sign::Signature;
use crate::state::{KeyRecord, ZoneState};
use crate::zone::{Dnssec, Rdata, StoredName, Zone};

pub use place::{Seen, place};

/// What `zonesign adopt` was given.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub zone: String,
    /// The signed zone as the previous signer serves it now.
    pub signed: PathBuf,
    /// Key directories or files (BIND pairs, PEM).
    pub keys: Vec<PathBuf>,
    /// Keystores (`[keystore.NAME]`) whose tokens hold the previous
    /// signer's keys: they stay there and sign from there.
    pub keystores: Vec<String>,
    /// Knot's `keymgr -j ZONE list`, for the timing of PEM keys.
    pub knot_list: Option<PathBuf>,
    /// The DS records the parent serves (else the configuration's source).
    pub parent_ds: Option<PathBuf>,
    /// The parent serves no DS for the zone.
    pub parent_unsigned: bool,
    pub now: u64,
}

/// The outcome: the keys as zonesign now holds them.
#[derive(Debug)]
pub struct Adopted {
    pub zone: String,
    pub keys: Vec<KeyRecord>,
    pub serial: u32,
    /// Things the operator should know (the served zone's own faults).
    pub warnings: Vec<String>,
}

/// Adopts `req.zone`: copies its keys into the key store and writes its
/// state. Refuses a zone zonesign already manages.
pub fn adopt(cfg: &Config, tree: &ZoneTree, req: &Request) -> Result<Adopted> {
    let name = crate::batch::zone_name(&req.zone)?;
    let apex = crate::zone::parse_origin(&name)?;
    let _lock = crate::lock::ZoneLock::acquire(&cfg.paths.state, &name, || {
        eprintln!("zonesign: {name}: waiting for a run to finish");
    })?;
    let state_path = cfg.state_file(&name);
    if !ZoneState::load(&state_path, &name)?.keys.is_empty() {
        return Err(Error::Usage(format!(
            "{name}: zonesign already holds keys for it ({}); adopt takes over only a zone \
             it does not manage yet",
            state_path.display()
        )));
    }
    let served = Zone::load(&req.signed, &apex, Dnssec::Keep)?;
    let keyset = served_keys(&served, &req.signed)?;
    let ds = parent_ds(cfg, tree, &name, &apex, req)?;
    let materials = sources::collect(&req.keys, &apex, req.knot_list.as_deref())?;

    let catalogs = req
        .keystores
        .iter()
        .map(|store| crate::keystore::Catalog::open(cfg, store))
        .collect::<Result<Vec<_>>>()?;

    let sep_signs_keyset = keyset
        .iter()
        .any(|(k, signs_keyset, _)| *signs_keyset && k.is_secure_entry_point());
    // Each private key serves one DNSKEY: it leaves the pool when matched.
    let mut pool: Vec<Option<sources::Material>> = materials.into_iter().map(Some).collect();
    let mut seen = Vec::new();
    let mut pairs = Vec::new();
    let mut missing = Vec::new();
    for (dnskey, signs_keyset, signs_zone) in &keyset {
        let tag = dnskey.key_tag();
        let (meta, file) = if let Some((m, key)) = pool
            .iter_mut()
            .find_map(|slot| take_matching(slot, &apex, dnskey))
        {
            pairs.push((key, m.secret));
            let file = crate::keys::file_base(&apex, dnskey.algorithm(), tag);
            (m.meta, file)
        } else if let Some(file) = in_token(&catalogs, &apex, dnskey)? {
            (sources::Metadata::default(), file)
        } else {
            missing.push(tag.to_string());
            continue;
        };
        seen.push(Seen {
            tag,
            algorithm: dnskey.algorithm().to_int(),
            sep: dnskey.is_secure_entry_point(),
            signs_keyset: *signs_keyset,
            signs_zone: *signs_zone,
            ds_at_parent: ds.iter().any(|d| crate::ds::matches(&apex, d, dnskey)),
            sep_signs_keyset,
            meta,
            file,
            bits: crate::crypto::key_bits(dnskey.algorithm(), dnskey.public_key()),
        });
    }
    if !missing.is_empty() {
        return Err(Error::Zone {
            file: req.signed.clone(),
            reason: format!(
                "DNSKEY {} of the served zone: no private key among {}. Every key resolvers \
                 may hold must stay usable; give its key files (--keys) or the keystore of \
                 the token that holds it (--keystore). Nothing written",
                missing.join(" "),
                list(&req.keys, &req.keystores)
            ),
        });
    }
    if !ds.is_empty() && !seen.iter().any(|s| s.ds_at_parent && s.signs_keyset) {
        let tags: Vec<String> = ds.iter().map(|d| d.key_tag().to_string()).collect();
        return Err(Error::Zone {
            file: req.signed.clone(),
            reason: format!(
                "no key that signs the DNSKEY RRset matches the parent's DS {}: the served \
                 zone is bogus already. Nothing written",
                tags.join(" ")
            ),
        });
    }

    let keys_dir = &cfg.paths.keys;
    if !pairs.is_empty() {
        crate::atomic::create_dir(keys_dir, 0o700)?;
    }
    for (key, secret) in &pairs {
        crate::keys::write_bind_files(keys_dir, key, secret)?;
    }
    let mut state = ZoneState::new(&name);
    state.keys = seen.iter().map(|s| place(s, req.now)).collect();
    let h = &mut state.history;
    h.serial = Some(served.serial());
    if let Some(set) = served.apex_node().get(Rtype::DNSKEY) {
        h.dnskey_ttl.observe(u64::from(set.ttl), req.now);
    }
    h.max_zone_ttl.observe(u64::from(served.max_ttl()), req.now);
    h.expires = served
        .apex_node()
        .rrsigs()
        .map(|s| crate::time::rrsig_instant(s.expiration().into_int(), req.now))
        .min();
    state.save(&state_path)?;
    let report = crate::verify::verify_zone(&served, (!ds.is_empty()).then_some(&ds[..]), req.now);
    let weak = state.keys.iter().filter_map(|k| {
        let alg = SecurityAlgorithm::from_int(k.algorithm);
        crate::keys::weak_key_warning(k.tag, alg, k.bits)
    });
    let served_errors = report
        .errors
        .iter()
        .take(5)
        .map(|e| format!("served zone: {e}"));
    Ok(Adopted {
        zone: name,
        serial: served.serial(),
        warnings: weak.chain(served_errors).collect(),
        keys: state.keys,
    })
}

/// The zone keys of the served DNSKEY RRset, and whether each signs the
/// DNSKEY RRset and the SOA (a verified RRSIG, not just a key tag).
fn served_keys(zone: &Zone, path: &std::path::Path) -> Result<Vec<(Dnskey<Bytes>, bool, bool)>> {
    let apex = zone.apex_node();
    let Some(set) = apex.get(Rtype::DNSKEY) else {
        return Err(Error::Zone {
            file: path.to_path_buf(),
            reason: "no DNSKEY RRset at the apex: not a signed zone".into(),
        });
    };
    let sigs: Vec<Signature> = apex.rrsigs().collect();
    let signs = |rtype: Rtype, key: &Dnskey<Bytes>| {
        let Some(covered) = apex.get(rtype) else {
            return false;
        };
        sigs.iter().any(|s| {
            s.type_covered() == rtype
                && s.key_tag() == key.key_tag()
                && s.algorithm() == key.algorithm()
                && crate::verify::signature_verifies(covered, s, key)
        })
    };
    Ok(set
        .rdata()
        .filter_map(|d| match d {
            // A revoked key (RFC 5011) is on its way out; it signs nothing.
            Rdata::Dnskey(k) if k.is_zone_key() && !k.is_revoked() => Some(k),
            _ => None,
        })
        .map(|k| {
            let keyset = signs(Rtype::DNSKEY, &k);
            let zone = signs(Rtype::SOA, &k);
            (k, keyset, zone)
        })
        .collect())
}

/// The DS records the parent serves; the operator must say, since the
/// takeover is only safe against the DS resolvers really see.
fn parent_ds(
    cfg: &Config,
    tree: &ZoneTree,
    name: &str,
    apex: &StoredName,
    req: &Request,
) -> Result<Vec<Ds<Bytes>>> {
    let observed = crate::batch::parent::observe(cfg, name, apex, tree, req.parent_ds.as_deref())?;
    match (observed, req.parent_unsigned) {
        (Some(o), true) if !o.ds.is_empty() => Err(Error::Usage(format!(
            "{name}: --parent-unsigned, but {} holds DS records for it",
            o.source
        ))),
        (_, true) => Ok(Vec::new()),
        (Some(o), false) => Ok(o.ds),
        (None, false) => Err(Error::Usage(format!(
            "{name}: which DS records does the parent serve? Give them with --parent-ds FILE \
             (for example `dig +noall +answer DS {name}. > FILE`, or BIND's dsset-{name}.), \
             or say --parent-unsigned if it serves none"
        ))),
    }
}

/// The material in `slot` and a signer for `dnskey` made of it, if it is
/// that key's private half: the pair must sign a probe that the DNSKEY
/// verifies. Otherwise the material stays in its slot.
fn take_matching(
    slot: &mut Option<sources::Material>,
    apex: &StoredName,
    dnskey: &Dnskey<Bytes>,
) -> Option<(sources::Material, SigningKey)> {
    if let Some(d) = slot.as_ref()?.dnskey.as_ref()
        && (d.public_key() != dnskey.public_key() || d.algorithm() != dnskey.algorithm())
    {
        return None;
    }
    let mut m = slot.take()?;
    // An RSA key from a PEM file serves whichever RSA algorithm its DNSKEY
    // names.
    m.secret = crate::crypto::with_rsa_algorithm(m.secret, dnskey.algorithm());
    let signer = (m.secret.algorithm() == dnskey.algorithm())
        .then(|| SigningKey::from_parts(apex.clone(), &m.secret, dnskey.clone()).ok())
        .flatten()
        .filter(|key| signs_for(key, dnskey));
    match signer {
        Some(key) => Some((m, key)),
        None => {
            *slot = Some(m);
            None
        }
    }
}

/// The record `file` of the token key, in one of `catalogs`, that is
/// `dnskey`'s private half.
fn in_token(
    catalogs: &[crate::keystore::Catalog<'_>],
    apex: &StoredName,
    dnskey: &Dnskey<Bytes>,
) -> Result<Option<String>> {
    for catalog in catalogs {
        if let Some((key, file)) = catalog.find(apex, dnskey)?
            && signs_for(&key, dnskey)
        {
            return Ok(Some(file));
        }
    }
    Ok(None)
}

/// Does `key` make signatures that `dnskey` verifies? A public key that
/// matches is not proof enough that the private half belongs to it.
fn signs_for(key: &SigningKey, dnskey: &Dnskey<Bytes>) -> bool {
    const PROBE: &[u8] = b"zonesign adoption probe";
    key.sign(PROBE)
        .is_ok_and(|sig| crate::verify::verify_signature(dnskey, PROBE, &sig).is_ok())
}

fn list(paths: &[PathBuf], keystores: &[String]) -> String {
    let all: Vec<String> = paths
        .iter()
        .map(|p| p.display().to_string())
        .chain(keystores.iter().map(|k| format!("keystore {k}")))
        .collect();
    if all.is_empty() {
        "none given".into()
    } else {
        all.join(", ")
    }
}
