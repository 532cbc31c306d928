#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use alloc::string::ToString;
use alloc::vec;

use super::*;
use crate::layer::{index_layer, IndexOptions};
use crate::progress::{NoProgress, Stage};
use crate::testing::{index, LayerBuilder};

/// Every field of an index, compared one by one (`LayerIndex` has no `PartialEq`).
fn assert_same(a: &LayerIndex, b: &LayerIndex) {
    assert_eq!(a.entries, b.entries);
    assert_eq!(a.notices, b.notices);
    assert_eq!(a.compression, b.compression);
    assert_eq!(a.blob_size, b.blob_size);
    assert_eq!(a.tar_size, b.tar_size);
}

fn odd_entry() -> Entry {
    let mut entry = Entry {
        path: EntryPath::parse(b"dev/odd\xff name").unwrap(),
        kind: EntryKind::CharDevice,
        mode: 0o4755,
        uid: u64::MAX,
        gid: 7,
        size: 0,
        mtime: -86_400,
        link: Some(b"/abs/\x00target".as_slice().into()),
        span: Span {
            start: 1 << 40,
            data: (1 << 40) + 1536,
            end: (1 << 40) + 2048,
        },
        rooted: true,
        rare: None,
    };
    let rare = Rare {
        uname: Some("r\u{f6}ot".into()),
        gname: None,
        device: Some((1, 3)),
        xattrs: vec![
            Xattr {
                name: "security.capability".into(),
                value: b"\x01\x00\x00\x02".as_slice().into(),
            },
            Xattr {
                name: "user.empty".into(),
                value: b"".as_slice().into(),
            },
        ],
    };
    entry.set_rare(rare, None);
    entry
}

#[test]
fn an_index_comes_back_equal() {
    let tar = LayerBuilder::new()
        .dir("etc")
        .file("etc/passwd", b"root:x:0:0")
        .symlink("etc/link", "passwd")
        .hardlink("etc/hard", "etc/passwd")
        .whiteout("etc/gone")
        .build();
    let mut indexed = index(&tar);
    indexed.entries.push(odd_entry());
    indexed.notices = vec![
        Notice {
            path: b"../x".as_slice().into(),
            kind: NoticeKind::EscapingPath,
        },
        Notice {
            path: b"l".as_slice().into(),
            kind: NoticeKind::EscapingLink,
        },
        Notice {
            path: b"s".as_slice().into(),
            kind: NoticeKind::UnsupportedType { flag: b'S' },
        },
        Notice {
            path: b"d".as_slice().into(),
            kind: NoticeKind::Duplicate,
        },
        Notice {
            path: b"sp".as_slice().into(),
            kind: NoticeKind::Sparse,
        },
    ];
    indexed.compression = Compression::Zstd;
    let bytes = encode(&Ok(indexed.clone())).unwrap();
    assert_same(&decode(&bytes).unwrap(), &indexed);
    // Compact: well under the tar's own size for these few entries.
    assert!(bytes.len() < tar.len() / 4, "{} bytes", bytes.len());
}

#[test]
fn an_error_comes_back_with_its_kind_message_and_location() {
    // A real one: a layer cut inside an entry's contents.
    let tar = LayerBuilder::new().file("big", &[7u8; 5000]).build();
    let cut = &tar[..2048];
    let failed = index_layer(
        cut,
        0,
        cut.len() as u64,
        &IndexOptions::default(),
        &mut NoProgress,
        Stage::Indexing(0),
        cut.len() as u64,
    )
    .map(|_| ())
    .unwrap_err()
    .in_layer(3)
    .in_member("blobs/sha256/abc");
    let made = [
        failed,
        Error::limit(LimitKind::Decompressed, 8u64).in_entry(b"a/b\xff"),
        Error::new(ErrorKind::DigestMismatch {
            digest: DigestKind::DiffId,
            expected: "sha256:aa".into(),
            actual: "sha256:bb".into(),
        }),
        Error::tar("bad checksum").in_entry(b"x"),
        Error::new(ErrorKind::Cancelled),
        Error::new(ErrorKind::Io(std::io::Error::other("the browser refused"))),
    ];
    for e in made {
        let (text, name, at) = (e.to_string(), e.kind().name(), e.location().clone());
        let back = decode(&encode(&Err(e)).unwrap()).unwrap_err();
        assert_eq!(back.to_string(), text);
        assert_eq!(back.kind().name(), name);
        assert_eq!(back.location(), &at);
    }
}

#[test]
fn damaged_bytes_are_an_error_not_a_panic() {
    let tar = LayerBuilder::new().file("a", b"x").dir("d").build();
    let bytes = encode(&Ok(index(&tar))).unwrap();
    for cut in 0..bytes.len() {
        assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut other = bytes.clone();
    other[0] = VERSION + 1;
    let e = decode(&other).map(|_| ()).unwrap_err();
    assert!(e.to_string().contains("unreadable"), "{e}");
}
