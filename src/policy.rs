//! The key and signing policy (KASP): typed, validated, with the timing
//! symbols of RFC 7583 as rules §2 names them.

use domain::base::iana::{DigestAlgorithm, SecurityAlgorithm};
use serde::{Deserialize, Serialize};

use crate::duration::Duration;

/// A duration field: `"90d"`, `"1h30m"`, `"P90D"` or plain seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secs(pub u64);

impl<'de> Deserialize<'de> for Secs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Secs(n)),
            Raw::Text(t) => Duration::parse(&t)
                .map(|d| Secs(d.0))
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Written as the duration text (`90d`, `1h30m`).
impl Serialize for Secs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Duration(self.0).to_string())
    }
}

/// `[policy.NAME]` as written in zonesign.toml (every field optional).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTable {
    pub algorithm: Option<String>,
    /// RSA modulus size of new keys (2048 to 4096 bits; RFC 8624).
    pub bits: Option<u32>,
    pub denial: Option<String>,
    pub nsec3: Option<Nsec3Table>,
    pub ksk: Option<KeyTable>,
    pub zsk: Option<KeyTable>,
    /// One combined signing key instead of a KSK and a ZSK.
    pub csk: Option<bool>,
    pub keys: Option<KeysTable>,
    pub signatures: Option<SignaturesTable>,
    pub zone: Option<ZoneTable>,
    pub parent: Option<ParentTable>,
    /// A `[keystore.NAME]` to make and keep the keys in; files if absent.
    pub keystore: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Nsec3Table {
    pub iterations: Option<u16>,
    pub salt_length: Option<u8>,
    pub opt_out: Option<bool>,
    pub resalt: Option<Secs>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyTable {
    pub lifetime: Option<Secs>,
    pub standby: Option<u32>,
    pub manual_rollover: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeysTable {
    pub ttl: Option<Secs>,
    pub publish_safety: Option<Secs>,
    pub retire_safety: Option<Secs>,
    pub purge: Option<Secs>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SignaturesTable {
    pub resign: Option<Secs>,
    pub refresh: Option<Secs>,
    pub validity: Option<Secs>,
    pub validity_denial: Option<Secs>,
    pub validity_keyset: Option<Secs>,
    pub jitter: Option<Secs>,
    pub inception_offset: Option<Secs>,
    pub max_zone_ttl: Option<Secs>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneTable {
    pub propagation_delay: Option<Secs>,
    pub serial: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParentTable {
    pub propagation_delay: Option<Secs>,
    pub ds_ttl: Option<Secs>,
    pub registration_delay: Option<Secs>,
    pub ds_digests: Option<Vec<String>>,
    /// Publish CDS and CDNSKEY (RFC 7344) for the DS the parent must hold.
    pub cds: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DenialPolicy {
    Nsec,
    Nsec3 {
        iterations: u16,
        salt_length: u8,
        opt_out: bool,
        resalt: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SerialPolicy {
    Unixtime,
    Datecounter,
    Counter,
    Keep,
}

/// Lifetime and rollover behaviour of one key role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRolePolicy {
    pub lifetime: u64,
    /// Standby KSKs whose DS is at the parent before the key is published.
    pub standby: u32,
    /// At the end of the lifetime only report; the operator starts the roll.
    pub manual_rollover: bool,
}

/// A validated policy. All durations are in seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub algorithm: SecurityAlgorithm,
    /// The modulus size of new RSA keys.
    pub rsa_bits: u32,
    /// The PKCS#11 keystore new keys are made in (`None`: BIND files).
    pub keystore: Option<String>,
    pub denial: DenialPolicy,
    /// `denial = "none"`: the zone goes (or stays) unsigned, its DS
    /// withdrawn first and the signatures kept until no cache holds it.
    pub insecure: bool,
    pub ksk: KeyRolePolicy,
    pub zsk: KeyRolePolicy,
    pub csk: bool,
    /// TTLkey: the DNSKEY TTL.
    pub dnskey_ttl: u64,
    /// Sp.
    pub publish_safety: u64,
    /// Sr.
    pub retire_safety: u64,
    pub purge: u64,
    pub resign: u64,
    pub refresh: u64,
    pub validity: u64,
    pub validity_denial: u64,
    pub validity_keyset: u64,
    pub jitter: u64,
    pub inception_offset: u64,
    /// TTLsig: the largest TTL in the zone.
    pub max_zone_ttl: u64,
    /// Dprp.
    pub zone_propagation_delay: u64,
    pub serial: SerialPolicy,
    /// Dprp_p.
    pub parent_propagation_delay: u64,
    /// TTLds.
    pub ds_ttl: u64,
    /// Dreg.
    pub registration_delay: u64,
    pub ds_digests: Vec<DigestAlgorithm>,
    /// CDS and CDNSKEY in the zone (RFC 7344, RFC 8078).
    pub cds: bool,
}

const DAY: u64 = 86400;
const HOUR: u64 = 3600;

impl Policy {
    /// The policy every zone gets unless configured otherwise (rules §4).
    pub fn default_named(name: &str) -> Policy {
        Policy {
            name: name.to_string(),
            algorithm: SecurityAlgorithm::ECDSAP256SHA256,
            rsa_bits: 2048,
            keystore: None,
            denial: DenialPolicy::Nsec,
            insecure: false,
            ksk: KeyRolePolicy {
                lifetime: 365 * DAY,
                standby: 0,
                manual_rollover: false,
            },
            zsk: KeyRolePolicy {
                lifetime: 90 * DAY,
                standby: 0,
                manual_rollover: false,
            },
            csk: false,
            dnskey_ttl: HOUR,
            publish_safety: HOUR,
            retire_safety: HOUR,
            purge: 14 * DAY,
            resign: 2 * HOUR,
            refresh: 3 * DAY,
            validity: 14 * DAY,
            validity_denial: 14 * DAY,
            validity_keyset: 14 * DAY,
            jitter: 12 * HOUR,
            inception_offset: HOUR,
            max_zone_ttl: DAY,
            zone_propagation_delay: 12 * HOUR,
            serial: SerialPolicy::Unixtime,
            parent_propagation_delay: HOUR,
            ds_ttl: HOUR,
            registration_delay: DAY,
            ds_digests: vec![DigestAlgorithm::SHA256],
            cds: false,
        }
    }

    /// Ipub = TTLkey + Dprp + Sp: how long a new DNSKEY must be published
    /// before it may be relied on (RFC 7583 s3.2.1).
    pub fn ipub(&self) -> u64 {
        self.dnskey_ttl + self.zone_propagation_delay + self.publish_safety
    }

    /// How long a retired ZSK stays after its signatures left the zone:
    /// Dprp + TTLsig + Sr.
    pub fn zsk_retire_wait(&self, ttl_sig: u64) -> u64 {
        self.zone_propagation_delay + ttl_sig + self.retire_safety
    }

    /// How long a retired KSK stays after its DS left the parent:
    /// TTLds + Dprp_p + Sr.
    pub fn ksk_retire_wait(&self, ttl_ds: u64) -> u64 {
        ttl_ds + self.parent_propagation_delay + self.retire_safety
    }

    /// Builds and checks a policy from its table.
    pub fn from_table(name: &str, t: &PolicyTable) -> Result<Policy, Vec<String>> {
        let mut p = Policy::default_named(name);
        let mut errors = Vec::new();
        if let Some(a) = &t.algorithm {
            match crate::keys::parse_algorithm(a) {
                Some(alg) => p.algorithm = alg,
                None => errors.push(format!("algorithm = \"{a}\" is not known")),
            }
        }
        if let Some(bits) = t.bits {
            p.rsa_bits = bits;
        }
        p.keystore = t.keystore.clone();
        let nsec3 = t.nsec3.clone().unwrap_or_default();
        match t.denial.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("nsec") => {}
            Some("none") => p.insecure = true,
            Some("nsec3") => {
                p.denial = DenialPolicy::Nsec3 {
                    iterations: nsec3.iterations.unwrap_or(0),
                    salt_length: nsec3.salt_length.unwrap_or(0),
                    opt_out: nsec3.opt_out.unwrap_or(false),
                    resalt: nsec3.resalt.map_or(100 * DAY, |s| s.0),
                }
            }
            Some(other) => errors.push(format!(
                "denial = \"{other}\": expected \"nsec\", \"nsec3\" or \"none\" (unsigned)"
            )),
        }
        let role = |k: &Option<KeyTable>, base: KeyRolePolicy| {
            let k = k.clone().unwrap_or_default();
            KeyRolePolicy {
                lifetime: k.lifetime.map_or(base.lifetime, |s| s.0),
                standby: k.standby.unwrap_or(base.standby),
                manual_rollover: k.manual_rollover.unwrap_or(base.manual_rollover),
            }
        };
        p.ksk = role(&t.ksk, p.ksk);
        p.zsk = role(&t.zsk, p.zsk);
        p.csk = t.csk.unwrap_or(false);
        let set = |v: &Option<Secs>, f: &mut u64| {
            if let Some(s) = v {
                *f = s.0;
            }
        };
        if let Some(k) = &t.keys {
            set(&k.ttl, &mut p.dnskey_ttl);
            set(&k.publish_safety, &mut p.publish_safety);
            set(&k.retire_safety, &mut p.retire_safety);
            set(&k.purge, &mut p.purge);
        }
        if let Some(s) = &t.signatures {
            set(&s.resign, &mut p.resign);
            set(&s.refresh, &mut p.refresh);
            set(&s.validity, &mut p.validity);
            p.validity_denial = s.validity_denial.map_or(p.validity, |v| v.0);
            p.validity_keyset = s.validity_keyset.map_or(p.validity, |v| v.0);
            set(&s.jitter, &mut p.jitter);
            set(&s.inception_offset, &mut p.inception_offset);
            set(&s.max_zone_ttl, &mut p.max_zone_ttl);
        }
        if let Some(z) = &t.zone {
            set(&z.propagation_delay, &mut p.zone_propagation_delay);
            match z.serial.as_deref() {
                None | Some("unixtime") => {}
                Some("datecounter") => p.serial = SerialPolicy::Datecounter,
                Some("counter") => p.serial = SerialPolicy::Counter,
                Some("keep") => p.serial = SerialPolicy::Keep,
                Some(o) => errors.push(format!(
                    "zone.serial = \"{o}\": expected unixtime, datecounter, counter or keep"
                )),
            }
        }
        if let Some(pa) = &t.parent {
            set(&pa.propagation_delay, &mut p.parent_propagation_delay);
            set(&pa.ds_ttl, &mut p.ds_ttl);
            set(&pa.registration_delay, &mut p.registration_delay);
            if let Some(c) = pa.cds {
                p.cds = c;
            }
            if let Some(d) = &pa.ds_digests {
                p.ds_digests.clear();
                for name in d {
                    match crate::ds::parse_digest(name) {
                        Some(alg) => p.ds_digests.push(alg),
                        None => errors.push(format!(
                            "parent.ds_digests: \"{name}\" is not SHA-256 or SHA-384"
                        )),
                    }
                }
            }
        }
        errors.extend(p.problems());
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(errors)
        }
    }

    /// Reasons this policy could break validation or cannot work.
    pub fn problems(&self) -> Vec<String> {
        let mut e = Vec::new();
        let alg = self.algorithm;
        if !crate::keys::GENERATED.contains(&alg) {
            e.push(format!(
                "algorithm {alg}: keys of this algorithm cannot be generated (use one of {})",
                crate::keys::generated_names()
            ));
        }
        if let Err(why) = crate::keys::rsa_bits_ok(self.rsa_bits) {
            e.push(format!("bits = {}: {why}", self.rsa_bits));
        }
        let zsk_min = self.dnskey_ttl
            + self.zone_propagation_delay
            + self.publish_safety
            + self.max_zone_ttl
            + self.retire_safety;
        let zsk_life = if self.csk {
            self.ksk.lifetime
        } else {
            self.zsk.lifetime
        };
        if zsk_life <= zsk_min {
            e.push(format!(
                "zsk.lifetime {} is not longer than TTLkey + Dprp + Sp + TTLsig + Sr = {}: a rollover could not finish",
                Duration(zsk_life),
                Duration(zsk_min)
            ));
        }
        let ksk_min = self.ipub()
            + self.registration_delay
            + self.ds_ttl
            + self.parent_propagation_delay
            + self.retire_safety;
        if self.ksk.lifetime <= ksk_min {
            e.push(format!(
                "ksk.lifetime {} is not longer than Ipub + Dreg + TTLds + Dprp_p + Sr = {}: a rollover could not finish",
                Duration(self.ksk.lifetime),
                Duration(ksk_min)
            ));
        }
        if self.refresh
            >= self
                .validity
                .min(self.validity_denial)
                .min(self.validity_keyset)
        {
            e.push("signatures.refresh must be shorter than every validity".into());
        }
        if self.resign >= self.refresh {
            e.push("signatures.resign must be shorter than signatures.refresh".into());
        }
        let min_validity = self
            .validity
            .min(self.validity_denial)
            .min(self.validity_keyset);
        if self.jitter >= min_validity.saturating_sub(self.refresh) {
            e.push("signatures.jitter must be shorter than validity − refresh".into());
        }
        if self.max_zone_ttl + self.zone_propagation_delay >= min_validity {
            e.push(
                "signatures.validity must be longer than max_zone_ttl + zone.propagation_delay"
                    .into(),
            );
        }
        if self.csk && self.ksk.standby > 0 {
            e.push("ksk.standby needs separate KSKs (csk = false)".into());
        }
        if self.ds_digests.is_empty() {
            e.push("parent.ds_digests is empty".into());
        }
        if let DenialPolicy::Nsec3 { iterations, .. } = self.denial
            && iterations > 100
        {
            e.push(format!("nsec3.iterations = {iterations}: RFC 9276 asks for 0; resolvers treat more than 100 as insecure"));
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(toml_text: &str) -> PolicyTable {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn defaults_are_sound() {
        assert!(Policy::default_named("default").problems().is_empty());
        let p = Policy::from_table("d", &PolicyTable::default()).unwrap();
        assert_eq!(p.ipub(), 3600 + 12 * 3600 + 3600);
    }

    #[test]
    fn durations_in_every_form() {
        let p = Policy::from_table(
            "x",
            &table(
                r#"
                zsk = { lifetime = "P60D" }
                keys = { ttl = 7200, publish_safety = "1h30m" }
                signatures = { validity = "3w" }
                "#,
            ),
        )
        .unwrap();
        assert_eq!(p.zsk.lifetime, 60 * DAY);
        assert_eq!(p.dnskey_ttl, 7200);
        assert_eq!(p.publish_safety, 5400);
        assert_eq!(p.validity, 21 * DAY);
        assert_eq!(p.validity_denial, 21 * DAY);
    }

    #[test]
    fn unsafe_policies_are_refused() {
        for (text, word) in [
            (r#"zsk = { lifetime = "1d" }"#, "zsk.lifetime"),
            (r#"ksk = { lifetime = "1d" }"#, "ksk.lifetime"),
            (r#"signatures = { refresh = "14d" }"#, "refresh"),
            (r#"signatures = { resign = "3d" }"#, "resign"),
            (r#"algorithm = "5""#, "cannot be generated"),
            (
                r#"algorithm = "RSASHA256"
bits = 1024"#,
                "RFC 8624",
            ),
            (r#"algorithm = "FOO""#, "not known"),
            (r#"denial = "nsec5""#, "denial"),
            (r#"parent = { ds_digests = ["MD5"] }"#, "MD5"),
        ] {
            let errs = Policy::from_table("x", &table(text)).unwrap_err();
            assert!(errs.iter().any(|e| e.contains(word)), "{text}: {errs:?}");
        }
        assert!(toml::from_str::<PolicyTable>("zsk = { lifetime = \"1x\" }").is_err());
        assert!(toml::from_str::<PolicyTable>("typo = 1").is_err());
    }
}
