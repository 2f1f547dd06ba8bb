//! `portcullis-oidc`'s integration tests, against a mock issuer whose tokens are
//! signed here.
//!
//! One test binary rather than one per file: each links the whole HTTP and crypto
//! stack, so separate binaries cost link time and disk and test nothing more.

mod common;
mod fault_matrix;
mod id_token;
mod oidc;
