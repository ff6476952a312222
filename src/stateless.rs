//! Stateless signing (`zonesign sign`): keys the user manages, roles taken
//! from the DNSKEY SEP flag, in the spirit of `ldns-signzone`.

use std::path::{Path, PathBuf};

use domain::base::iana::DigestAlgorithm;

use crate::atomic::{prepare, prepare_streamed};
use crate::denial::Denial;
use crate::error::{Error, Result};
use crate::keys::{Role, SigningKey};
use crate::sign::{self, Counts, KeyUse, Options};
use crate::zone::{Dnssec, StoredName, Zone};

/// Roles from the SEP flag: SEP keys are KSKs and the others ZSKs; when
/// only one kind is present, those keys sign everything (CSK).
pub fn roles_from_sep(keys: &[SigningKey]) -> Vec<KeyUse<'_>> {
    let any_sep = keys.iter().any(SigningKey::is_sep);
    let any_zsk = keys.iter().any(|k| !k.is_sep());
    keys.iter()
        .map(|key| {
            let role = match (key.is_sep(), any_sep && any_zsk) {
                (_, false) => Role::Csk,
                (true, true) => Role::Ksk,
                (false, true) => Role::Zsk,
            };
            KeyUse {
                key,
                role,
                published: true,
            }
        })
        .collect()
}

/// What `zonesign sign` was asked to do.
pub struct SignRequest {
    pub zonefile: PathBuf,
    pub origin: StoredName,
    pub keys: Vec<SigningKey>,
    pub out: PathBuf,
    pub ds_out: Option<PathBuf>,
    pub ds_digests: Vec<DigestAlgorithm>,
    pub options: Options,
}

/// Reads, signs and writes; outputs are replaced atomically, so on any
/// error the previous outputs stay as they were.
/// Returns the zone's warnings and what was signed.
pub fn sign_file(req: &SignRequest) -> Result<(Vec<String>, Counts)> {
    for k in &req.keys {
        if k.owner != req.origin {
            return Err(Error::Usage(format!(
                "key {} belongs to {}, not to {}",
                k.key_tag, k.owner, req.origin
            )));
        }
    }
    let mut phases = crate::phases::Phases::start();
    let mut zone = Zone::load(&req.zonefile, &req.origin, Dnssec::Strip)?;
    phases.mark("load");
    let mut warnings = std::mem::take(&mut zone.warnings);
    warnings.extend(
        req.keys.iter().filter_map(|k| {
            crate::keys::weak_key_warning(k.key_tag, k.algorithm(), Some(k.bits()))
        }),
    );
    let uses = roles_from_sep(&req.keys);
    // The DS file is written first and put in place last, with the zone:
    // a run that fails leaves both as they were.
    let ds = match &req.ds_out {
        Some(ds_out) => {
            let ksks: Vec<&SigningKey> = uses
                .iter()
                .filter(|u| u.role.signs_keyset())
                .map(|u| u.key)
                .collect();
            let text = ds_text(&req.origin, &ksks, &req.ds_digests, req.options.dnskey_ttl);
            Some(prepare(ds_out, false, |w| w.write_all(text.as_bytes()))?)
        }
        None => None,
    };
    let (counts, pending) = prepare_streamed(&req.out, false, |send| {
        sign::sign_zone_streamed(zone, &uses, &req.options, send)
    });
    // A signing error first: the writer only stopped because of it.
    let counts = counts?;
    pending?.commit()?;
    if let Some(ds) = ds {
        ds.commit()?;
    }
    phases.mark("sign and write");
    Ok((warnings, counts))
}

/// The DS RRset for `keys` in presentation format, canonical order.
pub fn ds_text(
    origin: &StoredName,
    keys: &[&SigningKey],
    digests: &[DigestAlgorithm],
    ttl: u32,
) -> String {
    let mut rdata = Vec::new();
    for k in keys {
        for alg in digests {
            if let Some(ds) = crate::ds::ds(origin, &k.dnskey, *alg) {
                rdata.push(crate::zone::Rdata::Ds(ds));
            }
        }
    }
    // Canonical order, as the parent's signed zone will hold them.
    let set = crate::zone::Rrset::new(origin.clone(), domain::base::iana::Rtype::DS, ttl, rdata);
    let mut out = String::new();
    for d in set.records() {
        crate::zone::write::record_line(&mut out, origin, ttl, set.rtype, &d);
    }
    out
}

/// Default output name: `<zonefile>.signed`.
pub fn default_out(zonefile: &Path) -> PathBuf {
    let mut s = zonefile.as_os_str().to_owned();
    s.push(".signed");
    PathBuf::from(s)
}

/// Denial from the CLI flags.
pub fn denial_from(
    nsec3: bool,
    opt_out: bool,
    iterations: u16,
    salt: Option<&str>,
) -> Result<Denial> {
    if !nsec3 {
        if opt_out {
            return Err(Error::Usage("--opt-out needs --nsec3".into()));
        }
        return Ok(Denial::Nsec);
    }
    let salt = match salt {
        None | Some("-") | Some("") => Vec::new(),
        Some(hex) => domain::utils::base16::decode_vec(hex)
            .map_err(|_| Error::Usage(format!("--salt '{hex}' is not hex")))?,
    };
    if salt.len() > 255 {
        return Err(Error::Usage("--salt is longer than 255 octets".into()));
    }
    Ok(Denial::Nsec3(crate::denial::Nsec3Params {
        iterations,
        salt,
        opt_out,
    }))
}
