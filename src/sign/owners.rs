//! The owners of a zone about to be signed: the zone's own and, with
//! NSEC3, the hashed owners of the chain, each list in canonical order and
//! merged as the owners are taken. `zonesign sign` takes them batch by
//! batch, so the merged list is never made whole beside the two.

use crate::zone::Node;
use crate::zone::canon::push_key;

/// The zone's owners and the NSEC3 owners, each in canonical order.
pub struct Owners {
    pub zone: Vec<Node>,
    pub nsec3: Vec<Node>,
}

impl Owners {
    pub fn len(&self) -> usize {
        self.zone.len() + self.nsec3.len()
    }

    /// Every owner in canonical order, as one vector.
    pub fn into_vec(self) -> Vec<Node> {
        if self.nsec3.is_empty() {
            return self.zone;
        }
        self.into_iter().collect()
    }
}

impl IntoIterator for Owners {
    type Item = Node;
    type IntoIter = Merged;

    /// Every owner in canonical order.
    fn into_iter(self) -> Merged {
        let (mut a, mut b) = (self.zone.into_iter(), self.nsec3.into_iter());
        let mut merged = Merged {
            next_a: a.next(),
            next_b: b.next(),
            a,
            b,
            key_a: Vec::new(),
            key_b: Vec::new(),
        };
        if merged.next_b.is_some() {
            key_into(merged.next_a.as_ref(), &mut merged.key_a);
            key_into(merged.next_b.as_ref(), &mut merged.key_b);
        }
        merged
    }
}

/// Two lists in canonical order merged: the head of each and its sort key
/// (two buffers reused; a key allocated per owner was most of the merge).
/// Keys are kept only while both lists have owners left: with NSEC there
/// is no second list, and a key per owner was 3 % of a TLD's CPU, serial.
pub struct Merged {
    a: std::vec::IntoIter<Node>,
    b: std::vec::IntoIter<Node>,
    next_a: Option<Node>,
    next_b: Option<Node>,
    key_a: Vec<u8>,
    key_b: Vec<u8>,
}

fn key_into(n: Option<&Node>, k: &mut Vec<u8>) {
    k.clear();
    if let Some(n) = n {
        push_key(&n.owner, k);
    }
}

impl Iterator for Merged {
    type Item = Node;

    fn next(&mut self) -> Option<Node> {
        // On equal keys (which a hash and a zone owner never have) the
        // zone's owner goes first.
        let take_b = match (&self.next_a, &self.next_b) {
            (None, None) => return None,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some(_), Some(_)) => self.key_b < self.key_a,
        };
        let (head, rest, key) = if take_b {
            (&mut self.next_b, &mut self.b, &mut self.key_b)
        } else {
            (&mut self.next_a, &mut self.a, &mut self.key_a)
        };
        let node = std::mem::replace(head, rest.next());
        if self.next_a.is_some() && self.next_b.is_some() {
            let head = if take_b { &self.next_b } else { &self.next_a };
            key_into(head.as_ref(), key);
        }
        node
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.a.len() + self.b.len();
        let n = n + usize::from(self.next_a.is_some()) + usize::from(self.next_b.is_some());
        (n, Some(n))
    }
}

impl ExactSizeIterator for Merged {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::{NodeKind, StoredName};
    use std::str::FromStr;

    fn owners(names: &[&str]) -> Vec<Node> {
        names
            .iter()
            .map(|n| Node {
                owner: StoredName::from_str(n).unwrap(),
                kind: NodeKind::Authoritative,
                rrsets: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn merged_in_canonical_order() {
        let zone = owners(&["example.", "a.example.", "Z.a.example.", "z.example."]);
        let nsec3 = owners(&["0p.example.", "b.example.", "zz.example."]);
        let merged = Owners { zone, nsec3 };
        assert_eq!(merged.len(), 7);
        let it = merged.into_iter();
        assert_eq!(it.len(), 7);
        let got: Vec<String> = it.map(|n| n.owner.to_string()).collect();
        let want = [
            "example",
            "0p.example",
            "a.example",
            "Z.a.example",
            "b.example",
            "z.example",
            "zz.example",
        ];
        assert_eq!(got, want);
    }

    /// Either list alone comes out as it is, keys or not.
    #[test]
    fn one_list_alone() {
        let names = ["example.", "a.example.", "b.example."];
        for (zone, nsec3) in [(owners(&names), Vec::new()), (Vec::new(), owners(&names))] {
            let got: Vec<String> = Owners { zone, nsec3 }
                .into_iter()
                .map(|n| n.owner.to_string())
                .collect();
            assert_eq!(got, ["example", "a.example", "b.example"]);
        }
    }
}
