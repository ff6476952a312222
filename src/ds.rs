//! DS, CDS and CDNSKEY records for the parent (RFC 4034 s5, RFC 4509,
//! RFC 6605, RFC 7344).

use bytes::Bytes;
use domain::base::iana::{DigestAlgorithm, SecurityAlgorithm};
use domain::base::rdata::ComposeRecordData;
use domain::rdata::{Cdnskey, Cds, Dnskey, Ds};

use crate::zone::StoredName;

/// Digest algorithms by name, as in the policy's `ds_digests`.
pub fn parse_digest(text: &str) -> Option<DigestAlgorithm> {
    match text.trim().to_ascii_uppercase().replace('-', "").as_str() {
        "SHA256" | "2" => Some(DigestAlgorithm::SHA256),
        "SHA384" | "4" => Some(DigestAlgorithm::SHA384),
        "SHA1" | "1" => Some(DigestAlgorithm::SHA1),
        _ => None,
    }
}

/// digest(owner canonical wire | DNSKEY RDATA), RFC 4034 s5.1.4.
pub fn digest(owner: &StoredName, key: &Dnskey<Bytes>, alg: DigestAlgorithm) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(300);
    crate::zone::canon::push_wire(owner, &mut buf);
    let _ = key.compose_canonical_rdata(&mut buf);
    let ring_alg = match alg {
        DigestAlgorithm::SHA256 => &crate::crypto::digest::SHA256,
        DigestAlgorithm::SHA384 => &crate::crypto::digest::SHA384,
        DigestAlgorithm::SHA1 => &crate::crypto::digest::SHA1_FOR_LEGACY_USE_ONLY,
        _ => return None,
    };
    Some(
        crate::crypto::digest::digest(ring_alg, &buf)
            .as_ref()
            .to_vec(),
    )
}

pub fn ds(owner: &StoredName, key: &Dnskey<Bytes>, alg: DigestAlgorithm) -> Option<Ds<Bytes>> {
    let d = digest(owner, key, alg)?;
    Ds::new(key.key_tag(), key.algorithm(), alg, Bytes::from(d)).ok()
}

pub fn cds(owner: &StoredName, key: &Dnskey<Bytes>, alg: DigestAlgorithm) -> Option<Cds<Bytes>> {
    let d = digest(owner, key, alg)?;
    Cds::new(key.key_tag(), key.algorithm(), alg, Bytes::from(d)).ok()
}

/// The RFC 8078 s4 records that ask the parent to delete every DS:
/// `CDS 0 0 0 00` and `CDNSKEY 0 3 0 AA==`.
pub fn delete_records() -> Option<(Cds<Bytes>, Cdnskey<Bytes>)> {
    let zero = SecurityAlgorithm::from_int(0);
    let cds = Cds::new(
        0,
        zero,
        DigestAlgorithm::from_int(0),
        Bytes::from_static(&[0]),
    )
    .ok()?;
    let cdnskey = Cdnskey::new(0, 3, zero, Bytes::from_static(&[0])).ok()?;
    Some((cds, cdnskey))
}

pub fn cdnskey(key: &Dnskey<Bytes>) -> Option<Cdnskey<Bytes>> {
    Cdnskey::new(
        key.flags(),
        key.protocol(),
        key.algorithm(),
        key.public_key().clone(),
    )
    .ok()
}

/// Does `ds` name `key` (tag, algorithm and digest all match)?
pub fn matches(owner: &StoredName, ds: &Ds<Bytes>, key: &Dnskey<Bytes>) -> bool {
    ds.key_tag() == key.key_tag()
        && ds.algorithm() == key.algorithm()
        && digest(owner, key, ds.digest_type())
            .is_some_and(|d| d.as_slice() == ds.digest().as_ref())
}
