//! What IMAGE names on the command line: an archive file, or an image directory (an OCI image
//! layout, a `dir:` folder) that the core reads as a virtual tar of its files.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use layerlens_core::folder::{FolderFiles, FolderSource, Item, ItemKind, TarView};
use layerlens_core::{Limits, SeekSource, Source};

/// The input's bytes, whichever it is.
pub enum Input {
    /// An archive file.
    File(SeekSource<File>),
    /// An image directory.
    Folder(FolderSource<DiskFiles>),
}

impl Source for Input {
    fn size(&mut self) -> io::Result<u64> {
        match self {
            Input::File(s) => s.size(),
            Input::Folder(s) => s.size(),
        }
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::File(s) => s.read_at(offset, buf),
            Input::Folder(s) => s.read_at(offset, buf),
        }
    }
    fn max_read_ahead(&self) -> usize {
        match self {
            Input::File(s) => s.max_read_ahead(),
            Input::Folder(s) => s.max_read_ahead(),
        }
    }
}

/// Opens `path`: a directory is listed and laid out, anything else opened as an archive.
pub fn open(path: &Path, limits: &Limits) -> Result<Input> {
    let what = || path.display().to_string();
    let meta = fs::metadata(path).with_context(|| format!("cannot open {}", what()))?;
    if !meta.is_dir() {
        let file = File::open(path).with_context(|| format!("cannot open {}", what()))?;
        require_seekable(&file, path)?;
        return Ok(Input::File(SeekSource::new(file)));
    }
    let (items, paths) = list(path, limits).with_context(what)?;
    let view = TarView::new(items, limits).with_context(what)?;
    let files = DiskFiles {
        root: path.to_path_buf(),
        handles: paths.iter().map(|_| None).collect(),
        paths,
        open: 0,
    };
    Ok(Input::Folder(FolderSource::new(view, files)))
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
