//! Pieces of normalised master-file text to records in wire form.
//!
//! Each piece becomes one buffer of owners and RDATA: the commonest
//! records are encoded directly ([`super::fast`]), the others go through
//! `domain`'s scanner, and `domain`'s typed records are dropped at once.

use bytes::Bytes;
use domain::base::iana::{Class, Rtype};
use domain::base::name::FlattenInto;
use domain::base::rdata::{ComposeRecordData as _, ParseRecordData};
use domain::base::{Name, Record};
use domain::rdata::ZoneRecordData;
use domain::zonefile::inplace::{Entry, Zonefile};
use octseq::Parser;

use super::reader::{PARSE_CHUNK, Rdata, SourceRecord, StoredName, StoredRecord};

/// Parses one piece of normalised text whose first record is record
/// number `first` of the zone. Owners and RDATA go into one buffer for the
/// piece, in wire form: the commonest records directly ([`super::fast`]),
/// the others through `domain`, whose typed records are dropped at once.
pub(super) fn piece(
    text: &[u8],
    origin: &str,
    first: usize,
) -> std::result::Result<Vec<SourceRecord>, (usize, String)> {
    let mut arena = Arena {
        buf: Vec::with_capacity(text.len() / 2),
        owner: (0, 0),
    };
    // Per record: its span in the arena, or `None` while `domain` has it.
    let mut spans: Vec<Option<Span>> = Vec::with_capacity(PARSE_CHUNK);
    // What `domain` parses: the records not encoded here, with every
    // `$ORIGIN` in force.
    let mut slow = format!("$ORIGIN {origin}\n").into_bytes();
    let mut origin_now = origin.as_bytes();
    for line in memchr::memchr_iter(b'\n', text)
        .chain([text.len()])
        .scan(0, |start, end| {
            let line = &text[*start..end];
            *start = end + 1;
            Some(line)
        })
        .filter(|l| !l.is_empty())
    {
        if let Some(o) = line.strip_prefix(b"$ORIGIN ") {
            origin_now = o;
        } else {
            let start = arena.buf.len();
            if let Some((rtype, ttl, at)) = super::fast::encode(line, origin_now, &mut arena.buf) {
                spans.push(Some(arena.record(start, at, rtype, ttl)));
                continue;
            }
            spans.push(None);
        }
        slow.extend_from_slice(line);
        slow.push(b'\n');
    }
    if spans.iter().any(Option::is_none) {
        parse_slow(&slow, &mut spans, &mut arena, first)?;
    }
    let arena = Bytes::from(arena.buf);
    let mut records = Vec::with_capacity(spans.len());
    let mut name: Option<((u32, u32), StoredName)> = None;
    for (i, span) in spans.into_iter().enumerate() {
        let Some(span) = span else {
            return Err((first + i, "record not parsed".to_string()));
        };
        let (os, oe) = span.owner;
        let owner = match &name {
            Some((at, n)) if *at == (os, oe) => n.clone(),
            _ => {
                let n = Name::from_octets(arena.slice(os as usize..oe as usize))
                    .map_err(|_| (first + i, "bad owner name".to_string()))?;
                name = Some(((os, oe), n.clone()));
                n
            }
        };
        records.push(SourceRecord {
            owner,
            rtype: span.rtype,
            ttl: span.ttl,
            data: arena.slice(span.data.0 as usize..span.data.1 as usize),
            src: (first + i) as u32,
        });
    }
    Ok(records)
}

/// Where one record of a piece is in its arena.
struct Span {
    owner: (u32, u32),
    data: (u32, u32),
    rtype: Rtype,
    ttl: u32,
}

/// The owners and RDATA of a piece, an owner written once for the records
/// that follow it.
struct Arena {
    buf: Vec<u8>,
    /// The span of the last owner.
    owner: (u32, u32),
}

impl Arena {
    /// The record just written at `start`: owner, then RDATA from `at`.
    fn record(&mut self, start: usize, at: usize, rtype: Rtype, ttl: u32) -> Span {
        let (os, oe) = (self.owner.0 as usize, self.owner.1 as usize);
        let data_start = if self.buf[os..oe] == self.buf[start..at] && oe > os {
            // The same owner as the record before: keep one copy.
            self.buf.copy_within(at.., start);
            self.buf.truncate(self.buf.len() - (at - start));
            start
        } else {
            self.owner = (start as u32, at as u32);
            at
        };
        Span {
            owner: self.owner,
            data: (data_start as u32, self.buf.len() as u32),
            rtype,
            ttl,
        }
    }
}

/// Parses with `domain` the records of `text` (normalised lines), which
/// are the records of `spans` still `None`, in order.
fn parse_slow(
    text: &[u8],
    spans: &mut [Option<Span>],
    arena: &mut Arena,
    first: usize,
) -> std::result::Result<(), (usize, String)> {
    let mut zf = Zonefile::with_capacity(text.len());
    zf.extend_from_slice(text);
    zf.set_default_class(Class::IN);
    zf.set_origin(Name::root_bytes());
    let mut todo = spans.iter_mut().enumerate().filter(|(_, s)| s.is_none());
    loop {
        let entry = zf.next_entry();
        let Some((i, slot)) = todo.next() else {
            return Ok(());
        };
        let idx = first + i;
        let fail = |reason: &dyn std::fmt::Display| (idx, reason.to_string());
        match entry {
            Ok(None) => return Ok(()),
            Ok(Some(Entry::Record(rec))) => {
                let rec: StoredRecord =
                    rec.try_flatten_into().map_err(|_| fail(&"name too long"))?;
                let rec = typed(rec).map_err(|e| fail(&e))?;
                let start = arena.buf.len();
                arena.buf.extend_from_slice(rec.owner().as_slice());
                let at = arena.buf.len();
                let _ = rec.data().compose_rdata(&mut arena.buf);
                if arena.buf.len() - at > u16::MAX as usize {
                    return Err(fail(&"record data longer than 65535 octets"));
                }
                *slot = Some(arena.record(start, at, rec.rtype(), rec.ttl().as_secs()));
            }
            Ok(Some(Entry::Include { .. })) => return Err(fail(&"unexpected $INCLUDE")),
            Err(e) => {
                // domain prefixes "line:col: "; the line is ours, not the user's.
                let msg = e.to_string();
                let reason = match msg.splitn(3, ':').collect::<Vec<_>>()[..] {
                    [l, c, rest] if l.parse::<u64>().is_ok() && c.parse::<u64>().is_ok() => {
                        rest.trim().to_string()
                    }
                    _ => msg.clone(),
                };
                return Err(fail(&reason));
            }
        }
    }
}

/// RFC 3597 `\#` data of a type we know is turned into its typed form, or
/// for the types we encode ourselves into the form we store, so that names
/// in it are canonicalised when signing (a `domain` pitfall).
fn typed(rec: StoredRecord) -> Result<StoredRecord, String> {
    let ZoneRecordData::Unknown(u) = rec.data() else {
        return Ok(rec);
    };
    let rtype: Rtype = u.rtype();
    let bytes: Bytes = Bytes::copy_from_slice(u.data().as_ref());
    let mut parser = Parser::from_ref(&bytes);
    let parsed =
        ZoneRecordData::<Bytes, domain::base::ParsedName<Bytes>>::parse_rdata(rtype, &mut parser)
            .map_err(|e| format!("{rtype} data in \\# form is not valid {rtype} data: {e}"))?;
    match parsed {
        Some(ZoneRecordData::Unknown(_)) | None => {
            // A type `domain` does not know but we encode: stored as its
            // presentation form is, names lower-cased where RFC 4034 s6.2
            // says so.
            let Some(lower) = super::rdata_ext::lower_names(rtype.to_int(), &bytes) else {
                return Ok(rec);
            };
            let lower = lower.map_err(|e| format!("{e} in \\# form"))?;
            let data = domain::base::rdata::UnknownRecordData::from_octets(rtype, lower.into())
                .map_err(|_| format!("bad {rtype} data in \\# form"))?;
            Ok(Record::new(
                rec.owner().clone(),
                rec.class(),
                rec.ttl(),
                ZoneRecordData::Unknown(data),
            ))
        }
        Some(data) => {
            if parser.remaining() != 0 {
                return Err(format!("{rtype} data in \\# form has trailing octets"));
            }
            let data: Rdata = data
                .try_flatten_into()
                .map_err(|_| format!("bad {rtype} data in \\# form"))?;
            Ok(Record::new(
                rec.owner().clone(),
                rec.class(),
                rec.ttl(),
                data,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the fast path writes equal those `domain` parses.
    #[test]
    fn fast_and_domain_records_agree() {
        let text = "$ORIGIN example.\nexample. 60 IN NS Ns.Example.\nns.example. 60 IN A 192.0.2.1\n\
                    ns.example. 60 IN AAAA 2001:db8::1\n\
                    d.example. 60 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n\
                    m.example. 60 IN MX 10 ns\nc.example. 60 IN CNAME example.\n\
                    $ORIGIN sub.example.\np.sub.example. 60 IN PTR x\n";
        let fast = piece(text.as_bytes(), "example.", 0).unwrap();
        let mut spans: Vec<Option<Span>> = (0..fast.len()).map(|_| None).collect();
        let mut arena = Arena {
            buf: Vec::new(),
            owner: (0, 0),
        };
        parse_slow(text.as_bytes(), &mut spans, &mut arena, 0).unwrap();
        assert_eq!(fast.len(), 7);
        for (f, slow) in fast.iter().zip(spans) {
            let slow = slow.unwrap();
            let data = &arena.buf[slow.data.0 as usize..slow.data.1 as usize];
            let owner = &arena.buf[slow.owner.0 as usize..slow.owner.1 as usize];
            assert_eq!((f.rtype, f.ttl), (slow.rtype, slow.ttl));
            assert_eq!(f.owner.as_slice(), owner);
            assert_eq!(f.data.as_ref(), data, "{}", f.rtype);
        }
        assert_eq!(fast[0].data.as_ref(), b"\x02Ns\x07Example\x00");
    }
}
