//! Harnesses for the end-to-end tests: real servers started on 127.0.0.1.

#![forbid(unsafe_code)]
