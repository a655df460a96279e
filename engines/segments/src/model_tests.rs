//! The model as the service uses it: k choice, ids, assignment, bytes.

use rapport_core::Params;
use rapport_core::scoring::{Frame, Value};

use crate::engine::Segments;
use crate::error::SegmentError;
use crate::rfm::RfmRecord;

/// Three groups of customers by (tenure, charges), with a plan column.
fn frame(shift: f64) -> Frame {
    let groups = [(5.0, 80.0), (60.0, 20.0), (30.0, 50.0)];
    let mut rows = Vec::new();
    for (g, (tenure, charges)) in groups.iter().enumerate() {
        for i in 0..20 {
            let wobble = ((i * 7) % 5) as f64 - 2.0;
            let blank = g == 1 && i == 3;
            rows.push(vec![
                Value::Number(tenure + wobble + shift),
                if blank {
                    Value::Missing
                } else {
                    Value::Number(charges + wobble * 0.5 + shift)
                },
                Value::Text(if g == 0 { "monthly" } else { "yearly" }.into()),
            ]);
        }
    }
    Frame::new(vec!["tenure".into(), "charges".into(), "plan".into()], rows).unwrap()
}

fn params() -> Params {
    Params::new()
        .with("features", "tenure,charges")
        .with("impute", "mean")
        .with("k_max", 5)
}

#[test]
fn chooses_k_by_silhouette_and_describes_segments() {
    let fit = Segments.fit_columns(&frame(0.0), &params(), &[]).unwrap();
    let model = &fit.model;
    assert_eq!(model.k, 3);
    assert_eq!(
        model.per_k.iter().map(|r| r.k).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    let best = model.chosen().unwrap().silhouette.unwrap();
    assert!(model.per_k.iter().all(|r| r.silhouette.unwrap() <= best));
    assert_eq!(
        model.segments.iter().map(|s| s.size).collect::<Vec<_>>(),
        [20, 20, 20]
    );
    assert_eq!(
        model.segments.iter().map(|s| s.id).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let loyal = model.segments.iter().find(|s| s.centre[0] > 50.0).unwrap();
    assert!(
        loyal
            .profile
            .summary
            .starts_with("high tenure, low charges: tenure 60"),
        "{}",
        loyal.profile.summary
    );
    // Training rows are assigned to their own segment.
    for (i, row) in frame(0.0).iter().enumerate() {
        assert_eq!(
            model.assign_row(&row).unwrap().segment_id,
            fit.labels[i],
            "row {i}"
        );
    }
    assert!(matches!(
        model.assign(&[1.0]),
        Err(SegmentError::WrongWidth { .. })
    ));
}

#[test]
fn refits_keep_the_ids_of_matching_segments() {
    let first = Segments
        .fit_columns(&frame(0.0), &params(), &[])
        .unwrap()
        .model;
    let previous: Vec<(u32, Vec<f64>)> = first
        .centres()
        .into_iter()
        .map(|(id, c)| (id + 10, c))
        .collect();
    let again = Segments
        .fit_columns(&frame(1.0), &params(), &previous)
        .unwrap()
        .model;
    for s in &again.segments {
        let (id, _) = previous
            .iter()
            .min_by(|a, b| {
                crate::matrix::sq_dist(&a.1, &s.centre)
                    .total_cmp(&crate::matrix::sq_dist(&b.1, &s.centre))
            })
            .unwrap();
        assert_eq!(s.id, *id);
    }
    let four = Segments
        .fit_columns(&frame(0.0), &params().with("k", 4), &previous)
        .unwrap()
        .model;
    let mut ids: Vec<u32> = four.segments.iter().map(|s| s.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [10, 11, 12, 13], "three reused, one fresh above them");
}

#[test]
fn categories_are_one_hot_and_models_round_trip() {
    let p = params().with("categorical", "plan").with("k", 3);
    let fit = Segments.fit_columns(&frame(0.0), &p, &[]).unwrap();
    assert_eq!(
        fit.model.feature_names,
        ["tenure", "charges", "plan=monthly", "plan=yearly"]
    );
    let bytes = Segments.to_bytes(&fit.model).unwrap();
    let back = Segments.from_bytes(&bytes).unwrap();
    assert_eq!(back, fit.model);
    let other = rapport_core::engine::encode("logistic", &1u32).unwrap();
    assert!(matches!(
        Segments.from_bytes(&other),
        Err(SegmentError::BadModelBytes(_))
    ));
    let rfm = crate::rfm::Rfm {
        recency_days: 1.0,
        frequency: 1.0,
        monetary: 1.0,
    };
    assert!(matches!(
        back.assign_rfm(&rfm),
        Err(SegmentError::WrongFeatures { .. })
    ));
}

#[test]
fn same_seed_same_model_and_wrong_feature_sources_are_refused() {
    let a = Segments.fit_columns(&frame(0.0), &params(), &[]).unwrap();
    let b = Segments.fit_columns(&frame(0.0), &params(), &[]).unwrap();
    assert_eq!(a.labels, b.labels);
    assert_eq!(a.model.segments, b.model.segments);
    let records = [RfmRecord {
        customer: 1u32,
        occurred_at: 0,
        value: 1.0,
        basket: None,
    }];
    assert!(Segments.fit_rfm(&records, None, &params(), &[]).is_err());
    assert!(
        Segments
            .fit_columns(&frame(0.0), &Params::new(), &[])
            .is_err()
    );
    let names: Vec<String> = Segments
        .describe()
        .params
        .into_iter()
        .map(|p| p.name)
        .collect();
    for wanted in [
        "k", "k_min", "k_max", "n_init", "max_iter", "tol", "seed", "kinds", "features",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted}");
    }
    assert_eq!(Segments.describe().name, "segments");
}
