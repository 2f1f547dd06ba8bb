//! `portcullis-testkit`'s integration tests: the mock authorization server, in its
//! OAuth 2.0 and OpenID Connect modes.
//!
//! One test binary rather than one per file: each links the whole HTTP and crypto
//! stack, so separate binaries cost link time and disk and test nothing more.

mod expect;
mod mock;
mod mock_oidc;
