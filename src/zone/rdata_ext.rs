//! Presentation-to-wire encoders for the record types that `domain` 0.12.3
//! cannot read in presentation form (LOC, URI, CERT, APL, WKS, …). The
//! reader hands their data to `domain` in RFC 3597 generic form.
//!
//! Names in AFSDB, RT, PX, KX, A6, SIG, NXT and NSAP-PTR are stored in lower case:
//! RFC 4034 s6.2 canonicalises them, and `domain` keeps generic data as is.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use base64::Engine as _;
use domain::base::iana::Rtype;

use super::lexer::Token;

/// A piece of record data, in the order it appears in the text.
#[derive(Clone, Copy)]
enum F {
    U8,
    U16,
    U32,
    /// A domain name; `true`: stored in lower case (RFC 4034 s6.2).
    Name(bool),
    /// One `<character-string>`.
    Str,
    /// One or more `<character-string>`s to the end.
    Strs,
    /// Base64 to the end (may be split by spaces).
    B64,
    /// Base64 to the end, possibly empty.
    B64Opt,
    /// Hex to the end (may be split by spaces).
    Hex,
    Ipv4,
    /// A type mnemonic as a 16-bit number.
    Type,
    /// RRSIG-style time: YYYYMMDDHHmmSS or seconds.
    Time,
    /// NSEC-style type bitmap of the remaining mnemonics.
    Bitmap,
    /// 64-bit locator/identifier as four hex groups (RFC 6742).
    Hex64,
    /// The rest as raw octets of one quoted string (URI target).
    Raw,
}

/// (mnemonic, type code, fields, or a custom encoder)
enum Spec {
    Fields(&'static [F]),
    Custom(fn(&[Token], &str) -> Result<Vec<u8>, String>),
}

fn spec(mnemonic: &str) -> Option<(u16, Spec)> {
    use F::*;
    use Spec::{Custom, Fields};
    Some(match mnemonic {
        "WKS" => (11, Custom(wks)),
        "AFSDB" => (18, Fields(&[U16, Name(true)])),
        "X25" => (19, Fields(&[Str])),
        "ISDN" => (20, Custom(isdn)),
        "RT" => (21, Fields(&[U16, Name(true)])),
        "NSAP" => (22, Custom(nsap)),
        // Not in RFC 4034 s6.2, but BIND and ldns lower-case it when they
        // validate: a signature over it as written is bogus to both.
        "NSAP-PTR" => (23, Fields(&[Name(true)])),
        "SIG" => (
            24,
            Fields(&[Type, U8, U8, U32, Time, Time, U16, Name(true), B64]),
        ),
        "KEY" => (25, Fields(&[U16, U8, U8, B64])),
        "PX" => (26, Fields(&[U16, Name(true), Name(true)])),
        "GPOS" => (27, Fields(&[Str, Str, Str])),
        "LOC" => (29, Custom(loc)),
        "NXT" => (30, Custom(nxt)),
        "EID" => (31, Fields(&[Hex])),
        "NIMLOC" => (32, Fields(&[Hex])),
        "ATMA" => (34, Custom(atma)),
        "KX" => (36, Fields(&[U16, Name(true)])),
        "CERT" => (37, Custom(cert)),
        "A6" => (38, Custom(a6)),
        "SINK" => (40, Fields(&[U8, U8, U8, B64Opt])),
        "APL" => (42, Custom(apl)),
        "DHCID" => (49, Fields(&[B64])),
        "SMIMEA" => (53, Fields(&[U8, U8, U8, Hex])),
        "HIP" => (55, Custom(hip)),
        "NINFO" => (56, Fields(&[Strs])),
        "RKEY" => (57, Fields(&[U16, U8, U8, B64])),
        "TALINK" => (58, Fields(&[Name(false), Name(false)])),
        "CSYNC" => (62, Fields(&[U32, U16, Bitmap])),
        "DSYNC" => (66, Custom(dsync)),
        "HHIT" => (67, Fields(&[B64])),
        "BRID" => (68, Fields(&[B64])),
        "SPF" => (99, Fields(&[Strs])),
        "NID" => (104, Fields(&[U16, Hex64])),
        "L32" => (105, Fields(&[U16, Ipv4])),
        "L64" => (106, Fields(&[U16, Hex64])),
        "LP" => (107, Fields(&[U16, Name(false)])),
        "EUI48" => (108, Custom(|t, _| eui(t, 6))),
        "EUI64" => (109, Custom(|t, _| eui(t, 8))),
        "URI" => (256, Fields(&[U16, U16, Raw])),
        "AVC" => (258, Fields(&[Strs])),
        "DOA" => (259, Fields(&[U32, U32, U8, Str, B64Opt])),
        "AMTRELAY" => (260, Custom(amtrelay)),
        "RESINFO" => (261, Fields(&[Strs])),
        "WALLET" => (262, Fields(&[Strs])),
        "TA" => (32768, Fields(&[U16, U8, U8, Hex])),
        "DLV" => (32769, Fields(&[U16, U8, U8, Hex])),
        _ => return None,
    })
}

/// Encodes the record data of a type `domain` cannot read, or `None` when
/// `domain` handles the type itself. Data already in `\#` form is left alone.
pub fn encode(
    rtype: &Token,
    rdata: &[Token],
    origin: &str,
) -> Option<Result<(u16, Vec<u8>), String>> {
    // No mnemonic here is longer than eight letters: most records are of a
    // type `domain` knows, and are passed on without an allocation.
    let mut upper = [0u8; 8];
    let text = rtype.text.get(..upper.len().min(rtype.text.len()))?;
    if text.len() != rtype.text.len() {
        return None;
    }
    upper[..text.len()].copy_from_slice(text);
    upper.make_ascii_uppercase();
    let mnemonic = std::str::from_utf8(&upper[..text.len()]).ok()?;
    // `TYPE38 0 2001:db8::1`: a type of ours by number, with its usual
    // presentation data (RFC 3597 s5 allows both forms).
    let (code, spec) = match mnemonic.strip_prefix("TYPE").map(str::parse::<u16>) {
        Some(Ok(code)) => by_code(code).map(|(_, spec)| (code, spec))?,
        _ => spec(mnemonic)?,
    };
    if rdata.first().is_some_and(|t| t.is("\\#")) {
        return None;
    }
    let wire = match spec {
        Spec::Fields(fields) => encode_fields(fields, rdata, origin),
        Spec::Custom(f) => f(rdata, origin),
    };
    Some(
        wire.map(|w| (code, w))
            .map_err(|e| format!("bad {mnemonic} data: {e}")),
    )
}

/// The mnemonic and presentation of data encoded here, or `None` where we
/// keep the RFC 3597 form (custom layouts) or the data does not parse.
pub fn decode(code: u16, wire: &[u8]) -> Option<(&'static str, Option<String>)> {
    let (mnemonic, spec) = by_code(code)?;
    let text = match spec {
        Spec::Fields(fields) => decode_fields(fields, wire),
        Spec::Custom(_) => super::rdata_text::custom(code, wire),
    };
    Some((mnemonic, text))
}

/// The mnemonic and layout of the type `code`, if it is one encoded here.
fn by_code(code: u16) -> Option<(&'static str, Spec)> {
    MNEMONICS
        .iter()
        .find_map(|m| spec(m).filter(|(c, _)| *c == code).map(|(_, s)| (*m, s)))
}

const MNEMONICS: &[&str] = &[
    "WKS", "AFSDB", "X25", "ISDN", "RT", "NSAP", "NSAP-PTR", "SIG", "KEY", "PX", "GPOS", "LOC",
    "NXT", "EID", "NIMLOC", "ATMA", "KX", "CERT", "A6", "SINK", "APL", "DHCID", "SMIMEA", "HIP",
    "NINFO", "RKEY", "TALINK", "CSYNC", "DSYNC", "HHIT", "BRID", "SPF", "NID", "L32", "L64", "LP",
    "EUI48", "EUI64", "URI", "AVC", "DOA", "AMTRELAY", "RESINFO", "WALLET", "TA", "DLV",
];

/// Field layouts of the types `domain` reads whose RDATA holds names.
/// `domain` writes names without escaping `"();@$`, so where a name holds
/// one of those the data is written from these layouts instead.
fn name_layout(code: u16) -> Option<&'static [F]> {
    use F::*;
    Some(match code {
        // NS MD MF CNAME MB MG MR PTR DNAME
        2..=5 | 7..=9 | 12 | 39 => &[Name(true)],
        6 => &[Name(true), Name(true), U32, U32, U32, U32, U32],
        14 | 17 => &[Name(true), Name(true)],
        15 => &[U16, Name(true)],
        33 => &[U16, U16, U16, Name(true)],
        35 => &[U16, U16, Str, Str, Str, Name(true)],
        _ => return None,
    })
}

/// The presentation of `wire`, RDATA of a type `domain` reads, written
/// with our name escaping; `None` for types whose data holds no name.
pub fn present_names(code: u16, wire: &[u8]) -> Option<String> {
    match name_layout(code) {
        Some(fields) => decode_fields(fields, wire),
        // IPSECKEY, whose gateway may be a name.
        None => super::rdata_text::custom(code, wire),
    }
}

/// RDATA of a type encoded here, given in RFC 3597 form (`\#`), with the
/// names that RFC 4034 s6.2 lower-cases in lower case: stored as the
/// presentation form of the type is (see [`encode`]), so that signing
/// sees the canonical form. `None` for a type without such names; an
/// error when the octets are not data of the type.
pub fn lower_names(code: u16, wire: &[u8]) -> Option<Result<Vec<u8>, String>> {
    let (mnemonic, spec) = by_code(code)?;
    let fields: &[F] = match (code, spec) {
        // NXT: the next name, then a bitmap. A6: see `a6_names`.
        (30, _) => &[F::Name(true), F::Hex],
        (38, _) => return Some(a6_names(wire).ok_or(format!("bad {mnemonic} data"))),
        (_, Spec::Fields(f)) => f,
        (_, Spec::Custom(_)) => return None,
    };
    if !fields.iter().any(|f| matches!(f, F::Name(true))) {
        return None;
    }
    let bad = || format!("bad {mnemonic} data");
    if decode_fields(fields, wire).is_none() {
        return Some(Err(bad()));
    }
    let mut out = wire.to_vec();
    let mut at = 0;
    for f in fields {
        let len = match f {
            F::U8 => 1,
            F::U16 | F::Type => 2,
            F::U32 | F::Time | F::Ipv4 => 4,
            F::Hex64 => 8,
            F::Name(lower) => {
                let Some(len) = super::write::name_len(&wire[at..]) else {
                    return Some(Err(bad()));
                };
                if *lower {
                    out[at..at + len].make_ascii_lowercase();
                }
                len
            }
            // Every name of these types comes before their other fields.
            _ => break,
        };
        at += len;
    }
    Some(Ok(out))
}

/// A6 data with its prefix name lower-cased (see
/// [`super::rdata_text::a6_parts`]).
fn a6_names(wire: &[u8]) -> Option<Vec<u8>> {
    let (_, _, name) = super::rdata_text::a6_parts(wire)?;
    let mut out = wire.to_vec();
    let at = wire.len() - name.len();
    out[at..].make_ascii_lowercase();
    Some(out)
}

/// A type's mnemonic as BIND and ldns spell it (`domain` writes NSAP-PTR
/// as NSAPPTR).
pub fn type_name(t: Rtype) -> std::borrow::Cow<'static, str> {
    use std::borrow::Cow;
    // The types of nearly every zone, without a search (this runs for
    // every RRSIG and every bit of every NSEC bitmap).
    if matches!(
        t,
        Rtype::A
            | Rtype::NS
            | Rtype::CNAME
            | Rtype::SOA
            | Rtype::PTR
            | Rtype::MX
            | Rtype::TXT
            | Rtype::AAAA
            | Rtype::SRV
            | Rtype::NAPTR
            | Rtype::DNAME
            | Rtype::DS
            | Rtype::RRSIG
            | Rtype::NSEC
            | Rtype::DNSKEY
            | Rtype::NSEC3
            | Rtype::NSEC3PARAM
            | Rtype::TLSA
            | Rtype::CDS
            | Rtype::CDNSKEY
            | Rtype::SVCB
            | Rtype::HTTPS
            | Rtype::CAA
            | Rtype::SSHFP
    ) && let Some(m) = t.to_mnemonic_str()
    {
        return Cow::Borrowed(m);
    }
    match by_code(t.to_int()) {
        Some((m, _)) => Cow::Borrowed(m),
        None => Cow::Owned(t.to_string()),
    }
}

/// A type mnemonic `domain` cannot parse, rewritten as `TYPEnnn`; any
/// other token unchanged.
pub fn type_token(text: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(text);
    if Rtype::from_str(&s).is_err()
        && let Some((code, _)) = spec(&s.to_ascii_uppercase())
    {
        return format!("TYPE{code}").into_bytes();
    }
    text.to_vec()
}

fn decode_fields(fields: &[F], w: &[u8]) -> Option<String> {
    use std::fmt::Write as _;
    let mut out: Vec<String> = Vec::new();
    let mut p = 0usize;
    let take = |p: &mut usize, n: usize| -> Option<&[u8]> {
        let s = w.get(*p..*p + n)?;
        *p += n;
        Some(s)
    };
    for f in fields {
        match f {
            F::U8 => out.push(take(&mut p, 1)?[0].to_string()),
            F::U16 => out.push(u16::from_be_bytes(take(&mut p, 2)?.try_into().ok()?).to_string()),
            F::U32 => out.push(u32::from_be_bytes(take(&mut p, 4)?.try_into().ok()?).to_string()),
            F::Name(_) => {
                let start = p;
                loop {
                    let len = *w.get(p)? as usize;
                    p += 1 + len;
                    if len == 0 {
                        break;
                    }
                }
                let name = domain::base::Name::from_octets(bytes::Bytes::copy_from_slice(
                    w.get(start..p)?,
                ))
                .ok()?;
                let mut t = String::new();
                super::write::write_name(&mut t, &name);
                out.push(t);
            }
            F::Str | F::Strs => loop {
                let len = *w.get(p)? as usize;
                out.push(quoted(take(&mut p, len + 1)?.get(1..)?));
                if matches!(f, F::Str) || p >= w.len() {
                    break;
                }
            },
            F::B64 | F::B64Opt => {
                let rest = &w[p..];
                p = w.len();
                if rest.is_empty() {
                    if matches!(f, F::B64) {
                        return None;
                    }
                } else {
                    out.push(base64::engine::general_purpose::STANDARD.encode(rest));
                }
            }
            F::Hex => {
                let mut t = String::new();
                for b in &w[p..] {
                    let _ = write!(t, "{b:02X}");
                }
                p = w.len();
                out.push(t);
            }
            F::Ipv4 => {
                out.push(Ipv4Addr::from(<[u8; 4]>::try_from(take(&mut p, 4)?).ok()?).to_string())
            }
            F::Type => out.push(
                type_name(Rtype::from_int(u16::from_be_bytes(
                    take(&mut p, 2)?.try_into().ok()?,
                )))
                .into_owned(),
            ),
            F::Time => {
                let v = u32::from_be_bytes(take(&mut p, 4)?.try_into().ok()?);
                out.push(crate::time::rrsig_time(v));
            }
            F::Bitmap => {
                let bm = domain::rdata::dnssec::RtypeBitmap::from_octets(w[p..].to_vec()).ok()?;
                out.extend(bm.iter().map(|t| type_name(t).into_owned()));
                p = w.len();
            }
            F::Hex64 => {
                let b = take(&mut p, 8)?;
                out.push(format!(
                    "{:04x}:{:04x}:{:04x}:{:04x}",
                    u16::from_be_bytes([b[0], b[1]]),
                    u16::from_be_bytes([b[2], b[3]]),
                    u16::from_be_bytes([b[4], b[5]]),
                    u16::from_be_bytes([b[6], b[7]])
                ));
            }
            F::Raw => {
                out.push(quoted(&w[p..]));
                p = w.len();
            }
        }
    }
    (p == w.len()).then(|| out.join(" "))
}

/// A character string in quotes, with `"`, `\` and non-printables escaped.
pub(super) fn quoted(s: &[u8]) -> String {
    let mut t = String::from("\"");
    for &c in s {
        match c {
            b'"' | b'\\' => {
                t.push('\\');
                t.push(c as char);
            }
            0x20..=0x7e => t.push(c as char),
            _ => t.push_str(&format!("\\{c:03}")),
        }
    }
    t.push('"');
    t
}

fn encode_fields(fields: &[F], t: &[Token], origin: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    let next = |i: &mut usize| -> Result<&Token, String> {
        let tok = t.get(*i).ok_or("too few fields")?;
        *i += 1;
        Ok(tok)
    };
    for f in fields {
        match f {
            F::U8 => out.push(num(next(&mut i)?, u8::MAX as u64)? as u8),
            F::U16 => {
                out.extend_from_slice(&(num(next(&mut i)?, u16::MAX as u64)? as u16).to_be_bytes())
            }
            F::U32 => {
                out.extend_from_slice(&(num(next(&mut i)?, u32::MAX as u64)? as u32).to_be_bytes())
            }
            F::Name(lower) => out.extend_from_slice(&name(next(&mut i)?, origin, *lower)?),
            F::Str => char_string(&mut out, next(&mut i)?)?,
            F::Strs => {
                if i >= t.len() {
                    return Err("a character string is missing".into());
                }
                for tok in &t[i..] {
                    char_string(&mut out, tok)?;
                }
                i = t.len();
            }
            F::B64 | F::B64Opt => {
                let text: String = t[i..].iter().map(Token::as_str_lossy).collect();
                if text.is_empty() || text == "-" {
                    if matches!(f, F::B64) {
                        return Err("base64 data is missing".into());
                    }
                } else {
                    out.extend(
                        base64::engine::general_purpose::STANDARD
                            .decode(text.as_bytes())
                            .map_err(|e| format!("bad base64: {e}"))?,
                    );
                }
                i = t.len();
            }
            F::Hex => {
                let text: String = t[i..].iter().map(Token::as_str_lossy).collect();
                out.extend(hex(&text)?);
                i = t.len();
            }
            F::Ipv4 => out.extend_from_slice(&ipv4(next(&mut i)?)?.octets()),
            F::Type => out.extend_from_slice(&rtype(next(&mut i)?)?.to_int().to_be_bytes()),
            F::Time => {
                let s = next(&mut i)?.as_str_lossy();
                let v = crate::time::parse_instant(&s)?;
                out.extend_from_slice(&(v as u32).to_be_bytes());
            }
            F::Bitmap => {
                let mut b = domain::rdata::dnssec::RtypeBitmap::<Vec<u8>>::builder();
                for tok in &t[i..] {
                    let _ = b.add(rtype(tok)?);
                }
                out.extend_from_slice(b.finalize().as_slice());
                i = t.len();
            }
            F::Hex64 => {
                let s = next(&mut i)?.as_str_lossy();
                let groups: Vec<&str> = s.split(':').collect();
                if groups.len() != 4 {
                    return Err(format!("'{s}' is not four hex groups"));
                }
                for g in groups {
                    let v =
                        u16::from_str_radix(g, 16).map_err(|_| format!("bad hex group '{g}'"))?;
                    out.extend_from_slice(&v.to_be_bytes());
                }
            }
            F::Raw => {
                let tok = next(&mut i)?;
                out.extend(unescape(tok)?);
            }
        }
    }
    if i < t.len() {
        return Err(format!("unexpected '{}'", t[i].as_str_lossy()));
    }
    Ok(out)
}

fn num(tok: &Token, max: u64) -> Result<u64, String> {
    let s = tok.as_str_lossy();
    s.parse::<u64>()
        .ok()
        .filter(|v| *v <= max)
        .ok_or_else(|| format!("'{s}' is not a number up to {max}"))
}

fn name(tok: &Token, origin: &str, lower: bool) -> Result<Vec<u8>, String> {
    let text = tok.as_str_lossy();
    let abs =
        String::from_utf8_lossy(&super::reader::absolute_bytes(&tok.text, origin)).into_owned();
    let n = domain::base::Name::<Vec<u8>>::from_str(&abs)
        .map_err(|e| format!("bad name '{text}': {e}"))?;
    let mut w = n.as_slice().to_vec();
    if lower {
        // Length octets are below 64, so only label letters change.
        w.make_ascii_lowercase();
    }
    Ok(w)
}

/// Decodes a token's escapes (`\DDD`, `\X`) and strips its quotes.
fn unescape(tok: &Token) -> Result<Vec<u8>, String> {
    let raw = if tok.quoted {
        &tok.text[1..tok.text.len() - 1]
    } else {
        &tok.text[..]
    };
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            if raw[i + 1].is_ascii_digit() && raw.len() >= i + 4 {
                let d = std::str::from_utf8(&raw[i + 1..i + 4])
                    .ok()
                    .and_then(|s| s.parse::<u8>().ok());
                out.push(d.ok_or("bad \\DDD escape")?);
                i += 4;
            } else {
                out.push(raw[i + 1]);
                i += 2;
            }
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn char_string(out: &mut Vec<u8>, tok: &Token) -> Result<(), String> {
    let s = unescape(tok)?;
    if s.len() > 255 {
        return Err("character string longer than 255 octets".into());
    }
    out.push(s.len() as u8);
    out.extend(s);
    Ok(())
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text.chars().filter(|c| *c != '.' && *c != '-').collect();
    domain::utils::base16::decode_vec(&digits).map_err(|e| format!("bad hex '{text}': {e}"))
}

fn ipv4(tok: &Token) -> Result<Ipv4Addr, String> {
    let s = tok.as_str_lossy();
    s.parse().map_err(|_| format!("bad IPv4 address '{s}'"))
}

fn ipv6(tok: &Token) -> Result<Ipv6Addr, String> {
    let s = tok.as_str_lossy();
    s.parse().map_err(|_| format!("bad IPv6 address '{s}'"))
}

fn rtype(tok: &Token) -> Result<Rtype, String> {
    let s = tok.as_str_lossy();
    Rtype::from_str(&s)
        .ok()
        .or_else(|| spec(&s.to_ascii_uppercase()).map(|(c, _)| Rtype::from_int(c)))
        .ok_or_else(|| format!("unknown type '{s}'"))
}

fn isdn(t: &[Token], _: &str) -> Result<Vec<u8>, String> {
    if t.is_empty() || t.len() > 2 {
        return Err("expected an address and an optional subaddress".into());
    }
    let mut out = Vec::new();
    for tok in t {
        char_string(&mut out, tok)?;
    }
    Ok(out)
}

fn nsap(t: &[Token], _: &str) -> Result<Vec<u8>, String> {
    let s = t.iter().map(Token::as_str_lossy).collect::<String>();
    let body = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or("NSAP must start with 0x")?;
    hex(body)
}

fn atma(t: &[Token], _: &str) -> Result<Vec<u8>, String> {
    let [tok] = t else {
        return Err("expected one address".into());
    };
    let s = tok.as_str_lossy();
    if let Some(digits) = s.strip_prefix('+') {
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("bad E.164 address '{s}'"));
        }
        let mut out = vec![1u8];
        out.extend_from_slice(digits.as_bytes());
        return Ok(out);
    }
    let mut out = vec![0u8];
    out.extend(hex(&s)?);
    Ok(out)
}

/// CERT certificate types with a mnemonic (RFC 4398 s2.1).
pub(super) const CERT_TYPES: &[(&str, u16)] = &[
    ("PKIX", 1),
    ("SPKI", 2),
    ("PGP", 3),
    ("IPKIX", 4),
    ("ISPKI", 5),
    ("IPGP", 6),
    ("ACPKIX", 7),
    ("IACPKIX", 8),
    ("URI", 253),
    ("OID", 254),
];

fn cert(t: &[Token], origin: &str) -> Result<Vec<u8>, String> {
    if t.len() < 4 {
        return Err("expected type, key tag, algorithm and certificate".into());
    }
    let ty = t[0].as_str_lossy().to_ascii_uppercase();
    let code: u16 = match CERT_TYPES.iter().find(|(m, _)| *m == ty) {
        Some(&(_, code)) => code,
        None => num(&t[0], u16::MAX as u64)? as u16,
    };
    let alg_text = t[2].as_str_lossy();
    let alg = match crate::keys::parse_algorithm(&alg_text) {
        Some(a) => a.to_int(),
        None => return Err(format!("unknown algorithm '{alg_text}'")),
    };
    let mut out = code.to_be_bytes().to_vec();
    out.extend(encode_fields(&[F::U16], &t[1..2], origin)?);
    out.push(alg);
    out.extend(encode_fields(&[F::B64], &t[3..], origin)?);
    Ok(out)
}

fn a6(t: &[Token], origin: &str) -> Result<Vec<u8>, String> {
    let prefix = num(t.first().ok_or("prefix length missing")?, 128)? as usize;
    let octets = (128 - prefix).div_ceil(8);
    let mut out = vec![prefix as u8];
    let mut i = 1;
    if octets > 0 {
        let addr = ipv6(t.get(1).ok_or("address suffix missing")?)?;
        out.extend_from_slice(&addr.octets()[16 - octets..]);
        i = 2;
    }
    if prefix > 0 {
        out.extend(name(t.get(i).ok_or("prefix name missing")?, origin, true)?);
        i += 1;
    }
    if i != t.len() {
        return Err("too many fields".into());
    }
    Ok(out)
}

fn wks(t: &[Token], _: &str) -> Result<Vec<u8>, String> {
    if t.len() < 2 {
        return Err("expected address, protocol and services".into());
    }
    let mut out = ipv4(&t[0])?.octets().to_vec();
    let proto = t[1].as_str_lossy().to_ascii_lowercase();
    out.push(match proto.as_str() {
        "tcp" => 6,
        "udp" => 17,
        _ => num(&t[1], 255)? as u8,
    });
    let mut bits: Vec<u8> = Vec::new();
    for tok in &t[2..] {
        let port = num(tok, u16::MAX as u64)? as usize;
        if bits.len() <= port / 8 {
            bits.resize(port / 8 + 1, 0);
        }
        bits[port / 8] |= 0x80 >> (port % 8);
    }
    out.extend(bits);
    Ok(out)
}

fn nxt(t: &[Token], origin: &str) -> Result<Vec<u8>, String> {
    let mut out = name(t.first().ok_or("next name missing")?, origin, true)?;
    let mut bits: Vec<u8> = Vec::new();
    for tok in &t[1..] {
        let v = rtype(tok)?.to_int() as usize;
        if v >= 128 {
            return Err("NXT bitmaps cover types below 128 only".into());
        }
        if bits.len() <= v / 8 {
            bits.resize(v / 8 + 1, 0);
        }
        bits[v / 8] |= 0x80 >> (v % 8);
    }
    out.extend(bits);
    Ok(out)
}

fn eui(t: &[Token], len: usize) -> Result<Vec<u8>, String> {
    let [tok] = t else {
        return Err("expected one address".into());
    };
    let s = tok.as_str_lossy();
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != len || parts.iter().any(|p| p.len() != 2) {
        return Err(format!("'{s}' is not {len} hex pairs joined by '-'"));
    }
    hex(&parts.concat())
}

fn hip(t: &[Token], origin: &str) -> Result<Vec<u8>, String> {
    if t.len() < 3 {
        return Err("expected algorithm, HIT and public key".into());
    }
    let alg = num(&t[0], 255)? as u8;
    let hit = hex(&t[1].as_str_lossy())?;
    let pk = base64::engine::general_purpose::STANDARD
        .decode(t[2].as_str_lossy().as_bytes())
        .map_err(|e| format!("bad base64: {e}"))?;
    if hit.len() > 255 || pk.len() > u16::MAX as usize {
        return Err("HIT or public key too long".into());
    }
    let mut out = vec![hit.len() as u8, alg];
    out.extend_from_slice(&(pk.len() as u16).to_be_bytes());
    out.extend(hit);
    out.extend(pk);
    for tok in &t[3..] {
        out.extend(name(tok, origin, false)?);
    }
    Ok(out)
}

fn dsync(t: &[Token], origin: &str) -> Result<Vec<u8>, String> {
    if t.len() != 4 {
        return Err("expected type, scheme, port and target".into());
    }
    let mut out = rtype(&t[0])?.to_int().to_be_bytes().to_vec();
    let scheme = t[1].as_str_lossy().to_ascii_uppercase();
    out.push(if scheme == "NOTIFY" {
        1
    } else {
        num(&t[1], 255)? as u8
    });
    out.extend(encode_fields(&[F::U16, F::Name(false)], &t[2..], origin)?);
    Ok(out)
}

fn amtrelay(t: &[Token], origin: &str) -> Result<Vec<u8>, String> {
    if t.len() < 3 {
        return Err("expected precedence, discovery bit, type and relay".into());
    }
    let prec = num(&t[0], 255)? as u8;
    let d = num(&t[1], 1)? as u8;
    let ty = num(&t[2], 127)? as u8;
    let mut out = vec![prec, (d << 7) | ty];
    let rest = &t[3..];
    match (ty, rest) {
        (0, []) => {}
        (0, [dot]) if dot.is(".") => {}
        (1, [a]) => out.extend_from_slice(&ipv4(a)?.octets()),
        (2, [a]) => out.extend_from_slice(&ipv6(a)?.octets()),
        (3, [n]) => out.extend(name(n, origin, false)?),
        _ => return Err("relay does not fit the relay type".into()),
    }
    Ok(out)
}

fn apl(t: &[Token], _: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for tok in t {
        let s = tok.as_str_lossy();
        let (neg, body) = match s.strip_prefix('!') {
            Some(b) => (true, b),
            None => (false, s.as_str()),
        };
        let bad = || format!("bad APL item '{s}'");
        let (afi, rest) = body.split_once(':').ok_or_else(bad)?;
        let (addr, prefix) = rest.split_once('/').ok_or_else(bad)?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let (afi, max, mut bytes) = match (afi, addr.parse::<IpAddr>()) {
            ("1", Ok(IpAddr::V4(a))) => (1u16, 32, a.octets().to_vec()),
            ("2", Ok(IpAddr::V6(a))) => (2u16, 128, a.octets().to_vec()),
            _ => return Err(bad()),
        };
        if prefix > max {
            return Err(bad());
        }
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        out.extend_from_slice(&afi.to_be_bytes());
        out.push(prefix);
        out.push((u8::from(neg) << 7) | bytes.len() as u8);
        out.extend(bytes);
    }
    Ok(out)
}

/// LOC (RFC 1876 s3): `d [m [s]] N|S d [m [s]] E|W alt[m] [siz[m] [hp[m] [vp[m]]]]`.
fn loc(t: &[Token], _: &str) -> Result<Vec<u8>, String> {
    let words: Vec<String> = t.iter().map(Token::as_str_lossy).collect();
    let mut i = 0;
    let mut coord = |hemis: [&str; 2], max_deg: f64| -> Result<u32, String> {
        let mut parts = Vec::new();
        while i < words.len() && !hemis.iter().any(|h| words[i].eq_ignore_ascii_case(h)) {
            parts.push(
                words[i]
                    .parse::<f64>()
                    .map_err(|_| format!("bad LOC coordinate '{}'", words[i]))?,
            );
            i += 1;
        }
        let h = words
            .get(i)
            .ok_or("LOC hemisphere missing")?
            .to_ascii_uppercase();
        i += 1;
        if parts.is_empty() || parts.len() > 3 {
            return Err("LOC coordinate needs degrees [minutes [seconds]]".into());
        }
        // As BIND reads them (RFC 1876 s3): whole degrees and minutes,
        // minutes and seconds below 60, none negative.
        let whole = |v: f64| v.fract() == 0.0;
        let bad = parts.iter().any(|v| *v < 0.0 || !v.is_finite())
            || !whole(parts[0])
            || parts.get(1).is_some_and(|m| !whole(*m) || *m >= 60.0)
            || parts.get(2).is_some_and(|s| *s >= 60.0);
        if bad {
            return Err(format!(
                "LOC coordinate '{}': degrees and minutes are whole numbers, minutes and \
                 seconds below 60",
                words[i - 1 - parts.len()..i - 1].join(" ")
            ));
        }
        let secs =
            parts[0] * 3600.0 + parts.get(1).unwrap_or(&0.0) * 60.0 + parts.get(2).unwrap_or(&0.0);
        if parts[0] > max_deg || secs > max_deg * 3600.0 {
            return Err("LOC coordinate out of range".into());
        }
        let ms = (secs * 1000.0).round() as i64;
        let v = if h == hemis[0] {
            (1i64 << 31) + ms
        } else {
            (1i64 << 31) - ms
        };
        Ok(v as u32)
    };
    let lat = coord(["N", "S"], 90.0)?;
    let lon = coord(["E", "W"], 180.0)?;
    let meters = |s: &str| -> Result<f64, String> {
        s.trim_end_matches(['m', 'M'])
            .parse::<f64>()
            .map_err(|_| format!("bad LOC distance '{s}'"))
    };
    let alt = meters(words.get(i).ok_or("LOC altitude missing")?)?;
    let alt_cm = (alt * 100.0).round() as i64 + 10_000_000;
    if !(0..=u32::MAX as i64).contains(&alt_cm) {
        return Err("LOC altitude out of range".into());
    }
    let mut prec = [1.0, 10_000.0, 10.0];
    for (k, p) in prec.iter_mut().enumerate() {
        if let Some(w) = words.get(i + 1 + k) {
            *p = meters(w)?;
        }
    }
    if words.len() > i + 4 {
        return Err("too many LOC fields".into());
    }
    let mut out = vec![0u8];
    for p in prec {
        out.push(precision(p)?);
    }
    out.extend_from_slice(&lat.to_be_bytes());
    out.extend_from_slice(&lon.to_be_bytes());
    out.extend_from_slice(&(alt_cm as u32).to_be_bytes());
    Ok(out)
}

/// RFC 1876 size/precision: a mantissa and a power of ten of centimetres.
fn precision(m: f64) -> Result<u8, String> {
    if m < 0.0 {
        return Err(format!("LOC size or precision {m}m is negative"));
    }
    let mut cm = (m * 100.0).round() as u64;
    let mut exp = 0u8;
    while cm > 9 {
        cm /= 10;
        exp += 1;
    }
    if exp > 9 {
        return Err(format!("LOC size or precision {m}m is too large"));
    }
    Ok(((cm as u8) << 4) | exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Token<'_>> {
        let mut lx = super::super::lexer::Lexer::new(s.as_bytes());
        lx.next_line().unwrap().unwrap().tokens
    }

    fn enc(ty: &str, data: &str) -> Vec<u8> {
        let line = format!("{ty} {data}");
        let t = toks(&line);
        encode(&t[0], &t[1..], "example.").unwrap().unwrap().1
    }

    #[test]
    fn loc_matches_rfc1876_example() {
        // BIND: 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
        let w = enc(
            "LOC",
            "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
        );
        assert_eq!(w[..4], [0, 0x00, 0x16, 0x13]);
        assert_eq!(
            u32::from_be_bytes(w[4..8].try_into().unwrap()),
            (1u32 << 31) + 188_543_000
        );
        assert_eq!(u32::from_be_bytes(w[12..16].try_into().unwrap()), 9_999_800);
    }

    #[test]
    fn simple_types() {
        assert_eq!(
            enc("AFSDB", "1 AFS.Example.NET."),
            b"\x00\x01\x03afs\x07example\x03net\x00"
        );
        assert_eq!(
            enc("EUI48", "00-00-5e-00-53-2a"),
            [0, 0, 0x5e, 0, 0x53, 0x2a]
        );
        assert_eq!(
            enc("L64", "10 2001:0db8:1140:1000"),
            [0, 10, 0x20, 1, 0x0d, 0xb8, 0x11, 0x40, 0x10, 0]
        );
        assert_eq!(
            enc("APL", "1:192.168.32.0/21 !1:192.168.38.0/28"),
            [0, 1, 21, 3, 192, 168, 32, 0, 1, 28, 0x83, 192, 168, 38]
        );
        assert_eq!(
            enc("WKS", "192.0.2.1 tcp 25"),
            [192, 0, 2, 1, 6, 0, 0, 0, 0x40]
        );
        assert_eq!(enc("URI", "10 1 \"ftp://x\""), b"\x00\x0a\x00\x01ftp://x");
        assert!(encode(&toks("LOC x")[0], &toks("x 1 2")[..], ".").is_some_and(|r| r.is_err()));
        // Found by readerdiff.py: BIND refuses minutes of 60 or more, and
        // fractions of degrees.
        for bad in [
            "29 256 33.736 N 120 W 10m",
            "29.5 N 120 W 10m",
            "29 5 60 N 120 W 10m",
        ] {
            let text = format!("LOC {bad}");
            let t = toks(&text);
            assert!(
                encode(&t[0], &t[1..], ".").is_some_and(|r| r.is_err()),
                "{bad}"
            );
        }
    }
}
