//! Every file the CLI writes appears whole or not at all, and never over the input.
//!
//! A file is written to a temporary file beside its destination (`.NAME.XXXXXX.partial`,
//! same directory so the rename cannot cross filesystems), flushed, synced and checked
//! against its planned size, then renamed over the destination and the directory synced. On
//! an error or a panic the temporary file is removed when [`Output`] is dropped; on SIGINT,
//! SIGTERM or SIGHUP by the signal thread ([`signals`]). The destination is untouched until
//! the rename, so a pre-existing file stays byte-identical when anything fails.
//!
//! Refused before anything is read or written: an output that is the input (same path, or
//! the same file through a symlink, a hardlink or `/dev/stdout`; for an image directory, any
//! of its files), and a terminal as standard output. Free space is checked against the planned size before the temporary file is made.
//!
//! Standard output (`-o -`) and destinations that are not regular files (a pipe, a device,
//! `/dev/stdout`) are streams: written in place, since nothing can be renamed over them; a
//! failure there shows in the exit status of the pipeline.
//!
//! A command that writes a file: `Destination::resolve(output, input)?` before loading the
//! input (a refusal costs nothing), then `dest.create(planned_size, options)?`, write into the
//! [`Output`], and `out.commit()?`.

mod identity;
mod signals;
pub mod space;

use std::fs::{File, Permissions};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use identity::FileId;

const BUFFER: usize = 1 << 20;

/// Where an output goes, checked and resolved.
#[derive(Debug)]
pub struct Destination {
    /// As the user wrote it, for messages.
    given: PathBuf,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Stdout,
    /// A pipe, a device or a descriptor path: opened and written in place.
    Stream(PathBuf),
    /// A regular file (or none yet) at this path, symlinks followed: replaced by rename.
    File {
        path: PathBuf,
        mode: Option<u32>,
    },
}

/// Whether `path` is an existing file inside `input` when the input is an image directory:
/// replacing it would change (and lose) the image. A new file there is harmless.
fn is_in_input_dir(path: &Path, input: &Path) -> bool {
    if !input.is_dir() {
        return false;
    }
    match (std::fs::canonicalize(path), std::fs::canonicalize(input)) {
        (Ok(file), Ok(dir)) => file.starts_with(dir),
        _ => false,
    }
}

/// Options of every command that writes a file.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Check free space before writing (off for filesystems that report it wrongly).
    pub space_check: bool,
}

impl Destination {
    /// Resolves `-o` for a command reading `input`, refusing an output that is the input.
    /// Done before the input is read, so a refusal costs nothing.
    pub fn resolve(given: &Path, input: &Path) -> Result<Self> {
        let input_id = FileId::of_path(input);
        let same = |id: Option<FileId>| id.is_some() && id == input_id;
        let refuse = |how: &str| -> Result<Self> {
            bail!(
                "refusing to write {} over the input {}{how}: the input would be lost; \
                 write to another file (and rename it afterwards if you mean to replace the input)",
                given.display(),
                input.display(),
            )
        };
        if given.as_os_str() == "-" {
            if same(FileId::of_stdout()) {
                return refuse(" (standard output is the input file)");
            }
            if io::stdout().is_terminal() {
                bail!(
                    "refusing to write to standard output: it is a terminal; redirect it to a \
                     file or a pipe (`-o - | podman load`), or name a file"
                );
            }
            return Ok(Destination {
                given: given.into(),
                kind: Kind::Stdout,
            });
        }
        if is_descriptor_path(given) {
            if same(FileId::of_path(given)) {
                return refuse(" (the same file)");
            }
            return Ok(Destination {
                given: given.into(),
                kind: Kind::Stream(given.into()),
            });
        }
        let path =
            follow_links(given).with_context(|| format!("cannot resolve {}", given.display()))?;
        if is_in_input_dir(&path, input) {
            return refuse(" (a file of the input image directory)");
        }
        let kind = match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => bail!("{} is a directory; name a file", given.display()),
            Ok(m) if same(Some(FileId::of(&m))) => {
                return refuse(&if path != given {
                    format!(" (through the link to {})", path.display())
                } else if same_path(given, input) {
                    " (the same file)".to_string()
                } else {
                    " (the same file under another name: a hardlink)".to_string()
                });
            }
            Ok(m) if !m.is_file() => Kind::Stream(path),
            Ok(m) => Kind::File {
                path,
                mode: Some(m.permissions().mode() & 0o7777),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let dir = parent(&path);
                if !dir.is_dir() {
                    bail!(
                        "cannot write {}: the directory {} does not exist",
                        given.display(),
                        dir.display()
                    );
                }
                Kind::File { path, mode: None }
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot write {}", given.display()));
            }
        };
        Ok(Destination {
            given: given.into(),
            kind,
        })
    }

    /// Standard output: other things the command prints go to standard error.
    pub fn is_stdout(&self) -> bool {
        matches!(self.kind, Kind::Stdout)
    }

    /// As the user wrote it, for messages.
    pub fn display(&self) -> String {
        match self.kind {
            Kind::Stdout => "standard output".into(),
            _ => self.given.display().to_string(),
        }
    }

    /// Starts writing `planned` bytes.
    pub fn create(&self, planned: u64, options: WriteOptions) -> Result<Output> {
        let sink = match &self.kind {
            Kind::Stdout => Sink::Stdout(BufWriter::with_capacity(BUFFER, io::stdout().lock())),
            Kind::Stream(path) => {
                let f = File::create(path)
                    .with_context(|| format!("cannot open {}", self.given.display()))?;
                Sink::Stream(BufWriter::with_capacity(BUFFER, f))
            }
            Kind::File { path, mode } => {
                let dir = parent(path);
                if options.space_check {
                    space::require(dir, &self.given, planned)?;
                }
                Sink::Temp(Temp::create(path, *mode)?)
            }
        };
        Ok(Output {
            sink,
            written: 0,
            planned,
            given: self.given.clone(),
        })
    }
}

/// Paths that name an open descriptor, not a file to replace: `/dev/stdout`, `/dev/fd/N`,
/// `/proc/self/fd/N`.
fn is_descriptor_path(p: &Path) -> bool {
    p.starts_with("/dev/fd")
        || p.starts_with("/proc")
        || ["/dev/stdout", "/dev/stderr", "/dev/stdin"]
            .iter()
            .any(|d| p == Path::new(d))
}

/// The file a chain of symlinks ends at (the link itself stays a link to the new file).
fn follow_links(p: &Path) -> io::Result<PathBuf> {
    let mut p = p.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)?;
                p = p.parent().unwrap_or(Path::new("")).join(target);
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The directory holding `p` (`.` for a bare name).
fn parent(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

enum Sink {
    Stdout(BufWriter<io::StdoutLock<'static>>),
    Stream(BufWriter<File>),
    Temp(Temp),
}

/// An output being written. Dropping it without [`Output::commit`] removes the temporary file.
pub struct Output {
    sink: Sink,
    written: u64,
    planned: u64,
    given: PathBuf,
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.sink {
            Sink::Stdout(w) => w.write(buf)?,
            Sink::Stream(w) => w.write(buf)?,
            Sink::Temp(t) => t.writer.write(buf)?,
        };
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(w) => w.flush(),
            Sink::Stream(w) => w.flush(),
            Sink::Temp(t) => t.writer.flush(),
        }
    }
}

impl Output {
    /// Sets the size to check at [`Output::commit`] when it was an estimate until written
    /// (a compressed layer's size is known once compressed).
    pub fn replan(&mut self, planned: u64) {
        self.planned = planned;
    }

    /// Finishes the output: flushes, checks the planned size, and for a file syncs it, checks
    /// its size on disk, renames it over the destination and syncs the directory.
    pub fn commit(mut self) -> Result<u64> {
        let shown = self.given.display().to_string();
        self.flush().with_context(|| format!("writing {shown}"))?;
        if self.written != self.planned {
            bail!(
                "internal error: {shown}: planned {} bytes but wrote {}",
                self.planned,
                self.written
            );
        }
        match self.sink {
            Sink::Stdout(_) | Sink::Stream(_) => {}
            Sink::Temp(t) => t.persist(self.planned, &shown)?,
        }
        Ok(self.written)
    }
}

/// The temporary file beside the destination, registered with the signal thread.
struct Temp {
    // Field order is drop order: the file is deleted (tempfile's guard) before it is
    // forgotten by the signal thread.
    writer: BufWriter<tempfile::NamedTempFile>,
    registered: Registered,
    dest: PathBuf,
}

impl Temp {
    fn create(dest: &Path, mode: Option<u32>) -> Result<Self> {
        signals::install();
        let dir = parent(dest);
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Created and registered under the lock, so a signal cannot slip in between.
        let mut temps = signals::registry();
        let file = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            // A new file gets the usual 0666 less the umask, as `File::create` would.
            .permissions(Permissions::from_mode(0o666))
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        temps.push(file.path().to_path_buf());
        let registered = Registered(file.path().to_path_buf());
        drop(temps);
        if let Some(mode) = mode {
            // Replacing a file keeps its permissions.
            file.as_file()
                .set_permissions(Permissions::from_mode(mode))
                .with_context(|| format!("cannot set the permissions of {}", dest.display()))?;
        }
        Ok(Temp {
            writer: BufWriter::with_capacity(BUFFER, file),
            registered,
            dest: dest.to_path_buf(),
        })
    }

    fn persist(self, planned: u64, shown: &str) -> Result<()> {
        let Temp {
            writer,
            registered,
            dest,
        } = self;
        let file = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("writing {shown}"))?;
        file.as_file()
            .sync_all()
            .with_context(|| format!("writing {shown}"))?;
        let on_disk = file
            .as_file()
            .metadata()
            .with_context(|| format!("writing {shown}"))?
            .len();
        if on_disk != planned {
            bail!("writing {shown}: the file has {on_disk} bytes, {planned} were planned");
        }
        let mut temps = signals::registry();
        file.persist(&dest)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot rename the finished file to {shown}"))?;
        signals::forget(&mut temps, &registered.0);
        std::mem::forget(registered);
        drop(temps);
        // The rename is durable once the directory is synced (best effort: some filesystems
        // refuse to sync a directory).
        if let Ok(d) = File::open(parent(&dest)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// A temporary file's path known to the signal thread; forgotten on drop.
struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        signals::forget(&mut signals::registry(), &self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACE: WriteOptions = WriteOptions { space_check: true };

    fn partials(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".partial"))
            .collect()
    }

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.tar");
        std::fs::write(&input, b"input").unwrap();
        let dest = dir.path().join("out.tar");
        (dir, input, dest)
    }

    #[test]
    fn a_committed_file_appears_whole_and_the_temporary_file_is_gone() {
        let (dir, input, dest) = setup();
        let d = Destination::resolve(&dest, &input).unwrap();
        let mut out = d.create(10, SPACE).unwrap();
        out.write_all(b"0123456789").unwrap();
        assert!(!dest.exists(), "visible before the commit");
        let mine = |p: &PathBuf| p.starts_with(dir.path());
        assert!(signals::registry().iter().any(mine), "not registered");
        assert_eq!(partials(dir.path()).len(), 1);
        assert_eq!(out.commit().unwrap(), 10);
        assert_eq!(std::fs::read(&dest).unwrap(), b"0123456789");
        assert!(partials(dir.path()).is_empty());
        assert!(no_stale_registration(dir.path()));
    }

    #[test]
    fn a_panic_while_writing_removes_the_temporary_file() {
        let (dir, input, dest) = setup();
        std::fs::write(&dest, b"old").unwrap();
        let d = Destination::resolve(&dest, &input).unwrap();
        let caught = std::panic::catch_unwind(|| {
            let mut out = d.create(10, SPACE).unwrap();
            out.write_all(b"01234").unwrap();
            panic!("a bug half-way");
        });
        assert!(caught.is_err());
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        assert!(partials(dir.path()).is_empty());
        assert!(no_stale_registration(dir.path()));
    }

    #[test]
    fn a_short_output_is_not_committed() {
        let (dir, input, dest) = setup();
        let d = Destination::resolve(&dest, &input).unwrap();
        let mut out = d.create(10, SPACE).unwrap();
        out.write_all(b"01234").unwrap();
        let err = out.commit().unwrap_err();
        assert!(
            format!("{err:#}").contains("planned 10 bytes but wrote 5"),
            "{err:#}"
        );
        assert!(!dest.exists());
        assert!(partials(dir.path()).is_empty());
    }

    #[test]
    fn more_than_the_free_space_is_refused_before_writing() {
        let (dir, input, dest) = setup();
        let d = Destination::resolve(&dest, &input).unwrap();
        let err = d.create(u64::MAX / 2, SPACE).err().expect("refused");
        assert!(
            format!("{err:#}").contains("not enough free space"),
            "{err:#}"
        );
        assert!(partials(dir.path()).is_empty());
    }

    #[test]
    fn the_input_is_refused_as_output() {
        let (dir, input, _) = setup();
        std::os::unix::fs::symlink(&input, dir.path().join("link")).unwrap();
        for dest in [input.clone(), dir.path().join("link")] {
            let err = Destination::resolve(&dest, &input).unwrap_err();
            assert!(format!("{err:#}").contains("refusing to write"), "{err:#}");
        }
    }

    /// The signal thread knows no path of this test's that is gone. Only `dir`'s paths: tests
    /// run in parallel, and another test's temporary file is deleted a moment before it is
    /// forgotten (in that order, so that a signal in between cannot leave it on disk).
    fn no_stale_registration(dir: &Path) -> bool {
        signals::registry()
            .iter()
            .filter(|p| p.starts_with(dir))
            .all(|p| p.exists())
    }
}
