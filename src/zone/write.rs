//! Presentation output: one record per line, absolute names, explicit TTL
//! and class, as `named-checkzone` and `ldns-read-zone` read it.
//!
//! `domain` escapes only `.`, `\` and space in names, so names with `;`,
//! `"`, `(`, `)`, `@` or `$` would not read back. We write owners, NSEC
//! next names and the data of the name-holding types ourselves where such
//! an octet occurs, and every type in its own presentation form: RFC 3597's
//! generic form only for types we do not know.

use std::fmt::Write as _;

use domain::base::iana::{Class, Rtype};
use domain::base::rdata::RecordData;
use domain::base::zonefile_fmt::{DisplayKind, ZonefileFmt};

use base64::Engine as _;
use bytes::Bytes;

use super::rdata_ext::type_name;
use super::{Rdata, StoredName};

/// Octets that must be escaped in a label in master-file text.
fn needs_escape(c: u8) -> bool {
    matches!(
        c,
        b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' | b' '
    )
}

/// Writes `name` absolute, with every special octet escaped.
pub fn write_name(out: &mut String, name: &StoredName) {
    write_wire_name(out, name.as_slice());
}

/// [`write_name`] for the uncompressed wire form of a name that is known
/// to be well formed (see [`name_len`]).
pub(super) fn write_wire_name(out: &mut String, wire: &[u8]) {
    let mut any = false;
    for label in labels(wire) {
        any = true;
        let mut rest = label;
        loop {
            // Plain octets, nearly all of every name, in one push.
            let plain = rest
                .iter()
                .position(|&c| !plain_octet(c))
                .unwrap_or(rest.len());
            push_plain(out, &rest[..plain]);
            let Some((&c, tail)) = rest[plain..].split_first() else {
                break;
            };
            if needs_escape(c) {
                out.push('\\');
                out.push(c as char);
            } else if !(0x21..0x7f).contains(&c) {
                out.push('\\');
                for d in [c / 100, c / 10 % 10, c % 10] {
                    out.push(char::from(b'0' + d));
                }
            } else {
                out.push(c as char);
            }
            rest = tail;
        }
        out.push('.');
    }
    if !any {
        out.push('.');
    }
}

/// Appends octets that are all plain (see [`plain_octet`]): ASCII, so
/// text as they are. A name's text is most of a signed zone's, and a UTF-8
/// check of every run of it was 2 % of the CPU that is not signing.
fn push_plain(out: &mut String, plain: &[u8]) {
    debug_assert!(plain.iter().all(|&c| plain_octet(c)));
    // SAFETY: PLAIN_OCTET holds only ASCII letters, digits, '-', '_' and
    // '*', so the string stays valid UTF-8.
    unsafe { out.as_mut_vec() }.extend_from_slice(plain);
}

/// The labels of the wire-form name at the start of `wire`, without the
/// root label; they end early where the name is cut short.
fn labels(wire: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = wire;
    std::iter::from_fn(move || {
        let (&len, tail) = rest.split_first()?;
        let (label, tail) = tail.split_at_checked(usize::from(len))?;
        rest = tail;
        (!label.is_empty()).then_some(label)
    })
}

/// The length of the uncompressed, well-formed name at the start of
/// `wire` (RFC 1035 s3.1: labels under 64 octets, 255 in all, ending in
/// the root label).
pub(super) fn name_len(wire: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let len = *wire.get(at)? as usize;
        if len > 63 || at + 1 + len > 255 {
            return None;
        }
        at += 1 + len;
        if len == 0 {
            return (at <= wire.len()).then_some(at);
        }
    }
}

/// Appends `v` in decimal.
pub fn push_int(out: &mut String, v: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// Appends `data` as hexadecimal digits.
pub fn push_hex(out: &mut String, data: &[u8], upper: bool) {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    out.reserve(data.len() * 2);
    for &b in data {
        out.push(digits[usize::from(b >> 4)] as char);
        out.push(digits[usize::from(b & 15)] as char);
    }
}

/// `name` as absolute master-file text (escaped, with the final dot).
pub fn name_text(name: &StoredName) -> String {
    let mut s = String::with_capacity(name.len() + 8);
    write_name(&mut s, name);
    s
}

/// Appends the line of one RRSIG, written by us for readable times and
/// type mnemonics `domain` lacks.
pub fn rrsig_line(out: &mut String, owner: &StoredName, ttl: u32, r: &crate::sign::Signature) {
    rrsig_line_at(out, &name_text(owner), ttl, r);
}

/// [`rrsig_line`] with the owner already written as text.
pub fn rrsig_line_at(out: &mut String, owner: &str, ttl: u32, r: &crate::sign::Signature) {
    rrsig_text(out, owner, ttl, r);
    out.push('\n');
}

/// [`rrsig_line_at`] without the final newline.
fn rrsig_text(out: &mut String, owner: &str, ttl: u32, r: &crate::sign::Signature) {
    line_head(out, owner, ttl, Rtype::RRSIG);
    out.push_str(&type_name(r.type_covered()));
    for n in [
        u32::from(r.algorithm().to_int()),
        u32::from(r.labels()),
        r.original_ttl().as_secs(),
    ] {
        out.push(' ');
        push_int(out, n);
    }
    out.push(' ');
    crate::time::push_rrsig_time(out, r.expiration().into_int());
    out.push(' ');
    crate::time::push_rrsig_time(out, r.inception().into_int());
    out.push(' ');
    push_int(out, r.key_tag());
    out.push(' ');
    write_name(out, r.signer_name());
    out.push(' ');
    base64::engine::general_purpose::STANDARD.encode_string(r.signature(), out);
}

/// Appends one record line to `out`: RDATA `wire` of type `rtype`.
pub fn record_line(out: &mut String, owner: &StoredName, ttl: u32, rtype: Rtype, wire: &Bytes) {
    record_line_at(out, &name_text(owner), ttl, rtype, wire);
}

/// [`record_line`] with the owner already written as text (an owner's
/// records are written one after the other). True when the data was
/// written from its typed form, not by one of the few writers straight
/// from the wire (addresses, plain host names, DS, NSEC, NSEC3): those
/// lines are the ones worth reading back.
pub fn record_line_at(out: &mut String, owner: &str, ttl: u32, rtype: Rtype, wire: &[u8]) -> bool {
    let start = out.len();
    line_head(out, owner, ttl, rtype);
    if direct_rdata(out, rtype, wire) {
        out.push('\n');
        return false;
    }
    out.truncate(start);
    if let Some(data) = super::rrset::parse(rtype, Bytes::copy_from_slice(wire)) {
        typed_line(out, owner, ttl, &data, wire);
        out.push('\n');
    }
    true
}

/// `<owner> <ttl> IN <type> `: the start of every line we write ourselves.
fn line_head(out: &mut String, owner: &str, ttl: u32, rtype: Rtype) {
    out.push_str(owner);
    out.push(' ');
    push_int(out, ttl);
    out.push_str(" IN ");
    out.push_str(&type_name(rtype));
    out.push(' ');
}

/// Writes the commonest RDATA straight from the wire (a plain host name,
/// an address, a DS, the denial records); false where the typed data must
/// be written instead, with `out` perhaps half written.
fn direct_rdata(out: &mut String, rtype: Rtype, wire: &[u8]) -> bool {
    match rtype {
        Rtype::NS | Rtype::CNAME | Rtype::PTR => plain_name(out, wire),
        Rtype::A if wire.len() == 4 => {
            for (i, &b) in wire.iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_int(out, b);
            }
            true
        }
        Rtype::AAAA => match <[u8; 16]>::try_from(wire) {
            Ok(a) => {
                let _ = write!(out, "{}", std::net::Ipv6Addr::from(a));
                true
            }
            Err(_) => false,
        },
        Rtype::DS if wire.len() > 4 => {
            push_int(out, u16::from_be_bytes([wire[0], wire[1]]));
            for n in [wire[2], wire[3]] {
                out.push(' ');
                push_int(out, n);
            }
            out.push(' ');
            push_hex(out, &wire[4..], true);
            true
        }
        Rtype::NSEC => name_len(wire).is_some_and(|n| {
            write_wire_name(out, &wire[..n]);
            type_bitmap(out, &wire[n..])
        }),
        Rtype::NSEC3 => nsec3_rdata(out, wire),
        _ => false,
    }
}

/// NSEC3 RDATA (RFC 5155 s3.2) from the wire.
fn nsec3_rdata(out: &mut String, wire: &[u8]) -> bool {
    let Some((&[alg, flags, i0, i1, salt_len], rest)) = wire.split_first_chunk::<5>() else {
        return false;
    };
    let Some((salt, rest)) = rest.split_at_checked(usize::from(salt_len)) else {
        return false;
    };
    let Some((&hash_len, rest)) = rest.split_first() else {
        return false;
    };
    let Some((hash, bitmap)) = rest.split_at_checked(usize::from(hash_len)) else {
        return false;
    };
    if hash.is_empty() {
        return false;
    }
    for n in [
        u16::from(alg),
        u16::from(flags),
        u16::from_be_bytes([i0, i1]),
    ] {
        push_int(out, n);
        out.push(' ');
    }
    hex_or_dash(out, salt);
    out.push(' ');
    crate::denial::nsec3::push_base32hex(out, hash);
    type_bitmap(out, bitmap)
}

/// The types of an NSEC or NSEC3 type bitmap (RFC 4034 s4.1.2), each after
/// a space; false if the bitmap is malformed.
fn type_bitmap(out: &mut String, mut bitmap: &[u8]) -> bool {
    let mut last_window = None;
    while let Some((&[window, len], rest)) = bitmap.split_first_chunk::<2>() {
        let len = usize::from(len);
        if !(1..=32).contains(&len) || rest.len() < len || last_window >= Some(window) {
            return false;
        }
        last_window = Some(window);
        for (i, &bits) in rest[..len].iter().enumerate() {
            for bit in 0..8 {
                if bits & (0x80 >> bit) != 0 {
                    let t = u16::from(window) << 8 | (i as u16) << 3 | bit;
                    out.push(' ');
                    out.push_str(&type_name(Rtype::from_int(t)));
                }
            }
        }
        bitmap = &rest[len..];
    }
    bitmap.is_empty()
}

/// Writes the name that is all of `wire`, when it is plain (see
/// [`plain_octet`]); false leaves `out` as it was. One pass: the name is
/// checked as it is written.
fn plain_name(out: &mut String, wire: &[u8]) -> bool {
    if name_len(wire) != Some(wire.len()) {
        return false;
    }
    let start = out.len();
    for label in labels(wire) {
        if !label.iter().all(|&c| plain_octet(c)) {
            out.truncate(start);
            return false;
        }
        push_plain(out, label);
        out.push('.');
    }
    if out.len() == start {
        out.push('.');
    }
    true
}

/// The line of typed record data, whose wire form is `wire`, without the
/// final newline.
fn typed_line(out: &mut String, owner: &str, ttl: u32, data: &Rdata, wire: &[u8]) {
    if let Rdata::Rrsig(r) = data {
        return rrsig_text(out, owner, ttl, r);
    }
    out.push_str(owner);
    let rtype = data.rtype();
    if let Rdata::Unknown(u) = data
        && let Some((mnemonic, text)) = super::rdata_ext::decode(rtype.to_int(), u.data().as_ref())
    {
        let _ = write!(out, " {ttl} {} {mnemonic} ", Class::IN);
        match text {
            Some(t) => out.push_str(&t),
            None => out.push_str(&generic_text(u.data().as_ref())),
        }
        return;
    }
    let _ = write!(out, " {ttl} IN {rtype} ");
    match data {
        Rdata::Nsec(nsec) => {
            write_name(out, nsec.next_name());
            types(out, nsec.types());
        }
        Rdata::Nsec3(n) => {
            let _ = write!(
                out,
                "{} {} {} ",
                n.hash_algorithm().to_int(),
                n.flags(),
                n.iterations()
            );
            hex_or_dash(out, n.salt().as_slice());
            out.push(' ');
            out.push_str(&crate::denial::nsec3::base32hex(n.next_owner().as_slice()));
            types(out, n.types());
        }
        _ if has_special(wire)
            && let Some(text) = super::rdata_ext::present_names(rtype.to_int(), wire) =>
        {
            out.push_str(&text)
        }
        Rdata::Svcb(_) | Rdata::Https(_) if has_special(wire) => svcb_escaped(out, rtype, wire),
        _ => display(out, data),
    }
}

/// `domain`'s presentation of `data`.
fn display(out: &mut String, data: &Rdata) {
    let start = out.len();
    let _ = write!(out, "{}", data.display_zonefile(DisplayKind::Simple));
    if matches!(data.rtype(), Rtype::SVCB | Rtype::HTTPS) {
        // domain 0.12.3 misspells this SvcParam key.
        let fixed = out[start..].replace("nodefaultalpn", "no-default-alpn");
        out.truncate(start);
        out.push_str(&fixed);
    }
}

/// SVCB or HTTPS data whose target name needs escapes `domain` does not
/// make: the priority and the target written here, the parameters as
/// `domain` writes them for the same data with the root as target.
fn svcb_escaped(out: &mut String, rtype: Rtype, wire: &[u8]) {
    let Some((priority, rest)) = wire.split_first_chunk::<2>() else {
        return out.push_str(&generic_text(wire));
    };
    let Some(len) = name_len(rest) else {
        return out.push_str(&generic_text(wire));
    };
    let rooted = [&priority[..], &[0], &rest[len..]].concat();
    let Some(data) = super::rrset::parse(rtype, Bytes::from(rooted)) else {
        return out.push_str(&generic_text(wire));
    };
    let mut text = String::new();
    display(&mut text, &data);
    let head = format!("{} .", u16::from_be_bytes(*priority));
    match text.strip_prefix(&head) {
        Some(params) => {
            out.push_str(&head[..head.len() - 1]);
            write_wire_name(out, &rest[..len]);
            out.push_str(params);
        }
        None => out.push_str(&generic_text(wire)),
    }
}

fn types(out: &mut String, bitmap: &domain::rdata::dnssec::RtypeBitmap<bytes::Bytes>) {
    for t in bitmap.iter() {
        out.push(' ');
        out.push_str(&type_name(t));
    }
}

fn hex_or_dash(out: &mut String, data: &[u8]) {
    if data.is_empty() {
        out.push('-');
    }
    push_hex(out, data, false);
}

/// Octets of a plain name: letters, digits, `-`, `_` and `*`, which every
/// writer prints the same way. One table look-up: it is asked of every
/// octet of every name written.
#[inline]
fn plain_octet(c: u8) -> bool {
    PLAIN_OCTET[usize::from(c)]
}

static PLAIN_OCTET: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*');
        c += 1;
    }
    t
};

/// Octets `domain` would not escape in a name but master-file text needs
/// escaped.
fn has_special(wire: &[u8]) -> bool {
    wire.iter()
        .any(|&c| matches!(c, b'"' | b'(' | b')' | b';' | b'@' | b'$'))
}

/// RFC 3597 s5 generic form: `\# <length> <hex>`.
pub fn generic_text(wire: &[u8]) -> String {
    let mut out = format!("\\# {}", wire.len());
    if !wire.is_empty() {
        out.push(' ');
        push_hex(&mut out, wire, false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::str::FromStr;

    /// Plain runs are copied, special octets escaped as master files need.
    #[test]
    fn names_are_escaped_where_needed() {
        for (text, want) in [
            ("a.example.", "a.example."),
            ("A/b+c.example.", "A/b+c.example."),
            ("a\\.b.example.", "a\\.b.example."),
            ("\\@\\$\\(\\;\\ x.example.", "\\@\\$\\(\\;\\ x.example."),
            ("\\000\\255\\127~.example.", "\\000\\255\\127~.example."),
            (".", "."),
        ] {
            let name = StoredName::from_str(text).unwrap();
            let mut out = String::new();
            write_name(&mut out, &name);
            assert_eq!(out, want, "{text}");
        }
    }

    /// The lines written straight from the wire are the lines the typed
    /// data gives.
    #[test]
    fn direct_lines_equal_typed_lines() {
        let text = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns.Example.\n@ NS x\\.y\nns A 192.0.2.9\n\
                    ns AAAA 2001:db8::1\nns AAAA ::ffff:192.0.2.1\nd DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n\
                    c CNAME ns\np PTR *.ns\nn NSEC a\\.b\\;c A NS SOA RRSIG NSEC DNSKEY TYPE1234 TYPE65280\n\
                    n3 NSEC3 1 1 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG\n\
                    n4 NSEC3 1 0 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR\n";
        let apex = StoredName::from_str("example.").unwrap();
        let (recs, _) = super::super::reader::read_str(text, Path::new("t"), &apex).unwrap();
        let mut direct_count = 0;
        for r in &recs {
            direct_count += usize::from(direct_rdata(&mut String::new(), r.rtype, &r.data));
            let mut direct = String::new();
            record_line(&mut direct, &r.owner, r.ttl, r.rtype, &r.data);
            let mut typed = String::new();
            let data = r.rdata().unwrap();
            typed_line(&mut typed, &name_text(&r.owner), r.ttl, &data, &r.data);
            typed.push('\n');
            assert_eq!(direct, typed);
        }
        assert_eq!(recs.len(), 12);
        // All but the SOA and the NS whose name needs an escape.
        assert_eq!(direct_count, 10);
    }
}
