//! The virtual tar as a [`Source`]: headers synthesized on demand, contents read from the
//! caller's files, padding and end blocks as zeros.

use alloc::vec::Vec;
use std::io;

use super::tar_view::{Region, TarView};
use crate::sanitize::display_bytes;
use crate::source::{Source, READ_AHEAD};

/// Reads the directory's files: the CLI over `std::fs`, the browser over the dropped `File`s.
pub trait FolderFiles {
    /// Reads up to `buf.len()` bytes of the file the caller numbered `index`, at `offset`;
    /// 0 only at its end.
    ///
    /// # Errors
    /// On an I/O failure.
    fn read_file_at(&mut self, index: usize, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// As [`Source::max_read_ahead`].
    fn max_read_ahead(&self) -> usize {
        READ_AHEAD
    }
}

/// A directory as the bytes of its virtual tar.
pub struct FolderSource<F> {
    view: TarView,
    files: F,
    /// The last header synthesized (slot, bytes): the tar parser reads one header in pieces.
    header: Option<(usize, Vec<u8>)>,
}

impl<F: FolderFiles> FolderSource<F> {
    /// The `view` of a directory whose files `files` reads.
    pub fn new(view: TarView, files: F) -> Self {
        FolderSource {
            view,
            files,
            header: None,
        }
    }

    /// The layout.
    pub fn view(&self) -> &TarView {
        &self.view
    }
}

impl<F: FolderFiles> Source for FolderSource<F> {
    fn size(&mut self) -> io::Result<u64> {
        Ok(self.view.len())
    }

    /// Fills `buf` whole unless the end of the virtual tar comes first.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = offset.saturating_add(done as u64);
            if at >= self.view.len() {
                break;
            }
            let rest = &mut buf[done..];
            let n = match self.view.locate(at) {
                Region::Header { slot, at } => {
                    if self.header.as_ref().is_none_or(|(s, _)| *s != slot) {
                        self.header = Some((slot, self.view.header(slot)));
                    }
                    let bytes = self.header.as_ref().map_or(&[][..], |(_, b)| b.as_slice());
                    let from = usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len());
                    let n = (bytes.len() - from).min(rest.len());
                    rest[..n].copy_from_slice(&bytes[from..from + n]);
                    n
                }
                Region::Data { item, at, left } => {
                    let want = usize::try_from(left).map_or(rest.len(), |l| l.min(rest.len()));
                    let n = self.files.read_file_at(item.index, at, &mut rest[..want])?;
                    if n == 0 {
                        // InvalidData, not Other (which the core reports as a malformed tar).
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            alloc::format!(
                                "`{}` is shorter than when the directory was listed (changed while being read?)",
                                display_bytes(item.path.as_bytes())
                            ),
                        ));
                    }
                    n.min(want)
                }
                Region::Zeros { left } => {
                    let n = usize::try_from(left).map_or(rest.len(), |l| l.min(rest.len()));
                    rest[..n].fill(0);
                    n
                }
            };
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }

    fn max_read_ahead(&self) -> usize {
        self.files.max_read_ahead()
    }
}
