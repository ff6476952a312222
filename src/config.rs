//! `zonesign.toml`: directories, policies and per-zone settings (rules §4).
//! Paths are relative to the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::policy::{Policy, PolicyTable};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    paths: PathsTable,
    #[serde(default)]
    policy: BTreeMap<String, PolicyTable>,
    #[serde(default)]
    zone: BTreeMap<String, ZoneTable>,
    #[serde(default)]
    keystore: BTreeMap<String, KeystoreTable>,
    /// Run with the DS records on stdin when a new DS must go to the parent.
    ds_submit_command: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathsTable {
    zones: Option<PathBuf>,
    signed: Option<PathBuf>,
    ds: Option<PathBuf>,
    keys: Option<PathBuf>,
    state: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneTable {
    policy: Option<String>,
    file: Option<PathBuf>,
    parent_ds: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeystoreTable {
    module: Option<PathBuf>,
    token: Option<String>,
    pin_file: Option<PathBuf>,
    pin_env: Option<String>,
}

/// A PKCS#11 token keys can be made and kept in (`[keystore.NAME]`).
#[derive(Clone, Debug)]
pub struct Keystore {
    /// The PKCS#11 module (shared library) of the HSM.
    pub module: PathBuf,
    /// The token's label.
    pub token: String,
    /// The user PIN: a file holding it, or an environment variable.
    pub pin_file: Option<PathBuf>,
    pub pin_env: Option<String>,
}

/// Where things live (absolute, or relative to the working directory).
#[derive(Clone, Debug)]
pub struct Paths {
    pub zones: PathBuf,
    pub signed: PathBuf,
    pub ds: PathBuf,
    pub keys: PathBuf,
    pub state: PathBuf,
}

/// Per-zone settings.
#[derive(Clone, Debug, Default)]
pub struct ZoneSettings {
    pub policy: Option<String>,
    pub file: Option<PathBuf>,
    pub parent_ds: Option<PathBuf>,
}

/// A loaded and checked configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub file: PathBuf,
    pub paths: Paths,
    pub policies: BTreeMap<String, Policy>,
    pub zones: BTreeMap<String, ZoneSettings>,
    pub keystores: BTreeMap<String, Keystore>,
    pub ds_submit_command: Option<String>,
}

fn config_error(file: &Path, reason: impl Into<String>) -> Error {
    Error::Config {
        file: file.to_path_buf(),
        reason: reason.into(),
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| config_error(path, e.to_string()))?;
        Config::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let f: File = toml::from_str(text).map_err(|e| config_error(path, e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let at = |p: &Option<PathBuf>, default: &str| {
            base.join(p.clone().unwrap_or_else(|| default.into()))
        };
        let paths = Paths {
            zones: at(&f.paths.zones, "zones"),
            signed: at(&f.paths.signed, "signed"),
            ds: at(&f.paths.ds, "ds"),
            keys: at(&f.paths.keys, "keys"),
            state: at(&f.paths.state, "state"),
        };
        let mut policies = BTreeMap::new();
        let mut problems = Vec::new();
        for (name, table) in &f.policy {
            match Policy::from_table(name, table) {
                Ok(p) => {
                    policies.insert(name.clone(), p);
                }
                Err(errs) => {
                    problems.extend(errs.into_iter().map(|e| format!("[policy.{name}] {e}")))
                }
            }
        }
        policies
            .entry("default".to_string())
            .or_insert_with(|| Policy::default_named("default"));
        let mut keystores = BTreeMap::new();
        for (name, k) in f.keystore {
            let (Some(module), Some(token)) = (k.module, k.token) else {
                problems.push(format!("[keystore.{name}] needs module and token"));
                continue;
            };
            if k.pin_file.is_some() == k.pin_env.is_some() {
                problems.push(format!(
                    "[keystore.{name}] needs one of pin_file and pin_env"
                ));
            }
            keystores.insert(
                name,
                Keystore {
                    module: base.join(module),
                    token,
                    pin_file: k.pin_file.map(|f| base.join(f)),
                    pin_env: k.pin_env,
                },
            );
        }
        for p in policies.values() {
            if let Some(k) = &p.keystore
                && !keystores.contains_key(k)
            {
                problems.push(format!(
                    "[policy.{}] keystore = \"{k}\" is not defined",
                    p.name
                ));
            }
        }
        let mut zones = BTreeMap::new();
        for (name, z) in f.zone {
            let name = match crate::batch::zone_name(&name) {
                Ok(n) => n,
                Err(e) => {
                    problems.push(format!("[zone.\"{}\"]: {e}", name.escape_debug()));
                    continue;
                }
            };
            if let Some(p) = &z.policy
                && !policies.contains_key(p)
            {
                problems.push(format!("[zone.\"{name}\"] policy = \"{p}\" is not defined"));
            }
            zones.insert(
                name,
                ZoneSettings {
                    policy: z.policy,
                    file: z.file.map(|f| base.join(f)),
                    parent_ds: z.parent_ds.map(|f| base.join(f)),
                },
            );
        }
        if !problems.is_empty() {
            return Err(config_error(path, problems.join("; ")));
        }
        Ok(Config {
            file: path.to_path_buf(),
            paths,
            policies,
            zones,
            keystores,
            ds_submit_command: f.ds_submit_command,
        })
    }

    /// The policy of a zone (its own, else `default`).
    pub fn policy_for(&self, zone: &str) -> &Policy {
        let name = self
            .zones
            .get(zone)
            .and_then(|z| z.policy.as_deref())
            .unwrap_or("default");
        self.policies
            .get(name)
            .or_else(|| self.policies.get("default"))
            .expect("the default policy always exists")
    }

    pub fn state_file(&self, zone: &str) -> PathBuf {
        self.paths.state.join(format!("{zone}.toml"))
    }

    /// The signature cache of the zone's last output (`sign::cache_bytes`).
    pub fn sigs_file(&self, zone: &str) -> PathBuf {
        self.paths.state.join(format!("{zone}.sigs"))
    }

    pub fn zone_file(&self, zone: &str) -> PathBuf {
        self.zones
            .get(zone)
            .and_then(|z| z.file.clone())
            .unwrap_or_else(|| self.paths.zones.join(format!("{zone}.zone")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_relative_to_the_file_and_policies_checked() {
        let c = Config::parse(
            r#"
            [paths]
            zones = "in"
            [policy.fast]
            zsk = { lifetime = "30d" }
            [zone."example.com"]
            policy = "fast"
            "#,
            Path::new("/etc/zs/zonesign.toml"),
        )
        .unwrap();
        assert_eq!(c.paths.zones, Path::new("/etc/zs/in"));
        assert_eq!(c.paths.state, Path::new("/etc/zs/state"));
        assert_eq!(c.policy_for("example.com").zsk.lifetime, 30 * 86400);
        assert_eq!(c.policy_for("other.org").name, "default");
        assert_eq!(
            c.zone_file("other.org"),
            Path::new("/etc/zs/in/other.org.zone")
        );
    }

    #[test]
    fn bad_configs_name_the_problem() {
        for (text, word) in [
            ("[zone.\"a.b\"]\npolicy = \"nope\"", "nope"),
            ("[policy.x]\nzsk = { lifetime = \"1h\" }", "zsk.lifetime"),
            ("[pathz]\nzones = \"x\"", "pathz"),
            (
                "[policy.x]\nsignatures = { validity = \"forever\" }",
                "forever",
            ),
            ("[policy.x]\nkeystore = \"hsm\"", "hsm"),
            (
                "[keystore.hsm]\nmodule = \"/m.so\"\ntoken = \"t\"",
                "pin_file",
            ),
            ("[keystore.hsm]\ntoken = \"t\"\npin_env = \"P\"", "module"),
        ] {
            let e = Config::parse(text, Path::new("z.toml"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(word) && e.contains("z.toml"), "{text}: {e}");
        }
    }
}
