//! Very large sets are split into parts: each part is an archive of its own
//! (own volumes, own PAR2 sets), so a lost or damaged part costs only its
//! own bytes, a downloader can take a part alone, and no archive header has
//! to list a whole multi-terabyte tree. Every part is still in the one
//! descriptor and NZB ([`ap_secret_codec::Role::PartStart`] marks where a
//! part begins).
//!
//! Files go to parts in walk order, a part closing once it reaches the part
//! size; a file larger than a part is a part alone (cut into volumes as
//! usual). Directories all go to the last part: extraction creates parents
//! as files need them, and the last archive then sets every directory's
//! time and mode after its contents exist, as a single archive would.

use ap_archive::{EntryKind, Tree};

/// The trees of the parts of `tree`: `tree` itself when its data is at most
/// `split_above` bytes, else parts of about `part_size` bytes.
pub fn split_tree(tree: &Tree, split_above: u64, part_size: u64) -> Vec<Tree> {
    if tree.data_len() <= split_above {
        return vec![tree.clone()];
    }
    let part_size = part_size.max(1);
    let mut parts: Vec<Tree> = Vec::new();
    let mut current = Tree::default();
    let mut size = 0u64;
    let mut dirs = Vec::new();
    for e in &tree.entries {
        if e.kind == EntryKind::Dir {
            dirs.push(e.clone());
            continue;
        }
        let len = e.data_len();
        if size > 0 && size + len > part_size {
            parts.push(std::mem::take(&mut current));
            size = 0;
        }
        current.entries.push(e.clone());
        size += len;
    }
    current.entries.extend(dirs);
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use ap_archive::Entry;

    fn entry(name: &str, kind: EntryKind) -> Entry {
        Entry {
            name: name.into(),
            source: name.into(),
            kind,
            mtime: 0,
            mode: 0o644,
        }
    }

    fn file(name: &str, size: u64) -> Entry {
        entry(name, EntryKind::File { size })
    }

    fn names(t: &Tree) -> Vec<&str> {
        t.entries.iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn small_trees_stay_whole_and_large_ones_split_in_walk_order() {
        let tree = Tree {
            entries: vec![
                entry("a", EntryKind::Dir),
                file("a/1", 40),
                file("a/2", 40),
                file("a/3", 40),
                entry("b", EntryKind::Dir),
                file("b/huge", 250),
                file("b/4", 10),
                file("empty", 0),
            ],
            warnings: Vec::new(),
        };
        assert_eq!(split_tree(&tree, 1000, 100).len(), 1);
        let parts = split_tree(&tree, 300, 100);
        let got: Vec<Vec<&str>> = parts.iter().map(names).collect();
        assert_eq!(
            got,
            vec![
                vec!["a/1", "a/2"],
                vec!["a/3"],
                vec!["b/huge"],
                vec!["b/4", "empty", "a", "b"],
            ]
        );
        // Nothing lost, nothing twice.
        let total: usize = parts.iter().map(|p| p.entries.len()).sum();
        assert_eq!(total, tree.entries.len());
        assert_eq!(
            parts.iter().map(Tree::data_len).sum::<u64>(),
            tree.data_len()
        );
    }
}
