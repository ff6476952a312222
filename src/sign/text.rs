//! The signed zone in presentation format: canonical order, one RR per
//! line, an owner's RRSIGs where their type (46) falls, in canonical RDATA
//! order. Made in pieces of [`CHUNK`] owners, in parallel.

use domain::base::iana::Rtype;
use domain::base::rdata::ComposeRecordData as _;
use rayon::prelude::*;

use super::{SignedNode, SignedRrsig};
use crate::zone::{Node, write};

/// Owners per piece of text: large enough that a piece is worth a task,
/// small enough that the pieces of a batch spread over every core.
pub const CHUNK: usize = 2048;

/// The text of `nodes` in pieces made in parallel; written one after the
/// other they are the whole text.
pub fn chunks(nodes: &[SignedNode]) -> Vec<String> {
    nodes
        .par_chunks(CHUNK)
        .map(|nodes| {
            let mut piece = Piece::with_owners(nodes.len());
            for sn in nodes {
                piece.push(&sn.node, &sn.rrsigs);
            }
            piece.text
        })
        .collect()
}

/// One piece of text being made, with the buffers reused from one owner to
/// the next.
pub struct Piece {
    pub text: String,
    owner: String,
    /// Canonical RRSIG RDATA and the index of the signature.
    sigs: Vec<(Vec<u8>, usize)>,
}

impl Piece {
    pub fn with_owners(owners: usize) -> Piece {
        Piece {
            text: String::with_capacity(owners * 256),
            owner: String::new(),
            sigs: Vec::new(),
        }
    }

    /// Appends the lines of one owner and its signatures.
    pub fn push(&mut self, node: &Node, rrsigs: &[SignedRrsig]) {
        let Piece { text, owner, sigs } = self;
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
            for d in set.wires() {
                write::record_line_at(text, owner, set.ttl, set.rtype, d);
            }
        }
        if !sigs_written {
            write_sigs(text);
        }
    }
}
