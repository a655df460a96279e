//! Commands of the `rapport` binary other than `serve`.

pub mod eval;
pub mod import;
pub mod train;
