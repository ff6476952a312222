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

/// Appends one record line to `out`.
pub fn record_line(out: &mut String, owner: &StoredName, ttl: u32, data: &Rdata) {
    write_name(out, owner);
    let rtype = data.rtype();
    if let Rdata::Unknown(u) = data
        && let Some((mnemonic, text)) = super::rdata_ext::decode(rtype.to_int(), u.data().as_ref())
    {
        let _ = write!(out, " {ttl} {} {mnemonic} ", Class::IN);
        match text {
            Some(t) => out.push_str(&t),
            None => generic(out, data),
        }
        out.push('\n');
        return;
    }
    let _ = write!(out, " {ttl} {} {rtype} ", Class::IN);
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
        Rdata::Rrsig(r) => {
            let _ = write!(
                out,
                "{} {} {} {} {} {} {} ",
                type_name(r.type_covered()),
                r.algorithm().to_int(),
                r.labels(),
                r.original_ttl().as_secs(),
                crate::time::rrsig_time(r.expiration().into_int()),
                crate::time::rrsig_time(r.inception().into_int()),
                r.key_tag()
            );
            write_name(out, r.signer_name());
            out.push(' ');
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(r.signature()));
        }
        _ if has_names(rtype) && wire_has_special(data) => generic(out, data),
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
    for t in bitmap {
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

fn wire(data: &Rdata) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = data.compose_rdata(&mut v);
    v
}

fn wire_has_special(data: &Rdata) -> bool {
    wire(data)
        .iter()
        .any(|&c| matches!(c, b'"' | b'(' | b')' | b';' | b'@' | b'$'))
}

/// RFC 3597 s5 generic form: `\# <length> <hex>`.
fn generic(out: &mut String, data: &Rdata) {
    let w = wire(data);
    let _ = write!(out, "\\# {}", w.len());
    if !w.is_empty() {
        out.push(' ');
        for b in w {
            let _ = write!(out, "{b:02x}");
        }
    }
}
