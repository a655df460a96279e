//! What a search is asked: trials, the metric that picks the winner, the list
//! length, the seed, the promotion margin and how many trials run at once.

use std::str::FromStr;

use rapport_core::eval::Metrics;
use serde::{Deserialize, Serialize};

/// The validation metric (at `k`) that ranks trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Mean binary NDCG@k.
    #[default]
    Ndcg,
    /// Mean precision@k.
    Precision,
    /// Mean recall@k.
    Recall,
    /// Mean AP@k.
    Map,
}

impl Metric {
    /// Every metric, in the order of their names in [`Metric::as_str`].
    pub const ALL: [Metric; 4] = [Self::Ndcg, Self::Precision, Self::Recall, Self::Map];

    /// The metric's name, as parsed by [`Metric::from_str`].
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ndcg => "ndcg",
            Self::Precision => "precision",
            Self::Recall => "recall",
            Self::Map => "map",
        }
    }

    /// Its value in `metrics`.
    pub fn of(self, metrics: &Metrics) -> f64 {
        match self {
            Self::Ndcg => metrics.ndcg,
            Self::Precision => metrics.precision,
            Self::Recall => metrics.recall,
            Self::Map => metrics.map,
        }
    }

    /// Its label at list length `k`, as `rapport eval` heads its columns
    /// (`NDCG@10`).
    pub fn label(self, k: usize) -> String {
        let head = match self {
            Self::Ndcg => "NDCG",
            Self::Precision => "P",
            Self::Recall => "R",
            Self::Map => "MAP",
        };
        format!("{head}@{k}")
    }
}

impl FromStr for Metric {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| format!("`{s}` is not one of ndcg, precision, recall, map"))
    }
}

/// The settings of one search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TuneOptions {
    /// Trials in all, shared round-robin across the engines searched; the
    /// first trial of each engine is its defaults.
    pub trials: usize,
    /// The validation metric that ranks trials.
    pub metric: Metric,
    /// List length of every metric.
    pub k: usize,
    /// Seed of the draws: the same seed, engines and data give the same
    /// trials and the same winner.
    pub seed: u64,
    /// Relative margin a candidate must beat a baseline by to be promoted
    /// (0.01: 1 % better on the validation metric).
    pub margin: f64,
    /// Trials fitted at once; 0 uses every core. Results do not depend on it.
    pub threads: usize,
    /// A trial whose parameters bound the fit's memory above this many bytes
    /// ([`rapport_core::DynRecommender::fit_memory`]) is recorded as failed
    /// without being fitted.
    pub max_fit_bytes: Option<u64>,
}

impl Default for TuneOptions {
    fn default() -> Self {
        Self {
            trials: 30,
            metric: Metric::Ndcg,
            k: 10,
            seed: 42,
            margin: 0.01,
            threads: 0,
            max_fit_bytes: None,
        }
    }
}

impl TuneOptions {
    /// The number of trials fitted at once: [`TuneOptions::threads`], or the
    /// cores available when 0; never more than the trials.
    pub(crate) fn workers(&self, jobs: usize) -> usize {
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        threads.min(jobs).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_parse_by_name_and_read_their_value() {
        for metric in Metric::ALL {
            assert_eq!(metric.as_str().parse::<Metric>(), Ok(metric));
        }
        assert!("auc".parse::<Metric>().unwrap_err().contains("ndcg"));
        let m = Metrics {
            k: 10,
            customers: 1,
            precision: 0.1,
            recall: 0.2,
            ndcg: 0.3,
            map: 0.4,
            coverage: 0.5,
        };
        let values: Vec<f64> = Metric::ALL.iter().map(|x| x.of(&m)).collect();
        assert_eq!(values, [0.3, 0.1, 0.2, 0.4]);
        assert_eq!(Metric::Ndcg.label(10), "NDCG@10");
        let options: TuneOptions = serde_json::from_str(r#"{"trials": 5}"#).unwrap();
        assert_eq!((options.trials, options.k, options.seed), (5, 10, 42));
        assert_eq!(options.workers(1), 1);
    }
}
