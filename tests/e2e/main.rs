//! End-to-end tests: every test starts the real service (SQLite file, or
//! PostgreSQL when `TEST_DATABASE_URL` is set) and talks HTTP to it.

/// Turns each `async fn name(backend: Backend)` into two tests,
/// `name::sqlite` and `name::postgres` (see [`on_postgres!`]).
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }

                $crate::postgres_test!($name);
            }
        )*
    };
}

/// Turns each `async fn name(backend: Backend)` into one test,
/// `name::postgres`, for what only PostgreSQL can do (replicas writing at
/// once); it runs when `TEST_DATABASE_URL` is set and says so when it is
/// skipped.
#[macro_export]
macro_rules! on_postgres {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                $crate::postgres_test!($name);
            }
        )*
    };
}

/// The test `postgres` of `super::$name`, skipped when `TEST_DATABASE_URL`
/// is not set.
#[macro_export]
macro_rules! postgres_test {
    ($name:ident) => {
        #[tokio::test]
        async fn postgres() {
            if !$crate::helpers::Backend::Postgres.available() {
                eprintln!("skipped: TEST_DATABASE_URL is not set");
                return;
            }
            super::$name($crate::helpers::Backend::Postgres).await;
        }
    };
}

mod access;
mod accounts;
mod analytics;
mod api_contract;
mod automations;
mod bad_input;
mod behaviour_labels;
mod catalogue;
mod consistency;
mod customers;
mod erasure_followups;
mod helpers;
mod import;
mod masking;
mod merchandising;
mod model_reports;
mod nul_characters;
mod online_evaluation;
mod operations;
mod passwords;
mod predictions_serving;
mod predictions_training;
mod privacy;
mod replica_kill;
mod retention;
mod roles;
mod secrets_at_rest;
mod sessions;
mod sign_in;
mod trustworthy_scores;
mod tuning;
mod webhook_rebinding;
mod webhooks;
mod workflow_roles;
mod workflow_timeline;
mod workflows;
