//! Image directories: an OCI image layout on disk (`skopeo copy … oci:DIR`, `podman save
//! --format oci-dir`, BuildKit's `type=oci,tar=false`, umoci) or a containers/image `dir:`
//! folder (`skopeo copy … dir:DIR`, `podman save --format docker-dir`).
//!
//! A directory is read as the tar archive it would be if someone tarred it: [`TarView`] lays
//! its files out as a virtual tar (a synthesized ustar header, PAX for long names, before each
//! file's bytes, padded to 512), and [`FolderSource`] serves that layout as a [`Source`]
//! (crate::Source). The archive code, layer indexing, squash and export then work unchanged,
//! and every byte range that holds file contents lies inside one file: an output part copied
//! from it is a slice of that file. [`TarView::pieces`] gives the same layout as header bytes
//! and whole files, which the browser turns into one `Blob` of the dropped `File`s.
//!
//! Pure like the rest of the core: the caller lists the directory ([`Item`]s) and reads its
//! files ([`FolderFiles`]); nothing here touches a filesystem.

mod listing;
#[cfg(feature = "std")]
mod source;
// Its regions are read through `FolderSource`, which needs std.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
mod tar_view;

pub use listing::{Item, ItemKind};
#[cfg(feature = "std")]
pub use source::{FolderFiles, FolderSource};
pub use tar_view::{Piece, TarView};

#[cfg(test)]
mod tests;
