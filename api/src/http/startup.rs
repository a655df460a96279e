//! Builds the HTTP server: state, routes, conventions and operations endpoints.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use secrecy::ExposeSecret;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::user_states::{SessionStates, UserStates};
use crate::auth::{bootstrap, rate_limit::LoginLimits, tokens::TokenKeys};
use crate::config::{BackgroundSettings, Every, Settings};
use crate::domain::{DomainError, ErrorCode};
use crate::http::error::{ApiError, FieldError};
use crate::http::openapi::{ApiDoc, secure};
use crate::http::routes::{self, BASE, health};
use crate::metrics::Metrics;
use crate::ml::jobs;
use crate::ml::serving::ModelCache;
use crate::ml::weights::InteractionWeights;
use crate::services::exposure_log::ExposureLog;
use crate::services::sealed_secrets;
use crate::state::AppState;
use crate::webhooks::dispatcher::Dispatcher;
use crate::webhooks::resolver::{CheckedResolver, Lookup};
use crate::workers::{retention, scheduled_tuning, score_sweep, sla};
use crate::{db, demo, secrets};

/// Every documented route: the API under [`BASE`], operations at the root.
fn mount(cfg: &mut ServiceConfig) {
    cfg.service(scope::scope(BASE).configure(routes::configure));
    health::configure(cfg);
}

/// The OpenAPI document of every registered route.
pub fn openapi_document() -> Result<Document, anyhow::Error> {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(mount)
        .split_for_parts();
    secure(&mut doc);
    crate::http::contract::complete(&mut doc).map_err(anyhow::Error::msg)?;
    Ok(doc)
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { .. }
        | JsonPayloadError::Overflow { .. }
        | JsonPayloadError::Payload(PayloadError::Overflow) => {
            ApiError::PayloadTooLarge("the request body is larger than the limit".to_owned())
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".to_owned(),
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::Domain(DomainError::Invalid(
            vec![FieldError::new("body", e.to_string())],
        )),
        other => ApiError::BadRequest {
            code: ErrorCode::MalformedJson,
            detail: format!("the body is not valid JSON: {other}"),
        },
    }
}

/// Unknown path: 404; known path with another method: 405.
async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if req.resource_map().has_resource(req.path()) {
        Err(ApiError::MethodNotAllowed)
    } else {
        Err(ApiError::NoRoute(format!("no route for {}", req.path())))
    }
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}

/// Starts the webhook dispatcher, the SLA checker, the score sweep and the
/// retention pruner on this replica.
fn start_background(state: &AppState, settings: &BackgroundSettings) -> Result<(), anyhow::Error> {
    let db = &state.db;
    Dispatcher::new(
        settings,
        state.master_key.clone(),
        state.webhook_resolver.clone(),
    )?
    .spawn(db.clone(), Duration::from_millis(settings.webhook_poll_ms));
    sla::spawn(
        db.clone(),
        Duration::from_millis(settings.sla_check_interval_ms),
    );
    score_sweep::spawn(
        db.clone(),
        Arc::clone(&state.models),
        Duration::from_millis(settings.score_sweep_interval_ms),
    );
    retention::spawn(db.clone(), settings.retention.clone());
    Ok(())
}

/// How long an idle client connection is kept open: longer than the idle
/// timeout of common load balancers (60 s), so that the server is not the
/// side that closes a connection a client is about to reuse (the client sees
/// a failed request). actix's default, 5 s, made a test's client hit that
/// race after a slow batch.
const KEEP_ALIVE: Duration = Duration::from_secs(75);

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects and migrates the database, creates the first admin, seeds the
    /// demo when asked, and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, anyhow::Error> {
        Self::build_with(settings, None).await
    }

    /// As [`Application::build`], with webhook hosts resolved by `dns`
    /// (instead of the system resolver), its answers checked all the same.
    pub async fn build_with(
        settings: Settings,
        dns: Option<Lookup>,
    ) -> Result<Self, anyhow::Error> {
        let (master_key, _) = secrets::source::load(&settings.keys, &settings.database)?;
        let db = db::connect(&settings.database).await?;
        db::migrate(&db).await?;
        sealed_secrets::seal_plaintext(&db, &master_key).await?;
        bootstrap::ensure_admin(&db, &settings).await?;
        let configured = settings.jwt_secret.as_ref().map(|s| s.expose_secret());
        let secret = bootstrap::jwt_secret(&db, configured, &master_key).await?;
        if settings.demo {
            demo::seed(&db).await?;
        }
        let ttl = i64::try_from(settings.access_token_ttl)?;
        let weights = InteractionWeights::new(&settings.interaction_weights)?;
        if crate::ml::engine_kind(&settings.default_engine)
            != Some(crate::ml::EngineKind::Recommender)
        {
            anyhow::bail!(
                "RAPPORT_DEFAULT_ENGINE: no recommendation engine named `{}`",
                settings.default_engine
            );
        }
        if settings.demo {
            demo::train_all(
                &db,
                &weights.to_kind_weights(),
                &settings.default_engine,
                settings.training.memory_bytes(),
            )
            .await?;
        }
        let models = Arc::new(ModelCache::default());
        models.refresh(&db).await?;
        Arc::clone(&models)
            .spawn_refresher(db.clone(), Duration::from_secs(settings.model_poll.max(1)));
        if let Every(Some(period)) = settings.training.tune_every {
            let trials = usize::try_from(settings.training.tune_trials)?;
            scheduled_tuning::spawn(db.clone(), period, trials, settings.default_engine.clone());
        }
        if !settings.no_worker {
            jobs::spawn_worker(
                db.clone(),
                weights.to_kind_weights(),
                settings.training.memory_bytes(),
                Arc::clone(&models),
                Duration::from_secs(1),
            );
        }
        let metrics = Metrics::new()?;
        let exposures = ExposureLog::start(db.clone(), &settings.online, &metrics)?;
        let state = web::Data::new(AppState {
            db,
            tokens: TokenKeys::new(&secret, ttl)?,
            user_states: UserStates::default(),
            sessions: SessionStates::default(),
            refresh_ttl: i64::try_from(settings.refresh_token_ttl)?,
            refresh_grace: i64::try_from(settings.refresh_grace)?,
            login_limits: LoginLimits {
                per_account: settings.login_max_failures,
                per_address: settings.login_max_failures_per_address,
                window_seconds: i64::try_from(settings.login_window)?,
            },
            weights,
            metrics,
            models,
            exposures,
            online: settings.online.clone(),
            default_engine: settings.default_engine.clone(),
            metrics_token: settings.metrics_token.clone(),
            training: settings.training.clone(),
            webhook_resolver: CheckedResolver::new(dns, settings.background.webhook_allow_private),
            webhook_secret_overlap: Duration::from_secs(settings.webhook_secret_overlap),
            master_key,
        });
        start_background(&state, &settings.background)?;
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let body_limit = settings.body_limit;
        let doc = openapi_document()?;
        let mut server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .configure(mount)
                .into_app()
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(body_limit)
                        .error_handler(|err, _| json_error(err).into()),
                )
                .app_data(web::PayloadConfig::default().limit(body_limit))
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    ApiError::BadRequest {
                        code: ErrorCode::InvalidQuery,
                        detail: err.to_string(),
                    }
                    .into()
                }))
                .app_data(web::PathConfig::default().error_handler(|err, _| {
                    ApiError::NoRoute(format!("no resource at this path: {err}")).into()
                }))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
                .route("/docs", web::get().to(docs_redirect))
                .default_service(web::to(fallback))
                .wrap(from_fn(move |req, next| {
                    crate::http::nul_guard::refuse_nul(body_limit, req, next)
                }))
                .wrap(from_fn(crate::telemetry::observe))
        })
        .listen(listener)?
        .keep_alive(KEEP_ALIVE)
        .shutdown_timeout(settings.shutdown_timeout);
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        tracing::info!(port, "listening");
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
