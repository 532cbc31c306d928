//! What IMAGE names on the command line: an archive file, an image directory (an OCI image
//! layout, a `dir:` folder) that the core reads as a virtual tar of its files, or a pipe
//! (`-` for standard input, a FIFO, `/dev/stdin`) read once.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use layerlens_core::folder::{FolderFiles, FolderSource, Item, ItemKind, TarView};
use layerlens_core::image::Recorded;
use layerlens_core::{Limits, SeekSource, Source};

use crate::output::space;
use crate::render::table::size;

/// The input's bytes, whichever it is.
pub enum Input {
    /// An archive file (or a pipe spooled to an unnamed temporary file).
    File(SeekSource<File>),
    /// An image directory.
    Folder(FolderSource<DiskFiles>),
    /// What was kept of an archive read once from a pipe: headers and metadata.
    Piped(Recorded),
}

/// What a command reads of the image: decides whether a pipe can be read in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Tar headers and metadata only (analyze, ci, why): a pipe is indexed as it streams by.
    Headers,
    /// Layer contents too (squash, export, a deep scan, --verify): a pipe is spooled to a
    /// temporary file first.
    Contents,
}

/// An input ready to open: seekable bytes, or a pipe to read once.
pub enum Opening {
    /// A file, a directory, or a spooled pipe.
    Seekable(Input),
    /// A pipe to index in one pass.
    Stream(Box<dyn Read>),
}

impl Source for Input {
    fn size(&mut self) -> io::Result<u64> {
        match self {
            Input::File(s) => s.size(),
            Input::Folder(s) => s.size(),
            Input::Piped(s) => s.size(),
        }
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::File(s) => s.read_at(offset, buf),
            Input::Folder(s) => s.read_at(offset, buf),
            Input::Piped(s) => s.read_at(offset, buf),
        }
    }
    fn max_read_ahead(&self) -> usize {
        match self {
            Input::File(s) => s.max_read_ahead(),
            Input::Folder(s) => s.max_read_ahead(),
            Input::Piped(s) => s.max_read_ahead(),
        }
    }
}

/// Opens `path`: `-` is standard input; a directory is listed and laid out; a pipe, FIFO or
/// character device is read once (or spooled, when the command `needs` contents); anything
/// else is opened as an archive file.
pub fn open(path: &Path, limits: &Limits, needs: Needs) -> Result<Opening> {
    let what = || path.display().to_string();
    if path.as_os_str() == "-" {
        return pipe(Box::new(io::stdin()), needs);
    }
    let meta = fs::metadata(path).with_context(|| format!("cannot open {}", what()))?;
    if !meta.is_dir() {
        let file = File::open(path).with_context(|| format!("cannot open {}", what()))?;
        if !is_seekable(&file) {
            return pipe(Box::new(file), needs);
        }
        return Ok(Opening::Seekable(Input::File(SeekSource::new(file))));
    }
    let (items, paths) = list(path, limits).with_context(what)?;
    let view = TarView::new(items, limits).with_context(what)?;
    let files = DiskFiles {
        root: path.to_path_buf(),
        handles: paths.iter().map(|_| None).collect(),
        paths,
        open: 0,
    };
    Ok(Opening::Seekable(Input::Folder(FolderSource::new(
        view, files,
    ))))
}

/// A pipe: read in one pass, or spooled first when contents are needed.
fn pipe(reader: Box<dyn Read>, needs: Needs) -> Result<Opening> {
    Ok(match needs {
        Needs::Headers => Opening::Stream(reader),
        Needs::Contents => Opening::Seekable(Input::File(SeekSource::new(spool(reader)?))),
    })
}

/// Copies a pipe into an unnamed temporary file in `$TMPDIR` (gone when the process ends,
/// however it ends), for commands that read layer contents again.
fn spool(mut reader: Box<dyn Read>) -> Result<File> {
    let dir = std::env::temp_dir();
    let free = || {
        space::available(&dir)
            .map(|f| format!(" ({} free there)", size(f)))
            .unwrap_or_default()
    };
    let file = tempfile::tempfile_in(&dir).with_context(|| {
        format!(
            "cannot create a temporary file in {} to hold the piped archive; set TMPDIR to a writable directory",
            dir.display()
        )
    })?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut buf = vec![0u8; 1 << 20];
    let mut copied = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading the piped archive"),
        };
        out.write_all(&buf[..n]).with_context(|| {
            format!(
                "this command reads layer contents, so the piped archive is copied to {} first,                  and writing it failed after {}{}; free some space or set TMPDIR to a directory                  with room for the whole archive",
                dir.display(),
                size(copied),
                free()
            )
        })?;
        copied += n as u64;
    }
    let file = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing the piped archive to {}{}", dir.display(), free()))?;
    Ok(file)
}

/// Deepest directory nesting followed (an image layout is two levels deep).
const MAX_DEPTH: usize = 64;

/// Regular files and symlinks below `root`, with their paths relative to it. Directories are
/// entered, never followed through a symlink; anything else (sockets, FIFOs, devices) and
/// names that are not UTF-8 (never an image part) are left out.
fn list(root: &Path, limits: &Limits) -> Result<(Vec<Item>, Vec<PathBuf>)> {
    let mut items = Vec::new();
    let mut paths = Vec::new();
    let mut stack = vec![(PathBuf::new(), 0usize)];
    while let Some((rel, depth)) = stack.pop() {
        let dir = root.join(&rel);
        let entries =
            fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let rel = rel.join(entry.file_name());
            let Some(name) = rel
                .to_str()
                .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
            else {
                continue;
            };
            let kind = entry
                .file_type()
                .with_context(|| format!("cannot read {}", root.join(&rel).display()))?;
            if kind.is_dir() {
                if depth >= MAX_DEPTH {
                    bail!("directories nested more than {MAX_DEPTH} deep at {name}");
                }
                stack.push((rel, depth + 1));
                continue;
            }
            let kind = if kind.is_file() {
                let meta = entry
                    .metadata()
                    .with_context(|| format!("cannot read {}", root.join(&rel).display()))?;
                ItemKind::File { size: meta.len() }
            } else if kind.is_symlink() {
                let target = fs::read_link(root.join(&rel))
                    .with_context(|| format!("cannot read {}", root.join(&rel).display()))?;
                let Some(target) = target.to_str() else {
                    bail!("symlink {name} has a target that is not UTF-8");
                };
                ItemKind::Symlink {
                    target: target.to_owned(),
                }
            } else {
                continue;
            };
            items.push(Item {
                path: name,
                kind,
                index: paths.len(),
            });
            paths.push(rel);
            // Stop early on a huge tree rather than list it all first.
            if items.len() as u64 > limits.max_members {
                bail!(
                    "limit exceeded: more than {} files in the directory",
                    limits.max_members
                );
            }
        }
    }
    Ok((items, paths))
}

/// Most files kept open at once; past it, handles are closed and reopened as needed.
const MAX_OPEN: usize = 256;

/// The directory's files, opened on first read and kept open: a file replaced while it is
/// read (an output written over an input) is still read as it was.
pub struct DiskFiles {
    root: PathBuf,
    paths: Vec<PathBuf>,
    handles: Vec<Option<SeekSource<File>>>,
    open: usize,
}

impl FolderFiles for DiskFiles {
    fn read_file_at(&mut self, index: usize, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Some(rel) = self.paths.get(index) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no such file in the directory",
            ));
        };
        if self.handles[index].is_none() {
            if self.open >= MAX_OPEN {
                self.handles.iter_mut().for_each(|h| *h = None);
                self.open = 0;
            }
            let path = self.root.join(rel);
            let file = File::open(&path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            self.handles[index] = Some(SeekSource::new(file));
            self.open += 1;
        }
        match &mut self.handles[index] {
            Some(h) => h.read_at(offset, buf),
            None => Ok(0),
        }
    }
}

/// Whether `file` can be read by seeking (a regular file or a block device); a pipe, a
/// socket or a character device (a terminal, `/dev/stdin` on a pipe) is read once instead.
fn is_seekable(file: &File) -> bool {
    let Ok(m) = file.metadata() else {
        return true;
    };
    let t = m.file_type();
    !(t.is_fifo() || t.is_socket() || t.is_char_device())
}
