//! The `rapport` command line: `serve`, `migrate`, `import`, `train`,
//! `worker`, `eval`, `user` and `openapi`, parsed by clap in [`command`] and
//! run through the same services as the HTTP API.

mod command;
pub mod eval;
pub mod import;
pub mod train;

pub use command::{UserCreate, create_user, main};
