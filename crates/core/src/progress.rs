//! Progress reporting without a clock: the core says how far it got; the caller (a terminal
//! bar, the browser worker) measures rate and time left, and may ask to stop.

/// What the core is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the outer archive's member table and metadata.
    Opening,
    /// Indexing layer `n` (0 = base).
    Indexing(usize),
    /// Hashing layer bytes (verification or a new diff_id).
    Hashing,
    /// Writing output.
    Writing,
    /// Reading one file's bytes out of layer `n` (a compressed layer is decoded up to it).
    Reading(usize),
}

/// A sink for progress. `done`/`total` are bytes of the input archive for reading stages
/// and of the output for writing.
pub trait Progress {
    /// Called now and then; return `false` to cancel (the core then returns
    /// [`ErrorKind::Cancelled`](crate::error::ErrorKind::Cancelled)).
    fn update(&mut self, stage: Stage, done: u64, total: u64) -> bool;
}

/// Ignores progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&mut self, _: Stage, _: u64, _: u64) -> bool {
        true
    }
}

impl<P: Progress + ?Sized> Progress for &mut P {
    fn update(&mut self, stage: Stage, done: u64, total: u64) -> bool {
        (**self).update(stage, done, total)
    }
}

/// Carried through `io::Error` by a reader whose [`Progress`] asked to stop, so the error
/// arrives as [`ErrorKind::Cancelled`](crate::error::ErrorKind::Cancelled), found by its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl core::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("cancelled")
    }
}

impl core::error::Error for Cancelled {}
