//! Indexing the picked image's layer blobs in several layer workers (nested dedicated
//! workers), each reading its own blob from the same `File` (with reads in flight ahead of
//! its parse, see [`prefetch`]): gzip and zstd layers decode on as many cores as there are
//! workers, and one worker's reads (spent in the browser process) overlap another's parsing. No
//! `SharedArrayBuffer` is needed: the `File` is posted to each worker, and each index comes
//! back as [`wire`] bytes in a transferred `ArrayBuffer`. The core assembles the image from
//! the indexes ([`Listed::assemble`]) as the CLI does from its threads', so every figure is
//! the same.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Function, Promise, Uint8Array};
use layerlens_core::archive::{ArchiveSource, BlobRef};
use layerlens_core::dive::DiveTally;
use layerlens_core::image::BlobIndexes;
use layerlens_core::layer::{estimate_entries, index_layer};
use layerlens_core::{wire, Compression, Error, ErrorKind, Listed, Progress, Stage};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ErrorEvent, File, MessageEvent, Worker, WorkerOptions};

use super::{post, prefetch, scope, BlobSource};
use crate::protocol::{
    decode, encode, Event, LayerJob, LayerReply, LayerTask, LayerWorkers, TallyJob,
    LAYER_WORKER_NAME, WORKER_URL,
};

/// At most this many layer workers: each holds a wasm instance and read buffers.
const MAX_WORKERS: usize = 8;

thread_local! {
    /// Layer workers started ahead of the next file, so that opening it does not wait for
    /// them to start (a worker's start, its wasm fetched, compiled and instantiated, took
    /// 170–300 ms on 2 cores, longer than indexing most layers).
    static SPARES: RefCell<Option<Pool>> = const { RefCell::new(None) };
}

/// How many layer workers this browser gets.
fn cores() -> usize {
    (scope().navigator().hardware_concurrency() as usize).min(MAX_WORKERS)
}

/// Starts the layer workers of the next file unless they are there: at start-up, and after
/// each open (whose workers are terminated with their memory). Idle until a job comes.
pub fn start_spares() {
    let wanted = cores();
    if wanted < 2 || SPARES.with(|s| s.borrow().is_some()) {
        return;
    }
    let pool = Pool::start(wanted);
    SPARES.with(|s| *s.borrow_mut() = pool);
}

/// Indexes `listed`'s blobs: in layer workers when there are two blobs or more, cores to
/// spare and the file is a plain tar read by offset; else one after another here. When the
/// layer workers indexed every blob, one of them is kept to compute dive's tally beside the
/// union ([`Tallier`]).
pub async fn index_blobs(
    file: &File,
    listed: &mut Listed<BlobSource>,
    progress: &mut dyn Progress,
) -> (BlobIndexes, Option<Tallier>) {
    let blobs = listed.blobs().to_vec();
    let wanted = blobs.len().min(cores());
    let plain = matches!(listed.archive_mut().source_mut(), ArchiveSource::Plain(_));
    let mut ahead = 0;
    let pool = if wanted > 1 && plain {
        // The spares if they are there (they were started for as many cores), else new ones.
        match SPARES.with(|s| s.borrow_mut().take()) {
            Some(mut pool) => {
                pool.keep(wanted);
                ahead = pool.slots.len();
                Some(pool)
            }
            None => Pool::start(wanted),
        }
    } else {
        None
    };
    let workers = pool.as_ref().map_or(0, |p| p.slots.len());
    post(
        &Event::LayerWorkers(LayerWorkers {
            workers,
            ahead,
            blobs: blobs.len(),
            tally_beside: None,
        }),
        None,
    );
    let mut indexes = BlobIndexes::default();
    let mut left: Vec<usize> = (0..blobs.len()).collect();
    let mut tallier = None;
    if let Some(mut pool) = pool {
        let mut wires = Vec::with_capacity(blobs.len());
        left = pool
            .run(file, listed, &blobs, &mut indexes, &mut wires, progress)
            .await;
        if left.is_empty() && wires.len() == blobs.len() {
            tallier = Tallier::keep(pool, wires);
        }
    }
    // Blobs no worker took (none started, or every worker stopped).
    let total = listed.archive_mut().len();
    let options = *listed.options();
    for i in left {
        let b = &blobs[i];
        let stage = Stage::Indexing(i);
        let index = if plain {
            // Read by offset from the file, with reads in flight (see `prefetch`).
            prefetch::index_blob(file, b.offset, b.size, &options, progress, stage, total).await
        } else {
            index_layer(
                listed.archive_mut().source_mut(),
                b.offset,
                b.size,
                &options,
                progress,
                stage,
                total,
            )
        };
        indexes.insert(b.offset, index);
    }
    (indexes, tallier)
}

/// A layer worker kept after the indexing, and every blob's index as the layer workers sent
/// it: dive's tally needs only the indexes, so it is computed there while this worker builds
/// the union (as the CLI computes it on a thread of its own). On `e1m`, a million entries,
/// the tally is 1.3 s of the analysis worker's time otherwise.
pub struct Tallier {
    pool: Pool,
    /// (blob offset, its index as wire bytes in an `ArrayBuffer`).
    wires: Vec<(u64, JsValue)>,
}

/// The tally job, posted.
pub struct PendingTally {
    pool: Pool,
}

impl Tallier {
    /// Keeps one live worker of `pool` (the others are terminated with their memory).
    fn keep(mut pool: Pool, wires: Vec<(u64, JsValue)>) -> Option<Tallier> {
        let live = pool.slots.iter().position(|s| s.alive)?;
        pool.slots.swap(0, live);
        pool.keep(1);
        pool.inbox.borrow_mut().queue.clear();
        Some(Tallier { pool, wires })
    }

    /// Posts the tally of the image whose layers read the blobs `layer_blobs` gives
    /// ([`DiveTally::layer_blobs`]), moving the indexes' buffers to the worker. `None` if a
    /// layer names a blob not at hand or the post failed: the caller tallies itself.
    pub fn post(self, layer_blobs: &[Option<u64>]) -> Option<PendingTally> {
        let layers: Option<Vec<Option<usize>>> = layer_blobs
            .iter()
            .map(|b| match b {
                Some(offset) => self.wires.iter().position(|(o, _)| o == offset).map(Some),
                None => Some(None),
            })
            .collect();
        let job = LayerTask::Tally(TallyJob { layers: layers? });
        let buffers: Array = self.wires.iter().map(|(_, b)| b.clone()).collect();
        let slot = self.pool.slots.first()?;
        slot.worker
            .post_message_with_transfer(&encode(&job, Some(&buffers)), &buffers)
            .ok()?;
        Some(PendingTally { pool: self.pool })
    }
}

impl PendingTally {
    /// The tally, or `None` if the worker stopped or sent something unreadable (the caller
    /// tallies itself). The worker is terminated after.
    pub async fn result(self) -> Option<DiveTally> {
        loop {
            let next = self.pool.inbox.borrow_mut().queue.pop_front();
            match next {
                None => {
                    let _ = Inbox::next(&self.pool.inbox).await;
                }
                Some((_, Incoming::Reply(LayerReply::Tallied, carried))) => {
                    let buffer: ArrayBuffer = carried.dyn_into().ok()?;
                    let bytes = Uint8Array::new(&buffer).to_vec();
                    return DiveTally::from_bytes(&bytes).ok();
                }
                Some((_, Incoming::Crashed(message))) => {
                    web_sys::console::warn_1(
                        &format!("layerlens: the tally worker stopped: {message}").into(),
                    );
                    return None;
                }
                Some(_) => {}
            }
        }
    }
}

/// Bytes of each blob read to guess its cost: a few headers of a layer of small files.
const SAMPLE: u64 = 64 << 10;

/// The order the blobs start in, the longest jobs first: a compressed blob costs its bytes
/// (every one is decoded), a plain tar its entries (a large file is jumped over, so a 943 MB
/// layer of five files is done long before a 154 MB one of 100,000), guessed from its first
/// 64 KiB ([`estimate_entries`]). The samples are read all at once, a few ms in all, and
/// only when there are more blobs than workers (otherwise every blob starts at once).
async fn start_order(file: &File, blobs: &[BlobRef], workers: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..blobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(blobs[i].size));
    if blobs.len() <= workers {
        return order;
    }
    let reads: Vec<Option<Promise>> = blobs
        .iter()
        .map(|b| {
            let end = b.offset.saturating_add(b.size.min(SAMPLE));
            file.slice_with_f64_and_f64(b.offset as f64, end as f64)
                .ok()
                .map(|s| s.array_buffer())
        })
        .collect();
    let mut cost = Vec::with_capacity(blobs.len());
    for (b, read) in blobs.iter().zip(reads) {
        let sample = match read {
            Some(p) => JsFuture::from(p)
                .await
                .map(|ab| Uint8Array::new(&ab).to_vec())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        // In µs of a layer worker on this machine's kind: ~3 µs an entry (blob 1 of `large`,
        // 101,102 entries in 330 ms), ~5 ns a compressed byte (inflate at ~200 MB/s).
        let us = if Compression::detect(&sample) == Compression::None {
            estimate_entries(&sample, b.size).saturating_mul(3)
        } else {
            b.size / 200
        };
        cost.push(us);
    }
    // Stable: equal guesses keep the larger blob first.
    order.sort_by_key(|&i| std::cmp::Reverse(cost[i]));
    order
}

/// What a layer worker said, or that it stopped.
enum Incoming {
    Reply(LayerReply, JsValue),
    Crashed(String),
}

/// Messages not handled yet, and the resolver of the promise the pool is waiting on.
#[derive(Default)]
struct Inbox {
    queue: VecDeque<(usize, Incoming)>,
    wake: Option<Function>,
}

impl Inbox {
    fn push(inbox: &RefCell<Inbox>, from: usize, what: Incoming) {
        let wake = {
            let mut i = inbox.borrow_mut();
            i.queue.push_back((from, what));
            i.wake.take()
        };
        if let Some(wake) = wake {
            let _ = wake.call0(&JsValue::NULL);
        }
    }

    /// Resolves when a message arrives (at once if one is queued).
    fn next(inbox: &Rc<RefCell<Inbox>>) -> JsFuture {
        let promise = Promise::new(&mut |resolve, _| {
            let mut i = inbox.borrow_mut();
            if i.queue.is_empty() {
                i.wake = Some(resolve);
            } else {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
        JsFuture::from(promise)
    }
}

/// One layer worker and what it is doing.
struct Slot {
    worker: Worker,
    /// The blob it indexes (position in the blob list).
    job: Option<usize>,
    /// Bytes of that blob read so far.
    read: u64,
    alive: bool,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(ErrorEvent)>,
}

/// The layer workers of one open; dropping it terminates them.
struct Pool {
    slots: Vec<Slot>,
    inbox: Rc<RefCell<Inbox>>,
}

impl Drop for Pool {
    fn drop(&mut self) {
        for s in &self.slots {
            s.stop();
        }
    }
}

thread_local! {
    /// The error handler of terminated layer workers: it lives as long as this worker. A
    /// worker terminated while it still loads (a spare an open did not need) fails its
    /// `importScripts` with a `NetworkError`; uncancelled, that error would reach the page
    /// as this worker's crash.
    static IGNORE_ERRORS: Closure<dyn FnMut(web_sys::Event)> =
        Closure::new(|e: web_sys::Event| e.prevent_default());
}

impl Slot {
    /// Terminates the worker; nothing it posts is handled after this, and its late errors
    /// are cancelled.
    fn stop(&self) {
        self.worker.set_onmessage(None);
        IGNORE_ERRORS.with(|f| self.worker.set_onerror(Some(f.as_ref().unchecked_ref())));
        self.worker.terminate();
    }
}

impl Pool {
    /// Starts up to `n` layer workers; `None` if this browser cannot start workers here.
    fn start(n: usize) -> Option<Pool> {
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        let options = WorkerOptions::new();
        options.set_name(LAYER_WORKER_NAME);
        let mut slots = Vec::with_capacity(n);
        for w in 0..n {
            let Ok(worker) = Worker::new_with_options(WORKER_URL, &options) else {
                break;
            };
            let to = inbox.clone();
            let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                let what = match decode::<LayerReply>(&e.data()) {
                    Ok((reply, carried)) => Incoming::Reply(reply, carried),
                    Err(e) => Incoming::Crashed(e),
                };
                Inbox::push(&to, w, what);
            });
            let to = inbox.clone();
            let onerror = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
                // Handled here: it must not also reach the page as this worker's crash.
                e.prevent_default();
                let message = e.message();
                let message = if message.is_empty() {
                    "it stopped".to_string()
                } else {
                    message
                };
                Inbox::push(&to, w, Incoming::Crashed(message));
            });
            worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
            worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
            slots.push(Slot {
                worker,
                job: None,
                read: 0,
                alive: true,
                _onmessage: onmessage,
                _onerror: onerror,
            });
        }
        (slots.len() > 1).then_some(Pool { slots, inbox })
    }

    /// Keeps the first `n` workers and terminates the others (an image with fewer blobs than
    /// the spares), dropping what those posted.
    fn keep(&mut self, n: usize) {
        for s in self.slots.iter().skip(n) {
            s.stop();
        }
        self.slots.truncate(n);
        self.inbox.borrow_mut().queue.retain(|(from, _)| *from < n);
    }

    /// Hands the blobs out, longest job first ([`start_order`]), one at a time to each ready worker, until all are
    /// indexed or no worker is left; returns the blobs no worker took.
    /// Each index's wire bytes go to `wires` too, for the tally.
    async fn run(
        &mut self,
        file: &File,
        listed: &mut Listed<BlobSource>,
        blobs: &[BlobRef],
        indexes: &mut BlobIndexes,
        wires: &mut Vec<(u64, JsValue)>,
        progress: &mut dyn Progress,
    ) -> Vec<usize> {
        let pool = self;
        let total = listed.archive_mut().len();
        let limits = listed.options().limits;
        let start = blobs.first().map_or(0, |b| b.offset);
        let mut order = start_order(file, blobs, pool.slots.len()).await.into_iter();
        let mut finished = 0u64;
        let mut pending = blobs.len();
        loop {
            let next = pool.inbox.borrow_mut().queue.pop_front();
            let Some((w, what)) = next else {
                if pending == 0 {
                    break;
                }
                if pool.slots.iter().all(|s| !s.alive) {
                    // Every worker stopped: the blobs none took are indexed here.
                    return order.collect();
                }
                let read: u64 = pool.slots.iter().map(|s| s.read).sum();
                let started = blobs.len() - order.len();
                progress.update(
                    Stage::Indexing(started.saturating_sub(1)),
                    start + finished + read,
                    total,
                );
                let _ = Inbox::next(&pool.inbox).await;
                continue;
            };
            let slot = &mut pool.slots[w];
            let mut arrived = None;
            match what {
                Incoming::Reply(LayerReply::Progress { read }, _) => slot.read = read as u64,
                Incoming::Reply(LayerReply::Indexed { offset }, carried) => {
                    // Decoded once the worker has its next job: decoding a large index takes
                    // 100-200 ms here, which the worker would otherwise sit out.
                    arrived = Some((offset, carried));
                    if let Some(i) = slot.job.take() {
                        finished += blobs[i].size;
                        pending -= 1;
                    }
                    slot.read = 0;
                }
                Incoming::Reply(LayerReply::Ready | LayerReply::Tallied, _) => {}
                Incoming::Crashed(message) => {
                    slot.alive = false;
                    slot.stop();
                    if let Some(i) = slot.job.take() {
                        let e = Error::new(ErrorKind::Archive(format!(
                            "the layer worker indexing this blob stopped: {message}"
                        )));
                        indexes.insert(blobs[i].offset, Err(e));
                        finished += blobs[i].size;
                        pending -= 1;
                    }
                    slot.read = 0;
                    continue;
                }
            }
            // A ready worker with nothing to do gets the next blob.
            if slot.alive && slot.job.is_none() {
                if let Some(i) = order.next() {
                    let b = &blobs[i];
                    let job = LayerTask::Index(LayerJob {
                        offset: b.offset,
                        size: b.size,
                        blob: i,
                        total,
                        limits,
                    });
                    match slot.worker.post_message(&encode(&job, Some(file))) {
                        Ok(()) => slot.job = Some(i),
                        Err(e) => {
                            slot.alive = false;
                            slot.stop();
                            web_sys::console::error_2(&"layerlens: layer worker".into(), &e);
                            // Back to the queue: another worker, or this one's caller, takes it.
                            let rest: Vec<usize> = std::iter::once(i).chain(order).collect();
                            order = rest.into_iter();
                        }
                    }
                }
            }
            if let Some((offset, carried)) = arrived {
                let decoding = super::phases::Phase::start("decode blob");
                let bytes = Uint8Array::new(&carried).to_vec();
                indexes.insert(offset, wire::decode(&bytes));
                wires.push((offset, carried));
                decoding.end();
            }
        }
        Vec::new()
    }
}
