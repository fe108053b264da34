//! The integration tests of csms, one binary: one module per feature.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod schemas;
