//! The directory laid out as a tar: members in path order, each a synthesized header (PAX
//! first when the name or link target is long) and, for files, the file's bytes padded to 512;
//! two zero blocks at the end. Headers carry no owner or time (mode 0644, mtime 0), so the
//! layout depends on names, kinds and sizes only: the CLI and the browser agree byte for byte.

use alloc::vec;
use alloc::vec::Vec;

use super::listing::{check_item, check_markers, Item, ItemKind};
use crate::error::{Error, Result};
use crate::layer::{padding, HeaderSpec};
use crate::limits::LimitKind;
use crate::limits::Limits;
use crate::sanitize::display_bytes;

/// A member of the virtual tar and where its parts lie.
#[derive(Debug, Clone)]
struct Slot {
    item: Item,
    /// Offset of the header (PAX header included).
    start: u64,
    /// Offset of the contents (the end of the header).
    data: u64,
}

impl Slot {
    fn size(&self) -> u64 {
        match self.item.kind {
            ItemKind::File { size } => size,
            ItemKind::Symlink { .. } => 0,
        }
    }
}

/// Where an offset of the virtual tar falls.
pub(super) enum Region<'a> {
    /// Inside member `slot`'s header, `at` bytes in.
    Header { slot: usize, at: u64 },
    /// Inside `item`'s contents, `at` bytes in, `left` bytes before its end.
    Data { item: &'a Item, at: u64, left: u64 },
    /// Padding or the end-of-archive blocks: `left` zero bytes.
    Zeros { left: u64 },
}

/// A directory's files as a virtual tar archive.
#[derive(Debug, Clone)]
pub struct TarView {
    slots: Vec<Slot>,
    len: u64,
}

/// A run of the virtual tar: new bytes, or a whole file of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Headers and padding.
    Bytes(Vec<u8>),
    /// The contents of the item the caller numbered `index`, `len` bytes.
    File {
        /// The caller's number for the file.
        index: usize,
        /// Its size as listed.
        len: u64,
    },
}

impl TarView {
    /// Lays out a directory listing.
    ///
    /// # Errors
    /// More items than `limits.max_members`, an unclean or duplicate name, a symlink that
    /// points outside the directory, or a directory that is not an image layout (the message
    /// names what is missing).
    pub fn new(mut items: Vec<Item>, limits: &Limits) -> Result<Self> {
        if items.len() as u64 > limits.max_members {
            return Err(Error::limit(LimitKind::FolderFiles, limits.max_members));
        }
        for item in &items {
            check_item(item, limits)?;
        }
        items.sort_by(|a, b| a.path.cmp(&b.path));
        if let Some(pair) = items.windows(2).find(|w| w[0].path == w[1].path) {
            return Err(Error::archive(alloc::format!(
                "`{}` is listed twice",
                display_bytes(pair[0].path.as_bytes())
            )));
        }
        check_markers(&items)?;
        let mut slots = Vec::with_capacity(items.len());
        let mut at = 0u64;
        for item in items {
            let header = header_bytes(&item).len() as u64;
            let slot = Slot {
                start: at,
                data: at + header,
                item,
            };
            at = slot
                .data
                .checked_add(slot.size())
                .and_then(|end| end.checked_add(padding(slot.size())))
                .ok_or_else(|| {
                    Error::archive("the directory's files add up to more than 2^64 bytes")
                })?;
            slots.push(slot);
        }
        Ok(TarView {
            slots,
            len: at + 1024,
        })
    }

    /// Size of the virtual tar in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it is empty (never: a view has members and end blocks).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of members.
    pub fn count(&self) -> usize {
        self.slots.len()
    }

    /// The header bytes of member `slot`.
    pub(super) fn header(&self, slot: usize) -> Vec<u8> {
        self.slots
            .get(slot)
            .map(|s| header_bytes(&s.item))
            .unwrap_or_default()
    }

    /// What lies at `offset` (which must be below [`len`](Self::len)).
    pub(super) fn locate(&self, offset: u64) -> Region<'_> {
        let i = self.slots.partition_point(|s| s.start <= offset);
        let Some(slot) = i.checked_sub(1).and_then(|i| self.slots.get(i)) else {
            return Region::Zeros {
                left: self.len.saturating_sub(offset),
            };
        };
        let end = slot.data + slot.size();
        if offset < slot.data {
            Region::Header {
                slot: i - 1,
                at: offset - slot.start,
            }
        } else if offset < end {
            Region::Data {
                item: &slot.item,
                at: offset - slot.data,
                left: end - offset,
            }
        } else {
            let next = self.slots.get(i).map_or(self.len, |s| s.start);
            Region::Zeros {
                left: next.saturating_sub(offset),
            }
        }
    }

    /// The whole layout in order: header and padding bytes (merged between files), and each
    /// regular file whole. Concatenated, they are the bytes [`FolderSource`] serves.
    ///
    /// [`FolderSource`]: super::FolderSource
    pub fn pieces(&self) -> Vec<Piece> {
        let mut out = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        for slot in &self.slots {
            pending.extend_from_slice(&header_bytes(&slot.item));
            let size = slot.size();
            if size > 0 {
                out.push(Piece::Bytes(core::mem::take(&mut pending)));
                out.push(Piece::File {
                    index: slot.item.index,
                    len: size,
                });
                pending = vec![0; padding(size) as usize];
            }
        }
        pending.extend_from_slice(&[0u8; 1024]);
        out.push(Piece::Bytes(pending));
        out.retain(|p| !matches!(p, Piece::Bytes(b) if b.is_empty()));
        out
    }
}

fn header_bytes(item: &Item) -> Vec<u8> {
    match &item.kind {
        ItemKind::File { size } => HeaderSpec::file(item.path.as_bytes(), *size, 0).to_bytes(),
        ItemKind::Symlink { target } => HeaderSpec {
            path: item.path.as_bytes(),
            flag: b'2',
            mode: 0o777,
            link: target.as_bytes(),
            ..Default::default()
        }
        .to_bytes(),
    }
}
