//! The signed zone in presentation format: canonical order, one RR per
//! line, an owner's RRSIGs where their type (46) falls, in canonical RDATA
//! order. Made in pieces of [`CHUNK`] owners, in parallel.

use domain::base::iana::Rtype;
use domain::base::rdata::ComposeRecordData as _;
use rayon::prelude::*;

use bytes::Bytes;

use super::{SignedNode, SignedRrsig};
use crate::error::{Error, Result};
use crate::zone::{Node, StoredName, reader, write};

/// Owners per piece of text: large enough that a piece is worth a task,
/// small enough that the pieces of a batch spread over every core.
pub const CHUNK: usize = 2048;

/// The text of `nodes` in pieces made in parallel; written one after the
/// other they are the whole text.
pub fn chunks(nodes: &[SignedNode]) -> Result<Vec<String>> {
    nodes
        .par_chunks(CHUNK)
        .map(|nodes| {
            let mut piece = Piece::with_owners(nodes.len());
            for sn in nodes {
                piece.push(&sn.node, &sn.rrsigs);
            }
            piece.finish()
        })
        .collect()
}

/// One piece of text being made, with the buffers reused from one owner to
/// the next.
pub struct Piece {
    text: String,
    owner: String,
    /// Canonical RRSIG RDATA and the index of the signature.
    sigs: Vec<(Vec<u8>, usize)>,
    /// The lines written from typed data, to be read back, and the record
    /// each must read back as.
    readback: String,
    expected: Vec<(StoredName, Rtype, Bytes)>,
}

impl Piece {
    pub fn with_owners(owners: usize) -> Piece {
        Piece {
            text: String::with_capacity(owners * 256),
            owner: String::new(),
            sigs: Vec::new(),
            readback: String::new(),
            expected: Vec::new(),
        }
    }

    /// The text, once the lines written from typed data read back, as a
    /// user's zone file is read, as the records they were written from:
    /// the writer's presentation of every type is checked on the text that
    /// goes out (rules §3). The lines written straight from the wire are
    /// most of a zone and need no parser to be checked; their writers are
    /// tested against the typed ones.
    pub fn finish(self) -> Result<String> {
        if self.expected.is_empty() {
            return Ok(self.text);
        }
        let name = std::path::Path::new("the signed zone text");
        let read = reader::read_str_here(&self.readback, name, &StoredName::root())
            .map_err(|e| Error::Sign(format!("the signed zone text does not read back: {e}")))?;
        let differs = read.len() != self.expected.len()
            || read
                .iter()
                .zip(&self.expected)
                .any(|(r, (owner, rtype, wire))| {
                    r.owner.as_slice() != owner.as_slice() || r.rtype != *rtype || r.data != *wire
                });
        if differs {
            let line = read
                .iter()
                .zip(&self.expected)
                .position(|(r, (o, t, w))| {
                    r.owner.as_slice() != o.as_slice() || r.rtype != *t || r.data != *w
                })
                .and_then(|i| self.readback.lines().nth(i))
                .unwrap_or("");
            return Err(Error::Sign(format!(
                "the signed zone text reads back as other data, nothing written: {line}"
            )));
        }
        Ok(self.text)
    }

    /// Appends the lines of one owner and its signatures.
    pub fn push(&mut self, node: &Node, rrsigs: &[SignedRrsig]) {
        let Piece {
            text,
            owner,
            sigs,
            readback,
            expected,
        } = self;
        owner.clear();
        write::write_name(owner, &node.owner);
        sigs.resize_with(rrsigs.len(), Default::default);
        for (i, (r, slot)) in rrsigs.iter().zip(sigs.iter_mut()).enumerate() {
            slot.0.clear();
            // A lone signature needs no sort key.
            if rrsigs.len() > 1 {
                let _ = r.sig.compose_canonical_rdata(&mut slot.0);
            }
            slot.1 = i;
        }
        sigs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut sigs_written = false;
        let write_sigs = |text: &mut String| {
            for (_, i) in sigs.iter() {
                let r = &rrsigs[*i];
                write::rrsig_line_at(text, owner, r.ttl, &r.sig);
            }
        };
        for set in &node.rrsets {
            if !sigs_written && set.rtype.to_int() > Rtype::RRSIG.to_int() {
                write_sigs(text);
                sigs_written = true;
            }
            for d in set.records() {
                let start = text.len();
                if write::record_line_at(text, owner, set.ttl, set.rtype, &d) {
                    readback.push_str(&text[start..]);
                    expected.push((node.owner.clone(), set.rtype, d));
                }
            }
        }
        if !sigs_written {
            write_sigs(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::{NodeKind, Rrset};
    use domain::base::iana::Rtype;
    use std::str::FromStr;

    fn node(owner: &str, rtype: Rtype, wire: &'static [u8]) -> Node {
        let owner = StoredName::from_str(owner).unwrap();
        Node {
            owner: owner.clone(),
            kind: NodeKind::Authoritative,
            rrsets: vec![Rrset::from_wire(owner, rtype, 60, vec![Bytes::from(wire)])],
        }
    }

    /// Lines written from typed data are read back; text that would read
    /// as other data (a writer's bug, made here by editing the text) stops
    /// the piece. Lines written straight from the wire are not re-read.
    #[test]
    fn typed_lines_must_read_back_as_written() {
        let mx = node("m.example.", Rtype::MX, b"\x00\x28\x04mail\x07example\x00");
        let a = node("a.example.", Rtype::A, b"\xc0\x00\x02\x01");
        let mut piece = Piece::with_owners(2);
        piece.push(&a, &[]);
        piece.push(&mx, &[]);
        assert_eq!(piece.expected.len(), 1, "only the MX line is read back");
        assert_eq!(piece.readback, "m.example. 60 IN MX 40 mail.example.\n");
        let mut broken = Piece::with_owners(1);
        broken.push(&mx, &[]);
        broken.readback = broken.readback.replace("MX 40", "MX 41");
        assert!(piece.finish().is_ok());
        let err = broken.finish().unwrap_err().to_string();
        assert!(err.contains("reads back as other data"), "{err}");
    }
}
