//! `portcullis-sqlx`'s integration tests: each store against a real database.
//!
//! One test binary rather than one per file: each links the whole HTTP and database
//! stack, so separate binaries cost link time and disk and test nothing more.

mod postgres;
mod sqlite;
mod tokens;
