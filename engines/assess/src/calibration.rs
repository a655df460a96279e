//! Calibrators that map a scorer's probabilities to better calibrated ones,
//! and the choice among them by cross-fitted log loss on a calibration part.

mod isotonic;
mod platt;

use rapport_core::scoring::eval::log_loss;
use serde::{Deserialize, Serialize};

/// Below this many calibration rows no calibrator is fitted.
pub const MIN_CALIBRATION_ROWS: usize = 20;

/// A fitted map from raw to calibrated probabilities. Plain fields, so it
/// can be stored inside a postcard-encoded model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Calibrator {
    /// Probabilities are left as they are.
    Identity,
    /// Platt scaling: `sigmoid(a * logit(p) + b)`.
    Platt {
        /// Slope on the logit of the raw probability.
        a: f64,
        /// Intercept.
        b: f64,
    },
    /// Isotonic regression: linear interpolation between the points
    /// `(xs[i], ys[i])`, clipped to the end values.
    Isotonic {
        /// Raw probabilities, ascending.
        xs: Vec<f64>,
        /// Calibrated probabilities at `xs`, non-decreasing.
        ys: Vec<f64>,
    },
}

/// The kinds of calibrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationMethod {
    /// No calibration.
    Identity,
    /// Platt scaling.
    Platt,
    /// Isotonic regression.
    Isotonic,
}

impl CalibrationMethod {
    /// The method's name as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            CalibrationMethod::Identity => "identity",
            CalibrationMethod::Platt => "platt",
            CalibrationMethod::Isotonic => "isotonic",
        }
    }
}

impl Calibrator {
    /// Fits a calibrator of `method` on raw `probabilities` and their
    /// `labels`; `None` when there are no usable rows or the lengths differ.
    pub fn fit(
        method: CalibrationMethod,
        probabilities: &[f64],
        labels: &[bool],
    ) -> Option<Calibrator> {
        match method {
            CalibrationMethod::Identity => {
                (probabilities.len() == labels.len()).then_some(Calibrator::Identity)
            }
            CalibrationMethod::Platt => {
                platt::fit(probabilities, labels).map(|(a, b)| Calibrator::Platt { a, b })
            }
            CalibrationMethod::Isotonic => {
                isotonic::fit(probabilities, labels).map(|(xs, ys)| Calibrator::Isotonic { xs, ys })
            }
        }
    }

    /// The calibrated probability of raw probability `p`.
    pub fn apply(&self, p: f64) -> f64 {
        match self {
            Calibrator::Identity => p,
            Calibrator::Platt { a, b } => platt::apply(*a, *b, p),
            Calibrator::Isotonic { xs, ys } => isotonic::apply(xs, ys, p),
        }
    }

    /// [`Calibrator::apply`] on every probability.
    pub fn apply_all(&self, probabilities: &[f64]) -> Vec<f64> {
        probabilities.iter().map(|&p| self.apply(p)).collect()
    }

    /// Which kind of calibrator this is.
    pub fn method(&self) -> CalibrationMethod {
        match self {
            Calibrator::Identity => CalibrationMethod::Identity,
            Calibrator::Platt { .. } => CalibrationMethod::Platt,
            Calibrator::Isotonic { .. } => CalibrationMethod::Isotonic,
        }
    }
}

/// Mean log loss of each candidate on the calibration part, every row scored
/// by a calibrator fitted on the other half; `None` when not evaluated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CandidateLosses {
    /// The raw probabilities (nothing is fitted).
    pub identity: Option<f64>,
    /// Platt scaling.
    pub platt: Option<f64>,
    /// Isotonic regression.
    pub isotonic: Option<f64>,
}

/// The chosen calibrator and why it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationChoice {
    /// The calibrator refitted on the whole calibration part.
    pub calibrator: Calibrator,
    /// Its kind.
    pub method: CalibrationMethod,
    /// Why, in a sentence for the report.
    pub reason: String,
    /// The cross-fitted log loss of each candidate.
    pub cross_fitted_log_loss: CandidateLosses,
}

/// Chooses among identity, Platt and isotonic on a calibration part:
/// a 2-fold cross-fit (halves stratified by label, each fitted on one and
/// scored on the other) gives each candidate's log loss; the lowest wins,
/// identity unless another is strictly better, and the winner is refitted
/// on the whole part. With fewer than [`MIN_CALIBRATION_ROWS`] rows, one
/// class, or lengths that differ, identity is kept.
pub fn choose_calibrator(probabilities: &[f64], labels: &[bool]) -> CalibrationChoice {
    let not_evaluated = |reason: String| CalibrationChoice {
        calibrator: Calibrator::Identity,
        method: CalibrationMethod::Identity,
        reason,
        cross_fitted_log_loss: CandidateLosses {
            identity: log_loss(probabilities, labels),
            platt: None,
            isotonic: None,
        },
    };
    if probabilities.len() != labels.len() {
        return not_evaluated(format!(
            "{} probabilities for {} labels: not calibrated",
            probabilities.len(),
            labels.len()
        ));
    }
    if probabilities.len() < MIN_CALIBRATION_ROWS {
        return not_evaluated(format!(
            "{} calibration rows, fewer than {MIN_CALIBRATION_ROWS}: not calibrated",
            probabilities.len()
        ));
    }
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 || positives == labels.len() {
        return not_evaluated("the calibration rows hold one class: not calibrated".to_owned());
    }
    let losses = CandidateLosses {
        identity: log_loss(probabilities, labels),
        platt: cross_fitted(CalibrationMethod::Platt, probabilities, labels),
        isotonic: cross_fitted(CalibrationMethod::Isotonic, probabilities, labels),
    };
    let mut best = (CalibrationMethod::Identity, losses.identity);
    for candidate in [
        (CalibrationMethod::Platt, losses.platt),
        (CalibrationMethod::Isotonic, losses.isotonic),
    ] {
        if let (Some(loss), Some(best_loss)) = (candidate.1, best.1)
            && loss < best_loss
        {
            best = candidate;
        }
    }
    let method = best.0;
    let calibrator = Calibrator::fit(method, probabilities, labels).unwrap_or(Calibrator::Identity);
    let shown = |loss: Option<f64>| loss.map_or("n/a".to_owned(), |l| format!("{l:.4}"));
    let figures = format!(
        "cross-fitted log loss: identity {}, platt {}, isotonic {}",
        shown(losses.identity),
        shown(losses.platt),
        shown(losses.isotonic)
    );
    let reason = match method {
        CalibrationMethod::Identity => {
            format!("neither platt nor isotonic beats the raw probabilities ({figures})")
        }
        CalibrationMethod::Platt | CalibrationMethod::Isotonic => {
            format!("{} has the lowest {figures}", method.as_str())
        }
    };
    CalibrationChoice {
        method: calibrator.method(),
        calibrator,
        reason,
        cross_fitted_log_loss: losses,
    }
}

/// Mean log loss of `method` when each half of the rows is scored by a
/// calibrator fitted on the other half.
fn cross_fitted(method: CalibrationMethod, probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    let folds = stratified_halves(labels);
    let mut out_of_fold = probabilities.to_vec();
    for fold in [false, true] {
        let (train_p, train_y): (Vec<f64>, Vec<bool>) = (0..labels.len())
            .filter(|&i| folds[i] != fold)
            .map(|i| (probabilities[i], labels[i]))
            .unzip();
        let calibrator = Calibrator::fit(method, &train_p, &train_y)?;
        for (i, p) in out_of_fold.iter_mut().enumerate() {
            if folds[i] == fold {
                *p = calibrator.apply(probabilities[i]);
            }
        }
    }
    log_loss(&out_of_fold, labels)
}

/// Which half each row falls in: the positives alternate between the halves
/// in input order, and so do the negatives.
fn stratified_halves(labels: &[bool]) -> Vec<bool> {
    let mut seen = [0usize; 2];
    labels
        .iter()
        .map(|&l| {
            let count = &mut seen[usize::from(l)];
            *count += 1;
            *count % 2 == 0
        })
        .collect()
}

#[cfg(test)]
mod tests;
