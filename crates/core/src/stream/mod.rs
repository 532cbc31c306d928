//! Byte streams below both the outer archive and the layers: how a blob is encoded, the
//! decoders for it, and the guard that keeps the tar reader's allocations bounded. Nothing
//! here knows what an image or a layer is.

mod compression;
#[cfg(feature = "std")]
pub(crate) mod decode;
#[cfg(feature = "std")]
pub(crate) mod guard;

pub use compression::Compression;
