//! Figures on hand-made tables, checked by hand in the comments.

use crate::stats::{Interval, Summary, summarise, t975, wilson};
use crate::survey::{Answer, SurveyType};

fn answers(kind: SurveyType, scores: &[i64]) -> Vec<Answer> {
    scores
        .iter()
        .map(|&s| Answer::new(kind, s).unwrap())
        .collect()
}

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} is not within {tolerance} of {expected}"
    );
}

fn close_interval(actual: Interval, low: f64, high: f64, tolerance: f64) {
    close(actual.low, low, tolerance);
    close(actual.high, high, tolerance);
}

#[test]
fn nps_of_five_promoters_two_passives_three_detractors() {
    // p = 5/10, d = 3/10: NPS = 100 (0.5 - 0.3) = 20 points.
    // var = (0.5 + 0.3 - 0.2^2) / 10 = 0.076, se = 0.275681;
    // half = 1.959964 * 0.275681 = 0.540325 -> [-34.0325, 74.0325].
    let table = answers(SurveyType::Nps, &[10, 10, 9, 9, 9, 8, 7, 6, 3, 0]);
    let nps = summarise(&table).nps.unwrap();
    assert_eq!(
        (nps.responses, nps.promoters, nps.passives, nps.detractors),
        (10, 5, 2, 3)
    );
    close(nps.score, 20.0, 1e-9);
    close_interval(nps.interval, -34.0325, 74.0325, 1e-4);
    assert_eq!(nps.distribution, [1, 0, 0, 1, 0, 0, 1, 1, 1, 3, 2]);
}

#[test]
fn nps_interval_stays_within_100_points() {
    // All promoters: NPS 100, variance (1 + 0 - 1) / n = 0: [100, 100].
    let all = summarise(&answers(SurveyType::Nps, &[10, 9, 10, 9]))
        .nps
        .unwrap();
    close(all.score, 100.0, 1e-9);
    assert!(all.interval.high <= 100.0 && all.interval.low <= all.score);
    close_interval(all.interval, 100.0, 100.0, 1e-9);
    // One promoter, one detractor: NPS 0, var = (1 - 0) / 2, half = 1.959964
    // * 0.707107 = 1.385904 -> the whole -100..100 after clamping.
    let split = summarise(&answers(SurveyType::Nps, &[10, 0])).nps.unwrap();
    close(split.score, 0.0, 1e-9);
    assert_eq!(
        split.interval,
        Interval {
            low: -100.0,
            high: 100.0
        }
    );
}

#[test]
fn csat_of_seven_satisfied_in_ten_has_the_wilson_interval() {
    // 7 of 10 answers are 4 or 5: CSAT 70 %. Wilson, z^2 = 3.841459:
    // centre = (0.7 + 0.192073) / 1.384146 = 0.644493,
    // half = 1.959964 sqrt(0.021 + 0.009604) / 1.384146 = 0.247715
    // -> [0.39678, 0.89221], i.e. [39.678, 89.221] %.
    let table = answers(SurveyType::Csat, &[5, 5, 5, 4, 4, 4, 4, 3, 2, 1]);
    let csat = summarise(&table).csat.unwrap();
    assert_eq!((csat.responses, csat.satisfied), (10, 7));
    close(csat.score, 70.0, 1e-9);
    close_interval(csat.interval, 39.678, 89.221, 1e-3);
    assert_eq!(csat.distribution, [1, 1, 1, 4, 3]);
    close_interval(wilson(7, 10), 0.3968, 0.8922, 1e-4);
}

#[test]
fn wilson_at_the_edges_stays_within_the_unit_interval() {
    // 10 of 10: low = (1 + z^2/20 - z^2/20) / (1 + z^2/10) = 0.722467, high 1.
    let all = wilson(10, 10);
    close_interval(all, 0.722467, 1.0, 1e-6);
    assert!(all.high <= 1.0);
    // 0 of 1: [0, z^2 / (1 + z^2)] = [0, 0.793451]; 1 of 1 mirrors it.
    close_interval(wilson(0, 1), 0.0, 0.793451, 1e-6);
    close_interval(wilson(1, 1), 0.206549, 1.0, 1e-6);
}

#[test]
fn ces_mean_with_a_t_interval() {
    // 2, 3, 4, 5, 6: mean 4, s^2 = (4 + 1 + 0 + 1 + 4) / 4 = 2.5, s = 1.581139;
    // t(0.975, 4) = 2.776445, half = 2.776445 * 1.581139 / sqrt 5 = 1.963243
    // -> [2.036757, 5.963243].
    let ces = summarise(&answers(SurveyType::Ces, &[2, 3, 4, 5, 6]))
        .ces
        .unwrap();
    assert_eq!(ces.responses, 5);
    close(ces.mean, 4.0, 1e-12);
    close(ces.std_dev.unwrap(), 1.581139, 1e-6);
    close_interval(ces.interval.unwrap(), 2.036757, 5.963243, 1e-6);
    assert_eq!(ces.distribution, [0, 1, 1, 1, 1, 1, 0]);
    // 1 and 7: mean 4, s = 4.242641, half = 12.706205 * 3 = 38.1 -> 1..7.
    let wide = summarise(&answers(SurveyType::Ces, &[1, 7])).ces.unwrap();
    assert_eq!(
        wide.interval,
        Some(Interval {
            low: 1.0,
            high: 7.0
        })
    );
}

#[test]
fn one_answer_gives_figures_without_a_ces_spread() {
    let mut table = answers(SurveyType::Nps, &[6]);
    table.extend(answers(SurveyType::Csat, &[4]));
    table.extend(answers(SurveyType::Ces, &[5]));
    let summary = summarise(&table);
    let nps = summary.nps.unwrap();
    // One detractor: NPS -100, zero variance.
    assert_eq!(
        (nps.score, nps.interval),
        (
            -100.0,
            Interval {
                low: -100.0,
                high: -100.0
            }
        )
    );
    // One satisfied: Wilson(1, 1) = [20.6549, 100] %.
    close_interval(summary.csat.unwrap().interval, 20.6549, 100.0, 1e-4);
    let ces = summary.ces.unwrap();
    assert_eq!((ces.mean, ces.std_dev, ces.interval), (5.0, None, None));
}

#[test]
fn no_answers_give_no_figures() {
    assert_eq!(summarise(&[]), Summary::default());
    let only_nps = summarise(&answers(SurveyType::Nps, &[8]));
    assert_eq!(only_nps.nps.unwrap().passives, 1);
    assert!(only_nps.csat.is_none() && only_nps.ces.is_none());
}

#[test]
fn t_quantiles_match_the_table_and_tend_to_z() {
    close(t975(1), 12.706205, 1e-6);
    close(t975(15), 2.131450, 1e-6);
    // Beyond the table: t(16) = 2.119905, t(30) = 2.042272, t(120) = 1.979930.
    close(t975(16), 2.119905, 2e-6);
    close(t975(30), 2.042272, 2e-6);
    close(t975(120), 1.979930, 2e-6);
    close(t975(1_000_000), crate::stats::Z95, 1e-5);
}

#[test]
fn summary_serialises_counts_and_intervals() {
    let summary = summarise(&answers(SurveyType::Nps, &[10]));
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["nps"]["promoters"], 1);
    assert_eq!(json["nps"]["interval"]["high"], 100.0);
    assert!(json["csat"].is_null());
}
