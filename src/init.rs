//! `zonesign init`: a commented zonesign.toml with a sound default policy,
//! and the directory layout.

use std::path::Path;

use crate::error::{Error, Result};

/// The configuration `init` writes (rules §4 names).
pub const TEMPLATE: &str = r#"# zonesign configuration. Paths are relative to this file.
# Durations: 90d, 1h30m, 1y, or ISO 8601 (P90D, PT2H).

# Run (with sh -c) when a new DS must go to a parent: the DS RRset on stdin,
# ZONESIGN_ZONE and ZONESIGN_KEYTAGS in the environment. A failure fails the
# zone, and the next run tries again.
# ds_submit_command = "/usr/local/bin/submit-ds"

[paths]
zones  = "zones"    # unsigned input: every *.zone below it; origin = file name without .zone
signed = "signed"   # output: signed/<zone>.zone
ds     = "ds"       # output: ds/<zone>.ds, the DS RRset the parent must hold
keys   = "keys"     # BIND-format key files (private files are mode 0600)
state  = "state"    # state/<zone>.toml: the key lifecycle state, the source of truth

# The policy every zone uses unless it names another.
[policy.default]
algorithm = "ECDSAP256SHA256"    # or ECDSAP384SHA384, ED25519, ED448, RSASHA256, RSASHA512
bits = 2048                      # RSA modulus size of new keys (2048 to 4096); a change rolls every key
denial = "nsec"                  # or "nsec3" (RFC 9276: no salt, 0 iterations),
                                 # or "none": go insecure (DS withdrawn first)
nsec3 = { iterations = 0, salt_length = 0, opt_out = false, resalt = "100d" }
# csk = true                     # one combined key instead of a KSK and a ZSK
# keystore = "hsm"               # make and keep the keys in [keystore.hsm];
                                 # changing it rolls every key into the new store
ksk = { lifetime = "1y", standby = 0, manual_rollover = false }
zsk = { lifetime = "90d", manual_rollover = false }
# ttl: the DNSKEY TTL; publish/retire safety: margins added to every wait.
keys = { ttl = "1h", publish_safety = "1h", retire_safety = "1h", purge = "14d" }
# Signatures are reused until they expire within `refresh`; a zone is
# re-signed every `resign` at least.
signatures = { resign = "2h", refresh = "3d", validity = "14d", validity_denial = "14d",
               validity_keyset = "14d", jitter = "12h", inception_offset = "1h",
               max_zone_ttl = "1d" }
zone = { propagation_delay = "12h", serial = "unixtime" }   # or datecounter, counter, keep
# cds: publish CDS/CDNSKEY (RFC 7344) naming the DS the parent must hold.
parent = { propagation_delay = "1h", ds_ttl = "1h", registration_delay = "1d",
           ds_digests = ["SHA-256"], cds = false }

# Per-zone settings, for example:
# [zone."example.com"]
# policy = "default"
# file = "zones/example.com.zone"   # when the file is not <zones>/<name>.zone
# parent_ds = "parent/example.com.ds"  # the DS the parent serves, as you observe it:
#                                      # ds-seen and ds-gone then happen by themselves
# A parent zone signed in this same configuration publishes its children's DS
# and confirms them itself.

# Keys in an HSM through PKCS#11, for policies with keystore = "hsm": made
# in the token (not extractable), signing there, destroyed there when purged.
# [keystore.hsm]
# module = "/usr/lib/softhsm/libsofthsm2.so"   # the HSM's PKCS#11 library
# token = "zonesign"                           # the token's label
# pin_file = "/etc/zonesign/hsm.pin"           # or pin_env = "ZONESIGN_PIN";
#                                              # never on the command line
"#;

/// Writes `zonesign.toml` and the directories into `dir`; refuses to
/// overwrite an existing configuration.
pub fn init(dir: &Path) -> Result<()> {
    let file = dir.join("zonesign.toml");
    if file.exists() {
        return Err(Error::Usage(format!(
            "{} exists already; not overwritten",
            file.display()
        )));
    }
    // Modes set outright, whatever the umask: the keys and the state are
    // the operator's alone, the outputs readable by the name server.
    for (sub, mode) in [
        ("zones", 0o755),
        ("signed", 0o755),
        ("ds", 0o755),
        ("keys", 0o700),
        ("state", 0o700),
    ] {
        crate::atomic::create_dir(&dir.join(sub), mode)?;
    }
    crate::atomic::write_atomic(&file, TEMPLATE.as_bytes(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_is_a_valid_configuration() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |d: &str| {
                let m = std::fs::metadata(dir.path().join(d)).unwrap().permissions();
                m.mode() & 0o777
            };
            assert_eq!((mode("keys"), mode("signed")), (0o700, 0o755));
        }
        let cfg = crate::config::Config::load(&dir.path().join("zonesign.toml")).unwrap();
        assert_eq!(
            cfg.policy_for("example.com"),
            &crate::policy::Policy::default_named("default")
        );
        assert!(dir.path().join("state").is_dir());
        assert!(init(dir.path()).is_err(), "init must not overwrite");
    }
}
