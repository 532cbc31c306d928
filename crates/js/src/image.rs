//! `open` and the [`Image`] it gives: each method asks the core's [`Analysis`] and hands the
//! answer over as a plain object; nothing here analyses.

use std::io::{BufWriter, Write};

use js_sys::{Function, Uint8Array};
use layerlens_core::analysis::WasteReport;
use layerlens_core::archive::ArchiveSource;
use layerlens_core::squash::{SquashOptions, SquashPlan};
use layerlens_core::{Analysis, ImagePick, Limits, NoProgress};
use wasm_bindgen::prelude::*;
use web_sys::Blob;

use crate::convert::{error, to_js};
use crate::input::{Input, NodeFs};
use crate::options;
use crate::squash::{run_now, BlobSink, CallbackWriter};

/// Opens an image archive held in a `Blob` / `File` (in a dedicated Web Worker, where it can
/// be read synchronously) or a `Uint8Array`, picks an image (`options.image`: a position or
/// a tag; `options.platform`: `os/arch`) and analyses it.
#[wasm_bindgen(js_name = openInput)]
pub fn open_input(
    input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "OpenOptions | undefined")] options: JsValue,
) -> Result<Image, JsError> {
    let source = if let Some(bytes) = input.dyn_ref::<Uint8Array>() {
        Input::Bytes(bytes.clone())
    } else if let Some(blob) = input.dyn_ref::<Blob>() {
        Input::blob(blob.clone()).map_err(|e| JsError::new(&e))?
    } else {
        return Err(JsError::new(
            "open: expected a File, Blob or Uint8Array (or, under Node, a file path)",
        ));
    };
    Image::open(source, &options)
}

/// Opens the image archive in the Node file descriptor `fd` (read with `fs.readSync` at
/// offsets; closed when the image is closed or fails to open).
#[wasm_bindgen(js_name = openFd)]
pub fn open_fd(
    fs: NodeFs,
    fd: f64,
    #[wasm_bindgen(unchecked_param_type = "OpenOptions | undefined")] options: JsValue,
) -> Result<Image, JsError> {
    let source = Input::file(fs, fd).map_err(|e| JsError::new(&e))?;
    Image::open(source, &options)
}

/// An opened, analysed image. `close()` (or `free()`) releases it and closes its file.
#[wasm_bindgen]
pub struct Image {
    analysis: Analysis<Input>,
    /// The waste report, once asked for (reset by the deep scan).
    waste: Option<WasteReport>,
}

impl Image {
    fn open(source: Input, options: &JsValue) -> Result<Image, JsError> {
        let selector = options::selector(options).map_err(|e| JsError::new(&e))?;
        let analysis = Analysis::open(
            source,
            &ImagePick::Select(selector),
            Limits::default(),
            &mut NoProgress,
        )
        .map_err(|e| error(&e))?;
        Ok(Image {
            analysis,
            waste: None,
        })
    }

    fn report(&mut self) -> &WasteReport {
        self.waste.get_or_insert_with(|| self.analysis.waste(None))
    }

    /// A layer by position or digest, as the CLI's `--from` and `--layer` take it.
    fn layer(&self, what: &str, spec: options::Spec) -> Result<usize, JsError> {
        let spec = spec.text();
        let i = self
            .analysis
            .layer(&spec)
            .map_err(|e| JsError::new(&format!("{what} {spec}: {e}")))?;
        // A position is taken as given; the layer must exist.
        let count = self.analysis.changes().len();
        if i >= count {
            return Err(JsError::new(&format!(
                "{what} {spec}: the image has layers 0 to {}",
                count.saturating_sub(1)
            )));
        }
        Ok(i)
    }

    fn plan(&self, options: &JsValue) -> Result<SquashPlan, JsError> {
        let o = options::squash(options).map_err(|e| JsError::new(&e))?;
        let from = match o.from {
            Some(spec) => self.layer("from", spec)?,
            None => 0,
        };
        let options = SquashOptions {
            from,
            tags: o.tags,
            created: None,
            ..SquashOptions::default()
        };
        self.analysis.squash_plan(&options).map_err(|e| error(&e))
    }
}

#[wasm_bindgen]
impl Image {
    /// The overview and the layer table: tags, ID, platform, sizes, the final filesystem's
    /// size, the archive's images, and each layer's sizes and change counts.
    #[wasm_bindgen(unchecked_return_type = "Summary")]
    pub fn summary(&self) -> Result<JsValue, JsError> {
        to_js(&self.analysis.summary())
    }

    /// The layers, base first (the summary's layer table).
    #[wasm_bindgen(unchecked_return_type = "LayerSummary[]")]
    pub fn layers(&self) -> Result<JsValue, JsError> {
        to_js(&self.analysis.summary().layers)
    }

    /// What layer `layer` (a position, or a digest or unique prefix of its diff_id, chain ID
    /// or blob digest) added, modified and removed.
    #[wasm_bindgen(unchecked_return_type = "Change[]")]
    pub fn changes(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number | string")] layer: JsValue,
    ) -> Result<JsValue, JsError> {
        let spec = match (layer.as_f64(), layer.as_string()) {
            (Some(n), _) if n >= 0.0 && n.fract() == 0.0 => options::Spec::Position(n as usize),
            (_, Some(s)) => options::Spec::Text(s),
            _ => return Err(JsError::new("changes: expected a layer position or digest")),
        };
        let i = self.layer("layer", spec)?;
        let changes = self.analysis.changes().get(i).map(|cs| &cs.changes);
        to_js(&changes)
    }

    /// The waste report: dive-compatible figures, layerlens' figures, what a squash of every
    /// layer reclaims by cause, and the findings.
    #[wasm_bindgen(unchecked_return_type = "WasteReport")]
    pub fn waste(&mut self) -> Result<JsValue, JsError> {
        to_js(self.report())
    }

    /// The waste report's findings, most important first.
    #[wasm_bindgen(unchecked_return_type = "Finding[]")]
    pub fn findings(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.report().findings)
    }

    /// The history of `path` layer by layer, or `null` if no layer has it.
    #[wasm_bindgen(unchecked_return_type = "Timeline | null")]
    pub fn history(&self, path: &str) -> Result<JsValue, JsError> {
        to_js(&self.analysis.timeline(path.as_bytes()))
    }

    /// Reads the layers again to hash the files later layers write again, so the waste
    /// report can tell identical rewrites from changes (the CLI's `--deep`).
    #[wasm_bindgen(js_name = deepScan)]
    pub fn deep_scan(&mut self) -> Result<(), JsError> {
        self.analysis
            .deep_scan(&mut NoProgress)
            .map_err(|e| error(&e))?;
        self.waste = None;
        Ok(())
    }

    /// Plans squashing layers `from` (default 0) to the top into one, tagged `tag`: sizes and
    /// savings by cause, as `layerlens squash --dry-run --json` prints them.
    #[wasm_bindgen(js_name = squashPlan, unchecked_return_type = "SquashPlan")]
    pub fn squash_plan(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SquashOptions | undefined")] options: JsValue,
    ) -> Result<JsValue, JsError> {
        to_js(&self.plan(&options)?)
    }

    /// The squashed image (a docker-archive) as a `Blob`. When the image was opened from an
    /// uncompressed Blob, the Blob's unchanged runs are slices of it (no copies).
    #[wasm_bindgen(js_name = squashBlob)]
    pub fn squash_blob(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "SquashOptions | undefined")] options: JsValue,
    ) -> Result<Blob, JsError> {
        let plan = self.plan(&options)?;
        // Archive offsets are input offsets only in a plain (not gzipped) archive.
        let input = match self.analysis.source_mut() {
            ArchiveSource::Plain(input) => input.as_blob().cloned(),
            ArchiveSource::Gzip(_) => None,
        };
        let mut sink = BlobSink::new(input.as_ref());
        let written = run_now(self.analysis.emit_squash(&plan, &mut sink, &mut NoProgress))
            .map_err(|e| JsError::new(&e))?
            .map_err(|e| error(&e))?;
        let blob = sink.finish().map_err(|e| {
            JsError::new(&format!(
                "cannot assemble the Blob: {}",
                crate::input::message(&e)
            ))
        })?;
        if blob.size() as u64 != plan.archive_size || written.size != plan.archive_size {
            return Err(JsError::new(&format!(
                "internal error: planned {} bytes, assembled {}",
                plan.archive_size,
                blob.size()
            )));
        }
        Ok(blob)
    }

    /// Writes the squashed image through `write`, called with each chunk in order (a
    /// `Uint8Array` the callee may keep); returns what was written. The Node entry's
    /// `squash(path)` uses it to write a file.
    #[wasm_bindgen(js_name = squashInto, unchecked_return_type = "Written")]
    pub fn squash_into(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "(chunk: Uint8Array) => void")] write: &Function,
        #[wasm_bindgen(unchecked_param_type = "SquashOptions | undefined")] options: JsValue,
    ) -> Result<JsValue, JsError> {
        let plan = self.plan(&options)?;
        let mut out = BufWriter::with_capacity(1 << 20, CallbackWriter { write });
        let written = self
            .analysis
            .write_squash(&plan, &mut out, &mut NoProgress)
            .map_err(|e| error(&e))?;
        out.flush()
            .map_err(|e| JsError::new(&format!("writing the squashed image: {e}")))?;
        if written.size != plan.archive_size {
            return Err(JsError::new(&format!(
                "internal error: planned {} bytes but wrote {}",
                plan.archive_size, written.size
            )));
        }
        to_js(&written)
    }

    /// Releases the image (and closes its file under Node).
    pub fn close(self) {}
}
