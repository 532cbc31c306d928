//! The squashed image out to JavaScript: as a `Blob` ([`BlobSink`]) whose unchanged runs are
//! slices of the input `Blob` where archive offsets are file offsets (an uncompressed archive
//! opened from a Blob), so only new headers, the config and the manifest are new bytes; or
//! through a write callback ([`CallbackWriter`]), which the Node entry uses to write a file.

use std::future::Future;
use std::io::{self, Write};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use js_sys::{Array, Function, Uint8Array};
use layerlens_core::squash::SquashSink;
use layerlens_core::{Error, ErrorKind};
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag};

/// Literal bytes are batched into Blob parts of this size.
const CHUNK: usize = 16 << 20;

fn sink_error(message: String) -> Error {
    Error::new(ErrorKind::Write(io::Error::other(message)))
}

/// The output as Blob parts.
pub struct BlobSink<'a> {
    /// The input, when its archive offsets are file offsets.
    input: Option<&'a Blob>,
    parts: Array,
    pending: Vec<u8>,
}

impl<'a> BlobSink<'a> {
    pub fn new(input: Option<&'a Blob>) -> Self {
        BlobSink {
            input,
            parts: Array::new(),
            pending: Vec::new(),
        }
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.parts.push(&Uint8Array::from(self.pending.as_slice()));
            self.pending.clear();
        }
    }

    /// The assembled `application/x-tar` Blob.
    pub fn finish(mut self) -> Result<Blob, JsValue> {
        self.flush();
        let options = BlobPropertyBag::new();
        options.set_type("application/x-tar");
        Blob::new_with_blob_sequence_and_options(&self.parts, &options)
    }
}

impl SquashSink for BlobSink<'_> {
    fn bytes(&mut self, bytes: &[u8]) -> layerlens_core::Result<()> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= CHUNK {
            self.flush();
        }
        Ok(())
    }

    fn range(&mut self, offset: u64, len: u64) -> layerlens_core::Result<bool> {
        let Some(input) = self.input else {
            return Ok(false);
        };
        self.flush();
        let slice = input
            .slice_with_f64_and_f64(offset as f64, (offset + len) as f64)
            .map_err(|e| sink_error(format!("Blob.slice failed: {}", crate::input::message(&e))))?;
        self.parts.push(&slice);
        Ok(true)
    }
}

/// Runs a future that never waits: the core's squash writer awaits only the sink's
/// `end_layer` and `pause`, which [`BlobSink`] leaves as the trait's immediate defaults, so
/// the squash completes in one poll and `squashBlob` can stay synchronous.
pub fn run_now<T>(future: impl Future<Output = T>) -> Result<T, String> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(v) => Ok(v),
        Poll::Pending => Err("internal error: the squash writer waited".into()),
    }
}

/// `Write` into a JavaScript function called with each chunk (a `Uint8Array` it may keep).
pub struct CallbackWriter<'a> {
    pub write: &'a Function,
}

impl Write for CallbackWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write
            .call1(&JsValue::NULL, &Uint8Array::from(buf))
            .map_err(|e| io::Error::other(crate::input::message(&e)))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
