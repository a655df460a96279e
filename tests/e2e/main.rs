//! End-to-end tests: every test starts the real service (SQLite file, or
//! PostgreSQL when `TEST_DATABASE_URL` is set) and talks HTTP to it.

/// Turns each `async fn name(backend: Backend)` into two tests,
/// `name::sqlite` and `name::postgres`; the PostgreSQL one runs when
/// `TEST_DATABASE_URL` is set and says so when it is skipped.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    if !$crate::helpers::Backend::Postgres.available() {
                        eprintln!("skipped: TEST_DATABASE_URL is not set");
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        )*
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
