//! End-to-end tests: every test starts the real service (SQLite file, or
//! PostgreSQL when `TEST_DATABASE_URL` is set) and talks HTTP to it.

mod bad_input;
mod customers;
mod helpers;
mod interactions;
mod items;
mod operations;
