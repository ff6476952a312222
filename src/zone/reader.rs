//! Reads master files into records.
//!
//! `domain`'s scanner parses record data well but lacks TTL units,
//! `$GENERATE`, file-relative `$INCLUDE` that carries the TTL, and names the
//! line after a bad record. So our own lexer handles the file structure and
//! writes every record as one normalised line (absolute owner, numeric TTL,
//! class IN) into a buffer that `domain` then parses; the n-th record parsed
//! is the n-th line we wrote, so every error maps back to its source line.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use bytes::Bytes;
use domain::base::iana::{Class, Rtype};
use domain::base::name::FlattenInto;
use domain::base::rdata::{ComposeRecordData as _, ParseRecordData};
use domain::base::{Name, Record};
use domain::rdata::ZoneRecordData;
use domain::zonefile::inplace::{Entry, Zonefile};
use octseq::Parser;

use super::lexer::{Lexer, Line, Token};
use super::{generate, rdata_ext};
use crate::duration::parse_ttl;
use crate::error::{Error, Result};

pub type StoredName = Name<Bytes>;
pub type Rdata = ZoneRecordData<Bytes, StoredName>;
pub type StoredRecord = Record<StoredName, Rdata>;

/// Where each record came from, for error messages.
#[derive(Clone, Debug, Default)]
pub struct Source {
    files: Vec<PathBuf>,
    /// Per record: (index into `files`, 1-based line).
    lines: Vec<(u32, u32)>,
}

impl Source {
    /// An error about the record with index `rec`.
    pub fn error(&self, rec: usize, reason: impl Into<String>) -> Error {
        match self.lines.get(rec) {
            Some(&(f, line)) => Error::ZoneLine {
                file: self.files[f as usize].clone(),
                line: line as usize,
                reason: reason.into(),
            },
            None => self.zone_error(reason),
        }
    }

    /// An error about the zone as a whole, named by its main file.
    pub fn zone_error(&self, reason: impl Into<String>) -> Error {
        Error::Zone {
            file: self.files.first().cloned().unwrap_or_default(),
            reason: reason.into(),
        }
    }

    /// `file:line` of the record with index `rec`.
    pub fn position(&self, rec: usize) -> String {
        match self.lines.get(rec) {
            Some(&(f, line)) => format!("{}:{line}", self.files[f as usize].display()),
            None => String::new(),
        }
    }
}

/// A record as read, with the index of its source position. Owner and
/// RDATA are in wire form, names as written, and are slices of one buffer
/// per piece of the file: no typed data is held for millions of records.
#[derive(Clone, Debug)]
pub struct SourceRecord {
    pub owner: StoredName,
    pub rtype: Rtype,
    pub ttl: u32,
    pub data: Bytes,
    pub src: u32,
}

impl SourceRecord {
    /// The RDATA as typed data.
    pub fn rdata(&self) -> Option<Rdata> {
        super::rrset::parse(self.rtype, self.data.clone())
    }

    /// The record as `domain` types it.
    pub fn to_record(&self) -> Option<StoredRecord> {
        let ttl = domain::base::Ttl::from_secs(self.ttl);
        Some(Record::new(
            self.owner.clone(),
            Class::IN,
            ttl,
            self.rdata()?,
        ))
    }
}

/// Reads the zone file at `path` with `origin` as the initial `$ORIGIN`.
pub fn read_file(path: &Path, origin: &StoredName) -> Result<(Vec<SourceRecord>, Source)> {
    flat(read_file_pieces(path, origin))
}

/// [`read_file`], the records in pieces of at most [`PARSE_CHUNK`] in file
/// order, as they were parsed on every core.
pub fn read_file_pieces(
    path: &Path,
    origin: &StoredName,
) -> Result<(Vec<Vec<SourceRecord>>, Source)> {
    let mut n = Normalizer::default();
    let mut phases = crate::phases::Phases::start();
    n.file(path, &origin_text(origin), 0, None)?;
    phases.mark("normalise");
    n.pieces()
}

/// Reads a file of records that may carry no TTL (DS files, key files);
/// such records get `default_ttl`.
pub fn read_file_default_ttl(
    path: &Path,
    origin: &StoredName,
    default_ttl: u32,
) -> Result<(Vec<SourceRecord>, Source)> {
    let mut n = Normalizer {
        default_ttl: Some(default_ttl),
        ..Normalizer::default()
    };
    n.file(path, &origin_text(origin), 0, None)?;
    flat(n.pieces())
}

/// The pieces of a read as one vector of records, in file order.
fn flat(read: Result<(Vec<Vec<SourceRecord>>, Source)>) -> Result<(Vec<SourceRecord>, Source)> {
    let (pieces, source) = read?;
    Ok((pieces.into_iter().flatten().collect(), source))
}

/// Reads zone text held in memory; `name` is used in error messages.
pub fn read_str(
    text: &str,
    name: &Path,
    origin: &StoredName,
) -> Result<(Vec<SourceRecord>, Source)> {
    flat(read_str_pieces(text, name, origin))
}

/// [`read_str`], the records in pieces as [`read_file_pieces`] gives them.
pub fn read_str_pieces(
    text: &str,
    name: &Path,
    origin: &StoredName,
) -> Result<(Vec<Vec<SourceRecord>>, Source)> {
    let mut n = Normalizer::default();
    n.text(text.as_bytes(), name, &origin_text(origin), 0)?;
    n.pieces()
}

fn origin_text(origin: &StoredName) -> String {
    super::write::name_text(origin)
}

const MAX_INCLUDE_DEPTH: usize = 16;

/// Records per piece of the normalised buffer that `domain` parses on
/// its own thread.
const PARSE_CHUNK: usize = 8192;

/// Where a piece of the normalised buffer starts, with the `$ORIGIN` in
/// force there (record lines are otherwise self-contained).
struct Boundary {
    at: usize,
    origin: String,
}

#[derive(Default)]
struct Normalizer {
    out: Vec<u8>,
    boundaries: Vec<Boundary>,
    source: Source,
    emitted_origin: Option<String>,
    /// `$TTL` in force; like BIND, a `$TTL` inside an included file stays.
    default_ttl: Option<u32>,
    /// The last TTL written explicitly (RFC 1035 s5.1 default).
    last_ttl: Option<u32>,
}

/// Per-file state: origin and previous owner do not leak out of `$INCLUDE`.
struct FileCtx {
    file: u32,
    origin: String,
    last_owner: Option<Vec<u8>>,
}

impl Normalizer {
    fn file(
        &mut self,
        path: &Path,
        origin: &str,
        depth: usize,
        from: Option<(u32, usize)>,
    ) -> Result<()> {
        let data = std::fs::read(path).map_err(|e| match from {
            Some((f, line)) => Error::ZoneLine {
                file: self.source.files[f as usize].clone(),
                line,
                reason: format!("$INCLUDE {}: {e}", path.display()),
            },
            None => Error::io(path, e),
        })?;
        self.text(&data, path, origin, depth)
    }

    fn text(&mut self, data: &[u8], path: &Path, origin: &str, depth: usize) -> Result<()> {
        let file = self.source.files.len() as u32;
        self.source.files.push(path.to_path_buf());
        let mut ctx = FileCtx {
            file,
            origin: origin.to_string(),
            last_owner: None,
        };
        let err = |line: usize, reason: String| Error::ZoneLine {
            file: path.to_path_buf(),
            line,
            reason,
        };
        let mut lexer = Lexer::new(data);
        loop {
            let line = match lexer.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) => return Err(err(e.line, e.reason)),
            };
            let directive = !line.blank_owner && line.tokens[0].text.first() == Some(&b'$');
            let result = if directive {
                self.directive(&line, &mut ctx, path, depth)
            } else {
                self.record(&line.tokens, line.blank_owner, line.line, &mut ctx)
            };
            result.map_err(|reason| match reason {
                LineError::Reason(r) => err(line.line, r),
                LineError::Nested(e) => e,
            })?;
        }
        Ok(())
    }

    fn directive(
        &mut self,
        line: &Line,
        ctx: &mut FileCtx,
        path: &Path,
        depth: usize,
    ) -> Result<(), LineError> {
        let t = &line.tokens;
        let arg = |i: usize, what: &str| {
            t.get(i)
                .map(Token::as_str_lossy)
                .ok_or_else(|| LineError::Reason(format!("{} needs {what}", t[0].as_str_lossy())))
        };
        if t[0].is("$ORIGIN") {
            ctx.origin = absolute(&arg(1, "a domain name")?, &ctx.origin)?;
        } else if t[0].is("$TTL") {
            let v = arg(1, "a TTL")?;
            self.default_ttl = Some(parse_ttl(&v).map_err(|e| format!("bad $TTL: {e}"))?);
        } else if t[0].is("$INCLUDE") {
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(
                    format!("$INCLUDE nested deeper than {MAX_INCLUDE_DEPTH} (a loop?)").into(),
                );
            }
            let file = arg(1, "a file name")?;
            let origin = match t.get(2) {
                Some(o) => absolute(&o.as_str_lossy(), &ctx.origin)?,
                None => ctx.origin.clone(),
            };
            let base = path.parent().unwrap_or(Path::new("."));
            let child = base.join(file.trim_matches('"'));
            self.file(&child, &origin, depth + 1, Some((ctx.file, line.line)))
                .map_err(LineError::Nested)?;
        } else if t[0].is("$GENERATE") {
            self.generate(line, ctx)?;
        } else {
            return Err(format!("unknown directive '{}'", t[0].as_str_lossy()).into());
        }
        Ok(())
    }

    fn generate(&mut self, line: &Line, ctx: &mut FileCtx) -> Result<(), LineError> {
        let t = &line.tokens;
        if t.len() < 5 {
            return Err("$GENERATE needs: range lhs [ttl] [class] type rhs"
                .to_string()
                .into());
        }
        let range = generate::parse_range(&t[1].as_str_lossy())?;
        for v in range.values() {
            let tokens = t[2..]
                .iter()
                .map(|tok| {
                    Ok(Token {
                        text: generate::substitute(&tok.text, v)?,
                        quoted: tok.quoted,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            self.record(&tokens, false, line.line, ctx)?;
        }
        Ok(())
    }

    /// Writes one record as a normalised line.
    fn record(
        &mut self,
        t: &[Token],
        blank_owner: bool,
        line: usize,
        ctx: &mut FileCtx,
    ) -> Result<(), LineError> {
        let mut i = 0;
        let owner = if blank_owner {
            ctx.last_owner
                .clone()
                .ok_or("no owner name and no previous record to take it from")?
        } else {
            i = 1;
            absolute_bytes(&t[0].text, &ctx.origin)
        };
        let mut ttl = None;
        let mut class_seen = false;
        while let Some(tok) = t.get(i) {
            if tok.text.first().is_some_and(u8::is_ascii_digit) && ttl.is_none() {
                let s = tok.as_str_lossy();
                ttl = Some(parse_ttl(&s).map_err(|e| format!("bad TTL: {e}"))?);
            } else if !class_seen && is_class(tok) {
                if !tok.is("IN") && !tok.is("CLASS1") {
                    return Err(
                        format!("class {} is not supported (only IN)", tok.as_str_lossy()).into(),
                    );
                }
                class_seen = true;
            } else {
                break;
            }
            i += 1;
        }
        let rtype = t.get(i).ok_or("record has no type")?;
        let ttl = match ttl {
            Some(v) => {
                self.last_ttl = Some(v);
                v
            }
            None => self.default_ttl.or(self.last_ttl).ok_or(
                "no TTL: the record has none, and no $TTL or earlier TTL is in force (RFC 2308 s4)",
            )?,
        };
        if self.emitted_origin.as_deref() != Some(ctx.origin.as_str()) {
            self.out.extend_from_slice(b"$ORIGIN ");
            self.out.extend_from_slice(ctx.origin.as_bytes());
            self.out.push(b'\n');
            self.emitted_origin = Some(ctx.origin.clone());
        }
        if self.source.lines.len().is_multiple_of(PARSE_CHUNK) {
            self.boundaries.push(Boundary {
                at: self.out.len(),
                origin: ctx.origin.clone(),
            });
        }
        self.out.extend_from_slice(&owner);
        self.out.extend_from_slice(format!(" {ttl} IN ").as_bytes());
        match rdata_ext::encode(rtype, &t[i + 1..], &ctx.origin) {
            Some(generic) => {
                let (code, wire) = generic?;
                let text = format!("TYPE{code} {}", super::write::generic_text(&wire));
                self.out.extend_from_slice(text.as_bytes());
            }
            None => self.rdata(rtype, &t[i + 1..])?,
        }
        self.out.push(b'\n');
        self.source.lines.push((ctx.file, line as u32));
        ctx.last_owner = Some(owner);
        Ok(())
    }

    /// Writes the type and record data tokens, adapted where `domain`'s
    /// scanner needs it.
    fn rdata(&mut self, rtype: &Token, rdata: &[Token]) -> Result<(), String> {
        self.out.extend_from_slice(&rtype.text);
        let is_svcb = rtype.is("SVCB") || rtype.is("HTTPS");
        // Type mnemonics that domain does not know (RESINFO, NSAP-PTR …)
        // become TYPEnnn where RRSIG and NSEC(3) list them.
        let lists_types = rtype.is("RRSIG") || rtype.is("NSEC") || rtype.is("NSEC3");
        let is_soa = rtype.is("SOA");
        for (k, tok) in rdata.iter().enumerate() {
            self.out.push(b' ');
            // SOA timers may use TTL units (`2h`); domain wants numbers.
            if is_soa && (3..7).contains(&k) && tok.text.iter().any(u8::is_ascii_alphabetic) {
                let v = crate::duration::Duration::parse(&tok.as_str_lossy())
                    .ok()
                    .filter(|d| d.0 <= u32::MAX as u64)
                    .ok_or_else(|| format!("bad SOA timer '{}'", tok.as_str_lossy()))?;
                self.out.extend_from_slice(v.0.to_string().as_bytes());
            } else if lists_types {
                self.out
                    .extend_from_slice(&rdata_ext::type_token(&tok.text));
            } else if is_svcb {
                self.out.extend_from_slice(&svc_param(&tok.text));
            } else {
                self.out.extend_from_slice(&tok.text);
            }
        }
        Ok(())
    }

    /// Parses the normalised buffer with `domain`, a piece per thread.
    fn pieces(self) -> Result<(Vec<Vec<SourceRecord>>, Source)> {
        use rayon::prelude::*;
        let Normalizer {
            out,
            boundaries,
            source,
            ..
        } = self;
        let pieces: Vec<Result<Vec<SourceRecord>>> = boundaries
            .par_iter()
            .enumerate()
            .map(|(i, b)| {
                let end = boundaries.get(i + 1).map_or(out.len(), |n| n.at);
                parse_piece(&out[b.at..end], &b.origin, i * PARSE_CHUNK, &source)
            })
            .collect();
        drop(out);
        let pieces = pieces.into_iter().collect::<Result<Vec<_>>>()?;
        Ok((pieces, source))
    }
}

/// Parses one piece of normalised text whose first record is record
/// number `first` of the zone. Owners and RDATA go into one buffer for the
/// piece, in wire form; the text and `domain`'s typed records are dropped
/// as soon as the piece is parsed.
fn parse_piece(
    text: &[u8],
    origin: &str,
    first: usize,
    source: &Source,
) -> Result<Vec<SourceRecord>> {
    let mut zf = Zonefile::with_capacity(text.len() + origin.len() + 10);
    zf.extend_from_slice(b"$ORIGIN ");
    zf.extend_from_slice(origin.as_bytes());
    zf.extend_from_slice(b"\n");
    zf.extend_from_slice(text);
    zf.set_default_class(Class::IN);
    zf.set_origin(Name::root_bytes());
    let mut arena: Vec<u8> = Vec::with_capacity(text.len() / 2);
    // Per record: owner start and end, type, TTL, RDATA end (the RDATA
    // starts where the owner ends).
    let mut spans: Vec<(u32, u32, Rtype, u32, u32)> = Vec::with_capacity(PARSE_CHUNK);
    let mut owner: (u32, u32) = (0, 0);
    loop {
        let idx = first + spans.len();
        match zf.next_entry() {
            Ok(None) => break,
            Ok(Some(Entry::Record(rec))) => {
                let rec: StoredRecord = rec
                    .try_flatten_into()
                    .map_err(|_| source.error(idx, "name too long"))?;
                let rec = typed(rec).map_err(|e| source.error(idx, e))?;
                let name = rec.owner().as_slice();
                if arena[owner.0 as usize..owner.1 as usize] != *name {
                    owner.0 = arena.len() as u32;
                    arena.extend_from_slice(name);
                    owner.1 = arena.len() as u32;
                }
                let data_start = arena.len();
                let _ = rec.data().compose_rdata(&mut arena);
                if arena.len() - data_start > u16::MAX as usize {
                    return Err(source.error(idx, "record data longer than 65535 octets"));
                }
                // RDATA follows its owner or an earlier record's RDATA.
                spans.push((
                    owner.0,
                    owner.1,
                    rec.rtype(),
                    rec.ttl().as_secs(),
                    arena.len() as u32,
                ));
            }
            Ok(Some(Entry::Include { .. })) => {
                return Err(source.error(idx, "unexpected $INCLUDE"));
            }
            Err(e) => {
                // domain prefixes "line:col: "; the line is ours, not the user's.
                let msg = e.to_string();
                let reason = match msg.splitn(3, ':').collect::<Vec<_>>()[..] {
                    [l, c, rest] if l.parse::<u64>().is_ok() && c.parse::<u64>().is_ok() => {
                        rest.trim().to_string()
                    }
                    _ => msg.clone(),
                };
                return Err(source.error(idx, reason));
            }
        }
    }
    drop(zf);
    let arena = Bytes::from(arena);
    let mut records = Vec::with_capacity(spans.len());
    let mut name: Option<((u32, u32), StoredName)> = None;
    let mut data_start = 0u32;
    for (i, (os, oe, rtype, ttl, de)) in spans.into_iter().enumerate() {
        let owner = match &name {
            Some((span, n)) if *span == (os, oe) => n.clone(),
            _ => {
                let n = Name::from_octets(arena.slice(os as usize..oe as usize))
                    .map_err(|_| source.error(first + i, "bad owner name"))?;
                name = Some(((os, oe), n.clone()));
                n
            }
        };
        let start = data_start.max(oe);
        records.push(SourceRecord {
            owner,
            rtype,
            ttl,
            data: arena.slice(start as usize..de as usize),
            src: (first + i) as u32,
        });
        data_start = de;
    }
    Ok(records)
}

enum LineError {
    Reason(String),
    Nested(Error),
}

impl From<String> for LineError {
    fn from(s: String) -> Self {
        LineError::Reason(s)
    }
}

impl From<&str> for LineError {
    fn from(s: &str) -> Self {
        LineError::Reason(s.to_string())
    }
}

/// `key7="/dns-query{?dns}"`: domain reads SvcParam values only unquoted,
/// so the quotes go and the spaces inside are escaped.
fn svc_param(text: &[u8]) -> Vec<u8> {
    let Some(eq) = text.iter().position(|&c| c == b'=') else {
        return text.to_vec();
    };
    let value = &text[eq + 1..];
    if value.len() < 2 || value[0] != b'"' || value[value.len() - 1] != b'"' {
        return text.to_vec();
    }
    let mut out = text[..=eq].to_vec();
    for &c in &value[1..value.len() - 1] {
        if c == b' ' {
            out.extend_from_slice(b"\\032");
        } else {
            out.push(c);
        }
    }
    out
}

fn is_class(tok: &Token) -> bool {
    ["IN", "CH", "CS", "HS", "ANY", "NONE"]
        .iter()
        .any(|c| tok.is(c))
        || (!tok.quoted
            && tok.text.len() > 5
            && tok.text[..5].eq_ignore_ascii_case(b"CLASS")
            && tok.text[5..].iter().all(u8::is_ascii_digit))
}

/// Makes a (possibly relative) name in master-file text absolute.
pub(super) fn absolute_bytes(name: &[u8], origin: &str) -> Vec<u8> {
    if name == b"@" {
        return origin.as_bytes().to_vec();
    }
    if ends_with_unescaped_dot(name) {
        return name.to_vec();
    }
    let mut v = name.to_vec();
    if origin != "." {
        v.push(b'.');
    }
    v.extend_from_slice(origin.as_bytes());
    v
}

fn absolute(name: &str, origin: &str) -> Result<String, String> {
    let abs = String::from_utf8_lossy(&absolute_bytes(name.as_bytes(), origin)).into_owned();
    Name::<Vec<u8>>::from_str(&abs).map_err(|e| format!("bad domain name '{name}': {e}"))?;
    Ok(abs)
}

fn ends_with_unescaped_dot(name: &[u8]) -> bool {
    if name.last() != Some(&b'.') {
        return false;
    }
    let backslashes = name[..name.len() - 1]
        .iter()
        .rev()
        .take_while(|&&c| c == b'\\')
        .count();
    backslashes % 2 == 0
}

/// RFC 3597 `\#` data of a type we know is turned into its typed form, so
/// that names in it are canonicalised when signing (a `domain` pitfall).
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
        Some(ZoneRecordData::Unknown(_)) | None => Ok(rec),
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
