//! Hooks, one per file.

pub mod use_worker_echo;
