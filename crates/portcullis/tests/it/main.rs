//! The core's integration tests, through the public API only.
//!
//! One test binary rather than one per file: each links the whole HTTP and crypto
//! stack, so separate binaries cost link time and disk and test nothing more. The
//! exception is `tests/secrets.rs`: it installs a `tracing` subscriber, and a callsite
//! first reached by another test's thread can cache "no interest" before it does, so it
//! keeps its process to itself.

mod callback;
mod client_secret;
mod fault_matrix;
mod faults;
mod fresh;
mod properties;
mod session;
mod store;
