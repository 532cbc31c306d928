//! Checks on the input file before it is read.

use std::fs::File;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use anyhow::{bail, Result};

/// Archives are read by seeking (the index skips file contents), so a pipe cannot be read:
/// say so instead of failing with "Illegal seek" on the first skip.
pub fn require_seekable(file: &File, path: &Path) -> Result<()> {
    let Ok(m) = file.metadata() else {
        return Ok(());
    };
    let t = m.file_type();
    if t.is_fifo() || t.is_socket() || t.is_char_device() {
        bail!(
            "{} is a pipe or a device: layerlens reads an archive by seeking in it; save it to a \
             file first (`… > image.tar`)",
            path.display()
        );
    }
    Ok(())
}
