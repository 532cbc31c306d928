//! Free space, checked against the planned size before a byte is written: a full disk is
//! then a clear refusal up front instead of a write error half-way through a long squash.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::render::table::size;

/// Bytes an unprivileged process may still write on the filesystem holding `dir`.
pub fn available(dir: &Path) -> Result<u64> {
    let st = rustix::fs::statvfs(dir)
        .with_context(|| format!("cannot read the free space of {}", dir.display()))?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Fails unless `dir` has room for `needed` bytes (for `dest`).
pub fn require(dir: &Path, dest: &Path, needed: u64) -> Result<()> {
    let free = available(dir)?;
    if free < needed {
        bail!(
            "not enough free space for {}: it needs {} ({needed} bytes) but {} has {} ({free} bytes) free",
            dest.display(),
            size(needed),
            dir.display(),
            size(free),
        );
    }
    Ok(())
}
