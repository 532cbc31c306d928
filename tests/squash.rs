//! `layerlens squash` on every image of every fixture, fully and `--from` the middle layer,
//! checked with real tools:
//!
//! - `skopeo inspect` accepts the output and sees `from + 1` layers; the tag given with `--tag`
//!   is in manifest.json's `RepoTags` and skopeo finds the image by it; without `--tag` the
//!   input's tags are kept;
//! - `skopeo copy` to an OCI layout (which verifies every digest) and `umoci unpack` give the
//!   same rootfs as the original image (modes, owners, content, mtimes, xattrs, hardlinks);
//! - `podman load` into a private vfs store accepts it, and the rootfs podman mounts is the
//!   same again (a second, independent unpacker: containers/storage);
//! - the `--dry-run --json` plan's `archive_size` is the written file's size to the byte and
//!   its `layer_size` the new layer's; a dry run writes nothing;
//! - two runs write byte-identical files; kept layers are byte-identical to the input blobs.

use std::path::Path;

use crate::export::{has_zstd, unlisted_dirs};
use crate::peers;
use crate::reference::{self, RefImage};
use crate::rootfs::{Compare, Tree};
use crate::util::{fixture, layerlens, run, run_json, temp_dir};

macro_rules! squash_tests {
    ($($name:ident => $path:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                squash_fixture($path, stringify!($name));
            }
        )*
    };
}
valid_fixtures!(squash_tests);

/// Every image and both squashes are checked even when one fails; the test then fails with
/// all of their messages.
fn squash_fixture(rel: &str, name: &str) {
    squash_archive(&fixture(rel), rel, name);
}

/// Squashes every image of the archive at `path` fully and from its middle layer.
fn squash_archive(path: &Path, rel: &str, name: &str) {
    let work = temp_dir("squash");
    let mut failures = Vec::new();
    for img in reference::images(path) {
        let label = format!("img{}", img.index);
        let rootfs = peers::umoci_rootfs(
            &img.skopeo_ref,
            work.path(),
            &format!("{label}-orig"),
            has_zstd(&img),
        );
        let original = Tree::from_dir(&rootfs);
        let n = img.layers.len();
        let mut froms = vec![None];
        if n > 1 {
            froms.push(Some(n / 2));
        }
        for from in froms {
            let case = Squash {
                input: path,
                rel,
                img: &img,
                from,
                // The full squash keeps the input's tags; the partial one sets its own.
                tag: from.map(|f| format!("layerlens-test/{name}:from{f}")),
                work: work.path(),
                label: format!(
                    "{label}-{}",
                    from.map_or("all".to_string(), |f| format!("from{f}"))
                ),
                podman: true,
            };
            if let Err(e) =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case.check(&original)))
            {
                failures.push(panic_message(&e));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} squash case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

pub fn panic_message(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(non-text panic)".into())
}

/// One squash of one image and everything checked about it.
pub struct Squash<'a> {
    /// The input archive and how to name it in messages.
    pub input: &'a Path,
    pub rel: &'a str,
    pub img: &'a RefImage,
    /// `--from`; `None` squashes everything.
    pub from: Option<usize>,
    /// `--tag`; `None` keeps the input's tags.
    pub tag: Option<String>,
    /// Scratch space for outputs and unpacked trees, and a name unique in it.
    pub work: &'a Path,
    pub label: String,
    /// Also `podman load` it and compare podman's rootfs (about a second of vfs copying).
    pub podman: bool,
}

impl Squash<'_> {
    fn command(&self, out: &Path) -> std::process::Command {
        self.command_from(out, self.from.map(|f| f.to_string()))
    }

    fn command_from(&self, out: &Path, from: Option<String>) -> std::process::Command {
        let mut c = layerlens();
        c.arg("squash")
            .arg(self.input)
            .args(["--image", &self.img.index.to_string()])
            .arg("-o")
            .arg(out);
        if let Some(f) = from {
            c.args(["--from", &f]);
        }
        if let Some(t) = &self.tag {
            c.args(["--tag", t]);
        }
        c
    }

    fn what(&self) -> String {
        format!(
            "layerlens squash {} --image {}{}",
            self.rel,
            self.img.index,
            self.from.map_or(String::new(), |f| format!(" --from {f}"))
        )
    }

    /// Runs the squash and every check; `original` is the input's rootfs as umoci unpacks it.
    pub fn check(&self, original: &Tree) {
        let what = self.what();
        let out = self.work.join(format!("{}.tar", self.label));
        let again = self.work.join(format!("{}.again.tar", self.label));
        let planned = self.work.join(format!("{}.planned.tar", self.label));

        // The plan, without writing anything.
        let plan = run_json(self.command(&planned).args(["--dry-run", "--json"]));
        assert!(
            !planned.exists(),
            "{what} --dry-run wrote {}",
            planned.display()
        );

        run(&mut self.command(&out));
        run(&mut self.command(&again));
        let bytes = std::fs::read(&out).expect("squash output");
        assert!(
            bytes == std::fs::read(&again).expect("second output"),
            "{what}: two runs wrote different bytes"
        );
        assert_eq!(
            plan["archive_size"],
            bytes.len(),
            "{what}: planned archive_size vs the written file's size"
        );

        // The output read without layerlens: layer count, kept layers, the new layer's size, tags.
        let kept = self.from.unwrap_or(0);
        let squashed = reference::images(&out);
        assert_eq!(
            squashed.len(),
            1,
            "{what}: the output holds {} images",
            squashed.len()
        );
        let sq = &squashed[0];
        assert_eq!(sq.layers.len(), kept + 1, "{what}: layers in the output");
        for i in 0..kept {
            assert!(
                sq.layers[i] == self.img.layers[i],
                "{what}: kept layer {i} is not byte-identical to the input blob"
            );
        }
        assert_eq!(
            plan["layer_size"],
            sq.layers[kept].len(),
            "{what}: planned layer_size vs the new layer"
        );
        assert_eq!(plan["kept"], kept, "{what}: plan.kept");
        assert_eq!(
            plan["squashed"],
            self.img.layers.len() - kept,
            "{what}: plan.squashed"
        );
        let want_tags = match &self.tag {
            Some(t) => vec![t.clone()],
            None => self.img.tags.iter().map(|t| docker_tag(t)).collect(),
        };
        assert_eq!(sq.tags, want_tags, "{what}: RepoTags of the output");
        self.check_config(sq);

        // `--from` by digest (the layer's diff_id) selects the same layer as by position.
        if let Some(f) = self.from {
            let by_digest = self.work.join(format!("{}.by-digest.tar", self.label));
            let diff_id = &self.img.config_json()["rootfs"]["diff_ids"][f];
            run(&mut self.command_from(&by_digest, diff_id.as_str().map(String::from)));
            assert!(
                std::fs::read(&by_digest).expect("output") == bytes,
                "{what}: --from {diff_id} wrote something else than --from {f}"
            );
        }

        // skopeo reads it (by tag when there is one) and sees the layers.
        let src = format!("docker-archive:{}", out.display());
        let inspect = run_json(crate::util::peer_cmd("skopeo").args(["inspect", &src]));
        assert_eq!(
            inspect["Layers"].as_array().map(Vec::len),
            Some(kept + 1),
            "{what}: skopeo inspect sees a different layer count: {inspect}"
        );
        if let Some(t) = &self.tag {
            run(crate::util::peer_cmd("skopeo").args(["inspect", &format!("{src}:{t}")]));
        }

        // skopeo copy + umoci unpack give the original rootfs.
        // Kept zstd layers stay zstd (umoci needs them recompressed, see peers.rs).
        let rootfs = peers::umoci_rootfs(&src, self.work, &self.label, has_zstd(sq));
        let cmp = Compare {
            mtime: true,
            xattrs: true,
            ..Compare::default()
        };
        original.assert_same(
            &format!("{} (umoci)", self.img.skopeo_ref),
            &Tree::from_dir(&rootfs),
            &format!("{what} (umoci)"),
            &cmp,
        );

        // podman loads it, and containers/storage's rootfs is the same again.
        if self.podman {
            self.podman_load(&out, original, &cmp);
        }
    }

    /// The output's config is consistent with its layers and keeps the input's runtime config.
    fn check_config(&self, sq: &RefImage) {
        let what = self.what();
        let config = sq.config_json();
        let id = sq
            .config_name
            .trim_end_matches(".json")
            .trim_start_matches("sha256:");
        assert_eq!(
            id,
            crate::util::sha256_hex(&sq.config),
            "{what}: the config's name is not its sha256 (the image ID)"
        );
        let diff_ids: Vec<String> = sq
            .layers
            .iter()
            .map(|l| {
                format!(
                    "sha256:{}",
                    crate::util::sha256_hex(&reference::decompress(l, self.work))
                )
            })
            .collect();
        assert_eq!(
            config["rootfs"]["diff_ids"],
            serde_json::json!(diff_ids),
            "{what}: rootfs.diff_ids vs the layers"
        );
        assert_eq!(config["rootfs"]["type"], "layers", "{what}: rootfs.type");
        if let Some(history) = config["history"].as_array() {
            let non_empty = history.iter().filter(|h| h["empty_layer"] != true).count();
            assert_eq!(
                non_empty,
                sq.layers.len(),
                "{what}: history entries without empty_layer vs layers"
            );
        }
        let input = self.img.config_json();
        for key in ["config", "os", "architecture", "variant"] {
            assert_eq!(
                config[key], input[key],
                "{what}: config field {key} changed"
            );
        }
    }

    fn podman_load(&self, out: &Path, original: &Tree, cmp: &Compare) {
        let what = self.what();
        let store = peers::PodmanStore::new();
        let loaded =
            String::from_utf8(run(store.cmd().arg("load").arg("-q").arg("-i").arg(out))).unwrap();
        // `Loaded image: localhost/name:tag` or `Loaded image: sha256:…` when untagged.
        let id = loaded
            .lines()
            .filter_map(|l| {
                l.strip_prefix("Loaded image: ")
                    .or_else(|| l.strip_prefix("Loaded image(s): "))
            })
            .next_back()
            .unwrap_or_else(|| panic!("{what}: podman load printed {loaded:?}"))
            .split(',')
            .next()
            .unwrap()
            .trim()
            .to_string();
        let layers = run(store.cmd().args([
            "image",
            "inspect",
            "--format",
            "{{len .RootFS.Layers}}",
            &id,
        ]));
        assert_eq!(
            String::from_utf8_lossy(&layers).trim(),
            (self.from.unwrap_or(0) + 1).to_string(),
            "{what}: podman sees a different layer count"
        );
        let mount = run(store.cmd().args(["image", "mount", &id]));
        let mount = String::from_utf8(mount).unwrap();
        let podman_tree = Tree::from_dir(Path::new(mount.trim()));
        // containers/storage, like umoci, creates parents that no layer lists.
        let cmp = Compare {
            implicit_dirs: unlisted_dirs(self.img, &podman_tree, self.work),
            ..cmp.clone()
        };
        // containers/storage sets mtimes before 1970 to the epoch when it unpacks
        // (pkg/archive's chtimes), whatever the layer says; umoci keeps them.
        let mut expected = original.clone();
        for n in expected.nodes.values_mut() {
            n.mtime = n.mtime.max(0);
        }
        expected.assert_same(
            &format!(
                "{} (umoci; mtimes before 1970 as the epoch)",
                self.img.skopeo_ref
            ),
            &podman_tree,
            &format!("{what} (podman load + image mount)"),
            &cmp,
        );
        run(store.cmd().args(["image", "unmount", &id]));
    }
}

/// A tag as `docker load` accepts it in `RepoTags`: `name:tag`. Docker and podman refuse a bare
/// name ("invalid tag"; podman: "Invalid tag test_image_2 (docker.io/library/test_image_2):
/// does not contain a tag"), so a squash that keeps the input's tags must complete a bare name
/// (the ggcr test_bundle has `test_image_2`) with `:latest` as `docker tag` would.
fn docker_tag(t: &str) -> String {
    let last = t.rsplit('/').next().unwrap_or(t);
    if last.contains(':') || last.contains('@') {
        t.to_string()
    } else {
        format!("{t}:latest")
    }
}

/// A multi-layer image with zstd layers, written by skopeo (`--dest-compress-format zstd`)
/// from built/whiteouts: export and squash read zstd, and a squash `--from` keeps the zstd
/// blobs byte-identical inside the docker-archive, which skopeo and podman load.
#[test]
fn zstd_layers_written_by_skopeo() {
    let work = temp_dir("zstd");
    let archive = work.path().join("whiteouts.zstd.oci.tar");
    run(crate::util::peer_cmd("skopeo")
        .args(["copy", "--quiet", "--dest-compress-format", "zstd"])
        .arg(format!(
            "docker-archive:{}",
            fixture("built/whiteouts.docker.tar").display()
        ))
        .arg(format!(
            "oci-archive:{}:whiteouts-zstd:latest",
            archive.display()
        )));
    let img = &reference::images(&archive)[0];
    assert!(
        img.layers.len() > 2
            && img
                .layers
                .iter()
                .all(|l| l.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])),
        "skopeo did not write zstd layers"
    );
    let rel = "whiteouts as zstd oci-archive (skopeo)";
    crate::analyze::analysis_agrees_with_gnu_tar(&archive, rel);
    crate::export::export_equals_umoci(&archive, rel);
    squash_archive(&archive, rel, "whiteouts_zstd");
}
