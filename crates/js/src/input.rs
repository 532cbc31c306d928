//! What `open` reads, as the core's [`Source`]: a `Blob` (a `File`) through `FileReaderSync`
//! on `Blob.slice`, a `Uint8Array` through `subarray`, or a Node file descriptor through
//! `fs.readSync` at an offset. Each read copies only the bytes asked for (the core reads tar
//! headers through a read-ahead window and seeks past contents), so a large image is never
//! copied whole into wasm memory.

use std::io;

use js_sys::Uint8Array;
use layerlens_core::{ReadFailed, Source};
use wasm_bindgen::prelude::*;
use web_sys::{Blob, FileReaderSync};

#[wasm_bindgen]
extern "C" {
    /// Node's `fs` module. The package's Node entry hands it in; this module never imports
    /// it, so the one wasm build runs in browsers as well.
    #[wasm_bindgen(
        typescript_type = "{ readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number; fstatSync(fd: number): { size: number; isFile(): boolean }; closeSync(fd: number): void }"
    )]
    pub type NodeFs;

    #[wasm_bindgen(method, catch, js_name = readSync)]
    fn read_sync(
        this: &NodeFs,
        fd: f64,
        buffer: &mut [u8],
        offset: f64,
        length: f64,
        position: f64,
    ) -> Result<f64, JsValue>;

    #[wasm_bindgen(method, catch, js_name = fstatSync)]
    fn fstat_sync(this: &NodeFs, fd: f64) -> Result<NodeStats, JsValue>;

    #[wasm_bindgen(method, catch, js_name = closeSync)]
    fn close_sync(this: &NodeFs, fd: f64) -> Result<(), JsValue>;

    /// What `fs.fstatSync` returns.
    pub type NodeStats;

    #[wasm_bindgen(method, getter)]
    fn size(this: &NodeStats) -> f64;

    #[wasm_bindgen(method, js_name = isFile)]
    fn is_file(this: &NodeStats) -> bool;
}

/// A JavaScript error's message (or its string form).
pub(crate) fn message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

fn failed(what: &str, e: &JsValue) -> io::Error {
    io::Error::other(ReadFailed(format!("{what}: {}", message(e))))
}

/// The bytes of an opened image.
pub enum Input {
    /// A `Blob` or `File`, read with `FileReaderSync` (dedicated workers only).
    Blob { blob: Blob, reader: FileReaderSync },
    /// Bytes already in JavaScript memory.
    Bytes(Uint8Array),
    /// An open file under Node; closed when the image is freed.
    File { fs: NodeFs, fd: f64, size: u64 },
}

impl Input {
    /// A `Blob` (or `File`).
    ///
    /// # Errors
    /// Outside a dedicated worker, where there is no synchronous way to read a Blob.
    pub fn blob(blob: Blob) -> Result<Self, String> {
        let reader = FileReaderSync::new().map_err(|_| {
            "reading a Blob or File needs FileReaderSync, which only dedicated Web Workers have: \
             call open() in a Worker (see the package README), or pass a Uint8Array"
                .to_string()
        })?;
        Ok(Input::Blob { blob, reader })
    }

    /// An open Node file descriptor; the input owns it from here on.
    ///
    /// # Errors
    /// `fstat` fails or the descriptor is not a regular file (the core seeks).
    pub fn file(fs: NodeFs, fd: f64) -> Result<Self, String> {
        let stats = fs.fstat_sync(fd).map_err(|e| message(&e))?;
        if !stats.is_file() {
            let _ = fs.close_sync(fd);
            return Err("not a regular file (the image is read at offsets)".into());
        }
        let size = stats.size() as u64;
        Ok(Input::File { fs, fd, size })
    }

    /// The `Blob` to take slices of for a squashed image, when the input is one.
    pub fn as_blob(&self) -> Option<&Blob> {
        match self {
            Input::Blob { blob, .. } => Some(blob),
            _ => None,
        }
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        if let Input::File { fs, fd, .. } = self {
            let _ = fs.close_sync(*fd);
        }
    }
}

impl Source for Input {
    fn size(&mut self) -> io::Result<u64> {
        Ok(match self {
            Input::Blob { blob, .. } => blob.size() as u64,
            Input::Bytes(bytes) => u64::from(bytes.length()),
            Input::File { size, .. } => *size,
        })
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.size()?;
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let end = (offset + buf.len() as u64).min(size);
        let want = (end - offset) as usize;
        match self {
            Input::Blob { blob, reader } => {
                let slice = blob
                    .slice_with_f64_and_f64(offset as f64, end as f64)
                    .map_err(|e| failed("Blob.slice failed", &e))?;
                let ab = reader
                    .read_as_array_buffer(&slice)
                    .map_err(|e| failed("reading the Blob failed", &e))?;
                let arr = Uint8Array::new(&ab);
                let n = (arr.length() as usize).min(want);
                arr.subarray(0, n as u32).copy_to(&mut buf[..n]);
                Ok(n)
            }
            Input::Bytes(bytes) => {
                bytes
                    .subarray(offset as u32, end as u32)
                    .copy_to(&mut buf[..want]);
                Ok(want)
            }
            Input::File { fs, fd, .. } => {
                let n = fs
                    .read_sync(*fd, &mut buf[..want], 0.0, want as f64, offset as f64)
                    .map_err(|e| failed("reading the file failed", &e))?;
                Ok((n as usize).min(want))
            }
        }
    }

    /// A Blob read costs ~0.7 ms whatever its size (docs/browser-io.md), a `readSync` a system
    /// call: both are worth a larger window through stretches of small files.
    fn max_read_ahead(&self) -> usize {
        match self {
            Input::Bytes(_) => 1 << 20,
            _ => 8 << 20,
        }
    }
}
