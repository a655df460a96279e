use super::*;
use crate::reliability::{DEFAULT_BINS, expected_calibration_error};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::scoring::sigmoid;

/// `n` rows with z uniform on [-3, 3] and a positive label with probability
/// sigmoid(z); the reported score is `distort(z)`.
fn draw(n: usize, seed: u64, distort: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let z = 6.0 * rng.random::<f64>() - 3.0;
            (distort(z), rng.random::<f64>() < sigmoid(z))
        })
        .unzip()
}

/// ECE and log loss of `p` against `y`.
fn errors(p: &[f64], y: &[bool]) -> (f64, f64) {
    (
        expected_calibration_error(p, y, DEFAULT_BINS).unwrap(),
        log_loss(p, y).unwrap(),
    )
}

/// Chooses a calibrator on one draw and checks it on a fresh one: ECE and
/// log loss both fall. Returns the choice and the (before, after) errors.
fn calibrate_and_check(distort: fn(f64) -> f64) -> (CalibrationChoice, (f64, f64), (f64, f64)) {
    let (p, y) = draw(4000, 1, distort);
    let choice = choose_calibrator(&p, &y);
    let (fresh_p, fresh_y) = draw(4000, 2, distort);
    let before = errors(&fresh_p, &fresh_y);
    let after = errors(&choice.calibrator.apply_all(&fresh_p), &fresh_y);
    assert!(after.0 < before.0, "ECE {before:?} -> {after:?}");
    assert!(after.1 < before.1, "log loss {before:?} -> {after:?}");
    (choice, before, after)
}

#[test]
fn overconfident_scores_are_tempered() {
    // Reported sigmoid(3z) for true sigmoid(z): Platt's family holds the
    // truth, a = 1/3 and b = 0.
    let (choice, before, after) = calibrate_and_check(|z| sigmoid(3.0 * z));
    assert_eq!(choice.method, CalibrationMethod::Platt, "{}", choice.reason);
    let Calibrator::Platt { a, b } = choice.calibrator else {
        panic!("not platt: {choice:?}");
    };
    assert!((a - 1.0 / 3.0).abs() < 0.05, "a = {a}");
    assert!(b.abs() < 0.1, "b = {b}");
    let losses = &choice.cross_fitted_log_loss;
    assert!(losses.platt.unwrap() < losses.identity.unwrap());
    assert!(losses.platt.unwrap() < losses.isotonic.unwrap());
    assert!(before.0 > 0.1 && after.0 < 0.03, "{before:?} -> {after:?}");
}

#[test]
fn squared_scores_are_lifted_and_isotonic_is_monotone() {
    let (choice, before, after) = calibrate_and_check(|z| sigmoid(z).powi(2));
    assert!(
        choice.method != CalibrationMethod::Identity,
        "{}",
        choice.reason
    );
    assert!(before.0 > 0.1 && after.0 < 0.03, "{before:?} -> {after:?}");
    let (p, y) = draw(4000, 1, |z| sigmoid(z).powi(2));
    let Some(Calibrator::Isotonic { xs, ys }) =
        Calibrator::fit(CalibrationMethod::Isotonic, &p, &y)
    else {
        panic!("isotonic did not fit");
    };
    assert!(xs.windows(2).all(|w| w[0] < w[1]));
    assert!(ys.windows(2).all(|w| w[0] <= w[1]));
    let iso = Calibrator::Isotonic { xs, ys };
    let grid: Vec<f64> = (0..=200).map(|i| iso.apply(i as f64 / 200.0)).collect();
    assert!(grid.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn small_or_one_class_parts_keep_identity() {
    let (p, y) = draw(19, 3, sigmoid);
    let choice = choose_calibrator(&p, &y);
    assert_eq!(choice.calibrator, Calibrator::Identity);
    assert!(choice.reason.contains("fewer than 20"), "{}", choice.reason);
    assert_eq!(choice.cross_fitted_log_loss.platt, None);
    assert_eq!(choice.cross_fitted_log_loss.identity, log_loss(&p, &y));
    let choice = choose_calibrator(&[0.3; 30], &[false; 30]);
    assert_eq!(choice.method, CalibrationMethod::Identity);
    assert!(choice.reason.contains("one class"), "{}", choice.reason);
    let choice = choose_calibrator(&[0.3; 30], &[false; 29]);
    assert!(choice.reason.contains("30 probabilities for 29 labels"));
}

#[test]
fn identity_competes_and_wins_on_noise() {
    // Labels independent of a constant score at the base rate: nothing can
    // beat the raw probabilities out of fold.
    let y: Vec<bool> = (0..40).map(|i| i % 4 == 0).collect();
    let choice = choose_calibrator(&[0.25; 40], &y);
    assert_eq!(
        choice.method,
        CalibrationMethod::Identity,
        "{}",
        choice.reason
    );
    assert!(choice.reason.starts_with("neither"), "{}", choice.reason);
    let losses = choice.cross_fitted_log_loss;
    assert!(
        (losses.identity.unwrap() - (-(0.25f64.ln() + 3.0 * 0.75f64.ln()) / 4.0)).abs() < 1e-12
    );
    assert!(losses.platt.unwrap() > losses.identity.unwrap());
}

#[test]
fn halves_alternate_within_each_class() {
    let halves = stratified_halves(&[true, false, true, true, false]);
    assert_eq!(halves, [false, false, true, false, true]);
}

#[test]
fn calibrators_round_trip_through_serde() {
    for calibrator in [
        Calibrator::Identity,
        Calibrator::Platt { a: 0.5, b: -1.0 },
        Calibrator::Isotonic {
            xs: vec![0.1, 0.9],
            ys: vec![0.2, 0.7],
        },
    ] {
        let json = serde_json::to_string(&calibrator).unwrap();
        let back: Calibrator = serde_json::from_str(&json).unwrap();
        assert_eq!(back, calibrator);
    }
    assert!(
        (Calibrator::Isotonic {
            xs: vec![0.1, 0.9],
            ys: vec![0.2, 0.7]
        }
        .apply(0.5)
            - 0.45)
            .abs()
            < 1e-12
    );
    assert_eq!(
        Calibrator::Platt { a: 1.0, b: 0.0 }.method().as_str(),
        "platt"
    );
}
