//! Canonical name order (RFC 4034 s6.1) as plain byte order.
//!
//! `domain`'s `canonical_cmp` walks labels from the right with an iterator
//! that rescans the name for every step, which made sorting a million-name
//! zone take most of its load time. A sort key compares with one `memcmp`:
//! the labels from the root down, each lower-cased and escaped so that no
//! octet is below 0x01, then a 0x00 terminator. A label that is a prefix of
//! another then sorts first, exactly as the RFC orders them.

use super::StoredName;

/// Appends the canonical sort key of `name` to `out`.
pub fn push_key(name: &StoredName, out: &mut Vec<u8>) {
    push_key_below(name, 0, out);
}

/// Appends the sort key of `name` without its `skip` labels nearest the
/// root: names of one zone all end in the apex, so their order is the
/// order of what is left, and keys compare from the first differing octet.
pub fn push_key_below(name: &StoredName, skip: usize, out: &mut Vec<u8>) {
    // Label starts, found front to back once (a name has at most 127
    // labels besides the root).
    let wire = name.as_slice();
    let mut starts = [0u8; 128];
    let mut n = 0;
    let mut at = 0usize;
    while at < wire.len() && wire[at] != 0 && n < starts.len() {
        starts[n] = at as u8;
        n += 1;
        at += wire[at] as usize + 1;
    }
    for &start in starts[..n.saturating_sub(skip)].iter().rev() {
        let start = start as usize;
        let label = &wire[start + 1..start + 1 + wire[start] as usize];
        if label.iter().all(|&c| c > 1) {
            // Nearly every label: copied and lower-cased in place.
            let at = out.len();
            out.extend_from_slice(label);
            out[at..].make_ascii_lowercase();
        } else {
            for &c in label {
                match c.to_ascii_lowercase() {
                    0 => out.extend_from_slice(&[1, 1]),
                    1 => out.extend_from_slice(&[1, 2]),
                    c => out.push(c),
                }
            }
        }
        out.push(0);
    }
}

/// The canonical sort key of `name`.
pub fn key(name: &StoredName) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    push_key(name, &mut out);
    out
}

/// Appends the canonical wire form of `name` (RFC 4034 s6.2: every letter
/// in lower case). Length octets are below 64, never 'A'..='Z', so the
/// whole wire is lower-cased in one pass; `domain`'s `compose_canonical`
/// walks a label iterator and was a few percent of signing.
pub fn push_wire(name: &StoredName, out: &mut Vec<u8>) {
    let wire = name.as_slice();
    let at = out.len();
    out.extend_from_slice(wire);
    out[at..].make_ascii_lowercase();
}

/// The canonical wire form of `name`.
pub fn wire(name: &StoredName) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    push_wire(name, &mut out);
    out
}

/// Are the names equal (case-insensitive)? One comparison of octets.
pub fn same(a: &StoredName, b: &StoredName) -> bool {
    a.as_slice().eq_ignore_ascii_case(b.as_slice())
}

/// Is `name` equal to or below `ancestor` (case-insensitive)? The same as
/// `domain`'s `ends_with`, which walks labels through an iterator; here
/// one pass over the label lengths and one comparison of octets.
pub fn is_at_or_below(name: &StoredName, ancestor: &StoredName) -> bool {
    wire_at_or_below(name.as_slice(), ancestor.as_slice())
}

/// [`is_at_or_below`] for names in wire form.
pub fn wire_at_or_below(name: &[u8], ancestor: &[u8]) -> bool {
    let mut at = 0;
    while name.len() - at > ancestor.len() {
        at += name[at] as usize + 1;
    }
    name.len() - at == ancestor.len() && name[at..].eq_ignore_ascii_case(ancestor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::base::cmp::CanonicalOrd as _;
    use domain::base::name::ToName as _;
    use std::str::FromStr;

    /// The RFC 4034 s6.1 example, plus labels with octets 0 and 1 and a
    /// label that is a prefix of another, agree with `domain`'s order.
    #[test]
    fn key_order_is_canonical_order() {
        let names = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            "zABC.a.EXAMPLE.",
            "z.example.",
            "\\001.z.example.",
            "*.z.example.",
            "\\200.z.example.",
            "\\000.x.example.",
            "\\000\\000.x.example.",
            "\\001\\000.x.example.",
            "a\\000.x.example.",
            "a.x.example.",
            "ab.a\\000.x.example.",
            "b.a.x.example.",
            "\\255.x.example.",
        ];
        each_pair(&names, |a, b| {
            assert_eq!(key(a).cmp(&key(b)), a.canonical_cmp(b), "{a} vs {b}");
        });
    }

    /// Calls `check` with every ordered pair of the names.
    fn each_pair(names: &[&str], check: impl Fn(&StoredName, &StoredName)) {
        let names: Vec<StoredName> = names
            .iter()
            .map(|n| StoredName::from_str(n).unwrap())
            .collect();
        for a in &names {
            for b in &names {
                check(a, b);
            }
        }
    }

    #[test]
    fn below_is_domain_ends_with() {
        let names = [
            ".",
            "example.",
            "EXAMPLE.",
            "a.example.",
            "b.A.Example.",
            "xexample.",
            "a.xexample.",
            "\\.example.",
            "a\\.example.",
            "example.a.",
        ];
        each_pair(&names, |a, b| {
            assert_eq!(is_at_or_below(a, b), a.ends_with(b), "{a} below {b}");
        });
    }

    /// Lower-casing the whole wire is `domain`'s canonical form, for
    /// upper-case letters, escaped octets and labels of every length.
    #[test]
    fn wire_is_domain_canonical_form() {
        let long = format!("{}.Example.", "Q".repeat(63));
        let names = [
            ".",
            "EXAMPLE.",
            "a.B.\\065\\090\\091\\064.x.",
            "\\000\\255.Z.",
            &long,
        ];
        for n in names {
            let name = StoredName::from_str(n).unwrap();
            let mut theirs = Vec::new();
            name.compose_canonical(&mut theirs).unwrap();
            assert_eq!(wire(&name), theirs, "{n}");
        }
    }
}
