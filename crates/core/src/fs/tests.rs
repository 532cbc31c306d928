//! One test per union rule (OCI image-spec `layer.md`), on layers built in memory.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use alloc::vec;

use super::*;
use crate::layer::EntryKind;
use crate::testing::{union, LayerBuilder as L};

fn paths(fs: &UnionFs) -> alloc::vec::Vec<alloc::string::String> {
    fs.iter().map(|(p, _)| p.display()).collect()
}

#[test]
fn whiteout_deletes_file_and_subtree() {
    let l0 = L::new()
        .dir("a")
        .file("a/f", b"1")
        .dir("a/d")
        .file("a/d/g", b"2")
        .file("b", b"3")
        .build();
    let l1 = L::new().whiteout("a/d").whiteout("b").build();
    let (_, fs, cs) = union(&[l0, l1]);
    assert_eq!(paths(&fs), ["a", "a/f"]);
    let c = cs[1].counts();
    assert_eq!(c.removed, 3);
    assert!(cs[1]
        .changes
        .iter()
        .all(|c| c.kind == ChangeKind::Removed(Removal::Whiteout)));
    assert_eq!(cs[1].hidden_size(), 2);
}

#[test]
fn opaque_dir_hides_lower_subtree_but_not_its_own_layer() {
    let l0 = L::new()
        .dir("d")
        .file("d/old", b"x")
        .dir("d/sub")
        .file("d/sub/deep", b"y")
        .build();
    // The marker comes after the new entry in tar order and still applies first.
    let l1 = L::new().dir("d").file("d/new", b"z").opaque("d").build();
    let (_, fs, cs) = union(&[l0, l1]);
    assert_eq!(paths(&fs), ["d", "d/new"]);
    let removed: alloc::vec::Vec<_> = cs[1]
        .changes
        .iter()
        .filter(|c| c.kind.is_removed())
        .map(|c| c.path.display())
        .collect();
    assert_eq!(removed, ["d/old", "d/sub", "d/sub/deep"]);
    assert!(cs[1]
        .changes
        .iter()
        .filter(|c| c.kind.is_removed())
        .all(|c| c.kind == ChangeKind::Removed(Removal::Opaque)));
}

#[test]
fn non_directory_replacing_directory_hides_subtree_without_whiteout() {
    let l0 = L::new().dir("x").file("x/a", b"1").build();
    let l1 = L::new().file("x", b"now a file").build();
    let (_, fs, cs) = union(&[l0, l1]);
    assert_eq!(paths(&fs), ["x"]);
    let x = cs[1]
        .changes
        .iter()
        .find(|c| c.path.as_bytes() == b"x")
        .unwrap();
    assert!(matches!(x.kind, ChangeKind::Modified(d) if d.contains(Diff::TYPE)));
    let a = cs[1]
        .changes
        .iter()
        .find(|c| c.path.as_bytes() == b"x/a")
        .unwrap();
    assert_eq!(a.kind, ChangeKind::Removed(Removal::Replaced));
}

#[test]
fn directory_replacing_file_or_symlink_replaces_it() {
    let l0 = L::new().file("f", b"1").symlink("s", "f").build();
    let l1 = L::new().dir("f").dir("s").file("s/inner", b"2").build();
    let (idx, fs, _) = union(&[l0, l1]);
    for p in ["f", "s"] {
        let n = fs.get(p.as_bytes()).unwrap();
        assert_eq!(
            idx[n.entry.layer as usize].entries[n.entry.entry as usize].kind,
            EntryKind::Dir
        );
    }
    assert!(fs.get(b"s/inner").is_some());
}

#[test]
fn directory_over_directory_keeps_children_and_updates_metadata() {
    let l0 = L::new().dir("d").file("d/keep", b"1").build();
    let mut l1 = L::new();
    l1 = l1.dir("d");
    let (_, fs, cs) = union(&[l0, l1.build()]);
    assert_eq!(paths(&fs), ["d", "d/keep"]);
    assert_eq!(fs.get(b"d").unwrap().entry.layer, 1);
    assert_eq!(cs[1].counts().readded, 1);
}

#[test]
fn hardlink_keeps_content_when_a_later_layer_deletes_its_target() {
    let l0 = L::new().file("orig", b"content").build();
    let l1 = L::new().hardlink("link", "orig").build();
    let l2 = L::new().whiteout("orig").build();
    let (_, fs, _) = union(&[l0, l1, l2]);
    assert!(fs.get(b"orig").is_none());
    let link = fs.get(b"link").unwrap();
    assert_eq!((link.inode_entry.layer, link.inode_entry.entry), (0, 0));
}

#[test]
fn hardlinks_share_an_inode_until_the_target_is_replaced() {
    let l0 = L::new().file("a", b"1").hardlink("b", "a").build();
    let l1 = L::new().file("a", b"22").build();
    let (_, fs, _) = union(core::slice::from_ref(&l0));
    assert_eq!(fs.get(b"a").unwrap().inode, fs.get(b"b").unwrap().inode);
    let (_, fs, _) = union(&[l0, l1]);
    assert_ne!(fs.get(b"a").unwrap().inode, fs.get(b"b").unwrap().inode);
}

#[test]
fn dangling_hardlink_is_reported_and_left_out() {
    let l0 = L::new().hardlink("link", "nowhere").build();
    let (_, fs, cs) = union(&[l0]);
    assert!(fs.is_empty());
    assert!(matches!(
        cs[0].anomalies[0],
        Anomaly::DanglingHardlink { .. }
    ));
}

#[test]
fn aufs_metadata_is_not_part_of_the_filesystem() {
    let l0 = L::new()
        .dir(".wh..wh.plnk")
        .file(".wh..wh.plnk/1.2", b"x")
        .file(".wh..wh.aufs", b"")
        .file("real", b"r")
        .build();
    let (_, fs, _) = union(&[l0]);
    assert_eq!(paths(&fs), ["real"]);
}

#[test]
fn chmod_only_change_is_a_metadata_modification() {
    let l0 = L::new().file("f", b"same").build();
    let l1 = L::new().chmod("f", b"same", 0o755).build();
    let (_, _, cs) = union(&[l0, l1]);
    match cs[1].changes[0].kind {
        ChangeKind::Modified(d) => {
            assert!(d.is_metadata_only());
            assert_eq!(d.names(), vec!["mode"]);
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn entry_below_a_file_replaces_the_file_with_a_directory() {
    let l0 = L::new().file("p", b"1").build();
    let l1 = L::new().file("p/child", b"2").build();
    let (_, fs, cs) = union(&[l0, l1]);
    assert_eq!(paths(&fs), ["p/child"]);
    assert!(matches!(
        cs[1].anomalies[0],
        Anomaly::ParentNotDirectory { .. }
    ));
}

#[test]
fn deleted_then_recreated_path_is_modified_not_removed() {
    let l0 = L::new().file("f", b"1").build();
    let l1 = L::new().whiteout("f").build();
    let l2 = L::new().file("f", b"22").build();
    let (_, fs, cs) = union(&[l0, l1, l2]);
    assert!(fs.get(b"f").is_some());
    assert_eq!(cs[1].counts().removed, 1);
    assert_eq!(cs[2].counts().added, 1);
}

#[test]
fn prefixes_are_normalised_and_escaping_entries_ignored() {
    let l0 = L::new()
        .file("./a", b"1")
        .raw_file(b"b/../../etc/passwd", b"evil")
        .build();
    let (idx, fs, _) = union(&[l0]);
    assert_eq!(paths(&fs), ["a"]);
    assert_eq!(idx[0].notices.len(), 1);
}

#[test]
fn opaque_root_hides_every_lower_path_whatever_its_bytes() {
    // Names starting with 0xff sort after every one-byte bound: the root's subtree has no
    // upper bound.
    let l0 = L::new()
        .file("a", b"1")
        .raw_file(b"\xff\xff", b"2")
        .raw_file(b"\xff/x", b"3")
        .build();
    let l1 = L::new().file("new", b"4").file(".wh..wh..opq", b"").build();
    let (_, fs, cs) = union(&[l0, l1]);
    assert_eq!(paths(&fs), ["new"]);
    assert_eq!(cs[1].counts().removed, 3);
}

/// `FinalEntries` says of every entry what a lookup of its path in the union says: replaced,
/// whited out, hidden by an opaque directory, duplicated in its layer, a directory replaced
/// by a file, hardlinks kept and dangling.
#[test]
fn final_entries_agree_with_lookups_by_path() {
    let l0 = L::new()
        .dir("a")
        .file("a/f", b"1")
        .file("a/f", b"1 again")
        .dir("a/d")
        .file("a/d/g", b"2")
        .file("b", b"3")
        .dir("o")
        .file("o/x", b"4")
        .hardlink("h", "b")
        .build();
    let l1 = L::new()
        .whiteout("a/d")
        .file("b", b"5")
        .opaque("o")
        .file("o/y", b"6")
        .file("a", b"a file over a directory")
        .hardlink("h2", "b")
        .hardlink("dangling", "nowhere")
        .build();
    let (layers, fs, _) = union(&[l0, l1]);
    let finals = FinalEntries::of(&fs, layers.iter().map(|l| l.entries.len()));
    let mut survivors = 0;
    for (li, layer) in layers.iter().enumerate() {
        for (ei, e) in layer.entries.iter().enumerate() {
            let here = crate::layer::EntryRef {
                layer: li as u32,
                entry: ei as u32,
            };
            let looked_up = fs
                .get(e.path.as_bytes())
                .filter(|n| n.entry == here)
                .map(|n| n.inode);
            assert_eq!(finals.inode(here), looked_up, "{}", e.path.display());
            survivors += usize::from(looked_up.is_some());
        }
    }
    assert_eq!(survivors, fs.len());
    let beyond = crate::layer::EntryRef { layer: 2, entry: 0 };
    assert_eq!(finals.inode(beyond), None);
}
