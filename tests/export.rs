//! `layerlens export` against skopeo + umoci: for every image of every fixture, the exported
//! tar, read as extraction would leave it, must equal the rootfs `umoci unpack` makes: paths,
//! types, modes (setuid/setgid/sticky included), uid/gid, sizes, content hashes, symlink
//! targets, device numbers, mtimes (not of directories), xattrs and hardlink groups.
//!
//! One deliberate allowance: umoci creates the missing parent directories of an entry whose
//! layer never lists them (Bazel layers do that), so a directory that only umoci has is
//! accepted when no layer of the image lists that path. A directory some layer lists must be
//! in the export.

use std::collections::BTreeSet;
use std::path::Path;

use crate::peers;
use crate::reference::{self, RefImage};
use crate::rootfs::{Compare, Tree};
use crate::util::{fixture, layerlens, run, temp_dir};

macro_rules! export_tests {
    ($($name:ident => $path:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                equals_umoci_rootfs($path);
            }
        )*
    };
}
valid_fixtures!(export_tests);

fn equals_umoci_rootfs(rel: &str) {
    export_equals_umoci(&fixture(rel), rel);
}

/// Exports every image of the archive at `path` and compares it with umoci's rootfs.
pub fn export_equals_umoci(path: &Path, rel: &str) {
    let work = temp_dir("export");
    for img in reference::images(path) {
        let label = format!("img{}", img.index);
        let out = work.path().join(format!("{label}-export.tar"));
        run(layerlens()
            .arg("export")
            .arg(path)
            .args(["--image", &img.index.to_string()])
            .arg("-o")
            .arg(&out));
        let exported = Tree::from_tar(std::fs::File::open(&out).expect("export output"));
        let rootfs = peers::umoci_rootfs(&img.skopeo_ref, work.path(), &label, has_zstd(&img));
        let unpacked = Tree::from_dir(&rootfs);
        let cmp = Compare {
            mtime: true,
            xattrs: true,
            implicit_dirs: unlisted_dirs(&img, &unpacked, work.path()),
        };
        exported.assert_same(
            &format!("layerlens export {rel} --image {}", img.index),
            &unpacked,
            &format!("skopeo copy {} + umoci unpack", img.skopeo_ref),
            &cmp,
        );
    }
}

pub fn has_zstd(img: &RefImage) -> bool {
    img.layers
        .iter()
        .any(|b| b.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]))
}

/// Directories of `tree` that no layer of `img` lists (umoci made them as parents).
pub fn unlisted_dirs(img: &RefImage, tree: &Tree, scratch: &Path) -> BTreeSet<Vec<u8>> {
    let mut listed = BTreeSet::new();
    for blob in &img.layers {
        let plain = reference::decompress(blob, scratch);
        for e in reference::gnu_tar_list(&plain, scratch) {
            listed.insert(reference::normalise(&e.name));
        }
    }
    tree.nodes
        .iter()
        .filter(|(p, n)| n.kind == crate::rootfs::Kind::Dir && !listed.contains(*p))
        .map(|(p, _)| p.clone())
        .collect()
}

/// A multi-platform image (an OCI index inside the index, as `skopeo copy --all` writes it):
/// linux/amd64 is built/tiny, linux/arm64 the dive OCI image. `--platform` must pick the
/// matching manifest; the reference is `skopeo copy --override-arch` + umoci.
#[test]
fn multi_platform_index_selects_by_platform() {
    let work = temp_dir("multi-platform");
    let archive = work.path().join("multi.oci.tar");
    write_multi_platform(&archive);
    for (arch, other_index) in [("amd64", 0), ("arm64", 1)] {
        let platform = format!("linux/{arch}");
        let json = crate::util::run_json(layerlens().arg("analyze").arg(&archive).args([
            "--platform",
            &platform,
            "--json",
        ]));
        assert_eq!(
            json["image"]["platform"],
            platform.as_str(),
            "analyze --platform {platform}"
        );
        assert_eq!(
            json["image"]["index"], other_index,
            "analyze --platform {platform}: image index"
        );
        let out = work.path().join(format!("{arch}-export.tar"));
        run(layerlens()
            .arg("export")
            .arg(&archive)
            .args(["--platform", &platform])
            .arg("-o")
            .arg(&out));
        let exported = Tree::from_tar(std::fs::File::open(&out).expect("export output"));
        let layout = work.path().join(format!("{arch}-oci"));
        run(crate::util::peer_cmd("skopeo")
            .args([
                "copy",
                "--quiet",
                "--override-os",
                "linux",
                "--override-arch",
                arch,
            ])
            .arg(format!("oci-archive:{}", archive.display()))
            .arg(format!("oci:{}:img", layout.display())));
        let bundle = work.path().join(format!("{arch}-bundle"));
        run(crate::util::peer_cmd("umoci")
            .args(["unpack", "--image"])
            .arg(format!("{}:img", layout.display()))
            .arg(&bundle));
        let unpacked = Tree::from_dir(&bundle.join("rootfs"));
        let cmp = Compare {
            mtime: true,
            xattrs: true,
            ..Compare::default()
        };
        exported.assert_same(
            &format!("layerlens export --platform {platform}"),
            &unpacked,
            &format!("skopeo copy --override-arch {arch} + umoci unpack"),
            &cmp,
        );
    }
}

/// Writes an oci-archive whose index.json names one nested index (ref `multi:latest`) of
/// two platform manifests, with the blobs of built/tiny.oci.tar and the dive gzip OCI image.
pub fn write_multi_platform(out: &Path) {
    use std::io::Read;
    let mut blobs = std::collections::BTreeMap::new();
    let mut manifests = Vec::new();
    for (rel, arch) in [
        ("built/tiny.oci.tar", "amd64"),
        ("real/dive/test-oci-gzip-image.tar", "arm64"),
    ] {
        let mut index = None;
        let mut ar = tar::Archive::new(std::fs::File::open(fixture(rel)).unwrap());
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let name = reference::normalise(&e.path_bytes());
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            if name == b"index.json" {
                index = Some(data);
            } else if name.starts_with(b"blobs/sha256/") && e.header().entry_type().is_file() {
                blobs.insert(name, data);
            }
        }
        let index: serde_json::Value = serde_json::from_slice(&index.expect("index.json")).unwrap();
        let mut m = index["manifests"][0].clone();
        m.as_object_mut().unwrap().remove("annotations");
        m["platform"] = serde_json::json!({"architecture": arch, "os": "linux"});
        manifests.push(m);
    }
    let nested = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }))
    .unwrap();
    let nested_digest = crate::util::sha256_hex(&nested);
    let top = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": format!("sha256:{nested_digest}"),
            "size": nested.len(),
            "annotations": {"org.opencontainers.image.ref.name": "multi:latest"},
        }],
    }))
    .unwrap();
    blobs.insert(format!("blobs/sha256/{nested_digest}").into_bytes(), nested);
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    let mut add = |name: &[u8], data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, String::from_utf8_lossy(name).as_ref(), data)
            .unwrap();
    };
    add(b"oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    add(b"index.json", &top);
    for (name, data) in &blobs {
        add(name, data);
    }
    b.into_inner().unwrap();
}
