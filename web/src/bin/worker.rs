//! The Web Worker's entry point (started by Trunk's `worker_loader.js` shim).

fn main() {
    layerlens_web::worker::start();
}
