//! Signed webhook delivery: secrets and signatures, the SSRF guard and the
//! background dispatcher that drains the outbox.

pub mod dispatcher;
pub mod guard;
pub mod signature;
