//! Teaching the mechanism with the image's own data: each layer's tar members as stored with
//! the whiteout markers linked to what they remove ([`raw`]), the digests that name layers and
//! the image with their formulas ([`digests`]), and the guided tour's steps ([`tour`]).

pub mod digests;
pub mod raw;
pub mod tour;

pub use digests::{Digests, LayerDigest};
#[cfg(feature = "std")]
pub use raw::raw_layer;
pub use raw::{LayerPlace, Marker, MarkerKind, RawLayer, RawMember};
pub use tour::{Figure, Step, Tour};
