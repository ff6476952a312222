//! Reads master files into records.
//!
//! `domain`'s scanner parses record data well but lacks TTL units,
//! `$GENERATE`, file-relative `$INCLUDE` that carries the TTL, and names the
//! line after a bad record. So our own lexer handles the file structure and
//! writes every record as one normalised line (absolute owner, numeric TTL,
//! class IN) into a buffer that is parsed piece by piece on every core
//! (`parse.rs`); the n-th record parsed is the n-th line we wrote, so every
//! error maps back to its source line.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use bytes::Bytes;
use domain::base::iana::{Class, Rtype};
use domain::base::{Name, Record};
use domain::rdata::ZoneRecordData;

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
    read_with(None, file_len(path), |n| {
        n.file(path, &origin_text(origin), 0, None)
    })
}

/// The length of the file at `path`, or "large" when it cannot be told:
/// the read itself then says what is wrong.
fn file_len(path: &Path) -> usize {
    std::fs::metadata(path).map_or(usize::MAX, |m| m.len() as usize)
}

/// Reads a file of records that may carry no TTL (DS files, key files);
/// such records get `default_ttl`.
pub fn read_file_default_ttl(
    path: &Path,
    origin: &StoredName,
    default_ttl: u32,
) -> Result<(Vec<SourceRecord>, Source)> {
    flat(read_with(Some(default_ttl), file_len(path), |n| {
        n.file(path, &origin_text(origin), 0, None)
    }))
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

/// [`read_str`] of records that may carry no TTL (DS files such as BIND's
/// `dsset-`); such records get `default_ttl`.
pub fn read_str_default_ttl(
    text: &str,
    name: &Path,
    origin: &StoredName,
    default_ttl: u32,
) -> Result<(Vec<SourceRecord>, Source)> {
    flat(read_with(Some(default_ttl), text.len(), |n| {
        n.lex(&mut text.as_bytes(), name, &origin_text(origin), 0)
    }))
}

/// [`read_str`], the records in pieces as [`read_file_pieces`] gives them.
pub fn read_str_pieces(
    text: &str,
    name: &Path,
    origin: &StoredName,
) -> Result<(Vec<Vec<SourceRecord>>, Source)> {
    read_with(None, text.len(), |n| {
        n.lex(&mut text.as_bytes(), name, &origin_text(origin), 0)
    })
}

/// [`read_str`] on this thread alone: for small texts read in many places
/// at once (the signer reads back lines it wrote), so no threads start.
pub fn read_str_here(text: &str, name: &Path, origin: &StoredName) -> Result<Vec<SourceRecord>> {
    flat(read_here(None, |n| {
        n.lex(&mut text.as_bytes(), name, &origin_text(origin), 0)
    }))
    .map(|(records, _)| records)
}

/// Input up to this many octets is read on the calling thread: starting
/// parser threads for a key file or a zone of ten records costs more than
/// parsing it (10,000 small zones: 0.49 s of thread start-up alone).
const SMALL_INPUT: usize = 256 << 10;

/// Pieces of normalised text waiting for a parser (about 0.5 MB each), so
/// that the text is never held whole. Enough that the normaliser does not
/// wait while the parsers it shares the cores with are paused: at 4, a
/// 1M-delegation zone read in 0.81 s, at 64 in 0.65 s.
const PIECES_IN_FLIGHT: usize = 64;

/// Runs `feed` on this thread, which normalises the input piece by piece,
/// while a parser thread per core turns each piece into records: the
/// serial part of reading hides behind the parallel part.
fn read_with(
    default_ttl: Option<u32>,
    size: usize,
    feed: impl FnOnce(&mut Normalizer) -> Result<()>,
) -> Result<(Vec<Vec<SourceRecord>>, Source)> {
    if size <= SMALL_INPUT {
        return read_here(default_ttl, feed);
    }
    type Parsed = (
        usize,
        std::result::Result<Vec<SourceRecord>, (usize, String)>,
    );
    let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(PIECES_IN_FLIGHT);
    // Each parser holds the receiver: should they all stop, sending fails
    // rather than waiting for ever.
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let parsed: std::sync::Mutex<Vec<Parsed>> = std::sync::Mutex::new(Vec::new());
    let mut phases = crate::phases::Phases::start();
    let (fed, source) = std::thread::scope(|s| {
        for _ in 0..rayon::current_num_threads() {
            let rx = rx.clone();
            let parsed = &parsed;
            s.spawn(move || {
                loop {
                    // The lock is held only to take a piece, not to parse it.
                    let next = rx.lock().map(|r| r.recv());
                    let Ok(Ok(piece)) = next else { break };
                    let result = super::parse::piece(&piece.text, &piece.origin, piece.first);
                    if let Ok(mut p) = parsed.lock() {
                        p.push((piece.first, result));
                    }
                }
            });
        }
        drop(rx);
        let mut n = Normalizer::new(Sink::Parsers(tx), default_ttl);
        let fed = feed(&mut n).and_then(|()| n.send_piece());
        phases.mark("normalise");
        // Dropping the normaliser closes the channel: the parsers finish.
        (fed, n.source)
    });
    fed?;
    let mut parsed = parsed
        .into_inner()
        .map_err(|_| source.zone_error("a parser thread failed"))?;
    parsed.sort_unstable_by_key(|(first, _)| *first);
    let pieces = parsed
        .into_iter()
        .map(|(_, r)| r.map_err(|(idx, reason)| source.error(idx, reason)))
        .collect::<Result<Vec<_>>>()?;
    Ok((pieces, source))
}

/// [`read_with`] on this thread: the normaliser keeps its pieces, which
/// are parsed once it is done.
fn read_here(
    default_ttl: Option<u32>,
    feed: impl FnOnce(&mut Normalizer) -> Result<()>,
) -> Result<(Vec<Vec<SourceRecord>>, Source)> {
    let mut n = Normalizer::new(Sink::Here(Vec::new()), default_ttl);
    feed(&mut n).and_then(|()| n.send_piece())?;
    let Normalizer { sink, source, .. } = n;
    let Sink::Here(pieces) = sink else {
        return Err(source.zone_error("pieces sent away"));
    };
    let records = pieces
        .iter()
        .map(|p| {
            super::parse::piece(&p.text, &p.origin, p.first)
                .map_err(|(idx, reason)| source.error(idx, reason))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((records, source))
}

fn origin_text(origin: &StoredName) -> String {
    super::write::name_text(origin)
}

const MAX_INCLUDE_DEPTH: usize = 16;

/// The longest text one record may take (its RDATA is at most 65535
/// octets, some 180 KB as text): more is a binary file, a device or an
/// unclosed parenthesis, never a zone.
const MAX_RECORD_TEXT: usize = 4 << 20;

/// Records per piece of the normalised buffer parsed on a thread of its
/// own.
pub(super) const PARSE_CHUNK: usize = 8192;

/// Octets read from a master file at a time, at most.
const READ_BLOCK: usize = 1 << 20;

/// The first read's size.
const FIRST_READ_BLOCK: usize = 16 << 10;

/// A piece of normalised text, with the `$ORIGIN` in force where it
/// starts (record lines are otherwise self-contained) and the index of its
/// first record.
struct Piece {
    text: Vec<u8>,
    origin: String,
    first: usize,
}

struct Normalizer {
    /// The piece being written, its `$ORIGIN` and first record.
    out: Vec<u8>,
    out_origin: String,
    out_first: usize,
    /// Where full pieces go to be parsed.
    sink: Sink,
    source: Source,
    emitted_origin: Option<String>,
    /// `$TTL` in force; like BIND, a `$TTL` inside an included file stays.
    default_ttl: Option<u32>,
    /// The last TTL written explicitly (RFC 1035 s5.1 default).
    last_ttl: Option<u32>,
    /// Records made by `$GENERATE` so far, over every file of the read.
    generated: u64,
}

/// Where the normaliser's pieces go.
enum Sink {
    /// To the parser threads.
    Parsers(std::sync::mpsc::SyncSender<Piece>),
    /// Kept, to be parsed on this thread once the input is normalised.
    Here(Vec<Piece>),
}

/// Records all the `$GENERATE` lines of one read may make: more is a typo
/// in a range, not a zone.
const MAX_GENERATED: u64 = 10_000_000;

/// Per-file state: origin and previous owner do not leak out of `$INCLUDE`.
struct FileCtx {
    file: u32,
    origin: String,
    last_owner: Option<Vec<u8>>,
}

impl Normalizer {
    fn new(sink: Sink, default_ttl: Option<u32>) -> Normalizer {
        Normalizer {
            out: Vec::new(),
            out_origin: String::new(),
            out_first: 0,
            sink,
            source: Source::default(),
            emitted_origin: None,
            default_ttl,
            last_ttl: None,
            generated: 0,
        }
    }

    /// Hands the piece written so far to the parsers.
    fn send_piece(&mut self) -> Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        // The next piece is about as long: sized now, it is not copied
        // as it grows.
        let next = Vec::with_capacity(self.out.len() + self.out.len() / 8);
        let piece = Piece {
            text: std::mem::replace(&mut self.out, next),
            origin: self.out_origin.clone(),
            first: self.out_first,
        };
        match &mut self.sink {
            Sink::Parsers(tx) => tx
                .send(piece)
                .map_err(|_| self.source.zone_error("the parser threads stopped")),
            Sink::Here(pieces) => {
                pieces.push(piece);
                Ok(())
            }
        }
    }

    fn file(
        &mut self,
        path: &Path,
        origin: &str,
        depth: usize,
        from: Option<(u32, usize)>,
    ) -> Result<()> {
        let fail = |reason: String| match from {
            Some((f, line)) => Error::ZoneLine {
                file: self.source.files[f as usize].clone(),
                line,
                reason: format!("$INCLUDE {}: {reason}", path.display()),
            },
            None => Error::Zone {
                file: path.to_path_buf(),
                reason,
            },
        };
        let mut file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
        // A device never ends (/dev/zero) or is no zone: regular files and
        // pipes only.
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            let kind = file
                .metadata()
                .map_err(|e| fail(e.to_string()))?
                .file_type();
            if kind.is_char_device() || kind.is_block_device() || kind.is_socket() {
                return Err(fail("a device, not a zone file".into()));
            }
        }
        self.lex(&mut file, path, origin, depth)
    }

    /// Normalises the master file `input`, read a block at a time so that
    /// a large file is never held whole.
    fn lex(
        &mut self,
        input: &mut dyn std::io::Read,
        path: &Path,
        origin: &str,
        depth: usize,
    ) -> Result<()> {
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
        let line_err = |line: usize, reason: LineError| match reason {
            LineError::Reason(r) => err(line, r),
            LineError::Nested(e) => e,
        };
        // `buf[..complete]` ends in a newline (or is all of the input) and
        // is lexed; the rest waits for the next block.
        let mut buf: Vec<u8> = Vec::new();
        // Small at first, so that a small file does not cost a large
        // buffer cleared; doubled while blocks come back full.
        let mut block = FIRST_READ_BLOCK;
        let mut line_no = 1;
        let mut eof = false;
        while !eof {
            let start = buf.len();
            buf.resize(start + block, 0);
            let n = loop {
                match input.read(&mut buf[start..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::io(path, e)),
                }
            };
            buf.truncate(start + n);
            eof = n == 0;
            if n == block {
                block = (block * 2).min(READ_BLOCK);
            }
            let too_long = |line_no: usize| {
                err(
                    line_no,
                    format!(
                        "a line or record longer than {} MiB: not zone text (a binary file, \
                         a device, an unclosed parenthesis?)",
                        MAX_RECORD_TEXT >> 20
                    ),
                )
            };
            let complete = if eof {
                buf.len()
            } else {
                match buf.iter().rposition(|&c| c == b'\n') {
                    Some(nl) => nl + 1,
                    None if buf.len() > MAX_RECORD_TEXT => return Err(too_long(line_no)),
                    None => continue,
                }
            };
            let mut lexer = Lexer::piece(&buf[..complete], line_no, eof);
            // One token vector for every line of the block.
            let mut line = Line {
                line: 0,
                blank_owner: false,
                tokens: Vec::with_capacity(16),
            };
            loop {
                // Lines already in the normal form, nearly all of a large
                // generated zone, are copied as they are, not lexed.
                if let Some((text, number)) = lexer.plain_line()
                    && self
                        .plain_record(text, number, &mut ctx)
                        .map_err(|reason| line_err(number, reason))?
                {
                    lexer.skip_line(text);
                    continue;
                }
                match lexer.next_line_into(&mut line) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => return Err(err(e.line, e.reason)),
                }
                let directive = !line.blank_owner && line.tokens[0].text.first() == Some(&b'$');
                let result = if directive {
                    self.directive(&line, &mut ctx, path, depth)
                } else {
                    self.record(&line.tokens, line.blank_owner, line.line, &mut ctx)
                };
                result.map_err(|reason| line_err(line.line, reason))?;
            }
            let (used, next_line) = lexer.consumed();
            line_no = next_line;
            buf.drain(..used);
            if buf.len() > MAX_RECORD_TEXT {
                return Err(too_long(line_no));
            }
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
            self.generated += 1;
            if self.generated > MAX_GENERATED {
                return Err(format!(
                    "$GENERATE lines make more than {MAX_GENERATED} records in all"
                )
                .into());
            }
            let tokens = t[2..]
                .iter()
                .map(|tok| {
                    Ok(Token {
                        text: std::borrow::Cow::Owned(generate::substitute(&tok.text, v)?),
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
        if blank_owner && ctx.last_owner.is_none() {
            return Err("no owner name and no previous record to take it from".into());
        }
        // The first token is the owner unless the line starts blank.
        let mut i = usize::from(!blank_owner);
        let mut ttl = None;
        let mut class_seen = false;
        while let Some(tok) = t.get(i) {
            if tok.text.first().is_some_and(u8::is_ascii_digit) && ttl.is_none() {
                let text = std::str::from_utf8(&tok.text).map_err(|_| "bad TTL: not text")?;
                ttl = Some(parse_ttl(text).map_err(|e| format!("bad TTL: {e}"))?);
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
        self.start_record(ctx)?;
        match &mut ctx.last_owner {
            Some(owner) if blank_owner => self.out.extend_from_slice(owner),
            last => {
                let start = self.out.len();
                push_absolute(&mut self.out, &t[0].text, &ctx.origin);
                let owner = last.get_or_insert_with(Vec::new);
                owner.clear();
                owner.extend_from_slice(&self.out[start..]);
            }
        }
        self.out.push(b' ');
        self.out
            .extend_from_slice(itoa::Buffer::new().format(ttl).as_bytes());
        self.out.extend_from_slice(b" IN ");
        // The commonest types are neither encoded here nor adapted.
        let common = common_type(&rtype.text);
        let encoded = match common {
            Some(_) => None,
            None => rdata_ext::encode(rtype, &t[i + 1..], &ctx.origin),
        };
        match encoded {
            Some(generic) => {
                let (code, wire) = generic?;
                let text = format!("TYPE{code} {}", super::write::generic_text(&wire));
                self.out.extend_from_slice(text.as_bytes());
            }
            None => self.rdata(rtype, common, &t[i + 1..], &ctx.origin)?,
        }
        self.out.push(b'\n');
        self.source.lines.push((ctx.file, line as u32));
        Ok(())
    }

    /// Before each record line of the output: a new piece every
    /// [`PARSE_CHUNK`] lines, and `$ORIGIN` where the origin changed.
    fn start_record(&mut self, ctx: &FileCtx) -> Result<(), LineError> {
        if self.source.lines.len().is_multiple_of(PARSE_CHUNK) {
            self.send_piece().map_err(LineError::Nested)?;
            self.out_origin.clone_from(&ctx.origin);
            self.out_first = self.source.lines.len();
            self.emitted_origin = Some(ctx.origin.clone());
        }
        if self.emitted_origin.as_deref() != Some(ctx.origin.as_str()) {
            self.out.extend_from_slice(b"$ORIGIN ");
            self.out.extend_from_slice(ctx.origin.as_bytes());
            self.out.push(b'\n');
            self.emitted_origin = Some(ctx.origin.clone());
        }
        Ok(())
    }

    /// Copies the record of a plain line (see [`Lexer::plain_line`]) when
    /// it is exactly what [`Normalizer::record`] would write for it: an
    /// absolute owner, a TTL in seconds as written back, class `IN` and
    /// one of the types whose data is passed on as it is. False, with
    /// nothing done, for any other line. Lexing and writing back such
    /// lines token by token was most of the serial part of reading.
    fn plain_record(
        &mut self,
        text: &[u8],
        line: usize,
        ctx: &mut FileCtx,
    ) -> Result<bool, LineError> {
        let mut fields = text.splitn(5, |&c| c == b' ');
        let (Some(owner), Some(ttl), Some(b"IN"), Some(rtype), Some(_)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Ok(false);
        };
        // Seconds as `record` reads them (a bad TTL is its to report), and
        // as it writes them back.
        let seconds = std::str::from_utf8(ttl)
            .ok()
            .and_then(|t| parse_ttl(t).ok())
            .filter(|&v| itoa::Buffer::new().format(v).as_bytes() == ttl);
        let Some(seconds) = seconds else {
            return Ok(false);
        };
        if owner.last() != Some(&b'.') || common_type(rtype).is_none() {
            return Ok(false);
        }
        self.last_ttl = Some(seconds);
        self.start_record(ctx)?;
        self.out.extend_from_slice(text);
        self.out.push(b'\n');
        let last = ctx.last_owner.get_or_insert_with(Vec::new);
        last.clear();
        last.extend_from_slice(owner);
        self.source.lines.push((ctx.file, line as u32));
        Ok(true)
    }

    /// Writes the type and record data tokens, adapted where `domain`'s
    /// scanner needs it.
    fn rdata(
        &mut self,
        rtype: &Token,
        common: Option<Rtype>,
        rdata: &[Token],
        origin: &str,
    ) -> Result<(), String> {
        // A mnemonic of ours that `domain` does not know (NSAP-PTR,
        // RESINFO, …) reaches here only with `\#` data: as TYPEnn.
        match common {
            Some(_) => self.out.extend_from_slice(&rtype.text),
            None => self
                .out
                .extend_from_slice(&rdata_ext::type_token(&rtype.text)),
        }
        // A lone `@` where a name may stand is the origin (RFC 1035 s5.1);
        // domain would read it as a label "@". (Other fields of these
        // types are numbers, base64 or quoted.)
        let names_at = common
            .or_else(|| Rtype::from_mnemonic(&rtype.text))
            .is_some_and(super::rrset::has_names);
        let special = common.is_none();
        let is_svcb = special && (rtype.is("SVCB") || rtype.is("HTTPS"));
        // Type mnemonics that domain does not know (RESINFO, NSAP-PTR …)
        // become TYPEnnn where RRSIG and NSEC(3) list them.
        let lists_types = special && (rtype.is("RRSIG") || rtype.is("NSEC") || rtype.is("NSEC3"));
        let is_soa = special && rtype.is("SOA");
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
            } else if names_at && !tok.quoted && *tok.text == *b"@" {
                self.out.extend_from_slice(origin.as_bytes());
            } else {
                self.out.extend_from_slice(&tok.text);
            }
        }
        Ok(())
    }
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

/// The types of nearly every record of a large zone, whose data needs
/// nothing but `@` resolved.
fn common_type(text: &[u8]) -> Option<Rtype> {
    let mut upper = [0u8; 5];
    upper.get_mut(..text.len())?.copy_from_slice(text);
    upper.make_ascii_uppercase();
    Some(match &upper[..text.len()] {
        b"NS" => Rtype::NS,
        b"A" => Rtype::A,
        b"AAAA" => Rtype::AAAA,
        b"DS" => Rtype::DS,
        b"CNAME" => Rtype::CNAME,
        b"MX" => Rtype::MX,
        b"PTR" => Rtype::PTR,
        _ => return None,
    })
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
    let mut v = Vec::with_capacity(name.len() + origin.len() + 1);
    push_absolute(&mut v, name, origin);
    v
}

/// [`absolute_bytes`], appended to `out`.
fn push_absolute(out: &mut Vec<u8>, name: &[u8], origin: &str) {
    if name == b"@" {
        out.extend_from_slice(origin.as_bytes());
    } else if ends_with_unescaped_dot(name) {
        out.extend_from_slice(name);
    } else {
        out.extend_from_slice(name);
        if origin != "." {
            out.push(b'.');
        }
        out.extend_from_slice(origin.as_bytes());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines copied as they stand give the records lexing them gives: the
    /// same text with a comment on every line (which no line is copied
    /// with) reads the same, line numbers and all, and so do lines that
    /// look plain but are not in the normal form.
    #[test]
    fn plain_lines_read_as_lexed_lines() {
        let apex = StoredName::from_str("example.").unwrap();
        let text = "$TTL 60\nexample. 300 IN SOA ns hm 1 2 3 4 5\nexample. 300 IN NS ns.example.\n\
                    a.example. 300 IN A 192.0.2.1\na.example. 0300 IN A 192.0.2.2\n\
                    a.example. 300 in AAAA 2001:db8::1\nb.example. 300 IN MX 10 @\n\
                    b 300 IN A 192.0.2.3\nc.example. 300 IN TXT x\nc.example. 300  IN A 192.0.2.4\n\
                    c.example.\t300 IN A 192.0.2.5\nd.example. IN 300 A 192.0.2.6\n\
                    d.example. 4294967295 IN A 192.0.2.7\n A 192.0.2.8\n\
                    E.example. 300 IN ds 1 13 2 00\nf.example. 300 IN CNAME a.example.\n";
        let text = text.replace("4294967295", "2147483647");
        let commented: String = text.lines().map(|l| format!("{l} ; x\n")).collect();
        let read = |t: &str| {
            let (recs, src) = read_str(t, Path::new("t"), &apex).unwrap();
            recs.iter()
                .map(|r| {
                    let line = src.lines[r.src as usize].1;
                    (r.owner.to_string(), r.ttl, r.rtype, r.data.clone(), line)
                })
                .collect::<Vec<_>>()
        };
        let plain = read(&text);
        assert_eq!(plain.len(), 15);
        assert_eq!(plain, read(&commented));
    }

    /// Over a few read blocks, with multi-line records everywhere (some
    /// cut by a block's end), every record is read and errors name the
    /// right line.
    #[test]
    fn records_across_read_blocks() {
        let apex = StoredName::from_str("example.").unwrap();
        let mut text = String::from("$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n");
        let mut n = 0;
        while text.len() < 3 * READ_BLOCK {
            text.push_str(&format!("h{n} A 192.0.2.1\nh{n} TXT ( \"a\"\n \"b\" )\n"));
            n += 1;
        }
        let lines = text.lines().count();
        let (recs, _) = read_str(&text, Path::new("t"), &apex).unwrap();
        assert_eq!(recs.len(), 2 + 2 * n);
        let txt = recs.iter().rfind(|r| r.rtype == Rtype::TXT).unwrap();
        assert_eq!(txt.rdata().unwrap().to_string(), "\"a\" \"b\"");
        text.push_str("bad A 192.0.2\n");
        let err = read_str(&text, Path::new("t"), &apex).unwrap_err();
        assert!(
            err.to_string().contains(&format!("t:{}:", lines + 1)),
            "{err}"
        );
    }

    /// A lone `@` in a name field is the origin, in either path; in text
    /// it is text.
    #[test]
    fn at_sign_in_record_data() {
        let apex = StoredName::from_str("example.").unwrap();
        let text = "$TTL 60\n@ SOA @ hm 1 2 3 4 5\n@ NS @\nm MX 10 @\ns SRV 0 0 1 @\nt TXT @\n";
        let (recs, _) = read_str(text, Path::new("t"), &apex).unwrap();
        let data: Vec<String> = recs
            .iter()
            .map(|r| r.rdata().unwrap().to_string())
            .collect();
        assert_eq!(data[0].split(' ').next(), Some("example."));
        assert_eq!(
            data[1..],
            ["example.", "10 example.", "0 0 1 example", "\"@\""]
        );
    }
}
