//! The one typed settings struct, read from flags and `RAPPORT_*` variables.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

/// A secret from a flag or variable: kept out of `Debug` output and logs.
fn secret(raw: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(raw))
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// How to reach the database; shared by every command that touches it.
#[derive(Args, Clone, Debug)]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://PATH` (created if missing) or `postgres://USER:PASS@HOST/DB`.
    /// A URL with a password is a secret: it never appears in `Debug` output.
    #[arg(
        long,
        env = "RAPPORT_DATABASE_URL",
        default_value = "sqlite://rapport.db",
        value_parser = secret,
        hide_env_values = true
    )]
    pub database_url: SecretString,

    /// Maximum connections in the pool.
    #[arg(long, env = "RAPPORT_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
}

/// The key-encryption key that seals stored secrets (webhook secrets, the
/// generated token secret, stored replies that carry a secret).
#[derive(Args, Clone, Debug)]
pub struct KeySettings {
    /// Master key: base64 of 32 random bytes (`openssl rand -base64 32`).
    /// Required with PostgreSQL unless `RAPPORT_MASTER_KEY_FILE` is set.
    #[arg(long, env = "RAPPORT_MASTER_KEY", hide_env_values = true, value_parser = secret)]
    pub master_key: Option<SecretString>,

    /// File holding the master key, created (mode 0600) with a random key if
    /// missing. Default with SQLite: the database file's path plus `.key`;
    /// with PostgreSQL there is no default (a file is for development only).
    #[arg(long, env = "RAPPORT_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
}

/// Everything `rapport serve` needs.
#[derive(Args, Clone, Debug)]
pub struct Settings {
    #[command(flatten)]
    pub database: DatabaseSettings,

    #[command(flatten)]
    pub keys: KeySettings,

    /// Address and port to listen on.
    #[arg(long, env = "RAPPORT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// HS256 secret for access tokens (at least 32 bytes). When unset, a random
    /// secret is generated once and stored in the database so replicas share it.
    #[arg(long, env = "RAPPORT_JWT_SECRET", hide_env_values = true, value_parser = secret)]
    pub jwt_secret: Option<SecretString>,

    /// Access token lifetime in seconds (60 to 86,400).
    #[arg(long, env = "RAPPORT_ACCESS_TOKEN_TTL", default_value_t = 900,
        value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub access_token_ttl: u64,

    /// Refresh token lifetime in seconds (each rotation starts a new
    /// lifetime; 1 to 31,536,000, one year).
    #[arg(long, env = "RAPPORT_REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600,
        value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub refresh_token_ttl: u64,

    /// Seconds after its rotation during which a refresh token presented
    /// again gets the same new pair (two tabs, a retried request) instead
    /// of revoking its sign-in as a replay (0 to 300; 0 turns it off).
    #[arg(long, env = "RAPPORT_REFRESH_GRACE", default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(0..=300))]
    pub refresh_grace: u64,

    /// Failed sign-ins allowed per account within the window (then 429).
    #[arg(long, env = "RAPPORT_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u64,

    /// Failed sign-ins allowed per client address within the window (then 429).
    #[arg(
        long,
        env = "RAPPORT_LOGIN_MAX_FAILURES_PER_ADDRESS",
        default_value_t = 20
    )]
    pub login_max_failures_per_address: u64,

    /// Length of the failed sign-in window in seconds (1 to 86,400).
    #[arg(long, env = "RAPPORT_LOGIN_WINDOW", default_value_t = 900,
        value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub login_window: u64,

    /// E-mail of the first admin, created when the database has no user.
    #[arg(
        long,
        env = "RAPPORT_ADMIN_EMAIL",
        default_value = "admin@rapport.local"
    )]
    pub admin_email: String,

    /// Password of the first admin; when unset a random one is generated and printed once.
    #[arg(long, env = "RAPPORT_ADMIN_PASSWORD", hide_env_values = true, value_parser = secret)]
    pub admin_password: Option<SecretString>,

    /// Bearer token `/metrics` requires. Unset, `/metrics` is public like
    /// `/healthz`: keep it on an internal network or set this.
    #[arg(long, env = "RAPPORT_METRICS_TOKEN", hide_env_values = true, value_parser = secret)]
    pub metrics_token: Option<SecretString>,

    /// Seconds a rotated webhook secret keeps signing deliveries beside the
    /// new one (0 to 2,592,000, 30 days).
    #[arg(long, env = "RAPPORT_WEBHOOK_SECRET_OVERLAP", default_value_t = 86_400,
        value_parser = clap::value_parser!(u64).range(0..=2_592_000))]
    pub webhook_secret_overlap: u64,

    /// Log filter (tracing `EnvFilter` syntax, e.g. `info` or `rapport_api=debug`).
    #[arg(long, env = "RAPPORT_LOG", default_value = "info")]
    pub log: String,

    /// Log line format.
    #[arg(long, env = "RAPPORT_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Largest accepted request body in bytes (larger bodies get 413).
    #[arg(long, env = "RAPPORT_BODY_LIMIT", default_value_t = 8 * 1024 * 1024)]
    pub body_limit: usize,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "RAPPORT_WORKERS")]
    pub workers: Option<usize>,

    /// Seconds to let in-flight requests finish on SIGTERM/SIGINT (0 to 3,600).
    #[arg(long, env = "RAPPORT_SHUTDOWN_TIMEOUT", default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub shutdown_timeout: u64,

    /// Implicit-feedback weight of each interaction kind, as `kind=weight,...`;
    /// kinds left out keep their default.
    #[arg(long, env = "RAPPORT_INTERACTION_WEIGHTS", default_value = "", value_parser = parse_weights)]
    pub interaction_weights: WeightOverrides,

    /// Seed a synthetic demo data set at start and train every engine on it.
    #[arg(long, env = "RAPPORT_DEMO", default_value_t = false)]
    pub demo: bool,

    /// Recommendation engine used when a request names none.
    #[arg(long, env = "RAPPORT_DEFAULT_ENGINE", default_value = "item_item")]
    pub default_engine: String,

    /// Seconds between checks for models activated by another replica (1 to 3,600).
    #[arg(long, env = "RAPPORT_MODEL_POLL", default_value_t = 2,
        value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub model_poll: u64,

    /// Do not run training jobs in this process (leave them to `rapport worker`).
    #[arg(long, env = "RAPPORT_NO_WORKER", default_value_t = false)]
    pub no_worker: bool,

    #[command(flatten)]
    pub training: TrainingLimits,

    #[command(flatten)]
    pub online: OnlineSettings,

    #[command(flatten)]
    pub background: BackgroundSettings,
}

/// Online evaluation: which served lists are recorded, how, and what an
/// interaction is attributed to.
#[derive(Args, Clone, Debug)]
pub struct OnlineSettings {
    /// Share of served lists recorded as exposures, 0 (none) to 1 (all).
    #[arg(long, env = "RAPPORT_EXPOSURE_SAMPLE", default_value_t = 1.0, value_parser = parse_share)]
    pub exposure_sample: f64,

    /// Exposures waiting to be written at most; beyond, new ones are
    /// dropped (counted in `/metrics`), never the request.
    #[arg(long, env = "RAPPORT_EXPOSURE_QUEUE", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub exposure_queue: u64,

    /// Milliseconds between two writes of the waiting exposures (one
    /// insert per write).
    #[arg(long, env = "RAPPORT_EXPOSURE_FLUSH_MS", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub exposure_flush_ms: u64,

    /// How long after an exposure an interaction with one of its items is
    /// attributed to it (`30m`, `6h`, `7d` ...).
    #[arg(long, env = "RAPPORT_ATTRIBUTION_WINDOW", default_value = "7d", value_parser = parse_every)]
    pub attribution_window: Every,

    /// The interaction kinds attributed to exposures, comma-separated.
    #[arg(long, env = "RAPPORT_ATTRIBUTION_KINDS", default_value = "click,cart,purchase",
          value_parser = parse_kinds)]
    pub attribution_kinds: Kinds,
}

impl OnlineSettings {
    /// The attribution window.
    pub fn window(&self) -> chrono::Duration {
        let window = self
            .attribution_window
            .0
            .unwrap_or(std::time::Duration::from_secs(7 * 86_400));
        chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(7))
    }
}

/// A share in `0..=1`.
fn parse_share(raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{raw}` is not a number between 0 and 1")),
    }
}

/// Interaction kinds, checked against the known ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kinds(pub Vec<crate::domain::InteractionKind>);

fn parse_kinds(raw: &str) -> Result<Kinds, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            k.parse()
                .map_err(|e: crate::domain::UnknownValue| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Kinds)
}

/// Background work: webhook delivery and the workflow SLA checker.
#[derive(Args, Clone, Debug)]
pub struct BackgroundSettings {
    /// Allow webhook URLs on loopback, private and other internal addresses
    /// (off by default to prevent server-side request forgery).
    #[arg(long, env = "RAPPORT_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,

    /// Attempts per webhook delivery before it is marked failed.
    #[arg(long, env = "RAPPORT_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=50))]
    pub webhook_max_attempts: u32,

    /// Delay before the first retry in milliseconds; each later retry waits
    /// three times longer (with +-20% jitter), so 8 attempts span about a day.
    #[arg(long, env = "RAPPORT_WEBHOOK_RETRY_BASE_MS", default_value_t = 90_000)]
    pub webhook_retry_base_ms: u64,

    /// Timeout of one delivery attempt in milliseconds.
    #[arg(long, env = "RAPPORT_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,

    /// How often the dispatcher looks for due deliveries, in milliseconds.
    #[arg(long, env = "RAPPORT_WEBHOOK_POLL_MS", default_value_t = 1_000)]
    pub webhook_poll_ms: u64,

    /// How often overdue workflow steps are looked for, in milliseconds.
    #[arg(long, env = "RAPPORT_SLA_CHECK_INTERVAL_MS", default_value_t = 30_000)]
    pub sla_check_interval_ms: u64,

    /// How often every live customer is scored by the active scorers to run
    /// the score automations (threshold crossings), in milliseconds. Reading
    /// scores through the API sets nothing off.
    #[arg(long, env = "RAPPORT_SCORE_SWEEP_INTERVAL_MS", default_value_t = 300_000,
          value_parser = clap::value_parser!(u64).range(100..=86_400_000))]
    pub score_sweep_interval_ms: u64,

    #[command(flatten)]
    pub retention: RetentionSettings,
}

/// How long what the service keeps only for a while is kept, and how often
/// the pruner deletes what is older.
#[derive(Args, Clone, Debug)]
pub struct RetentionSettings {
    /// Hours a reply is kept for retries with the same `Idempotency-Key`.
    #[arg(long, env = "RAPPORT_RETAIN_IDEMPOTENCY_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u64).range(1..=8_760))]
    pub retain_idempotency_hours: u64,

    /// Days a delivered or failed webhook delivery (and its attempts) stays
    /// in the delivery log.
    #[arg(long, env = "RAPPORT_RETAIN_DELIVERIES_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3_650))]
    pub retain_deliveries_days: u64,

    /// Days a served list (an exposure) is kept for the online metrics and
    /// the experiments' results.
    #[arg(long, env = "RAPPORT_RETAIN_EXPOSURES_DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u64).range(1..=3_650))]
    pub retain_exposures_days: u64,

    /// Hours a sign-in attempt is kept (at least a day, the longest
    /// rate-limit window).
    #[arg(long, env = "RAPPORT_RETAIN_LOGIN_ATTEMPTS_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u64).range(24..=8_760))]
    pub retain_login_attempts_hours: u64,

    /// Inactive models kept per engine (the newest; older ones and their
    /// stored bytes are deleted). Expired refresh tokens are deleted a day
    /// after they expire.
    #[arg(long, env = "RAPPORT_RETAIN_MODELS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub retain_models: u64,

    /// How often the pruner runs, in milliseconds.
    #[arg(long, env = "RAPPORT_PRUNE_INTERVAL_MS", default_value_t = 3_600_000,
          value_parser = clap::value_parser!(u64).range(100..=86_400_000))]
    pub prune_interval_ms: u64,
}

/// What one caller may ask of the trainer.
#[derive(Args, Clone, Debug)]
pub struct TrainingLimits {
    /// Most memory in MiB a fit's parameters may imply (EASE's `max_items`
    /// bounds its dense matrices); beyond it a training request gets 422
    /// with the estimate.
    #[arg(long, env = "RAPPORT_TRAINING_MEMORY_MIB", default_value_t = 4_096,
          value_parser = clap::value_parser!(u64).range(64..=1_048_576))]
    pub training_memory_mib: u64,

    /// Most training jobs one user may have queued or running at once;
    /// beyond it a training request gets 429.
    #[arg(long, env = "RAPPORT_TRAINING_JOBS_PER_USER", default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=1_000))]
    pub training_jobs_per_user: u64,

    /// Tune every recommender (`auto`) this often from a worker, activating
    /// the winner when it beats the active default model (`30m`, `6h`,
    /// `1d` ...); off when empty.
    #[arg(long, env = "RAPPORT_TUNE_EVERY", default_value = "", value_parser = parse_every)]
    pub tune_every: Every,

    /// Trials of each scheduled tuning.
    #[arg(long, env = "RAPPORT_TUNE_TRIALS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=200))]
    pub tune_trials: u64,
}

/// An optional period, parsed from `N` followed by `s`, `m`, `h` or `d`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Every(pub Option<std::time::Duration>);

/// Parses `30s`, `15m`, `6h`, `1d`; empty means never.
pub fn parse_every(raw: &str) -> Result<Every, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Every(None));
    }
    let split = raw.len() - raw.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (number, unit) = raw.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{raw}` is not a number followed by s, m, h or d"))?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("`{raw}`: the unit must be s, m, h or d")),
    };
    if n == 0 {
        return Err("the period must be longer than 0".to_owned());
    }
    Ok(Every(Some(std::time::Duration::from_secs(
        n.saturating_mul(unit_secs),
    ))))
}

impl TrainingLimits {
    /// The memory budget in bytes.
    pub fn memory_bytes(&self) -> u64 {
        self.training_memory_mib.saturating_mul(1024 * 1024)
    }
}

/// Per-kind weight overrides given on the command line or in the environment.
#[derive(Clone, Debug, Default)]
pub struct WeightOverrides(pub BTreeMap<String, f64>);

/// Parses `kind=weight,...`.
pub fn parse_weights(raw: &str) -> Result<WeightOverrides, String> {
    let mut out = BTreeMap::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kind, weight) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not kind=weight"))?;
        let weight: f64 = weight
            .trim()
            .parse()
            .map_err(|_| format!("weight of `{kind}` is not a number"))?;
        if !weight.is_finite() {
            return Err(format!("weight of `{kind}` must be finite"));
        }
        out.insert(kind.trim().to_owned(), weight);
    }
    Ok(WeightOverrides(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_reject_garbage() {
        let w = parse_weights("view=0.5, purchase=10").unwrap();
        assert_eq!(w.0.get("view"), Some(&0.5));
        assert_eq!(w.0.get("purchase"), Some(&10.0));
        assert!(parse_weights("view").is_err());
        assert!(parse_weights("view=abc").is_err());
        assert!(parse_weights("view=inf").is_err());
        assert!(parse_weights("").unwrap().0.is_empty());
    }

    #[test]
    fn out_of_range_durations_are_clear_errors_not_panics() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        for (flag, value) in [
            ("--login-window", "99999999999999999"),
            ("--login-window", "0"),
            ("--refresh-token-ttl", "9223372036854775807"),
            ("--access-token-ttl", "18446744073709551615"),
            ("--model-poll", "0"),
            ("--refresh-grace", "301"),
        ] {
            let err = Cli::try_parse_from(["rapport", flag, value])
                .err()
                .unwrap_or_else(|| panic!("{flag} {value} accepted"));
            let text = err.to_string();
            assert!(text.contains(flag) && text.contains(value), "{text}");
        }
        Cli::try_parse_from(["rapport", "--login-window", "86400"]).unwrap();
    }

    #[test]
    fn debug_output_shows_no_secret() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        let cli = Cli::try_parse_from([
            "rapport",
            "--database-url",
            "postgres://rapport:db-password-123@db/rapport",
            "--jwt-secret",
            "jwt-secret-that-is-long-enough-0123456789",
            "--admin-password",
            "admin-password-456",
            "--master-key",
            "bWFzdGVyLWtleS1zZWNyZXQtMzItYnl0ZXMtbG9uZyE=",
        ])
        .unwrap();
        let debug = format!("{:?}", cli.settings);
        for secret in [
            "db-password-123",
            "jwt-secret-that",
            "admin-password-456",
            "bWFzdGVyLWtleS",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("REDACTED"), "{debug}");
    }
}
