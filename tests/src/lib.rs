//! Harnesses for the end-to-end tests: real servers started on 127.0.0.1.
//!
//! * [`oidc_provider`] — panva's `oidc-provider`, an OpenID Certified provider, run with
//!   Node.js, and a [`Browser`](oidc_provider::Browser) that signs a user in through
//!   its login and consent pages.

#![forbid(unsafe_code)]

pub mod oidc_provider;
