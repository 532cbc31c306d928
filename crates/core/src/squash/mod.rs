//! Squashing: plan the new layer (pure), then write it (and the archive around it).

mod layer;
mod part;
mod plan;
mod reference;
#[cfg(feature = "std")]
mod write;

pub use layer::{content_parts, plan_layer, plan_subtree, LayerOptions, LayerPlan, Savings};
pub use part::{Part, Parts};
pub use plan::{SquashOptions, SquashPlan};
pub use reference::{check_tag, check_time};
#[cfg(feature = "std")]
pub use write::{
    emit_parts_into, emit_squash, write_parts, write_squash, SquashSink, WriteSink, Written,
    PAUSE_EVERY,
};

#[cfg(test)]
mod tests;
