//! NPS, CSAT and CES of a set of answers, with 95 % intervals and the counts
//! behind them, so any tool can reproduce the figures. Nothing is rounded.

use serde::Serialize;

use crate::survey::{Answer, SurveyType};

/// The standard normal quantile for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_964;

/// A confidence interval, in the unit of the figure it bounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// Net Promoter Score of the NPS answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NpsStats {
    /// NPS answers.
    pub responses: u64,
    /// Answers of 9 or 10.
    pub promoters: u64,
    /// Answers of 7 or 8.
    pub passives: u64,
    /// Answers of 0 to 6.
    pub detractors: u64,
    /// % promoters minus % detractors, in points (-100..=100).
    pub score: f64,
    /// 95 % normal interval of the difference of the two multinomial shares,
    /// in points, clamped to -100..=100. Its width is 0 when every answer is
    /// in one band (then the estimated variance is 0), e.g. with one answer.
    pub interval: Interval,
    /// Answers per score, from 0 to 10.
    pub distribution: Vec<u64>,
}

/// Customer satisfaction: the share of CSAT answers of 4 or 5.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatStats {
    /// CSAT answers.
    pub responses: u64,
    /// Answers of 4 or 5.
    pub satisfied: u64,
    /// Satisfied answers in % of all (0..=100).
    pub score: f64,
    /// 95 % Wilson score interval of the share, in % (0..=100).
    pub interval: Interval,
    /// Answers per score, from 1 to 5.
    pub distribution: Vec<u64>,
}

/// Customer effort: the mean CES answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CesStats {
    /// CES answers.
    pub responses: u64,
    /// Mean score (1..=7).
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator); `None` with one answer.
    pub std_dev: Option<f64>,
    /// 95 % Student t interval of the mean (n - 1 degrees of freedom),
    /// clamped to 1..=7; `None` with one answer, whose spread is unknown.
    pub interval: Option<Interval>,
    /// Answers per score, from 1 to 7.
    pub distribution: Vec<u64>,
}

/// The three figures of a set of answers; a part is `None` when no answer
/// of its type was given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Net Promoter Score.
    pub nps: Option<NpsStats>,
    /// Customer satisfaction.
    pub csat: Option<CsatStats>,
    /// Customer effort.
    pub ces: Option<CesStats>,
}

/// Answers counted per type and score; add answers one by one (e.g. while
/// streaming rows), then read the [`Summary`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Counts indexed by type (NPS, CSAT, CES) then score; every scale fits
    /// in 0..=10.
    counts: [[u64; 11]; 3],
}

impl Tally {
    /// Counts one answer.
    pub fn add(&mut self, answer: Answer) {
        self.counts[type_index(answer.kind())][usize::from(answer.score())] += 1;
    }

    /// The figures of the answers counted so far.
    pub fn summary(&self) -> Summary {
        Summary {
            nps: self.nps(),
            csat: self.csat(),
            ces: self.ces(),
        }
    }

    /// Answers of `kind` per score, from the scale's minimum to its maximum.
    fn distribution(&self, kind: SurveyType) -> &[u64] {
        &self.counts[type_index(kind)][usize::from(kind.min())..=usize::from(kind.max())]
    }

    /// How many answers of `kind` scored within `scores`.
    fn count(&self, kind: SurveyType, scores: std::ops::RangeInclusive<usize>) -> u64 {
        self.counts[type_index(kind)][scores].iter().sum()
    }

    fn nps(&self) -> Option<NpsStats> {
        let kind = SurveyType::Nps;
        let (promoters, passives, detractors) = (
            self.count(kind, 9..=10),
            self.count(kind, 7..=8),
            self.count(kind, 0..=6),
        );
        let responses = promoters + passives + detractors;
        if responses == 0 {
            return None;
        }
        let n = responses as f64;
        let (p, d) = (promoters as f64 / n, detractors as f64 / n);
        let diff = p - d;
        let half = Z95 * ((p + d - diff * diff).max(0.0) / n).sqrt();
        Some(NpsStats {
            responses,
            promoters,
            passives,
            detractors,
            score: 100.0 * diff,
            interval: clamped(100.0 * (diff - half), 100.0 * (diff + half), -100.0, 100.0),
            distribution: self.distribution(kind).to_vec(),
        })
    }

    fn csat(&self) -> Option<CsatStats> {
        let kind = SurveyType::Csat;
        let satisfied = self.count(kind, 4..=5);
        let responses = self.count(kind, 1..=5);
        if responses == 0 {
            return None;
        }
        let wilson = wilson(satisfied, responses);
        Some(CsatStats {
            responses,
            satisfied,
            score: 100.0 * satisfied as f64 / responses as f64,
            interval: clamped(100.0 * wilson.low, 100.0 * wilson.high, 0.0, 100.0),
            distribution: self.distribution(kind).to_vec(),
        })
    }

    fn ces(&self) -> Option<CesStats> {
        let kind = SurveyType::Ces;
        let distribution = self.distribution(kind);
        let scored = || {
            (kind.min()..)
                .map(f64::from)
                .zip(distribution.iter().map(|&c| c as f64))
        };
        let responses: u64 = distribution.iter().sum();
        if responses == 0 {
            return None;
        }
        let n = responses as f64;
        let mean = scored().map(|(s, c)| s * c).sum::<f64>() / n;
        let std_dev = (responses > 1).then(|| {
            let squares: f64 = scored().map(|(s, c)| c * (s - mean) * (s - mean)).sum();
            (squares / (n - 1.0)).sqrt()
        });
        let interval = std_dev.map(|s| {
            let half = t975(responses - 1) * s / n.sqrt();
            clamped(
                mean - half,
                mean + half,
                kind.min().into(),
                kind.max().into(),
            )
        });
        Some(CesStats {
            responses,
            mean,
            std_dev,
            interval,
            distribution: distribution.to_vec(),
        })
    }
}

/// The figures of `answers`.
pub fn summarise(answers: &[Answer]) -> Summary {
    let mut tally = Tally::default();
    answers.iter().for_each(|&a| tally.add(a));
    tally.summary()
}

/// The 95 % Wilson score interval of a share of `successes` in `n` (n > 0),
/// as fractions (0..=1).
pub fn wilson(successes: u64, n: u64) -> Interval {
    let (n, p) = (n as f64, successes as f64 / n as f64);
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    clamped(centre - half, centre + half, 0.0, 1.0)
}

/// Two-sided 95 % quantile of Student's t with `df` degrees of freedom (df >
/// 0): exact to 6 decimals from a table up to 15, then the Cornish-Fisher
/// expansion around [`Z95`], which is within 1e-6 there.
pub fn t975(df: u64) -> f64 {
    const TABLE: [f64; 15] = [
        12.706_205, 4.302_653, 3.182_446, 2.776_445, 2.570_582, 2.446_912, 2.364_624, 2.306_004,
        2.262_157, 2.228_139, 2.200_985, 2.178_813, 2.160_369, 2.144_787, 2.131_450,
    ];
    if let Some(&t) = usize::try_from(df)
        .ok()
        .and_then(|i| TABLE.get(i.checked_sub(1)?))
    {
        return t;
    }
    let (z, v) = (Z95, df as f64);
    let z2 = z * z;
    let z3 = z2 * z;
    let z5 = z3 * z2;
    let z7 = z5 * z2;
    let z9 = z7 * z2;
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v.powi(2))
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v.powi(3))
        + (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / (92_160.0 * v.powi(4))
}

/// The interval `[low, high]` kept within `[min, max]`.
fn clamped(low: f64, high: f64, min: f64, max: f64) -> Interval {
    Interval {
        low: low.clamp(min, max),
        high: high.clamp(min, max),
    }
}

/// Row of a type in [`Tally::counts`].
fn type_index(kind: SurveyType) -> usize {
    match kind {
        SurveyType::Nps => 0,
        SurveyType::Csat => 1,
        SurveyType::Ces => 2,
    }
}
