//! The `rapport` command line: `serve`, `migrate`, `import`, `train`,
//! `tune`, `worker`, `eval`, `user`, `rotate-keys` and `openapi`, parsed by clap in [`command`] and
//! run through the same services as the HTTP API.

mod command;
pub mod eval;
pub mod files;
pub mod import;
pub mod keys;
pub mod train;
pub mod tune;

pub use command::{UserCreate, create_user, main};

/// A `--param NAME=VALUE` value, trimmed.
pub fn parse_param(pair: &str) -> Result<(String, String), String> {
    pair.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{pair}` is not name=value"))
}
