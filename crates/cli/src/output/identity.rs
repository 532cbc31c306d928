//! Is this output the input? Files are compared by device and inode, so the same file under
//! another name (a symlink, a hardlink, `/dev/stdout` redirected to it) is recognised too.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A file's identity on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    pub fn of(m: &Metadata) -> Self {
        FileId {
            dev: m.dev(),
            ino: m.ino(),
        }
    }

    /// The file `path` names, links followed; `None` if it does not exist.
    pub fn of_path(path: &Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|m| FileId::of(&m))
    }

    /// The file behind standard output.
    pub fn of_stdout() -> Option<Self> {
        let st = rustix::fs::fstat(std::io::stdout()).ok()?;
        Some(FileId {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
        })
    }
}
