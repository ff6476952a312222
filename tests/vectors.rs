//! Known answers from testdata/corpus/vectors/: RRSIG bytes (RFC 8080
//! Ed25519, RFC 5702 RSA), ECDSA verification (RFC 6605), NSEC3 hashes
//! (RFC 5155), DS digests (RFC 4034, 4509) and key tags.

mod common;

use std::path::Path;

use base64::Engine as _;
use common::*;
use domain::base::iana::DigestAlgorithm;
use zonesign::keys;
use zonesign::sign::rrsig::{RrsigFields, Window, sign_rrset};
use zonesign::zone::{Rdata, Rrset, StoredRecord, reader};

fn vector(name: &str) -> toml::Table {
    let text = std::fs::read_to_string(corpus().join("vectors").join(name)).unwrap();
    text.parse().unwrap()
}

fn records(lines: &[&str]) -> Vec<StoredRecord> {
    let text = lines.join("\n") + "\n";
    let (recs, _) = reader::read_str(&text, Path::new("vector"), &name(".")).unwrap();
    recs.iter().map(|r| r.to_record().unwrap()).collect()
}

fn rrset_of(rrs: &toml::Value) -> Rrset {
    let lines: Vec<&str> = rrs
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let recs = records(&lines);
    let first = &recs[0];
    Rrset::new(
        first.owner().clone(),
        first.rtype(),
        first.ttl().as_secs(),
        recs.iter().map(|r| r.data().clone()).collect(),
    )
}

fn time_field(v: &toml::Value) -> u32 {
    match v {
        toml::Value::Integer(i) => *i as u32,
        toml::Value::String(s) => zonesign::time::parse_rrsig_time(s).unwrap() as u32,
        _ => panic!("bad time field"),
    }
}

fn key_for(v: &toml::Table) -> keys::SigningKey {
    let alg = v["algorithm"].as_integer().unwrap();
    let tag = v["dnskey"]["key_tag"].as_integer().unwrap();
    let owner = v["owner"].as_str().unwrap();
    let base = format!("K{owner}+{alg:03}+{tag:05}");
    keys::load_bind(&corpus().join("vectors/keys").join(base)).unwrap()
}

/// Deterministic signatures (Ed25519, RSA PKCS#1 v1.5) are reproduced byte for byte.
#[test]
fn rrsigs_reproduced_exactly() {
    for file in [
        "rfc8080-ed25519-1.toml",
        "rfc8080-ed25519-2.toml",
        "rfc5702-rsasha256.toml",
        "rfc5702-rsasha512.toml",
    ] {
        let v = vector(file);
        let key = key_for(&v);
        assert_eq!(
            key.key_tag as i64,
            v["dnskey"]["key_tag"].as_integer().unwrap(),
            "{file}"
        );
        let set = rrset_of(&v["rrset"]["rrs"]);
        let sig = &v["rrsig"];
        let window = Window {
            inception: time_field(&sig["inception"]),
            expiration: time_field(&sig["expiration"]),
        };
        let made = sign_rrset(&RrsigFields {
            rrset: &set,
            key: &key,
            signer: &key.owner,
            window,
        })
        .unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(made.signature());
        let want = sig
            .get("signature_b64")
            .and_then(|s| s.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| {
                let rr = sig["rr"].as_str().unwrap();
                rr.split_whitespace().skip(12).collect::<String>()
            });
        assert_eq!(b64, want, "{file}: RRSIG differs");
        // And the RRSIG as published parses and verifies with our verifier.
        let published = records(&[sig["rr"].as_str().unwrap()]);
        let Rdata::Rrsig(p) = published[0].data() else {
            panic!()
        };
        assert!(
            zonesign::verify::signature_verifies(&set, p, &key.dnskey),
            "{file}"
        );
    }
}

/// ECDSA is randomised: the RFC signature verifies, and ours verifies too.
#[test]
fn ecdsa_vectors_verify() {
    for file in ["rfc6605-p256.toml", "rfc6605-p384.toml"] {
        let v = vector(file);
        let key = key_for(&v);
        let set = rrset_of(&v["rrset"]["rrs"]);
        let published = records(&[v["rrsig"]["rr"].as_str().unwrap()]);
        let Rdata::Rrsig(p) = published[0].data() else {
            panic!()
        };
        assert!(
            zonesign::verify::signature_verifies(&set, p, &key.dnskey),
            "{file}"
        );
        let window = Window {
            inception: 1,
            expiration: 2,
        };
        let ours = sign_rrset(&RrsigFields {
            rrset: &set,
            key: &key,
            signer: &key.owner,
            window,
        })
        .unwrap();
        assert!(
            zonesign::verify::signature_verifies(&set, &ours, &key.dnskey),
            "{file}"
        );
        // A flipped bit must not verify.
        let mut bad = ours.signature().to_vec();
        bad[5] ^= 1;
        let mut tampered = ours.clone();
        tampered.set_signature(bytes::Bytes::from(bad));
        assert!(
            !zonesign::verify::signature_verifies(&set, &tampered, &key.dnskey),
            "{file}"
        );
    }
}

#[test]
fn nsec3_hashes() {
    let mut n = 0;
    let base = vector("rfc5155-nsec3-hashes.toml");
    let salt = hex(base["salt_hex"].as_str().unwrap());
    let iterations = base["iterations"].as_integer().unwrap() as u16;
    for h in base["hash"].as_array().unwrap() {
        let got =
            zonesign::denial::nsec3::hash(&name(h["name"].as_str().unwrap()), &salt, iterations);
        assert_eq!(
            zonesign::denial::nsec3::base32hex(&got),
            h["hash"].as_str().unwrap()
        );
        n += 1;
    }
    let extra = vector("nsec3-hashes-extra.toml");
    for h in extra["hash"].as_array().unwrap() {
        let salt = hex(h["salt_hex"].as_str().unwrap_or(""));
        let it = h["iterations"].as_integer().unwrap() as u16;
        let got = zonesign::denial::nsec3::hash(&name(h["name"].as_str().unwrap()), &salt, it);
        assert_eq!(
            zonesign::denial::nsec3::base32hex(&got),
            h["hash"].as_str().unwrap(),
            "{}",
            h["name"]
        );
        n += 1;
    }
    assert!(n >= 31, "{n} hashes");
}

fn hex(s: &str) -> Vec<u8> {
    let s = if s == "-" { "" } else { s };
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn dnskey_of(
    rr: &str,
) -> (
    zonesign::zone::StoredName,
    domain::rdata::Dnskey<bytes::Bytes>,
) {
    let recs = records(&[rr]);
    let Rdata::Dnskey(k) = recs[0].data() else {
        panic!("not a DNSKEY: {rr}")
    };
    (recs[0].owner().clone(), k.clone())
}

#[test]
fn ds_digests() {
    let v = vector("rfc4034-rfc4509-ds.toml");
    let (owner, key) = dnskey_of(v["dnskey"]["rr"].as_str().unwrap());
    for (section, alg) in [
        ("ds_sha1", DigestAlgorithm::SHA1),
        ("ds_sha256", DigestAlgorithm::SHA256),
    ] {
        let d = zonesign::ds::digest(&owner, &key, alg).unwrap();
        let want = v[section]["digest_hex"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase();
        assert_eq!(hexs(&d), want, "{section}");
    }
    let mut sha384 = 0;
    for file in [
        "rfc8080-ed25519-1.toml",
        "rfc8080-ed25519-2.toml",
        "rfc6605-p256.toml",
        "rfc6605-p384.toml",
        "rfc5702-rsasha256.toml",
    ] {
        let v = vector(file);
        let (owner, key) = dnskey_of(v["dnskey"]["rr"].as_str().unwrap());
        let ds = &v["ds"];
        let Some(want) = ds.get("digest_hex") else {
            continue;
        };
        let alg = match ds["digest_type"].as_integer().unwrap() {
            2 => DigestAlgorithm::SHA256,
            4 => DigestAlgorithm::SHA384,
            _ => continue,
        };
        let d = zonesign::ds::digest(&owner, &key, alg).unwrap();
        assert_eq!(
            hexs(&d),
            want.as_str().unwrap().to_ascii_lowercase(),
            "{file}"
        );
        if let Some(want) = ds.get("derived_digest_sha384") {
            let d = zonesign::ds::digest(&owner, &key, DigestAlgorithm::SHA384).unwrap();
            assert_eq!(hexs(&d), want.as_str().unwrap(), "{file} SHA-384");
            sha384 += 1;
        }
    }
    assert!(sha384 >= 2, "SHA-384 vectors checked: {sha384}");
}

fn hexs(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn key_tags() {
    let v = vector("keytags.toml");
    let tags = v["keytag"].as_array().unwrap();
    assert!(tags.len() >= 8);
    for t in tags {
        let (_, key) = dnskey_of(t["dnskey"].as_str().unwrap());
        assert_eq!(
            key.key_tag() as i64,
            t["key_tag"].as_integer().unwrap(),
            "{}",
            t["source"]
        );
    }
}
