//! A second, separately written canonical form (RFC 4034 s6.2, RFC 3597
//! s7, RFC 6840 s5.1) and the data an RRSIG signs (RFC 4034 s3.1.8.1).
//!
//! The signer stores names of some types lower-cased as it reads them and
//! derives the canonical form of the rest through `domain`; the verifier
//! and the signer's own cross-check use this module instead, which knows
//! nothing of either: its own table of where the names are, applied to the
//! octets. A bug in one of the two paths is a disagreement that stops the
//! publication, not a bogus zone (it was one: AFSDB, RT and KX given in
//! RFC 3597 form).

use std::borrow::Cow;

/// A field of RDATA, as far as canonical form cares.
#[derive(Clone, Copy)]
enum Field {
    /// So many octets, kept as they are.
    Octets(usize),
    /// A domain name, uncompressed, lower-cased in canonical form.
    Name,
    /// A <character-string>: a length octet and that many octets, kept.
    Text,
}

use Field::{Name, Octets, Text};

/// Where the names to lower-case are, up to the last of them; whatever
/// follows is kept as it is. Types not listed hold no such name. NSEC is
/// not listed (RFC 6840 s5.1); NSAP-PTR is, as BIND lower-cases it.
fn layout(rtype: u16) -> Option<&'static [Field]> {
    Some(match rtype {
        // NS, MD, MF, CNAME, MB, MG, MR, NSAP-PTR, PTR, NXT (its name comes
        // first), DNAME
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 23 | 30 | 39 => &[Name],
        // SOA (MNAME, RNAME), MINFO, RP
        6 | 14 | 17 => &[Name, Name],
        // MX, AFSDB, RT, KX: a 16-bit preference first
        15 | 18 | 21 | 36 => &[Octets(2), Name],
        // PX: preference, MAP822, MAPX400
        26 => &[Octets(2), Name, Name],
        // SRV: priority, weight, port
        33 => &[Octets(6), Name],
        // NAPTR: order, preference, flags, services, regexp, replacement
        35 => &[Octets(4), Text, Text, Text, Name],
        // SIG, RRSIG: 18 octets of fields, then the signer
        24 | 46 => &[Octets(18), Name],
        _ => return None,
    })
}

/// The length of the uncompressed name at the start of `wire`.
fn name_len(wire: &[u8]) -> Result<usize, String> {
    let mut at = 0;
    loop {
        let len = usize::from(*wire.get(at).ok_or("name runs past the end")?);
        if len > 63 {
            return Err("label longer than 63 octets or compressed".into());
        }
        at += 1 + len;
        if at > 255 {
            return Err("name longer than 255 octets".into());
        }
        if len == 0 {
            return match at <= wire.len() {
                true => Ok(at),
                false => Err("name runs past the end".into()),
            };
        }
    }
}

/// The canonical form of the RDATA `wire` of type `rtype`: a copy only
/// when a name in it holds an upper-case letter.
pub fn rdata(rtype: u16, wire: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    if rtype == 38 {
        return a6(wire);
    }
    let Some(fields) = layout(rtype) else {
        return Ok(Cow::Borrowed(wire));
    };
    let mut names = Vec::new();
    let mut at = 0;
    for field in fields {
        let rest = wire.get(at..).ok_or("data too short")?;
        at += match field {
            Octets(n) if rest.len() >= *n => *n,
            Octets(_) => return Err("data too short".into()),
            Text => 1 + usize::from(*rest.first().ok_or("data too short")?),
            Name => {
                let len = name_len(rest)?;
                names.push(at..at + len);
                len
            }
        };
    }
    if at > wire.len() {
        return Err("data too short".into());
    }
    Ok(lower(wire, &names))
}

/// A6 (RFC 2874): prefix length, the suffix in as few octets as hold it,
/// then the prefix name when the prefix is not empty.
fn a6(wire: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    let prefix = usize::from(*wire.first().ok_or("data too short")?);
    if prefix > 128 {
        return Err("A6 prefix longer than 128 bits".into());
    }
    let at = 1 + (128 - prefix).div_ceil(8);
    if prefix == 0 {
        return Ok(Cow::Borrowed(wire));
    }
    let len = name_len(wire.get(at..).ok_or("data too short")?)?;
    Ok(lower(wire, std::slice::from_ref(&(at..at + len))))
}

/// `wire` with the octets in `spans` lower-cased (ASCII only: RFC 4343).
fn lower<'a>(wire: &'a [u8], spans: &[std::ops::Range<usize>]) -> Cow<'a, [u8]> {
    if !spans
        .iter()
        .any(|s| wire[s.clone()].iter().any(u8::is_ascii_uppercase))
    {
        return Cow::Borrowed(wire);
    }
    let mut out = wire.to_vec();
    for s in spans {
        out[s.clone()].make_ascii_lowercase();
    }
    Cow::Owned(out)
}

/// A whole name in lower case: a copy only if it holds an upper-case letter.
fn lower_whole(name: &[u8]) -> Cow<'_, [u8]> {
    match name.iter().any(u8::is_ascii_uppercase) {
        true => Cow::Owned(name.to_ascii_lowercase()),
        false => Cow::Borrowed(name),
    }
}

/// The fields of an RRSIG other than its signature, as the data it signs
/// starts with them.
pub struct SigFields<'a> {
    pub type_covered: u16,
    pub algorithm: u8,
    pub labels: u8,
    pub original_ttl: u32,
    pub expiration: u32,
    pub inception: u32,
    pub key_tag: u16,
    /// The signer's name in wire form.
    pub signer: &'a [u8],
}

/// Where signed data goes: a buffer, or a comparison with what the signer
/// made, which needs no buffer of its own.
trait Sink {
    fn put(&mut self, octets: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, octets: &[u8]) {
        self.extend_from_slice(octets);
    }
}

/// Compares what is put with `want`, from its start.
struct Matches<'a> {
    want: &'a [u8],
    at: usize,
    same: bool,
}

impl Sink for Matches<'_> {
    fn put(&mut self, octets: &[u8]) {
        let end = self.at + octets.len();
        self.same &= self.want.get(self.at..end) == Some(octets);
        self.at = end;
    }
}

/// The data an RRSIG with `sig` signs over the RRset of `owner` (wire
/// form) whose records are `records`: the RRSIG fields, then each record
/// in canonical form, in canonical order, without duplicates.
pub fn signed_data<'a>(
    sig: &SigFields<'_>,
    owner: &[u8],
    records: impl Iterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(256);
    write_signed_data(sig, owner, records, &mut out)?;
    Ok(out)
}

fn write_signed_data<'a>(
    sig: &SigFields<'_>,
    owner: &[u8],
    mut records: impl Iterator<Item = &'a [u8]>,
    out: &mut impl Sink,
) -> Result<(), String> {
    out.put(&sig.type_covered.to_be_bytes());
    out.put(&[sig.algorithm, sig.labels]);
    for v in [sig.original_ttl, sig.expiration, sig.inception] {
        out.put(&v.to_be_bytes());
    }
    out.put(&sig.key_tag.to_be_bytes());
    let signer = &sig.signer[..name_len(sig.signer)?];
    out.put(&lower_whole(signer));
    let owner = owner.get(..name_len(owner)?).ok_or("bad owner")?;
    let owner = lower_whole(owner);
    let mut put = |r: &[u8]| -> Result<(), String> {
        out.put(&owner);
        out.put(&sig.type_covered.to_be_bytes());
        out.put(&1u16.to_be_bytes());
        out.put(&sig.original_ttl.to_be_bytes());
        let len = u16::try_from(r.len()).map_err(|_| "RDATA longer than 65535 octets")?;
        out.put(&len.to_be_bytes());
        out.put(r);
        Ok(())
    };
    let first = records
        .next()
        .map(|r| rdata(sig.type_covered, r))
        .transpose()?;
    let Some(second) = records.next() else {
        // One record, as most RRsets: nothing to order.
        return first.map_or(Ok(()), |r| put(&r));
    };
    let mut rdatas = vec![first.unwrap_or_default(), rdata(sig.type_covered, second)?];
    for r in records {
        rdatas.push(rdata(sig.type_covered, r)?);
    }
    // Canonical order: RDATA as left-justified unsigned octet strings.
    rdatas.sort_unstable();
    rdatas.dedup();
    rdatas.iter().try_for_each(|r| put(r))
}

/// The fields of an RRSIG of ours.
fn fields_of(sig: &crate::sign::Signature) -> SigFields<'_> {
    SigFields {
        type_covered: sig.type_covered().to_int(),
        algorithm: sig.algorithm().to_int(),
        labels: sig.labels(),
        original_ttl: sig.original_ttl().as_secs(),
        expiration: sig.expiration().into_int(),
        inception: sig.inception().into_int(),
        key_tag: sig.key_tag(),
        signer: sig.signer_name().as_slice(),
    }
}

/// [`signed_data`] for an RRSIG of ours over an RRset of the zone model.
pub fn of_rrset(set: &crate::zone::Rrset, sig: &crate::sign::Signature) -> Result<Vec<u8>, String> {
    signed_data(&fields_of(sig), set.owner.as_slice(), set.wires())
}

/// Is `data` what an RRSIG with `sig` signs over `set`, as this path makes
/// it? The signer's cross-check: compared as it is made, without a copy.
pub fn agrees(set: &crate::zone::Rrset, sig: &crate::sign::Signature, data: &[u8]) -> bool {
    let mut m = Matches {
        want: data,
        at: 0,
        same: true,
    };
    write_signed_data(&fields_of(sig), set.owner.as_slice(), set.wires(), &mut m).is_ok()
        && m.same
        && m.at == data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for l in text.trim_end_matches('.').split('.') {
            out.push(l.len() as u8);
            out.extend_from_slice(l.as_bytes());
        }
        out.push(0);
        out
    }

    #[test]
    fn names_lower_cased_where_the_rfcs_say() {
        let mx = [&[0, 10][..], &name("MAIL.Example.")].concat();
        assert_eq!(
            rdata(15, &mx).unwrap().as_ref(),
            [&[0, 10][..], &name("mail.example.")].concat()
        );
        // NSEC keeps its case (RFC 6840 s5.1); TXT holds no name.
        let nsec = [&name("A.Example.")[..], &[0, 1, 0x40]].concat();
        assert_eq!(rdata(47, &nsec).unwrap().as_ref(), &nsec[..]);
        assert_eq!(rdata(16, b"\x02AB").unwrap().as_ref(), b"\x02AB");
        // NAPTR: the strings keep their case, the replacement does not.
        let naptr = [&[0, 1, 0, 2, 1, b'S', 0, 0][..], &name("X.Example.")].concat();
        let want = [&[0, 1, 0, 2, 1, b'S', 0, 0][..], &name("x.example.")].concat();
        assert_eq!(rdata(35, &naptr).unwrap().as_ref(), &want[..]);
        // A6 with a prefix name; SOA's counters are left alone.
        let a6 = [&[64][..], &[0x41; 8], &name("P.Example.")].concat();
        let want = [&[64][..], &[0x41; 8], &name("p.example.")].concat();
        assert_eq!(rdata(38, &a6).unwrap().as_ref(), &want[..]);
        let soa = [&name("NS.X.")[..], &name("H.X."), &[0x41; 20]].concat();
        let want = [&name("ns.x.")[..], &name("h.x."), &[0x41; 20]].concat();
        assert_eq!(rdata(6, &soa).unwrap().as_ref(), &want[..]);
    }

    #[test]
    fn malformed_data_is_an_error() {
        assert!(rdata(15, &[0, 10, 5, b'a']).is_err());
        assert!(rdata(2, &[0xc0, 12]).is_err());
        assert!(rdata(35, &[0, 1, 0, 2, 9]).is_err());
    }
}
