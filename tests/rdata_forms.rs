//! Record data given in RFC 3597 generic form (`TYPEnn \# …`) with names
//! in upper case, and binary fields that happen to hold the octets
//! `" ( ) ; @ $`: signed so that every validator accepts each signature,
//! and written back in each type's own presentation form, never `\#`.

mod common;

use common::*;

/// `TYPE<code> \# <len> <hex>` of the given RDATA octets.
fn generic(code: u16, wire: &[u8]) -> String {
    let hex: String = wire.iter().map(|b| format!("{b:02x}")).collect();
    format!("TYPE{code} \\# {} {hex}", wire.len())
}

/// Uncompressed wire form of an absolute name (no escapes).
fn name(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in text.trim_end_matches('.').split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn u16be(v: u16) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Types only BIND among the validators reads (and dnspython not all).
const LEGACY: &[&str] = &["px", "minfo", "mb", "mg", "mr", "a6", "nsapptr"];

/// The zone: every type RFC 4034 s6.2 lists whose data we can give in
/// generic form, each with an upper-case name, plus known types whose
/// binary fields hold master-file specials. Without `legacy`, only the
/// types every validator reads.
fn zone_text(legacy: bool) -> String {
    let records = [
        // AFSDB, RT, KX, PX: the types zonesign 0.1 signed wrongly.
        (
            "afsdb",
            generic(18, &cat(&[&u16be(1), &name("AFS.Example.")])),
        ),
        (
            "rt",
            generic(21, &cat(&[&u16be(10), &name("Relay.EXAMPLE.")])),
        ),
        ("kx", generic(36, &cat(&[&u16be(10), &name("KX.Example.")]))),
        (
            "px",
            generic(
                26,
                &cat(&[&u16be(10), &name("MAP.Example."), &name("X400.Example.")]),
            ),
        ),
        (
            "mx",
            generic(15, &cat(&[&u16be(10), &name("MAIL.Example.")])),
        ),
        (
            "minfo",
            generic(14, &cat(&[&name("RM.Example."), &name("EM.Example.")])),
        ),
        (
            "rp",
            generic(17, &cat(&[&name("MBOX.Example."), &name("TXT.Example.")])),
        ),
        (
            "naptr",
            generic(
                35,
                &cat(&[
                    &u16be(1),
                    &u16be(2),
                    b"\x01s\x07SIP+D2U\x00",
                    &name("_sip._UDP.Example."),
                ]),
            ),
        ),
        ("dname", generic(39, &name("Target.Example."))),
        ("mb", generic(7, &name("Host.Example."))),
        ("mg", generic(8, &name("Group.Example."))),
        ("mr", generic(9, &name("Rename.Example."))),
        ("ptr", generic(12, &name("Pointer.Example."))),
        ("cname", generic(5, &name("Canonical.Example."))),
        (
            "a6",
            generic(38, &cat(&[&[64], &[0; 8], &name("Prefix.Example.")])),
        ),
        // A mnemonic `domain` does not know, with `\#` data.
        (
            "nsapptr",
            format!("NSAP-PTR {}", &generic(23, &name("NSAP.Example."))[7..]),
        ),
        // A name with an `@` label, which ldns misreads when it is
        // written `\@`.
        ("mxat", "MX 10 \\@.Example.ORG.".to_string()),
        // A target name that needs escapes `domain` does not make.
        (
            "svcb",
            "SVCB 1 t\\;a\\(b.Example. alpn=h2 port=8443".to_string(),
        ),
        // Binary fields holding `(` (0x28) and `@` (0x40): MX 40, SRV
        // port 64.
        ("mx40", "MX 40 mail".to_string()),
        ("srv", "SRV 1 2 64 Target.Example.".to_string()),
        (
            "srv2",
            generic(
                33,
                &cat(&[
                    &u16be(0x2829),
                    &u16be(0x3b40),
                    &u16be(0x2224),
                    &name("t.example."),
                ]),
            ),
        ),
    ];
    // A serial of 1076111145 is 0x40242729: `@`, `$`, `'`, `)`.
    let mut text = String::from(
        "$ORIGIN t.example.\n$TTL 300\n@ SOA ns hostmaster 1076111145 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n",
    );
    for (owner, data) in records {
        if LEGACY.contains(&owner) && !legacy {
            continue;
        }
        text.push_str(&format!("{owner} {data}\n"));
    }
    text
}

#[test]
fn generic_form_names_are_signed_in_canonical_form_and_written_plainly() {
    require_validators();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ksk = keygen(d, "t.example.", "ECDSAP256SHA256", true);
    let zsk = keygen(d, "t.example.", "ECDSAP256SHA256", false);
    for legacy in [false, true] {
        let zone = d.join(format!("t-{legacy}.zone"));
        std::fs::write(&zone, zone_text(legacy)).unwrap();
        for (mode, flags) in [("nsec", &[][..]), ("nsec3", &["--nsec3"][..])] {
            let label = format!("{mode}, legacy types {legacy}");
            let out = d.join(format!("{mode}-{legacy}.signed"));
            let ds = d.join(format!("{mode}-{legacy}.ds"));
            let (ok, text) = run(zonesign()
                .arg("sign")
                .arg(&zone)
                .args(["--origin", "t.example", "--key"])
                .arg(&ksk)
                .arg("--key")
                .arg(&zsk)
                .args(flags)
                .arg("--out")
                .arg(&out)
                .arg("--ds-out")
                .arg(&ds));
            assert!(ok, "{text}");
            let signed = std::fs::read_to_string(&out).unwrap();
            // Every type here is known: none is written in generic form.
            let generic: Vec<&str> = signed.lines().filter(|l| l.contains("\\#")).collect();
            assert!(generic.is_empty(), "{label}: written as \\#: {generic:?}");
            for want in [
                "IN SOA ns.t.example. hostmaster.t.example. 1076111145 ",
                "IN MX 40 mail.t.example.",
                "IN SRV 1 2 64 Target.Example.",
                "IN AFSDB 1 afs.example.",
                "IN KX 10 kx.example.",
                "IN MX 10 \\@.Example.ORG.",
                "IN SVCB 1 t\\;a\\(b.Example. alpn=h2 port=8443",
            ] {
                assert!(signed.contains(want), "{label}: no '{want}' in\n{signed}");
            }
            // ldns and Knot read none of the legacy types: BIND judges alone.
            let min = if legacy { 1 } else { 3 };
            let (ok, report) = oracle_verify_min(&out, "t.example.", Some(&ds), min);
            assert!(ok, "{label}:\n{report}");
            // Not a record lost or altered, as BIND reads both files.
            let (ok, report) = oracle_compare(&zone, &out, "t.example.");
            assert!(ok, "{label}:\n{report}");
        }
    }
}
