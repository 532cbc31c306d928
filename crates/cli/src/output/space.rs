//! Free space, checked against the planned size before a byte is written: a full disk is
//! then a clear refusal up front instead of a write error half-way through a long squash.

use std::path::Path;

use anyhow::{bail, Result};

use crate::render::table::size;

/// Bytes an unprivileged process may still write on the filesystem holding `dir`, if the
/// filesystem says.
pub fn available(dir: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Fails unless `dir` has room for `needed` bytes (for `dest`). A filesystem that cannot say
/// how much room it has is not refused: the write itself will tell.
pub fn require(dir: &Path, dest: &Path, needed: u64) -> Result<()> {
    let Some(free) = available(dir) else {
        return Ok(());
    };
    if free < needed {
        bail!(
            "not enough free space for {}: it needs {} ({needed} bytes) but {} has {} ({free} \
             bytes) free; free some space or write elsewhere",
            dest.display(),
            size(needed),
            dir.display(),
            size(free),
        );
    }
    Ok(())
}
