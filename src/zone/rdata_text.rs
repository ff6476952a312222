//! Wire-to-presentation for the types whose layout is not a plain list of
//! fields (WKS, LOC, NXT, APL, HIP, …): every type we read is written back
//! in its own presentation form, never RFC 3597's `\#`, so that signed
//! zones stay readable and diffable. Each decoder is the inverse of the
//! encoder of the same type in `rdata_ext`, and is tested as such.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use domain::base::iana::Rtype;

use super::rdata_ext::{CERT_TYPES, type_name};

/// The presentation of `wire`, RDATA of the type `code`, for the types
/// decoded here; `None` when the octets do not fit the type.
pub fn custom(code: u16, wire: &[u8]) -> Option<String> {
    match code {
        11 => wks(wire),
        20 => strings(wire),
        22 => Some(format!("0x{}", hex(wire)?)),
        29 => loc(wire),
        30 => nxt(wire),
        34 => atma(wire),
        37 => cert(wire),
        38 => a6(wire),
        42 => apl(wire),
        45 => ipseckey(wire),
        55 => hip(wire),
        66 => dsync(wire),
        108 if wire.len() == 6 => Some(eui(wire)),
        109 if wire.len() == 8 => Some(eui(wire)),
        260 => amtrelay(wire),
        _ => None,
    }
}

/// Upper-case hex of `data`; `None` if empty (no field here may be).
fn hex(data: &[u8]) -> Option<String> {
    if data.is_empty() {
        return None;
    }
    let mut s = String::with_capacity(data.len() * 2);
    super::write::push_hex(&mut s, data, true);
    Some(s)
}

/// The name at the start of `wire` as text, and its length.
fn name(wire: &[u8]) -> Option<(String, usize)> {
    let len = super::write::name_len(wire)?;
    let mut text = String::with_capacity(len + 8);
    super::write::write_wire_name(&mut text, &wire[..len]);
    Some((text, len))
}

/// Types set in a bitmap of bits in order (WKS ports, NXT types).
fn bits(map: &[u8]) -> impl Iterator<Item = usize> + '_ {
    map.iter().enumerate().flat_map(|(i, &b)| {
        (0..8)
            .filter(move |bit| b & (0x80 >> bit) != 0)
            .map(move |bit| i * 8 + bit)
    })
}

fn wks(w: &[u8]) -> Option<String> {
    let (addr, rest) = w.split_first_chunk::<4>()?;
    let (&proto, ports) = rest.split_first()?;
    let mut s = format!("{} {proto}", Ipv4Addr::from(*addr));
    for port in bits(ports) {
        let _ = write!(s, " {port}");
    }
    Some(s)
}

/// One or more character strings to the end (ISDN: address [subaddress]).
fn strings(w: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    let mut rest = w;
    while let Some((&len, tail)) = rest.split_first() {
        let (s, tail) = tail.split_at_checked(usize::from(len))?;
        out.push(super::rdata_ext::quoted(s));
        rest = tail;
    }
    (!out.is_empty()).then(|| out.join(" "))
}

/// LOC (RFC 1876): degrees, minutes and seconds with thousandths, the
/// altitude in metres with centimetres, and the three precisions.
fn loc(w: &[u8]) -> Option<String> {
    let [0, size, hp, vp, rest @ ..] = w else {
        return None;
    };
    let [a, b, c, d, e, f, g, h, i, j, k, l] = *rest else {
        return None;
    };
    let coord = |v: u32, hemis: [char; 2]| {
        let off = i64::from(v) - (1i64 << 31);
        let hemi = if off < 0 { hemis[1] } else { hemis[0] };
        let ms = off.unsigned_abs();
        let (deg, min, sec, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        format!("{deg} {min} {sec}.{frac:03} {hemi}")
    };
    let metres = |cm: i64| {
        let sign = if cm < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}m", cm.abs() / 100, cm.abs() % 100)
    };
    let precision = |p: u8| -> Option<String> {
        let (mantissa, exp) = (i64::from(p >> 4), u32::from(p & 15));
        (mantissa <= 9 && exp <= 9).then(|| metres(mantissa * 10i64.pow(exp)))
    };
    let lat = u32::from_be_bytes([a, b, c, d]);
    let lon = u32::from_be_bytes([e, f, g, h]);
    let alt = i64::from(u32::from_be_bytes([i, j, k, l])) - 10_000_000;
    Some(format!(
        "{} {} {} {} {} {}",
        coord(lat, ['N', 'S']),
        coord(lon, ['E', 'W']),
        metres(alt),
        precision(*size)?,
        precision(*hp)?,
        precision(*vp)?
    ))
}

fn nxt(w: &[u8]) -> Option<String> {
    let (next, len) = name(w)?;
    let mut s = next;
    for t in bits(&w[len..]) {
        s.push(' ');
        s.push_str(&type_name(Rtype::from_int(t as u16)));
    }
    Some(s)
}

fn atma(w: &[u8]) -> Option<String> {
    match w.split_first()? {
        (0, addr) => hex(addr),
        (1, digits) if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            Some(format!("+{}", std::str::from_utf8(digits).ok()?))
        }
        _ => None,
    }
}

fn cert(w: &[u8]) -> Option<String> {
    let ([t0, t1, k0, k1, alg], cert) = w.split_first_chunk::<5>().map(|(h, r)| (*h, r))?;
    let code = u16::from_be_bytes([t0, t1]);
    let ty = match CERT_TYPES.iter().find(|&&(_, c)| c == code) {
        Some((m, _)) => m.to_string(),
        None => code.to_string(),
    };
    if cert.is_empty() {
        return None;
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert);
    Some(format!("{ty} {} {alg} {b64}", u16::from_be_bytes([k0, k1])))
}

/// A6 (RFC 2874 s3.1): the prefix length, the address suffix in as few
/// octets as hold it, and the prefix name (present when the prefix is not
/// empty), each checked to fit.
pub(super) fn a6_parts(w: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&prefix, rest) = w.split_first()?;
    let octets = 128usize.checked_sub(usize::from(prefix))?.div_ceil(8);
    let (suffix, name) = rest.split_at_checked(octets)?;
    let fits = match prefix {
        0 => name.is_empty(),
        _ => super::write::name_len(name) == Some(name.len()),
    };
    fits.then_some((prefix, suffix, name))
}

fn a6(w: &[u8]) -> Option<String> {
    let (prefix, suffix, prefix_name) = a6_parts(w)?;
    let mut addr = [0u8; 16];
    addr[16 - suffix.len()..].copy_from_slice(suffix);
    let mut s = prefix.to_string();
    if !suffix.is_empty() {
        let _ = write!(s, " {}", Ipv6Addr::from(addr));
    }
    if !prefix_name.is_empty() {
        let _ = write!(s, " {}", name(prefix_name)?.0);
    }
    Some(s)
}

fn apl(w: &[u8]) -> Option<String> {
    let mut items = Vec::new();
    let mut rest = w;
    while let Some(([f0, f1, prefix, n], tail)) =
        rest.split_first_chunk::<4>().map(|(h, t)| (*h, t))
    {
        let (bytes, tail) = tail.split_at_checked(usize::from(n & 0x7f))?;
        let neg = if n & 0x80 != 0 { "!" } else { "" };
        let addr = match u16::from_be_bytes([f0, f1]) {
            1 if bytes.len() <= 4 && prefix <= 32 => {
                let mut a = [0u8; 4];
                a[..bytes.len()].copy_from_slice(bytes);
                format!("1:{}", Ipv4Addr::from(a))
            }
            2 if bytes.len() <= 16 && prefix <= 128 => {
                let mut a = [0u8; 16];
                a[..bytes.len()].copy_from_slice(bytes);
                format!("2:{}", Ipv6Addr::from(a))
            }
            _ => return None,
        };
        items.push(format!("{neg}{addr}/{prefix}"));
        rest = tail;
    }
    rest.is_empty().then(|| items.join(" "))
}

fn hip(w: &[u8]) -> Option<String> {
    let ([hit_len, alg, k0, k1], rest) = w.split_first_chunk::<4>().map(|(h, r)| (*h, r))?;
    let (hit, rest) = rest.split_at_checked(usize::from(hit_len))?;
    let (key, mut rest) = rest.split_at_checked(usize::from(u16::from_be_bytes([k0, k1])))?;
    if key.is_empty() {
        return None;
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(key);
    let mut s = format!("{alg} {} {b64}", hex(hit)?);
    while !rest.is_empty() {
        let (n, len) = name(rest)?;
        let _ = write!(s, " {n}");
        rest = &rest[len..];
    }
    Some(s)
}

fn dsync(w: &[u8]) -> Option<String> {
    let ([t0, t1, scheme, p0, p1], rest) = w.split_first_chunk::<5>().map(|(h, r)| (*h, r))?;
    let (target, len) = name(rest)?;
    (len == rest.len()).then_some(())?;
    let scheme = match scheme {
        1 => "NOTIFY".to_string(),
        n => n.to_string(),
    };
    let rtype = type_name(Rtype::from_int(u16::from_be_bytes([t0, t1])));
    Some(format!(
        "{rtype} {scheme} {} {target}",
        u16::from_be_bytes([p0, p1])
    ))
}

fn eui(w: &[u8]) -> String {
    let parts: Vec<String> = w.iter().map(|b| format!("{b:02x}")).collect();
    parts.join("-")
}

/// IPSECKEY (RFC 4025): `domain` reads it, but writes a gateway name
/// without the escapes master files need.
fn ipseckey(w: &[u8]) -> Option<String> {
    let ([prec, ty, alg], rest) = w.split_first_chunk::<3>().map(|(h, r)| (*h, r))?;
    let (gateway, key) = match ty {
        0 => (".".to_string(), rest),
        1 => (
            Ipv4Addr::from(*rest.first_chunk::<4>()?).to_string(),
            &rest[4..],
        ),
        2 => (
            Ipv6Addr::from(*rest.first_chunk::<16>()?).to_string(),
            &rest[16..],
        ),
        3 => name(rest).map(|(n, len)| (n, &rest[len..]))?,
        _ => return None,
    };
    let mut s = format!("{prec} {ty} {alg} {gateway}");
    if !key.is_empty() {
        s.push(' ');
        s.push_str(&base64::engine::general_purpose::STANDARD.encode(key));
    }
    Some(s)
}

fn amtrelay(w: &[u8]) -> Option<String> {
    let ([prec, dt], relay) = w.split_first_chunk::<2>().map(|(h, r)| (*h, r))?;
    let (d, ty) = (dt >> 7, dt & 0x7f);
    let relay = match (ty, relay) {
        (0, []) => ".".to_string(),
        (1, a) => Ipv4Addr::from(<[u8; 4]>::try_from(a).ok()?).to_string(),
        (2, a) => Ipv6Addr::from(<[u8; 16]>::try_from(a).ok()?).to_string(),
        (3, n) => {
            let (text, len) = name(n)?;
            (len == n.len()).then_some(text)?
        }
        _ => return None,
    };
    Some(format!("{prec} {d} {ty} {relay}"))
}

#[cfg(test)]
mod tests {
    use super::super::lexer::Lexer;
    use super::super::rdata_ext::encode;

    /// Wire of `data` of type `ty`, as the reader encodes it.
    fn enc(ty: &str, data: &str) -> Vec<u8> {
        let line = format!("{ty} {data}");
        let mut lx = Lexer::new(line.as_bytes());
        let t = lx.next_line().unwrap().unwrap().tokens;
        encode(&t[0], &t[1..], "example.").unwrap().unwrap().1
    }

    /// Every decoder writes text that encodes to the same octets, and the
    /// text a zone file would carry.
    #[test]
    fn decoders_invert_the_encoders() {
        for (ty, code, text) in [
            ("WKS", 11, "192.0.2.1 6 25 80 443"),
            ("ISDN", 20, "\"150862028003217\" \"004\""),
            ("NSAP", 22, "0x47000580FFFF000000321099991111222233334444"),
            (
                "LOC",
                29,
                "52 22 23.000 N 4 53 32.000 E -2.00m 1.00m 10000.00m 10.00m",
            ),
            (
                "LOC",
                29,
                "42 21 54.500 S 71 6 18.123 W 24.50m 30.00m 0.01m 900000.00m",
            ),
            ("NXT", 30, "ns1.example. A NS SOA NXT"),
            ("ATMA", 34, "39246F00E7C9C0200000000000F023BD1A5C00"),
            ("ATMA", 34, "+358400123456"),
            ("CERT", 37, "PGP 0 5 AQIDBA=="),
            ("CERT", 37, "65000 1 8 AQIDBA=="),
            ("A6", 38, "64 ::1:2:3:4 prefix.example."),
            ("A6", 38, "0 2001:db8::1"),
            ("A6", 38, "128 prefix.example."),
            (
                "APL",
                42,
                "1:192.168.32.0/21 !1:192.168.38.0/28 2:2001:db8::/32",
            ),
            (
                "HIP",
                55,
                "2 200100107B1A74DF365639CC39F1D578 AwEAAbdx rvs.example. rvs2.example.",
            ),
            ("DSYNC", 66, "CDS NOTIFY 5359 notify.example."),
            ("EUI48", 108, "00-00-5e-00-53-2a"),
            ("EUI64", 109, "00-00-5e-ef-10-00-00-2a"),
            ("AMTRELAY", 260, "10 0 3 relay.example."),
            ("AMTRELAY", 260, "10 1 1 192.0.2.1"),
            ("AMTRELAY", 260, "0 0 0 ."),
        ] {
            let wire = enc(ty, text);
            let back = super::custom(code, &wire).unwrap_or_else(|| panic!("{ty} {text}"));
            assert_eq!(enc(ty, &back), wire, "{ty} {text} -> {back}");
            assert_eq!(back, text, "{ty}");
        }
    }

    /// IPSECKEY, which `domain` reads: the gateway name with its escapes.
    #[test]
    fn ipseckey_as_read() {
        let apex: super::super::StoredName = "example.".parse().unwrap();
        for text in [
            "10 3 2 gw\\;\\(.example. AQIDBA==",
            "10 1 2 192.0.2.1 AQIDBA==",
            "10 2 2 2001:db8::1 AQIDBA==",
        ] {
            let zone = format!("x 60 IN IPSECKEY {text}\n");
            let (recs, _) =
                super::super::reader::read_str(&zone, std::path::Path::new("t"), &apex).unwrap();
            assert_eq!(super::custom(45, &recs[0].data).as_deref(), Some(text));
        }
    }

    #[test]
    fn octets_that_do_not_fit_are_refused() {
        assert!(super::custom(29, &[1; 16]).is_none());
        assert!(super::custom(38, &[64, 0, 0]).is_none());
        assert!(super::custom(42, &[0, 1, 24, 5, 1]).is_none());
        assert!(super::custom(260, &[0, 3, 1]).is_none());
    }
}
