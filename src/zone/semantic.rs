//! RDATA that parses but means nothing valid, refused as BIND 9.18 refuses
//! it (named-checkzone): meta types in a zone file, DS and CDS digests of
//! the wrong length, a ZONEMD digest too short or of the wrong length, an
//! SSHFP fingerprint of the wrong length. (BIND takes TLSA and SMIMEA data
//! of any length, and so do we: refusing more than BIND would refuse zones
//! every other tool serves.)
//! Signing such a record would publish a zone secondaries refuse.

use domain::base::iana::Rtype;

/// Why a record of `rtype` with wire-form `rdata` cannot be in a zone.
pub fn problem(rtype: Rtype, rdata: &[u8]) -> Option<String> {
    let code = rtype.to_int();
    // RFC 6895 s3.1: OPT and the meta and query types (128-255) are never
    // data in a zone.
    if code == 41 || (128..=255).contains(&code) {
        return Some(format!(
            "{rtype} is a meta type: it cannot be in a zone file"
        ));
    }
    match rtype {
        Rtype::DS | Rtype::CDS => ds(rtype, rdata),
        Rtype::ZONEMD => zonemd(rdata),
        Rtype::SSHFP => fingerprint(
            rtype,
            rdata.get(1).copied(),
            rdata.get(2..),
            &[(1, 20), (2, 32)],
        ),
        _ => None,
    }
}

/// The digest lengths of the DS digest types (RFC 3658, 4509, 5933, 6605).
const DS_DIGESTS: &[(u8, usize)] = &[(1, 20), (2, 32), (3, 32), (4, 48)];

fn ds(rtype: Rtype, rdata: &[u8]) -> Option<String> {
    let (Some(&alg), Some(&digest_type), Some(digest)) =
        (rdata.get(2), rdata.get(3), rdata.get(4..))
    else {
        return Some(format!("{rtype} data too short"));
    };
    // RFC 8078 s4: the CDS that asks for the DS to be deleted.
    if rtype == Rtype::CDS && alg == 0 && digest_type == 0 && digest == [0] {
        return None;
    }
    if digest.is_empty() {
        return Some(format!("{rtype} without a digest"));
    }
    fingerprint(rtype, Some(digest_type), Some(digest), DS_DIGESTS)
}

/// RFC 8976 s2.2: SHA-384 (1) and SHA-512 (2) have their lengths; any
/// digest is at least 12 octets.
fn zonemd(rdata: &[u8]) -> Option<String> {
    let (Some(&hash), Some(digest)) = (rdata.get(5), rdata.get(6..)) else {
        return Some("ZONEMD data too short".into());
    };
    if digest.len() < 12 {
        return Some(format!(
            "ZONEMD digest of {} octets: at least 12 (RFC 8976 s2.2.4)",
            digest.len()
        ));
    }
    fingerprint(Rtype::ZONEMD, Some(hash), Some(digest), &[(1, 48), (2, 64)])
}

/// A digest whose kind (`kind`) fixes its length in `lengths`.
fn fingerprint(
    rtype: Rtype,
    kind: Option<u8>,
    digest: Option<&[u8]>,
    lengths: &[(u8, usize)],
) -> Option<String> {
    let (Some(kind), Some(digest)) = (kind, digest) else {
        return Some(format!("{rtype} data too short"));
    };
    let want = lengths.iter().find(|(k, _)| *k == kind)?.1;
    (digest.len() != want).then(|| {
        format!(
            "{rtype} digest type {kind} takes {want} octets, not {}",
            digest.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lengths_and_meta_types_are_named() {
        let ds = |digest_type: u8, len: usize| {
            let mut v = vec![0x12, 0x34, 13, digest_type];
            v.extend(std::iter::repeat_n(0xab, len));
            v
        };
        assert_eq!(problem(Rtype::DS, &ds(2, 32)), None);
        assert!(
            problem(Rtype::DS, &ds(2, 6))
                .unwrap()
                .contains("takes 32 octets, not 6")
        );
        assert_eq!(
            problem(Rtype::DS, &ds(9, 6)),
            None,
            "an unknown digest type"
        );
        assert_eq!(problem(Rtype::CDS, &[0, 0, 0, 0, 0]), None, "delete CDS");
        assert!(problem(Rtype::OPT, &[]).is_some());
        assert!(problem(Rtype::from_int(250), &[]).is_some());
        let zonemd = |hash: u8, len: usize| {
            let mut v = vec![0, 0, 0, 1, 1, hash];
            v.extend(std::iter::repeat_n(0xab, len));
            v
        };
        assert!(
            problem(Rtype::ZONEMD, &zonemd(1, 1))
                .unwrap()
                .contains("at least 12")
        );
        assert!(problem(Rtype::ZONEMD, &zonemd(1, 32)).is_some());
        assert_eq!(problem(Rtype::ZONEMD, &zonemd(1, 48)), None);
        assert_eq!(problem(Rtype::ZONEMD, &zonemd(240, 12)), None);
    }
}
