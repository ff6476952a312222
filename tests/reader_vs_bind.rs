//! The zone reader against BIND's (`tests/tools/readerdiff.py`): random
//! zones with one field broken at random must never be signed when
//! `named-checkzone` refuses them. CI runs 60; the script takes `--count`.

mod common;

#[test]
fn no_mutated_zone_is_signed_that_bind_refuses() {
    common::require_validators();
    let dir = tempfile::tempdir().unwrap();
    let key = common::keygen(dir.path(), "fz.example", "ECDSAP256SHA256", true);
    let (ok, out) = common::run(
        std::process::Command::new("python3")
            .arg(common::tool("readerdiff.py"))
            .args(["--zonesign", env!("CARGO_BIN_EXE_zonesign"), "--key"])
            .arg(&key)
            .args(["--count", "60", "--seed", "11"]),
    );
    eprintln!("{out}");
    assert!(ok, "{out}");
    assert!(out.contains("60 mutated zones"), "{out}");
}
