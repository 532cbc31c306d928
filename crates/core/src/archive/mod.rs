//! Opening an image archive: detect the layout from content, read the member table, and list
//! the images inside with where each part lies.
//!
//! Layouts: docker-archive as Docker < 25 writes it (`<id>/layer.tar`), as buildah / podman /
//! skopeo write it (top-level `<diffid>.tar`, `<id>/layer.tar` symlinks), Docker ≥ 25 (an OCI
//! layout plus `manifest.json`, which is preferred), and OCI layouts / oci-archives without
//! `manifest.json`, and containers/image `dir:` layouts (see [`Format::ContainersDir`]). The
//! whole archive may be gzipped. Image directories come here as a virtual tar
//! ([`crate::folder`]).

#[cfg(feature = "std")]
mod descriptor;
#[cfg(feature = "std")]
mod gunzip;
#[cfg(feature = "std")]
mod members;
#[cfg(feature = "std")]
mod reader;
mod refs;

#[cfg(feature = "std")]
pub use gunzip::GunzipSource;
#[cfg(feature = "std")]
pub use members::{Member, MemberKind, Members};
#[cfg(feature = "std")]
pub(crate) use reader::{check_tar_start, is_tar_header};
#[cfg(feature = "std")]
pub use reader::{Archive, ArchiveSource};
pub use refs::{BlobRef, Format, ImageRef, LayerRef, Selector};
