//! The worker's side of the teaching views: the tour's steps, the digests, verifying them
//! from the bytes, and a layer's members as stored. The numbers all come from the core, as
//! `layerlens tour`, `digests` and `layer` print them.

use layerlens_core::digest::Digest;
use layerlens_core::teach::{raw_layer, Digests, LayerPlace, Tour};
use layerlens_core::Limits;

use super::{post, PostProgress, Session};
use crate::protocol::{Event, Failure, Recomputed, TourEvent, TourRequest};

/// Answers one request of the teaching views.
pub(super) fn answer(s: &mut Session, request: TourRequest) -> Result<(), Failure> {
    let event = match request {
        TourRequest::Steps => TourEvent::Steps {
            tour: Box::new(Tour::of(s.analysis.model())),
        },
        TourRequest::Digests => TourEvent::Digests {
            digests: Box::new(Digests::of(s.analysis.image())),
        },
        TourRequest::Verify => {
            let mut progress = PostProgress::new();
            let result = s
                .analysis
                .verify(&mut progress)
                .map(|layers| {
                    layers
                        .iter()
                        .map(|d| Recomputed {
                            diff_id: d.diff_id.to_string(),
                            blob_digest: d.blob_digest.to_string(),
                        })
                        .collect()
                })
                .map_err(|e| format!("{}: {e}", s.file.name()));
            let image_id = Digest::of(&s.analysis.image().config_bytes).to_string();
            TourEvent::Verified { result, image_id }
        }
        TourRequest::Layer { layer } => {
            let place = LayerPlace::of(s.analysis.image(), layer)
                .ok_or_else(|| Failure::from(format!("no layer {layer}")))?;
            let mut progress = PostProgress::new();
            let mut raw = raw_layer(
                s.analysis.source_mut(),
                &place,
                &Limits::default(),
                &mut progress,
            )
            .map_err(|e| Failure::of(&s.file.name(), &e))?;
            let changes = s
                .analysis
                .changes()
                .get(layer)
                .ok_or_else(|| Failure::from(format!("no layer {layer}")))?;
            raw.link(s.analysis.image(), changes);
            TourEvent::Layer { raw: Box::new(raw) }
        }
    };
    post(&Event::Tour(event), None);
    Ok(())
}
