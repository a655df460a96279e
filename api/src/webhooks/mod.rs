//! Signed webhook delivery: secrets and signatures, the SSRF guard, the
//! checking resolver and the background dispatcher that drains the outbox.

pub mod dispatcher;
pub mod guard;
pub mod resolver;
pub mod signature;
