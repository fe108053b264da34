//! What the providers' stand-ins share (cargo feature `sandbox`). Each provider whose
//! `payments.<provider>.mode` is `sandbox` is served by csms itself under `/sandbox/{provider}/…`
//! (its folder's `sandbox.rs`): the same API as the provider, the merchant's signatures checked
//! and its own answers and notifications signed as the provider does, so that the gateways' code
//! runs unchanged against them. Payments live in memory (one node's), which is what a sandbox
//! needs. Here: the payer's page and the refund scripts every sandbox uses.

pub(crate) mod payer;
pub(crate) mod script;
