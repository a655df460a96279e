//! The boosted model: Newton boosting of histogram trees on log loss, with
//! the number of trees chosen on a validation part carved from the training
//! rows, and scoring with TreeSHAP contributions per original feature.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::ScoreError;
use rapport_core::scoring::{
    Factor, Frame, Prediction, ResolvedLabel, Row, TrainSpec, TrainStats, Value, sigmoid,
};
use rapport_trees::{BinnedRows, Binner, Criterion, GrowConfig, SplitLimits, Tree, grow, shap};
use serde::{Deserialize, Serialize};

use crate::params::GbdtParams;

/// Smallest hessian of a row, so that confident rows still weigh a little.
const MIN_HESSIAN: f64 = 1e-16;

/// A fitted boosted-trees scorer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtModel {
    label: ResolvedLabel,
    binner: Binner,
    params: GbdtParams,
    /// Log-odds of the positive share of the boosting rows.
    base: f64,
    trees: Vec<Tree>,
    /// `base` plus every tree's expected value: the logit when no feature is known.
    intercept: f64,
    validation_loss: Option<f64>,
    stats: TrainStats,
}

/// Rows `j` with `floor((j + 1) f) > floor(j f)`: an evenly spaced share `f`
/// of the rows, the same for the same row count. Returns (boosting, validation).
pub fn carve(rows: usize, fraction: f64) -> (Vec<u32>, Vec<u32>) {
    (0..rows as u32).partition(|&j| {
        let j = f64::from(j);
        ((j + 1.0) * fraction).floor() <= (j * fraction).floor()
    })
}

/// Log-odds of the (slightly smoothed) positive share of `rows`.
fn base_logit(y: &[bool], rows: &[u32]) -> f64 {
    let positives = rows.iter().filter(|&&r| y[r as usize]).count();
    let share = (positives as f64 + 0.5) / (rows.len() as f64 + 1.0);
    (share / (1.0 - share)).ln()
}

/// Mean log loss of margins `z` on labels `y` over `rows`.
fn mean_log_loss(z: &[f64], y: &[bool], rows: &[u32]) -> f64 {
    let total: f64 = rows
        .iter()
        .map(|&r| {
            let m = if y[r as usize] {
                z[r as usize]
            } else {
                -z[r as usize]
            };
            (-m).max(0.0) + (-m.abs()).exp().ln_1p()
        })
        .sum();
    total / rows.len().max(1) as f64
}

impl GbdtModel {
    /// Fits on every row of `frame`, holding out the validation part.
    pub fn fit(frame: &Frame, spec: &TrainSpec, params: &GbdtParams) -> Result<Self, ScoreError> {
        let (label, y) = spec.labels(frame)?;
        let columns = spec.feature_columns(frame, &label)?;
        let binner = Binner::fit(frame, &columns, spec, params.max_bins, params.min_frequency)?;
        let data = binner.bin_frame(frame)?;
        let (mut boosting, validation) = carve(y.len(), params.validation_fraction);
        if validation.is_empty() || boosting.is_empty() {
            boosting = (0..y.len() as u32).collect();
        }
        let mut base = base_logit(&y, &boosting);
        let booster = Booster {
            binner: &binner,
            data: &data,
            y: &y,
            params,
        };
        let (mut trees, validation_loss) =
            booster.run(base, &boosting, &validation, params.max_trees);
        if params.refit && !validation.is_empty() && !trees.is_empty() {
            // The validation part chose the number of trees; every training
            // row now grows them, from the base share of every row.
            boosting = (0..y.len() as u32).collect();
            base = base_logit(&y, &boosting);
            trees = booster.run(base, &boosting, &[], trees.len()).0;
        }
        let margins = booster.margins(base, &trees);
        let intercept = base + trees.iter().map(shap::expected_value).sum::<f64>();
        let train_loss = mean_log_loss(&margins, &y, &boosting) * boosting.len() as f64;
        Ok(GbdtModel {
            stats: TrainStats {
                rows: y.len(),
                positives: y.iter().filter(|&&p| p).count(),
                columns: binner.features().len(),
                objective: train_loss,
            },
            label,
            binner,
            params: params.clone(),
            base,
            trees,
            intercept,
            validation_loss,
        })
    }

    /// The raw score (log-odds) of one customer: base plus every tree's leaf value.
    pub fn margin(&self, row: &dyn Row) -> Result<f64, ScoreError> {
        let bins = self.binner.bin_row(row, 0)?;
        Ok(self.base
            + self
                .trees
                .iter()
                .map(|t| t.predict(|f| bins[f]))
                .sum::<f64>())
    }

    /// Scores one customer; each factor's contribution is its feature's
    /// TreeSHAP value summed over the trees, and the intercept is the
    /// model's expected value, so that they add up to the logit.
    pub fn predict(&self, row: &dyn Row) -> Result<Prediction, ScoreError> {
        let bins = self.binner.bin_row(row, 0)?;
        let mut phi = vec![0.0; bins.len()];
        for tree in &self.trees {
            shap::add_contributions(tree, &|f| bins[f], &mut phi);
        }
        let factors = self
            .binner
            .features()
            .iter()
            .zip(phi)
            .map(|(feature, contribution)| Factor {
                feature: feature.name.clone(),
                value: row.get(&feature.name).cloned().unwrap_or(Value::Missing),
                contribution,
            })
            .collect();
        Ok(Prediction::from_factors(self.intercept, factors))
    }

    /// The label this model predicts.
    pub fn label(&self) -> &ResolvedLabel {
        &self.label
    }

    /// Figures about the training run (objective: summed log loss of the boosting rows).
    pub fn stats(&self) -> &TrainStats {
        &self.stats
    }

    /// The trees kept (the number that scored best on validation).
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// The fitted feature bins.
    pub fn binner(&self) -> &Binner {
        &self.binner
    }

    /// The parameters it was trained with.
    pub fn params(&self) -> &GbdtParams {
        &self.params
    }

    /// Mean validation log loss at the chosen number of trees (grown without
    /// the validation rows); `None` without a validation part.
    pub fn validation_loss(&self) -> Option<f64> {
        self.validation_loss
    }

    /// Refuses trees that do not fit the features (bytes not written by `fit`).
    pub(crate) fn check(self) -> Result<Self, ScoreError> {
        let features = self.binner.features().len();
        for tree in &self.trees {
            tree.check(features).map_err(ScoreError::BadModelBytes)?;
        }
        Ok(self)
    }
}

/// The boosting run over binned training rows.
struct Booster<'a> {
    binner: &'a Binner,
    data: &'a BinnedRows,
    y: &'a [bool],
    params: &'a GbdtParams,
}

impl Booster<'_> {
    fn config(&self) -> GrowConfig {
        let p = self.params;
        GrowConfig {
            criterion: Criterion::Newton {
                lambda: p.lambda_l2,
            },
            limits: SplitLimits {
                min_rows: p.min_data_in_leaf.min(u32::MAX as usize) as u32,
                min_weight: p.min_child_weight,
                min_gain: 1e-12,
                category_smoothing: p.category_smoothing,
            },
            max_depth: p.max_depth,
            max_leaves: p.num_leaves,
        }
    }

    /// Grows up to `max_trees` trees on `boosting` rows until the validation
    /// loss has not improved for `early_stopping_rounds` trees; returns the
    /// best prefix and its validation loss (all trees without validation rows).
    fn run(
        &self,
        base: f64,
        boosting: &[u32],
        validation: &[u32],
        max_trees: usize,
    ) -> (Vec<Tree>, Option<f64>) {
        let p = self.params;
        let (layout, config) = (self.binner.layout(), self.config());
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
        let n = self.y.len();
        let mut z = vec![base; n];
        let (mut g, mut h) = (vec![0.0; n], vec![0.0; n]);
        let mut trees = Vec::new();
        let mut best = (
            0,
            (!validation.is_empty()).then(|| mean_log_loss(&z, self.y, validation)),
        );
        for _ in 0..max_trees {
            for &r in boosting {
                let r = r as usize;
                let prob = sigmoid(z[r]);
                g[r] = prob - f64::from(u8::from(self.y[r]));
                h[r] = (prob * (1.0 - prob)).max(MIN_HESSIAN);
            }
            let rows: Vec<u32> = if p.subsample < 1.0 {
                boosting
                    .iter()
                    .copied()
                    .filter(|_| rng.random::<f64>() < p.subsample)
                    .collect()
            } else {
                boosting.to_vec()
            };
            let mut tree = grow(&layout, self.data, rows, &g, &h, &config);
            if tree.nodes.len() == 1 {
                break;
            }
            let (rate, lambda) = (p.learning_rate, p.lambda_l2);
            tree.set_values(|s| -rate * s.g / (s.h + lambda));
            for (r, zr) in z.iter_mut().enumerate() {
                *zr += tree.predict(|f| self.data.bin(f, r));
            }
            trees.push(tree);
            let Some(best_loss) = best.1 else {
                best.0 = trees.len();
                continue;
            };
            let loss = mean_log_loss(&z, self.y, validation);
            if loss < best_loss {
                best = (trees.len(), Some(loss));
            } else if trees.len() - best.0 >= p.early_stopping_rounds {
                break;
            }
        }
        trees.truncate(best.0);
        (trees, best.1)
    }

    /// The margin of every row under `trees`.
    fn margins(&self, base: f64, trees: &[Tree]) -> Vec<f64> {
        (0..self.y.len())
            .map(|r| {
                base + trees
                    .iter()
                    .map(|t| t.predict(|f| self.data.bin(f, r)))
                    .sum::<f64>()
            })
            .collect()
    }
}
