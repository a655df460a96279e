//! Who is calling: password hashing, access tokens and the [`Caller`]
//! extractor that every protected handler takes.

pub mod bootstrap;
mod caller;
pub mod password;
pub mod tokens;

pub use caller::Caller;
