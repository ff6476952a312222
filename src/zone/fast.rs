//! Wire form of the commonest records, straight from a normalised line.
//!
//! Nearly every record of a large zone is an NS, A, AAAA, DS, CNAME, PTR
//! or MX with plain names and numbers. Going through `domain`'s scanner,
//! its typed data and back to wire cost more than the rest of reading
//! together, so these are encoded here; anything unusual (escapes, `\#`,
//! mnemonics, odd spacing) is left to `domain`, which also reports errors.

use std::net::{Ipv4Addr, Ipv6Addr};

use domain::base::iana::Rtype;

/// A record line as the normaliser writes it (`owner ttl IN TYPE data`),
/// encoded into `out` as owner wire then RDATA wire. Returns the type, TTL
/// and where the RDATA starts; `None` (with `out` as it was) when the line
/// is for `domain`.
pub fn encode(line: &[u8], origin: &[u8], out: &mut Vec<u8>) -> Option<(Rtype, u32, usize)> {
    let start = out.len();
    let r = encode_at(line, origin, out);
    if r.is_none() {
        out.truncate(start);
    }
    r
}

fn encode_at(line: &[u8], origin: &[u8], out: &mut Vec<u8>) -> Option<(Rtype, u32, usize)> {
    let mut fields = line.split(|&c| c == b' ');
    let owner = fields.next()?;
    let ttl: u32 = std::str::from_utf8(fields.next()?).ok()?.parse().ok()?;
    if fields.next()? != b"IN" {
        return None;
    }
    let mnemonic = fields.next()?;
    let mut upper = [0u8; 5];
    let mnemonic = match mnemonic.len() {
        1..=5 => {
            upper[..mnemonic.len()].copy_from_slice(mnemonic);
            upper.make_ascii_uppercase();
            &upper[..mnemonic.len()]
        }
        _ => return None,
    };
    // A DS digest may be split into a few fields; more fields than that
    // is not a line for here.
    let mut data: [&[u8]; 6] = [&[]; 6];
    let mut n = 0;
    for f in fields {
        *data.get_mut(n)? = f;
        n += 1;
    }
    name(owner, origin, out)?;
    let at = out.len();
    let rtype = match (mnemonic, &data[..n]) {
        (b"NS", [n]) => {
            name(n, origin, out)?;
            Rtype::NS
        }
        (b"CNAME", [n]) => {
            name(n, origin, out)?;
            Rtype::CNAME
        }
        (b"PTR", [n]) => {
            name(n, origin, out)?;
            Rtype::PTR
        }
        (b"MX", [pref, n]) => {
            out.extend_from_slice(&number::<u16>(pref)?.to_be_bytes());
            name(n, origin, out)?;
            Rtype::MX
        }
        (b"A", [a]) => {
            let a: Ipv4Addr = std::str::from_utf8(a).ok()?.parse().ok()?;
            out.extend_from_slice(&a.octets());
            Rtype::A
        }
        (b"AAAA", [a]) => {
            let a: Ipv6Addr = std::str::from_utf8(a).ok()?.parse().ok()?;
            out.extend_from_slice(&a.octets());
            Rtype::AAAA
        }
        (b"DS", [tag, alg, digest_type, digest @ ..]) if !digest.is_empty() => {
            out.extend_from_slice(&number::<u16>(tag)?.to_be_bytes());
            out.push(number::<u8>(alg)?);
            out.push(number::<u8>(digest_type)?);
            for part in digest {
                hex(part, out)?;
            }
            Rtype::DS
        }
        _ => return None,
    };
    Some((rtype, ttl, at))
}

/// A decimal number without sign or leading junk.
fn number<T: std::str::FromStr>(text: &[u8]) -> Option<T> {
    if !text.first()?.is_ascii_digit() {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Hex digits in pairs.
fn hex(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    for pair in text.chunks_exact(2) {
        out.push(digit(pair[0])? << 4 | digit(pair[1])?);
    }
    Some(())
}

/// A name of plain labels (no escapes), `@`, or relative to `origin`
/// (master-file text with the final dot), in wire form.
fn name(text: &[u8], origin: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let start = out.len();
    let (labels, relative) = match text {
        b"@" => (origin, false),
        [.., b'.'] => (text, false),
        _ => (text, true),
    };
    labels_of(labels, out)?;
    if relative {
        labels_of(origin, out)?;
    }
    out.push(0);
    // RFC 1035 s2.3.4: at most 255 octets.
    (out.len() - start <= 255).then_some(())
}

/// The labels of dotted text, the root's dot alone giving none; `None`
/// where a label is empty, too long, or holds an octet that is not plain
/// printable ASCII (escapes are for `domain`). One pass over the text.
fn labels_of(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if text == b"." {
        return Some(());
    }
    let text = text.strip_suffix(b".").unwrap_or(text);
    let mut push = |label: &[u8]| {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label);
        Some(())
    };
    let mut start = 0;
    for (i, &c) in text.iter().enumerate() {
        if c == b'.' {
            push(&text[start..i])?;
            start = i + 1;
        } else if !(c.is_ascii() && super::lexer::PLAIN[c as usize]) {
            return None;
        }
    }
    push(&text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(line: &str) -> Option<(Rtype, u32, Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let (t, ttl, at) = encode(line.as_bytes(), b"example.", &mut out)?;
        Some((t, ttl, out[..at].to_vec(), out[at..].to_vec()))
    }

    #[test]
    fn common_records_encode_as_domain_would() {
        let (t, ttl, owner, data) = enc("Www.example. 300 IN ns ns1.Other.").unwrap();
        assert_eq!((t, ttl), (Rtype::NS, 300));
        assert_eq!(owner, b"\x03Www\x07example\x00");
        assert_eq!(data, b"\x03ns1\x05Other\x00");
        let (_, _, _, data) = enc("a.example. 1 IN MX 10 mail").unwrap();
        assert_eq!(data, b"\x00\x0a\x04mail\x07example\x00");
        let (_, _, _, data) = enc("a.example. 1 IN CNAME @").unwrap();
        assert_eq!(data, b"\x07example\x00");
        let (_, _, _, data) = enc("a.example. 1 IN A 192.0.2.1").unwrap();
        assert_eq!(data, [192, 0, 2, 1]);
        let (_, _, _, data) = enc("a.example. 1 IN AAAA 2001:db8::1").unwrap();
        assert_eq!(data.len(), 16);
        let (_, _, _, data) = enc("a.example. 1 IN DS 60485 5 1 2BB1 83af").unwrap();
        assert_eq!(data, [0xec, 0x45, 5, 1, 0x2b, 0xb1, 0x83, 0xaf]);
    }

    #[test]
    fn anything_unusual_is_left_to_domain() {
        for line in [
            "a\\.b.example. 1 IN A 192.0.2.1",
            "a.example. 1 IN A \\# 4 c0000201",
            "a.example. 1 IN A 192.0.2",
            "a.example. 1 IN NS a..b",
            "a.example. 1 IN DS 1 RSASHA1 1 ab",
            "a.example. 1 IN DS 1 5 1 abc",
            "a.example. 1 IN TXT \"x\"",
            "a.example. 1 IN MX 70000 mail",
            "a.example. 1 CH A 192.0.2.1",
        ] {
            assert_eq!(enc(line), None, "{line}");
        }
        let long = format!("a.example. 1 IN NS {}.", vec!["x".repeat(63); 4].join("."));
        assert_eq!(enc(&long), None, "over 255 octets");
    }
}
