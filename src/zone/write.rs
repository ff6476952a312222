//! Presentation output: one record per line, absolute names, explicit TTL
//! and class, as `named-checkzone` and `ldns-read-zone` read it.
//!
//! `domain` escapes only `.`, `\` and space in names, so owner names with
//! `;`, `"`, `(`, `)`, `@` or `$` would not read back. We write owners and
//! NSEC next names ourselves, and fall back to the RFC 3597 generic form for
//! other record data whose names hold such octets.

use std::fmt::Write as _;

use domain::base::iana::{Class, Rtype};
use domain::base::name::ToLabelIter;
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
    let mut any = false;
    for label in name.iter_labels() {
        if label.is_root() {
            break;
        }
        any = true;
        for &c in label.as_slice() {
            if needs_escape(c) {
                out.push('\\');
                out.push(c as char);
            } else if !(0x21..0x7f).contains(&c) {
                let _ = write!(out, "\\{c:03}");
            } else {
                out.push(c as char);
            }
        }
        out.push('.');
    }
    if !any {
        out.push('.');
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
    out.push_str(owner);
    let _ = write!(out, " {ttl} IN RRSIG ");
    out.push_str(&type_name(r.type_covered()));
    let _ = write!(
        out,
        " {} {} {} ",
        r.algorithm().to_int(),
        r.labels(),
        r.original_ttl().as_secs(),
    );
    crate::time::push_rrsig_time(out, r.expiration().into_int());
    out.push(' ');
    crate::time::push_rrsig_time(out, r.inception().into_int());
    let _ = write!(out, " {} ", r.key_tag());
    write_name(out, r.signer_name());
    out.push(' ');
    base64::engine::general_purpose::STANDARD.encode_string(r.signature(), out);
}

/// Appends one record line to `out`: RDATA `wire` of type `rtype`.
pub fn record_line(out: &mut String, owner: &StoredName, ttl: u32, rtype: Rtype, wire: &Bytes) {
    record_line_at(out, &name_text(owner), ttl, rtype, wire);
}

/// [`record_line`] with the owner already written as text (an owner's
/// records are written one after the other).
pub fn record_line_at(out: &mut String, owner: &str, ttl: u32, rtype: Rtype, wire: &Bytes) {
    let start = out.len();
    out.push_str(owner);
    let _ = write!(out, " {ttl} IN {rtype} ");
    // The commonest RDATA is written straight from the wire: a plain host
    // name, an address, a DS.
    let direct = match rtype {
        Rtype::NS | Rtype::CNAME | Rtype::PTR => plain_name(out, wire),
        Rtype::A if wire.len() == 4 => {
            let _ = write!(
                out,
                "{}",
                std::net::Ipv4Addr::new(wire[0], wire[1], wire[2], wire[3])
            );
            true
        }
        Rtype::AAAA => match <[u8; 16]>::try_from(&wire[..]) {
            Ok(a) => {
                let _ = write!(out, "{}", std::net::Ipv6Addr::from(a));
                true
            }
            Err(_) => false,
        },
        Rtype::DS if wire.len() > 4 => {
            let tag = u16::from_be_bytes([wire[0], wire[1]]);
            let _ = write!(out, "{tag} {} {} ", wire[2], wire[3]);
            for b in &wire[4..] {
                let _ = write!(out, "{b:02X}");
            }
            true
        }
        _ => false,
    };
    if !direct {
        out.truncate(start);
        match super::rrset::parse(rtype, wire.clone()) {
            Some(data) => typed_line(out, owner, ttl, &data, wire),
            None => return,
        }
    }
    out.push('\n');
}

/// Writes the name that is all of `wire`, when it is plain (see
/// [`plain_octet`]); false leaves `out` as it was.
fn plain_name(out: &mut String, wire: &[u8]) -> bool {
    let mut at = 0;
    let start = out.len();
    while let Some(&len) = wire.get(at) {
        let len = len as usize;
        let Some(label) = wire.get(at + 1..at + 1 + len) else {
            break;
        };
        if len == 0 {
            if at == 0 {
                out.push('.');
            }
            return at + 1 == wire.len();
        }
        if !label.iter().all(|&c| plain_octet(c)) {
            break;
        }
        // Plain octets are ASCII.
        out.extend(label.iter().map(|&c| c as char));
        out.push('.');
        at += 1 + len;
    }
    out.truncate(start);
    false
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
        _ if super::rrset::has_names(rtype) && has_special(wire) => {
            out.push_str(&generic_text(wire))
        }
        _ => {
            let start = out.len();
            let _ = write!(out, "{}", data.display_zonefile(DisplayKind::Simple));
            if matches!(rtype, Rtype::SVCB | Rtype::HTTPS) {
                // domain 0.12.3 misspells this SvcParam key.
                let fixed = out[start..].replace("nodefaultalpn", "no-default-alpn");
                out.truncate(start);
                out.push_str(&fixed);
            }
        }
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
    for b in data {
        let _ = write!(out, "{b:02x}");
    }
}

/// Octets of a plain name: letters, digits, `-`, `_` and `*`, which every
/// writer prints the same way.
fn plain_octet(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'*')
}

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
        for b in wire {
            let _ = write!(out, "{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::str::FromStr;

    /// The lines written straight from the wire are the lines the typed
    /// data gives.
    #[test]
    fn direct_lines_equal_typed_lines() {
        let text = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns.Example.\n@ NS x\\.y\nns A 192.0.2.9\n\
                    ns AAAA 2001:db8::1\nns AAAA ::ffff:192.0.2.1\nd DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n\
                    c CNAME ns\np PTR *.ns\n";
        let apex = StoredName::from_str("example.").unwrap();
        let (recs, _) = super::super::reader::read_str(text, Path::new("t"), &apex).unwrap();
        for r in &recs {
            let mut direct = String::new();
            record_line(&mut direct, &r.owner, r.ttl, r.rtype, &r.data);
            let mut typed = String::new();
            let data = r.rdata().unwrap();
            typed_line(&mut typed, &name_text(&r.owner), r.ttl, &data, &r.data);
            typed.push('\n');
            assert_eq!(direct, typed);
        }
        assert_eq!(recs.len(), 9);
    }
}
