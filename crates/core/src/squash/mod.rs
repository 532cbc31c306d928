//! Squashing: plan the new layer (pure), then write it (and the archive around it).

#[cfg(feature = "std")]
mod coalesce;
mod drop;
mod epoch;
mod layer;
mod output;
mod part;
mod plan;
mod reference;
#[cfg(feature = "std")]
mod write;

#[cfg(feature = "std")]
pub use coalesce::{coalesce, Coalesce, CostModel};
pub use drop::DropSet;
pub use epoch::rfc3339;
pub use layer::{
    content_parts, plan_layer, plan_layer_with, plan_subtree, DropTotal, Dropped, DroppedPath,
    Edits, LayerOptions, LayerPlan, Savings,
};
pub use output::{layer_media_type, Compress, Format, GZIP_DEFAULT};
pub use part::{Part, Parts};
pub use plan::{NewLayer, SquashOptions, SquashPlan};
pub use reference::{check_tag, check_time};
#[cfg(feature = "std")]
pub use write::{
    emit_parts_into, emit_squash, estimate_blob_size, write_parts, write_squash, SquashSink,
    WriteSink, Written, PAUSE_EVERY,
};

#[cfg(test)]
mod tests;
