//! Which zone of a configuration is whose parent: a parent zone in the
//! same configuration publishes its children's DS and confirms them.

use std::collections::{BTreeMap, BTreeSet};

/// The zone names of a configuration (lower case, no final dot).
#[derive(Debug, Default)]
pub struct ZoneTree {
    names: BTreeSet<String>,
    children: BTreeMap<String, Vec<String>>,
}

impl ZoneTree {
    pub fn new(names: impl IntoIterator<Item = String>) -> ZoneTree {
        let names: BTreeSet<String> = names.into_iter().collect();
        let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for z in &names {
            if let Some(p) = nearest_above(&names, z) {
                children.entry(p.to_string()).or_default().push(z.clone());
            }
        }
        ZoneTree { names, children }
    }

    /// The nearest zone of the configuration above `zone`.
    pub fn parent_of(&self, zone: &str) -> Option<&str> {
        nearest_above(&self.names, zone)
    }

    /// The zones whose nearest configured parent is `zone`.
    pub fn children_of(&self, zone: &str) -> &[String] {
        self.children.get(zone).map_or(&[], Vec::as_slice)
    }
}

/// Walks up `zone` a label at a time: the first name found is the nearest.
fn nearest_above<'a>(names: &'a BTreeSet<String>, zone: &str) -> Option<&'a str> {
    zone.match_indices('.')
        .find_map(|(i, _)| names.get(&zone[i + 1..]))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_configured_zone_is_the_parent() {
        let tree = ZoneTree::new(
            ["example", "a.example", "b.a.example", "other"]
                .iter()
                .map(|s| s.to_string()),
        );
        assert_eq!(tree.parent_of("c.b.a.example"), Some("b.a.example"));
        assert_eq!(tree.parent_of("b.a.example"), Some("a.example"));
        assert_eq!(tree.parent_of("xa.example"), Some("example"));
        assert_eq!(tree.parent_of("example"), None);
        assert_eq!(tree.children_of("example"), ["a.example"]);
        assert!(tree.children_of("other").is_empty());
    }
}
