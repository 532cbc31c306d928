//! Getting a final root filesystem out of an image archive with real tools: `skopeo copy` into
//! an OCI layout (which also verifies every digest), then `umoci unpack` (which applies `.wh.`
//! and `.wh..wh..opq` whiteouts as the OCI image spec says).

use std::path::{Path, PathBuf};

use crate::util;

/// `skopeo copy SRC oci:DIR:img` then `umoci unpack`; returns the rootfs directory.
///
/// umoci 0.4.7 cannot read zstd layers ("blob is not correct mediatype ...tar+zstd"), so when
/// `zstd` is set skopeo recompresses every layer to gzip on the way (`--dest-compress-format
/// gzip`); the reference is then skopeo's zstd decoder plus umoci, still no layerlens code.
pub fn umoci_rootfs(src: &str, work: &Path, label: &str, zstd: bool) -> PathBuf {
    util::require_root();
    let layout = work.join(format!("{label}-oci"));
    let bundle = work.join(format!("{label}-bundle"));
    let mut copy = util::peer_cmd("skopeo");
    copy.args(["copy", "--quiet"]);
    if zstd {
        copy.args(["--dest-compress-format", "gzip"]);
    }
    copy.arg(src).arg(format!("oci:{}:img", layout.display()));
    util::run(&mut copy);
    util::run(
        util::peer_cmd("umoci")
            .args(["unpack", "--image"])
            .arg(format!("{}:img", layout.display()))
            .arg(&bundle),
    );
    bundle.join("rootfs")
}

/// A private podman store (vfs driver): nothing is shared between tests or with the host's
/// store. Its directory has a short path because podman refuses a runroot longer than 50
/// characters ("the specified runroot is longer than 50 characters").
pub struct PodmanStore {
    dir: tempfile::TempDir,
}

impl PodmanStore {
    pub fn new() -> PodmanStore {
        let dir = tempfile::Builder::new()
            .prefix("llp")
            .tempdir()
            .expect("temp dir");
        PodmanStore { dir }
    }

    /// A podman command on this store.
    pub fn cmd(&self) -> std::process::Command {
        let mut c = util::peer_cmd("podman");
        c.arg("--root")
            .arg(self.dir.path().join("root"))
            .arg("--runroot")
            .arg(self.dir.path().join("run"))
            .args([
                "--storage-driver",
                "vfs",
                "--cgroup-manager",
                "cgroupfs",
                "--events-backend",
                "none",
            ]);
        c
    }
}
