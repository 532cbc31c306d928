//! The Web Worker's entry point (started by Trunk's `worker_loader.js` shim).
#![forbid(unsafe_code)]

fn main() {
    layerlens_web::worker::start();
}
