//! An RRset held as wire-form RDATA, not as `domain`'s record data enum.
//!
//! `domain`'s `ZoneRecordData` is 144 bytes per record before its octets,
//! and a zone holds millions of records: as typed data the records of a
//! 1M-delegation zone took twice the memory BIND takes. Here an RRset keeps
//! its RDATA in one buffer (most RRsets have one record, whose buffer is a
//! slice of the arena the reader filled), in the case it was written, so
//! text output keeps the operator's spelling. The canonical form
//! (RFC 4034 s6.2) is derived when signing, without a copy unless a name in
//! the RDATA has an upper-case letter.

use std::borrow::Cow;

use bytes::{BufMut as _, Bytes, BytesMut};
use domain::base::iana::Rtype;
use domain::base::name::FlattenInto as _;
use domain::base::rdata::{ComposeRecordData as _, ParseRecordData as _};
use domain::rdata::ZoneRecordData;
use domain::rdata::rfc1035::Soa;
use octseq::Parser;

use super::{Rdata, StoredName};

/// One RRset: records of one owner and type, deduplicated, in canonical
/// RDATA order.
#[derive(Clone, Debug)]
pub struct Rrset {
    pub owner: StoredName,
    pub rtype: Rtype,
    pub ttl: u32,
    records: Records,
}

/// The RDATA of an RRset's records. With one record, `buf` is its RDATA;
/// with more, each RDATA is preceded by its length as two octets.
#[derive(Clone, Debug, Default)]
struct Records {
    buf: Bytes,
    count: u32,
}

impl Rrset {
    /// Builds an RRset from typed data, in canonical order without
    /// duplicates.
    pub fn new(owner: StoredName, rtype: Rtype, ttl: u32, rdata: Vec<Rdata>) -> Rrset {
        let wires = rdata.iter().map(wire_of).collect();
        Rrset::from_wire(owner, rtype, ttl, wires)
    }

    /// Builds an RRset from wire-form RDATA, ordering it canonically and
    /// dropping duplicates (records equal in canonical form).
    pub fn from_wire(owner: StoredName, rtype: Rtype, ttl: u32, mut wires: Vec<Bytes>) -> Rrset {
        if wires.len() > 1 {
            wires.sort_by(|a, b| canonical(rtype, a).cmp(&canonical(rtype, b)));
            wires.dedup_by(|a, b| canonical(rtype, a) == canonical(rtype, b));
        }
        Rrset::from_ordered(owner, rtype, ttl, &mut wires)
    }

    /// An RRset of one record, its RDATA in wire form.
    pub(crate) fn single(owner: StoredName, rtype: Rtype, ttl: u32, wire: Bytes) -> Rrset {
        Rrset {
            owner,
            rtype,
            ttl,
            records: Records {
                buf: wire,
                count: 1,
            },
        }
    }

    /// Builds an RRset from wire-form RDATA already in canonical order and
    /// without duplicates, taking the octets out of `wires` (a single
    /// record's are moved, not counted again).
    pub(crate) fn from_ordered(
        owner: StoredName,
        rtype: Rtype,
        ttl: u32,
        wires: &mut Vec<Bytes>,
    ) -> Rrset {
        if wires.len() == 1
            && let Some(wire) = wires.pop()
        {
            return Rrset::single(owner, rtype, ttl, wire);
        }
        let count = wires.len();
        let len = wires.iter().map(|w| w.len() + 2).sum();
        let mut buf = BytesMut::with_capacity(len);
        for w in wires.drain(..) {
            buf.put_u16(w.len() as u16);
            buf.put_slice(&w);
        }
        Rrset {
            owner,
            rtype,
            ttl,
            records: Records {
                buf: buf.freeze(),
                count: count as u32,
            },
        }
    }

    /// How many records the RRset holds.
    pub fn len(&self) -> usize {
        self.records.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.records.count == 0
    }

    /// The octets of all RDATA, about (length prefixes included).
    pub fn wire_len(&self) -> usize {
        self.records.buf.len()
    }

    /// Asks for the start of the RDATA a few steps before it is read (see
    /// [`crate::memory::prefetch`]).
    pub fn prefetch_data(&self) {
        crate::memory::prefetch(self.records.buf.as_ptr());
    }

    /// Where each record's RDATA is in the buffer, in order.
    fn spans(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let r = &self.records;
        let mut at = 0usize;
        (0..r.count).map(move |_| {
            if r.count == 1 {
                return 0..r.buf.len();
            }
            let len = u16::from_be_bytes([r.buf[at], r.buf[at + 1]]) as usize;
            at += 2 + len;
            at - len..at
        })
    }

    /// Each record's RDATA as written (names in their case), in order.
    pub fn records(&self) -> impl Iterator<Item = Bytes> + '_ {
        self.spans().map(|span| self.records.buf.slice(span))
    }

    /// [`Rrset::records`] borrowed: no reference count is touched, which
    /// matters where every record of the zone is written or signed.
    pub fn wires(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.spans().map(|span| &self.records.buf[span])
    }

    /// Calls `f` with each record's canonical RDATA, copying only what
    /// must be lower-cased.
    pub fn for_each_canonical(&self, mut f: impl FnMut(&[u8])) {
        for w in self.wires() {
            f(&canonical(self.rtype, w));
        }
    }

    /// Each record as typed data.
    pub fn rdata(&self) -> impl Iterator<Item = Rdata> + '_ {
        self.records().filter_map(move |w| parse(self.rtype, w))
    }

    /// The first record as typed data.
    pub fn first(&self) -> Option<Rdata> {
        self.rdata().next()
    }

    /// The SOA data, if this is an SOA RRset.
    pub fn soa(&self) -> Option<Soa<StoredName>> {
        match self.first()? {
            Rdata::Soa(soa) => Some(soa),
            _ => None,
        }
    }
}

/// `data` in wire form as written.
pub fn wire_of(data: &Rdata) -> Bytes {
    let mut v = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = data.compose_rdata(&mut v);
    Bytes::from(v)
}

/// Parses wire-form RDATA of `rtype`. The octets were composed from typed
/// data or checked when read, so they parse; should they not, they are
/// kept as unknown data rather than lost. `None` only for more than
/// 65,535 octets, which no RDATA has.
pub fn parse(rtype: Rtype, wire: Bytes) -> Option<Rdata> {
    let mut parser = Parser::from_ref(&wire);
    let parsed =
        ZoneRecordData::<Bytes, domain::base::ParsedName<Bytes>>::parse_rdata(rtype, &mut parser);
    if let Ok(Some(data)) = parsed
        && parser.remaining() == 0
        && let Ok(data) = data.try_flatten_into()
    {
        return Some(data);
    }
    domain::base::rdata::UnknownRecordData::from_octets(rtype, wire)
        .ok()
        .map(Rdata::Unknown)
}

/// The canonical form of `wire` (RFC 4034 s6.2, as `domain` composes it):
/// a copy only for a type with names in its RDATA that holds an upper-case
/// letter, which is rare.
pub fn canonical(rtype: Rtype, wire: &[u8]) -> Cow<'_, [u8]> {
    if !has_names(rtype) || !has_upper(wire) {
        return Cow::Borrowed(wire);
    }
    let mut v = Vec::with_capacity(wire.len());
    match parse(rtype, Bytes::copy_from_slice(wire)) {
        Some(data) => {
            let _ = data.compose_canonical_rdata(&mut v);
            Cow::Owned(v)
        }
        None => Cow::Borrowed(wire),
    }
}

/// Does `data` hold an upper-case letter? Every octet is looked at, with
/// no early exit, so that the loop is vectorised: RDATA is short and
/// nearly always lower case.
pub fn has_upper(data: &[u8]) -> bool {
    data.iter()
        .fold(false, |any, c| any | c.is_ascii_uppercase())
}

/// Types whose RDATA holds domain names, which canonical form lower-cases.
pub fn has_names(t: Rtype) -> bool {
    matches!(
        t,
        Rtype::NS
            | Rtype::MD
            | Rtype::MF
            | Rtype::CNAME
            | Rtype::SOA
            | Rtype::MB
            | Rtype::MG
            | Rtype::MR
            | Rtype::PTR
            | Rtype::MINFO
            | Rtype::MX
            | Rtype::RP
            | Rtype::AFSDB
            | Rtype::RT
            | Rtype::SIG
            | Rtype::PX
            | Rtype::NXT
            | Rtype::NAPTR
            | Rtype::KX
            | Rtype::SRV
            | Rtype::DNAME
            | Rtype::A6
            | Rtype::RRSIG
            | Rtype::NSEC
            | Rtype::SVCB
            | Rtype::HTTPS
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn ns(name: &str) -> Rdata {
        Rdata::Ns(domain::rdata::Ns::new(StoredName::from_str(name).unwrap()))
    }

    #[test]
    fn records_keep_their_case_and_sign_in_canonical_form() {
        let owner = StoredName::from_str("example.").unwrap();
        let set = Rrset::new(
            owner,
            Rtype::NS,
            300,
            vec![ns("NS2.Example."), ns("ns1.example."), ns("ns2.example.")],
        );
        // ns2 in two spellings is one record; ns1 sorts first.
        assert_eq!(set.len(), 2);
        let texts: Vec<String> = set.rdata().map(|d| d.to_string()).collect();
        assert_eq!(texts, ["ns1.example.", "NS2.Example."]);
        let mut canonical = Vec::new();
        set.for_each_canonical(|w| canonical.push(w.to_vec()));
        assert_eq!(canonical[1], b"\x03ns2\x07example\x00");
        let written: Vec<Bytes> = set.records().collect();
        assert_eq!(&written[1][..], b"\x03NS2\x07Example\x00");
    }

    #[test]
    fn binary_rdata_is_never_lower_cased() {
        // 65.66.67.68 is "ABCD": an address, not a name.
        let wire = Bytes::from_static(b"ABCD");
        assert_eq!(&canonical(Rtype::A, &wire)[..], b"ABCD");
        let set = Rrset::from_wire(StoredName::root(), Rtype::A, 1, vec![wire]);
        assert_eq!(set.first().unwrap().to_string(), "65.66.67.68");
    }
}
