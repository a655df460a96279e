use super::*;
use rand::RngExt;

/// `n` rows of two uniform columns, `signal` and `noise`; the label is
/// `signal > 0.5`.
fn signal_and_noise(n: usize) -> (Frame, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (rows, labels): (Vec<Vec<Value>>, Vec<bool>) = (0..n)
        .map(|_| {
            let (signal, noise) = (rng.random::<f64>(), rng.random::<f64>());
            (
                vec![Value::Number(signal), Value::Number(noise)],
                signal > 0.5,
            )
        })
        .unzip();
    let frame = Frame::new(vec!["signal".into(), "noise".into()], rows).unwrap();
    (frame, labels)
}

/// Scores a row by its `signal` value.
fn by_signal(frame: &Frame) -> Result<Vec<f64>, ScoreError> {
    frame
        .iter()
        .map(|row| {
            use rapport_core::scoring::Row;
            row.get("signal")
                .and_then(Value::as_number)
                .ok_or_else(|| ScoreError::UnknownColumn("signal".into()))
        })
        .collect()
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

#[test]
fn shuffling_the_signal_costs_half_the_auc_and_noise_nothing() {
    let (frame, labels) = signal_and_noise(1000);
    let features = names(&["noise", "signal"]);
    let ranked = permutation_importance(&frame, &labels, &features, 5, 42, by_signal).unwrap();
    assert_eq!(ranked[0].feature, "signal");
    // From AUC 1 to about 0.5 (a random ranking).
    assert!((ranked[0].mean_drop - 0.5).abs() < 0.05, "{ranked:?}");
    assert!(
        ranked[0].std_drop > 0.0 && ranked[0].std_drop < 0.05,
        "{ranked:?}"
    );
    assert_eq!(ranked[1].feature, "noise");
    assert_eq!((ranked[1].mean_drop, ranked[1].std_drop), (0.0, 0.0));
    // The same seed gives the same figures.
    let again = permutation_importance(&frame, &labels, &features, 5, 42, by_signal).unwrap();
    assert_eq!(again, ranked);
}

#[test]
fn permutation_importance_refuses_bad_input() {
    let (frame, labels) = signal_and_noise(20);
    let run = |labels: &[bool], features: &[String], repeats| {
        permutation_importance(&frame, labels, features, repeats, 1, by_signal).unwrap_err()
    };
    let signal = names(&["signal"]);
    assert!(
        matches!(run(&labels, &names(&["age"]), 1), ScoreError::UnknownColumn(c) if c == "age")
    );
    assert!(
        matches!(run(&labels, &signal, 0), ScoreError::InvalidParam { name, .. } if name == "repeats")
    );
    assert!(
        matches!(run(&labels[1..], &signal, 1), ScoreError::InvalidParam { name, .. } if name == "labels")
    );
    assert!(
        matches!(run(&[true; 20], &signal, 1), ScoreError::OneClass { class } if class == "positive")
    );
    let short = |_: &Frame| Ok::<_, ScoreError>(vec![0.5]);
    let err = permutation_importance(&frame, &labels, &signal, 1, 1, short).unwrap_err();
    assert!(matches!(err, ScoreError::Internal(m) if m == "1 predictions for 20 rows"));
}

/// A frame of one column `c`.
fn column(values: Vec<Value>) -> Frame {
    Frame::new(
        vec!["c".into()],
        values.into_iter().map(|v| vec![v]).collect(),
    )
    .unwrap()
}

fn mi_of(values: Vec<Value>, labels: &[bool]) -> MutualInformation {
    let mut all = mutual_information(&column(values), labels, &names(&["c"])).unwrap();
    all.remove(0)
}

#[test]
fn mutual_information_of_levels_by_hand() {
    let text = |s: &str| Value::Text(s.into());
    // Pure levels (missing being one): the label's entropy, ln 2.
    let mi = mi_of(
        vec![text("a"), text("a"), Value::Missing, text("b")],
        &[true, true, false, false],
    );
    assert!((mi.mutual_information - 2f64.ln()).abs() < 1e-12);
    assert_eq!(mi.levels, 3);
    // H(Y) - H(Y|X) with Y = 3 of 4 positive, X = a (one of each) or b (both positive).
    let h = |p: f64| -(p * p.ln() + (1.0 - p) * (1.0 - p).ln());
    let mi = mi_of(
        vec![text("a"), text("a"), text("b"), text("b")],
        &[true, false, true, true],
    );
    assert!((mi.mutual_information - (h(0.75) - h(0.5) / 2.0)).abs() < 1e-12);
    assert!((mi.mutual_information - 0.215_762).abs() < 1e-6);
}

#[test]
fn numeric_columns_are_cut_at_deciles() {
    // 1..=20: deciles 2.9, 4.8, ..., 18.1 leave ten bins of two, plus missing.
    let mut values: Vec<Value> = (1..=20).map(|i| Value::Number(f64::from(i))).collect();
    let mut labels: Vec<bool> = (1..=20).map(|i| i > 10).collect();
    values.push(Value::Missing);
    labels.push(false);
    let mi = mi_of(values, &labels);
    assert_eq!(mi.levels, 11);
    // Every bin is pure, so the information is the label's entropy (10 of 21 positive).
    let p: f64 = 10.0 / 21.0;
    let entropy = -(p * p.ln() + (1.0 - p) * (1.0 - p).ln());
    assert!((mi.mutual_information - entropy).abs() < 1e-12);
}

#[test]
fn a_copy_of_the_label_carries_its_entropy_and_noise_none() {
    let (frame, labels) = signal_and_noise(4000);
    let copy: Vec<Value> = labels
        .iter()
        .map(|&l| Value::Number(f64::from(u8::from(l))))
        .collect();
    let mi = mi_of(copy, &labels);
    let p = labels.iter().filter(|&&l| l).count() as f64 / 4000.0;
    let entropy = -(p * p.ln() + (1.0 - p) * (1.0 - p).ln());
    assert_eq!(mi.levels, 2);
    assert!((mi.mutual_information - entropy).abs() < 1e-12);
    assert!((mi.mutual_information - 2f64.ln()).abs() < 1e-3);
    let ranked = mutual_information(&frame, &labels, &names(&["noise", "signal"])).unwrap();
    assert_eq!(ranked[0].feature, "signal");
    assert_eq!(ranked[1].feature, "noise");
    // Ten bins on 4000 independent rows: the bias is about 9 / (2 * 4000).
    assert!(ranked[1].mutual_information < 0.005, "{ranked:?}");
    assert_eq!(ranked[1].levels, 10);
}

#[test]
fn mutual_information_refuses_bad_input() {
    let frame = column(vec![Value::Number(f64::NAN), Value::Number(1.0)]);
    let err = mutual_information(&frame, &[true, false], &names(&["c"])).unwrap_err();
    assert!(matches!(err, ScoreError::NonFinite { row: 0, .. }), "{err}");
    let err = mutual_information(&frame, &[true], &names(&["c"])).unwrap_err();
    assert!(matches!(err, ScoreError::InvalidParam { .. }));
    let err = mutual_information(&frame, &[true, false], &names(&["d"])).unwrap_err();
    assert!(matches!(err, ScoreError::UnknownColumn(_)));
}
