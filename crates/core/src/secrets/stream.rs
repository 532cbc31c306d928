//! Scanning a file's contents as they stream past, in bounded memory: whole lines are matched
//! as they complete; a line longer than [`MAX_LINE`] is matched in windows that overlap by
//! more than the longest token, so nothing is missed at a window's edge or found twice.

use alloc::vec::Vec;

use super::{find, mask_hit, rules::LONGEST_HEADER, Masked, Rules};

/// Bytes of a file read for secrets at most (the rest is not scanned).
pub const SCAN_LIMIT: u64 = 8 << 20;
/// Bytes at the start of a file in which a NUL byte marks it binary (not scanned).
const BINARY_PROBE: u64 = 8 << 10;
/// The longest line matched whole; longer ones are matched in windows.
const MAX_LINE: usize = 64 << 10;
/// Overlap of two windows of a long line: longer than any token or keyed value found.
const OVERLAP: usize = 512;
/// Secrets kept per file (the rest are counted).
const KEEP: usize = 16;

/// Secrets found in one file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileSecrets {
    /// The first ones found, masked, with the 1-based line each is on.
    pub found: Vec<(u64, Masked)>,
    /// How many there are in all (more than `found` holds when there are many).
    pub count: usize,
}

/// A streaming scanner for one file: [`ContentScanner::feed`] its bytes in order, then
/// [`ContentScanner::finish`].
#[derive(Debug)]
pub struct ContentScanner {
    rules: Rules,
    /// Bytes of the current (unfinished) line or window.
    pending: Vec<u8>,
    /// Line number of `pending`'s first byte.
    line: u64,
    /// Bytes fed so far.
    fed: u64,
    /// Hits ending at or before this offset in `pending` were reported with the last window.
    reported_to: usize,
    binary: bool,
    out: FileSecrets,
}

impl ContentScanner {
    /// A scanner applying `rules` (see [`Rules::for_path`]).
    pub fn new(rules: Rules) -> Self {
        ContentScanner {
            rules,
            pending: Vec::new(),
            line: 1,
            fed: 0,
            reported_to: 0,
            binary: false,
            out: FileSecrets::default(),
        }
    }

    /// Whether more bytes would be scanned (not binary, under [`SCAN_LIMIT`]).
    pub fn wants_more(&self) -> bool {
        !self.binary && self.fed < SCAN_LIMIT
    }

    /// Scans the next bytes of the file.
    pub fn feed(&mut self, chunk: &[u8]) {
        if !self.wants_more() {
            return;
        }
        let room = usize::try_from(SCAN_LIMIT - self.fed).unwrap_or(usize::MAX);
        let chunk = chunk.get(..chunk.len().min(room)).unwrap_or_default();
        if self.fed < BINARY_PROBE {
            let probe = usize::try_from(BINARY_PROBE - self.fed).unwrap_or(usize::MAX);
            if chunk.iter().take(probe).any(|&b| b == 0) {
                self.binary = true;
                self.pending = Vec::new();
                return;
            }
        }
        self.fed += chunk.len() as u64;
        let mut rest = chunk;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let (line, tail) = rest.split_at(nl + 1);
            self.pending.extend_from_slice(line);
            self.flush_lines();
            rest = tail;
        }
        self.pending.extend_from_slice(rest);
        if self.pending.len() > MAX_LINE {
            self.flush_window();
        }
    }

    /// What the file holds (nothing for a binary file).
    pub fn finish(mut self) -> FileSecrets {
        if !self.binary && !self.pending.is_empty() {
            self.scan_pending();
        }
        self.out
    }

    /// `pending` ends a line: match it whole, then start the next.
    fn flush_lines(&mut self) {
        self.scan_pending();
        self.line += 1;
        self.pending.clear();
        self.reported_to = 0;
    }

    /// `pending` is a long line's window: match it, keep its last [`OVERLAP`] bytes.
    fn flush_window(&mut self) {
        self.scan_pending();
        let keep = OVERLAP.max(LONGEST_HEADER);
        let cut = self.pending.len().saturating_sub(keep);
        self.pending.drain(..cut);
        self.reported_to = self.pending.len();
    }

    fn scan_pending(&mut self) {
        for h in find(&self.pending, self.rules) {
            // Found whole in the previous window already.
            if h.end <= self.reported_to {
                continue;
            }
            self.out.count += 1;
            if self.out.found.len() < KEEP {
                let value = self.pending.get(h.start..h.end).unwrap_or_default();
                let masked = mask_hit(h.kind, value);
                self.out.found.push((
                    self.line,
                    Masked {
                        kind: h.kind,
                        masked,
                    },
                ));
            }
        }
    }
}
