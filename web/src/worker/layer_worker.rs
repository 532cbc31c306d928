//! The layer worker's role: the worker script started by the analysis worker under
//! [`LAYER_WORKER_NAME`] indexes the layer blobs it is sent, each read from the carried `File`
//! (an uncompressed or gzip one through reads in flight while it
//! parses, see [`prefetch`](super::prefetch); a zstd one streamed through its decoder with
//! `FileReaderSync`), and answers with the index as [`wire`] bytes in a transferred
//! `ArrayBuffer`. Once the blobs are indexed, one of them may get every index back to
//! compute dive's tally while the analysis worker builds the union. It holds nothing between
//! jobs.

use js_sys::{Array, Uint8Array};
use layerlens_core::dive::DiveTally;
use layerlens_core::layer::{IndexOptions, LayerIndex};
use layerlens_core::{wire, Progress, Stage};
use wasm_bindgen::prelude::*;
use web_sys::{Blob, MessageEvent};

use super::phases::{self, Phase};
use super::{prefetch, scope};
use crate::protocol::{decode, encode, LayerJob, LayerReply, LayerTask, TallyJob};

/// Installs the job handler, then says it is ready.
pub fn start() {
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        match decode::<LayerTask>(&event.data()) {
            Ok((LayerTask::Index(job), carried)) => {
                wasm_bindgen_futures::spawn_local(run(job, carried))
            }
            Ok((LayerTask::Tally(job), carried)) => tally(&job, &carried),
            // Only the analysis worker talks to this one: a message it cannot read is a bug,
            // and a thrown error reaches that worker's `onerror` as a crash.
            Err(e) => wasm_bindgen::throw_str(&format!("layer worker: {e}")),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    reply(&LayerReply::Ready, None);
}

fn reply(msg: &LayerReply, buffer: Option<&js_sys::ArrayBuffer>) {
    let sent = match buffer {
        Some(b) => scope().post_message_with_transfer(&encode(msg, Some(b)), &Array::of1(b)),
        None => scope().post_message(&encode(msg, None)),
    };
    if let Err(e) = sent {
        wasm_bindgen::throw_val(e);
    }
}

/// Indexes the job's blob and posts the outcome (an indexing error travels as data). The
/// analysis worker sends a worker its next job only after this one's reply.
async fn run(job: LayerJob, carried: JsValue) {
    let indexing = Phase::of("index blob", job.blob.to_string());
    let indexed = match carried.dyn_into::<Blob>() {
        Ok(file) => index(&job, file).await,
        Err(_) => Err(layerlens_core::Error::new(
            layerlens_core::ErrorKind::Request("no file came with the layer job".into()),
        )),
    };
    indexing.end();
    let bytes = phases::phase("encode blob", || {
        wire::encode(&indexed).or_else(|e| wire::encode(&Err(e)))
    });
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => wasm_bindgen::throw_str(&format!("layer worker: {e}")),
    };
    let buffer = Uint8Array::from(bytes.as_slice()).buffer();
    reply(&LayerReply::Indexed { offset: job.offset }, Some(&buffer));
}

/// Computes dive's tally from the carried indexes and posts it. A failure is thrown: the
/// analysis worker sees this worker stop and computes the tally itself.
fn tally(job: &TallyJob, carried: &JsValue) {
    let tallying = Phase::of("tally", format!("{} layers", job.layers.len()));
    let buffers: Array = carried.clone().unchecked_into();
    let indexes = phases::phase("decode indexes", || {
        buffers
            .iter()
            .map(|b| wire::decode(&Uint8Array::new(&b).to_vec()))
            .collect::<layerlens_core::Result<Vec<LayerIndex>>>()
    });
    let indexes = match indexes {
        Ok(i) => i,
        Err(e) => wasm_bindgen::throw_str(&format!("layer worker: tally: {e}")),
    };
    let layers: Option<Vec<Option<&LayerIndex>>> = job
        .layers
        .iter()
        .map(|l| match l {
            Some(i) => indexes.get(*i).map(Some),
            None => Some(None),
        })
        .collect();
    let Some(layers) = layers else {
        wasm_bindgen::throw_str("layer worker: tally: a layer names no carried index");
    };
    let tally = phases::phase("dive tally", || DiveTally::of_layers(&layers));
    let bytes = match tally.to_bytes() {
        Ok(b) => b,
        Err(e) => wasm_bindgen::throw_str(&format!("layer worker: {e}")),
    };
    tallying.end();
    let buffer = Uint8Array::from(bytes.as_slice()).buffer();
    reply(&LayerReply::Tallied, Some(&buffer));
}

async fn index(job: &LayerJob, file: Blob) -> layerlens_core::Result<LayerIndex> {
    let options = IndexOptions { limits: job.limits };
    let mut report = Report::new(job.offset);
    let stage = Stage::Indexing(job.blob);
    prefetch::index_blob(
        &file,
        job.offset,
        job.size,
        &options,
        &mut report,
        stage,
        job.total,
    )
    .await
}

/// Posts how far into its blob the worker has read, at most ten times a second.
struct Report {
    offset: u64,
    last: f64,
}

impl Report {
    fn new(offset: u64) -> Self {
        Report {
            offset,
            last: js_sys::Date::now(),
        }
    }
}

impl Progress for Report {
    fn update(&mut self, _: Stage, done: u64, _: u64) -> bool {
        let now = js_sys::Date::now();
        if now - self.last >= 100.0 {
            self.last = now;
            let read = done.saturating_sub(self.offset) as f64;
            reply(&LayerReply::Progress { read }, None);
        }
        true
    }
}
