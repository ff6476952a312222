//! OpenDNSSEC's `kasp.xml` turned into `[policy.NAME]` tables: the same
//! timing parameters under zonesign's names, so that zones keep the
//! lifecycle their operator set. What zonesign has no use for (the HSM
//! repository, the parent's SOA) is named in the output as a comment.

use std::collections::BTreeMap;
use std::path::Path;

use roxmltree::Node;

use crate::duration::Duration;
use crate::error::{Error, Result};
use crate::policy::{
    KeyTable, KeysTable, Nsec3Table, ParentTable, Policy, PolicyTable, Secs, SignaturesTable,
    ZoneTable,
};

/// The policies of a kasp.xml as zonesign.toml text, and notes on what
/// did not carry over.
pub fn convert(path: &Path) -> Result<(String, Vec<String>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |reason: String| Error::Config {
        file: path.to_path_buf(),
        reason,
    };
    let doc = roxmltree::Document::parse(&text).map_err(|e| bad(format!("not XML: {e}")))?;
    let root = doc.root_element();
    if root.tag_name().name() != "KASP" {
        return Err(bad("not a kasp.xml (no <KASP> element)".into()));
    }
    let mut policies = BTreeMap::new();
    let mut notes = Vec::new();
    for p in root.children().filter(|n| n.has_tag_name("Policy")) {
        let name = p
            .attribute("name")
            .ok_or_else(|| bad("a <Policy> without a name".into()))?;
        let table = policy(p, name, &mut notes).map_err(|e| bad(format!("policy {name}: {e}")))?;
        let problems = match Policy::from_table(name, &table) {
            Ok(policy) => policy.problems(),
            Err(errors) => errors,
        };
        if !problems.is_empty() {
            notes.push(format!(
                "policy {name}: zonesign refuses it as it stands: {}",
                problems.join("; ")
            ));
        }
        policies.insert(name.to_string(), table);
    }
    if policies.is_empty() {
        return Err(bad("no <Policy> in it".into()));
    }
    let body = toml::to_string(&BTreeMap::from([("policy", policies)]))
        .map_err(|e| bad(format!("cannot write TOML: {e}")))?;
    let mut out = format!(
        "# Converted from {} by `zonesign import-kasp`.\n",
        path.display()
    );
    for n in &notes {
        out.push_str(&format!("# {n}\n"));
    }
    out.push_str(&body);
    Ok((out, notes))
}

fn child<'a, 'i>(n: Node<'a, 'i>, path: &[&str]) -> Option<Node<'a, 'i>> {
    let mut at = n;
    for name in path {
        at = at.children().find(|c| c.has_tag_name(*name))?;
    }
    Some(at)
}

fn text<'a>(n: Node<'a, '_>, path: &[&str]) -> Option<&'a str> {
    child(n, path).and_then(|c| c.text()).map(str::trim)
}

/// An ISO 8601 duration element (`PT3600S`, `P14D`, `P1Y`).
fn secs(n: Node<'_, '_>, path: &[&str]) -> Result<Option<Secs>, String> {
    text(n, path)
        .map(|t| {
            Duration::parse(t)
                .map(|d| Secs(d.0))
                .map_err(|e| format!("<{}>: {e}", path.join("/")))
        })
        .transpose()
}

fn number<T: std::str::FromStr>(n: Node<'_, '_>, path: &[&str]) -> Result<Option<T>, String> {
    text(n, path)
        .map(|t| {
            t.parse()
                .map_err(|_| format!("<{}>: not a number: {t}", path.join("/")))
        })
        .transpose()
}

fn policy(p: Node<'_, '_>, name: &str, notes: &mut Vec<String>) -> Result<PolicyTable, String> {
    let sig = child(p, &["Signatures"]).ok_or("no <Signatures>")?;
    let validity = secs(sig, &["Validity", "Default"])?;
    let signatures = SignaturesTable {
        resign: secs(sig, &["Resign"])?,
        refresh: secs(sig, &["Refresh"])?,
        validity,
        validity_denial: secs(sig, &["Validity", "Denial"])?,
        validity_keyset: secs(sig, &["Validity", "Keyset"])?.or(validity),
        jitter: secs(sig, &["Jitter"])?,
        inception_offset: secs(sig, &["InceptionOffset"])?,
        max_zone_ttl: secs(sig, &["MaxZoneTTL"])?,
    };
    let (denial, nsec3) = match child(p, &["Denial", "NSEC3"]) {
        Some(n3) => (
            "nsec3",
            Some(Nsec3Table {
                iterations: number(n3, &["Hash", "Iterations"])?,
                salt_length: child(n3, &["Hash", "Salt"])
                    .and_then(|s| s.attribute("length"))
                    .map(|l| l.parse().map_err(|_| format!("<Salt length>: {l}")))
                    .transpose()?,
                opt_out: Some(child(n3, &["OptOut"]).is_some()),
                resalt: secs(n3, &["Resalt"])?,
            }),
        ),
        None => ("nsec", None),
    };
    let keys = child(p, &["Keys"]).ok_or("no <Keys>")?;
    type Role = (String, KeyTable, Option<u32>);
    let mut role = |r: &str| -> Result<Option<Role>, String> {
        let Some(k) = child(keys, &[r]) else {
            return Ok(None);
        };
        let alg = text(k, &["Algorithm"]).ok_or(format!("<{r}> without <Algorithm>"))?;
        let length = child(k, &["Algorithm"])
            .and_then(|a| a.attribute("length"))
            .map(|l| l.parse::<u32>().map_err(|_| format!("<{r}> length '{l}'")))
            .transpose()?;
        if let Some(repo) = text(k, &["Repository"]) {
            notes.push(format!(
                "policy {name}: {r} repository {repo} (zonesign keeps keys in paths.keys)"
            ));
        }
        let table = KeyTable {
            lifetime: secs(k, &["Lifetime"])?,
            standby: number(k, &["Standby"])?,
            manual_rollover: child(k, &["ManualRollover"]).map(|_| true),
        };
        // By mnemonic, as zonesign.toml is written.
        let alg = crate::keys::parse_algorithm(alg)
            .and_then(|a| a.to_mnemonic_str())
            .unwrap_or(alg)
            .to_string();
        Ok(Some((alg, table, length)))
    };
    let (ksk, zsk, csk) = (role("KSK")?, role("ZSK")?, role("CSK")?);
    if child(keys, &["ShareKeys"]).is_some() {
        notes.push(format!(
            "policy {name}: <ShareKeys/> (zonesign keeps keys per zone)"
        ));
    }
    let (algorithm, ksk, zsk, is_csk, lengths) = match (ksk, zsk, csk) {
        (_, _, Some((alg, c, l))) => (alg, Some(c), None, true, vec![l]),
        (Some((ka, k, kl)), Some((za, z, zl)), None) if ka == za => {
            (ka, Some(k), Some(z), false, vec![kl, zl])
        }
        (Some((ka, ..)), Some((za, ..)), None) => {
            return Err(format!(
                "KSK algorithm {ka} and ZSK algorithm {za} differ; zonesign signs with one"
            ));
        }
        _ => return Err("no KSK and ZSK, nor CSK".into()),
    };
    // One RSA size for every key: the largest asked for, and at least 2048
    // bits (RFC 8624; OpenDNSSEC's template asks 1024 for its ZSKs).
    let lengths: Vec<u32> = lengths.into_iter().flatten().collect();
    let bits = match (algorithm.starts_with("RSA"), lengths.iter().max()) {
        (true, Some(&most)) => {
            let bits = most.max(2048);
            if lengths.iter().any(|&l| l != bits) {
                notes.push(format!(
                    "policy {name}: RSA lengths {lengths:?} become {bits} bits for every key"
                ));
            }
            Some(bits)
        }
        _ => None,
    };
    let parent = child(p, &["Parent"]);
    Ok(PolicyTable {
        algorithm: Some(algorithm),
        bits,
        denial: Some(denial.to_string()),
        nsec3,
        ksk,
        zsk,
        csk: Some(is_csk),
        keys: Some(KeysTable {
            ttl: secs(keys, &["TTL"])?,
            publish_safety: secs(keys, &["PublishSafety"])?,
            retire_safety: secs(keys, &["RetireSafety"])?,
            purge: secs(keys, &["Purge"])?,
        }),
        signatures: Some(signatures),
        zone: child(p, &["Zone"])
            .map(|z| -> Result<ZoneTable, String> {
                Ok(ZoneTable {
                    propagation_delay: secs(z, &["PropagationDelay"])?,
                    serial: text(z, &["SOA", "Serial"]).map(str::to_string),
                })
            })
            .transpose()?,
        parent: parent
            .map(|pa| -> Result<ParentTable, String> {
                Ok(ParentTable {
                    propagation_delay: secs(pa, &["PropagationDelay"])?,
                    ds_ttl: secs(pa, &["DS", "TTL"])?,
                    registration_delay: None,
                    ds_digests: None,
                    cds: None,
                })
            })
            .transpose()?,
        // The <Repository> of its keys is an HSM, which zonesign.toml
        // names in a [keystore] table of the operator's making.
        keystore: None,
    })
}
