//! State shared by every worker thread of the server.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::rate_limit::LoginLimits;
use crate::auth::tokens::TokenKeys;
use crate::auth::user_states::{SessionStates, UserStates};
use crate::config::{OnlineSettings, TrainingLimits};
use crate::metrics::Metrics;
use crate::ml::serving::ModelCache;
use crate::ml::weights::InteractionWeights;
use crate::secrets::MasterKey;
use crate::services::exposure_log::ExposureLog;
use crate::webhooks::resolver::CheckedResolver;

/// What handlers reach through `web::Data<AppState>`.
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Access token keys.
    pub tokens: TokenKeys,
    /// Recently read user rows, for authorising requests.
    pub user_states: UserStates,
    /// Recently read sign-ins (live or revoked), for authorising requests.
    pub sessions: SessionStates,
    /// Refresh token lifetime in seconds.
    pub refresh_ttl: i64,
    /// How long after its rotation a refresh token gets the same successor
    /// again, in seconds.
    pub refresh_grace: i64,
    /// The failed sign-in rate limit.
    pub login_limits: LoginLimits,
    /// Implicit-feedback weight per interaction kind.
    pub weights: InteractionWeights,
    /// Prometheus registry and instruments.
    pub metrics: Metrics,
    /// The active model of each engine.
    pub models: Arc<ModelCache>,
    /// The served lists waiting to be recorded.
    pub exposures: ExposureLog,
    /// Online evaluation: sampling of exposures and attribution.
    pub online: OnlineSettings,
    /// Name of the engine used when a request names none.
    pub default_engine: String,
    /// The bearer token `/metrics` requires, if any.
    pub metrics_token: Option<secrecy::SecretString>,
    /// What one caller may ask of the trainer.
    pub training: TrainingLimits,
    /// Resolves webhook hosts, refusing internal addresses unless allowed.
    pub webhook_resolver: CheckedResolver,
    /// How long a rotated webhook secret keeps signing beside the new one.
    pub webhook_secret_overlap: std::time::Duration,
    /// Seals and opens stored secrets.
    pub master_key: MasterKey,
}
