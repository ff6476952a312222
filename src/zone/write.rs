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
use domain::base::rdata::{ComposeRecordData, RecordData};
use domain::base::zonefile_fmt::{DisplayKind, ZonefileFmt};

use base64::Engine as _;

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

/// Types whose RDATA holds domain names that `domain` would print.
fn has_names(t: Rtype) -> bool {
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
            | Rtype::SRV
            | Rtype::NAPTR
            | Rtype::DNAME
            | Rtype::RRSIG
            | Rtype::SVCB
            | Rtype::HTTPS
            | Rtype::KX
            | Rtype::AFSDB
            | Rtype::RT
            | Rtype::PX
    )
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
    out.push('\n');
}

/// Appends one record line to `out`.
pub fn record_line(out: &mut String, owner: &StoredName, ttl: u32, data: &Rdata) {
    record_line_at(out, &name_text(owner), ttl, data);
}

/// [`record_line`] with the owner already written as text (an owner's
/// records are written one after the other).
pub fn record_line_at(out: &mut String, owner: &str, ttl: u32, data: &Rdata) {
    if let Rdata::Rrsig(r) = data {
        return rrsig_line_at(out, owner, ttl, r);
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
        out.push('\n');
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
        // The commonest RDATA is a plain host name: written directly, not
        // composed, scanned and formatted label by label as below.
        Rdata::Ns(ns) if is_plain(ns.nsdname()) => write_name(out, ns.nsdname()),
        Rdata::Cname(c) if is_plain(c.cname()) => write_name(out, c.cname()),
        Rdata::Ptr(p) if is_plain(p.ptrdname()) => write_name(out, p.ptrdname()),
        _ if has_names(rtype) && wire_has_special(data) => out.push_str(&generic_text(&wire(data))),
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
    out.push('\n');
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

/// A name of letters, digits, `-`, `_` and `*` only, which every writer
/// prints the same way.
fn is_plain(name: &StoredName) -> bool {
    name.iter_labels().all(|l| {
        l.as_slice()
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'*'))
    })
}

fn wire(data: &Rdata) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = data.compose_rdata(&mut v);
    v
}

fn wire_has_special(data: &Rdata) -> bool {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with_borrow_mut(|v| {
        v.clear();
        let _ = data.compose_rdata(v);
        v.iter()
            .any(|&c| matches!(c, b'"' | b'(' | b')' | b';' | b'@' | b'$'))
    })
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
