//! A fitted segmentation: k chosen (or given), per-k figures, centres in
//! standardised and original units, profiles, stable ids, and assignment
//! of new customers.

use std::time::Instant;

use rapport_core::scoring::Row;
use serde::{Deserialize, Serialize};

use crate::columns::ColumnEncoder;
use crate::error::SegmentError;
use crate::hungarian::stable_ids;
use crate::kmeans::{Clustering, RunSummary, kmeans, nearest_centre};
use crate::matrix::{Points, Standardiser};
use crate::params::SegmentParams;
use crate::profile::{Profile, column_profile, rfm_profile};
use crate::rfm::{RFM_FEATURES, Rfm};
use crate::silhouette::silhouette;

/// What the model's features are and how a customer is turned into them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Features {
    /// `log1p` of recency (days), frequency and monetary value.
    Rfm,
    /// Chosen customer columns.
    Columns(ColumnEncoder),
}

impl Features {
    /// Feature names in column order.
    pub fn names(&self) -> Vec<String> {
        match self {
            Features::Rfm => RFM_FEATURES.iter().map(|s| (*s).to_owned()).collect(),
            Features::Columns(encoder) => encoder.feature_names(),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Features::Rfm => "RFM",
            Features::Columns(_) => "column",
        }
    }
}

/// The figures of one k tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KReport {
    /// Number of segments.
    pub k: usize,
    /// Sum of squared distances to the assigned centre, standardised space.
    pub inertia: f64,
    /// Mean silhouette; `None` when it is undefined (fewer than two occupied segments).
    pub silhouette: Option<f64>,
    /// Segment sizes, descending.
    pub sizes: Vec<usize>,
    /// Lloyd iterations of the kept restart.
    pub iterations: usize,
    /// Wall seconds of the k-means fit (restarts included, silhouette excluded).
    pub fit_seconds: f64,
    /// Wall seconds of the silhouette.
    pub silhouette_seconds: f64,
    /// Every restart: inertia, iterations, convergence.
    pub runs: Vec<RunSummary>,
}

/// One segment of the chosen k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Stable id (kept across refits for matched centres).
    pub id: u32,
    /// Customers in it at fit time.
    pub size: usize,
    /// Centre in standardised units.
    pub centre_z: Vec<f64>,
    /// Centre in original feature units (for RFM: the `log1p` features).
    pub centre: Vec<f64>,
    /// Readable description.
    pub profile: Profile,
}

/// A fitted segmentation model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentModel {
    /// What the features are.
    pub features: Features,
    /// Feature names in column order.
    pub feature_names: Vec<String>,
    /// The standardisation fitted on the training rows.
    pub standardiser: Standardiser,
    /// The parameters it was fitted with.
    pub params: SegmentParams,
    /// Customers it was fitted on.
    pub rows: usize,
    /// The chosen k.
    pub k: usize,
    /// Figures of every k tried, ascending k.
    pub per_k: Vec<KReport>,
    /// Segments of the chosen k, largest first.
    pub segments: Vec<Segment>,
}

/// A fitted model and the segment id of every training row, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentFit {
    /// The model.
    pub model: SegmentModel,
    /// Segment id per training row.
    pub labels: Vec<u32>,
}

/// Where a customer falls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The segment's stable id.
    pub segment_id: u32,
    /// Euclidean distance to its centre, standardised space.
    pub distance: f64,
}

impl SegmentModel {
    /// Standardises `raw` (original units), fits every candidate k, keeps
    /// the given k or the best silhouette (the smaller k on ties), profiles
    /// its segments and gives them ids, reusing those of `previous` centres
    /// (original units) matched by the Hungarian algorithm.
    pub fn fit(
        raw: &Points,
        features: Features,
        params: &SegmentParams,
        previous: &[(u32, Vec<f64>)],
    ) -> Result<SegmentFit, SegmentError> {
        let feature_names = features.names();
        if raw.cols() != feature_names.len() {
            return Err(SegmentError::WrongWidth {
                expected: feature_names.len(),
                found: raw.cols(),
            });
        }
        if raw.rows() == 0 {
            return Err(SegmentError::NoRows);
        }
        let standardiser = Standardiser::fit(raw);
        let z = standardiser.transform(raw);
        let mut ks = params.candidate_ks();
        if params.k == 0 {
            // Choosing: skip the k that the data cannot hold.
            ks.retain(|&k| k < raw.rows());
        }
        let mut per_k = Vec::with_capacity(ks.len());
        let mut best: Option<(usize, f64, Clustering)> = None;
        for &k in &ks {
            let options = crate::kmeans::KMeansOptions { k, ..params.kmeans };
            let started = Instant::now();
            let clustering = kmeans(&z, &options)?;
            let fit_seconds = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let score = silhouette(
                &z,
                &clustering.labels,
                k,
                params.silhouette_rows,
                params.kmeans.seed,
            );
            let silhouette_seconds = started.elapsed().as_secs_f64();
            let mut sizes = clustering.sizes();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            per_k.push(KReport {
                k,
                inertia: clustering.inertia,
                silhouette: score,
                sizes,
                iterations: clustering.iterations,
                fit_seconds,
                silhouette_seconds,
                runs: clustering.runs.clone(),
            });
            let value = score.unwrap_or(f64::NEG_INFINITY);
            if best.as_ref().is_none_or(|(_, s, _)| value > *s) {
                best = Some((k, value, clustering));
            }
        }
        let (k, _, clustering) = best.ok_or(SegmentError::TooFewRows {
            rows: raw.rows(),
            k: params.k_min,
        })?;
        let (segments, ids_by_cluster) = segments(
            &clustering,
            &standardiser,
            &features,
            &feature_names,
            previous,
        );
        let labels = clustering
            .labels
            .iter()
            .map(|&l| ids_by_cluster[l as usize])
            .collect();
        let model = SegmentModel {
            features,
            feature_names,
            standardiser,
            params: params.clone(),
            rows: raw.rows(),
            k,
            per_k,
            segments,
        };
        Ok(SegmentFit { model, labels })
    }

    /// The nearest segment to a feature row in original units.
    pub fn assign(&self, raw: &[f64]) -> Result<Assignment, SegmentError> {
        if raw.len() != self.feature_names.len() {
            return Err(SegmentError::WrongWidth {
                expected: self.feature_names.len(),
                found: raw.len(),
            });
        }
        if let Some(i) = raw.iter().position(|x| !x.is_finite()) {
            return Err(SegmentError::NonFinite {
                column: self.feature_names[i].clone(),
                row: 0,
            });
        }
        let z = self.standardiser.to_z(raw);
        let centres = self
            .segments
            .iter()
            .flat_map(|s| s.centre_z.iter().copied())
            .collect();
        let centres = Points::new(self.segments.len(), z.len(), centres)?;
        let (at, sq) = nearest_centre(&centres, &z);
        let segment = self
            .segments
            .get(at)
            .ok_or_else(|| SegmentError::Internal("model has no segments".into()))?;
        Ok(Assignment {
            segment_id: segment.id,
            distance: sq.sqrt(),
        })
    }

    /// The nearest segment to a customer's RFM (an RFM model only).
    pub fn assign_rfm(&self, rfm: &Rfm) -> Result<Assignment, SegmentError> {
        match &self.features {
            Features::Rfm => self.assign(&rfm.features()),
            Features::Columns(_) => Err(self.wrong_features("RFM")),
        }
    }

    /// The nearest segment to a customer's attributes (a column model only).
    pub fn assign_row(&self, row: &dyn Row) -> Result<Assignment, SegmentError> {
        match &self.features {
            Features::Columns(encoder) => self.assign(&encoder.encode(row, 0)?),
            Features::Rfm => Err(self.wrong_features("column")),
        }
    }

    /// Ids and original-unit centres, to hand to the next fit as `previous`.
    pub fn centres(&self) -> Vec<(u32, Vec<f64>)> {
        self.segments
            .iter()
            .map(|s| (s.id, s.centre.clone()))
            .collect()
    }

    /// The figures of the chosen k.
    pub fn chosen(&self) -> Option<&KReport> {
        self.per_k.iter().find(|r| r.k == self.k)
    }

    fn wrong_features(&self, asked: &str) -> SegmentError {
        SegmentError::WrongFeatures {
            fitted: self.features.label().to_owned(),
            asked: asked.to_owned(),
        }
    }
}

/// Segments largest first (ties by cluster index) with their ids, and the id
/// of every cluster index.
fn segments(
    clustering: &Clustering,
    standardiser: &Standardiser,
    features: &Features,
    names: &[String],
    previous: &[(u32, Vec<f64>)],
) -> (Vec<Segment>, Vec<u32>) {
    let sizes = clustering.sizes();
    let mut order: Vec<usize> = (0..clustering.k).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let centres: Vec<Vec<f64>> = order
        .iter()
        .map(|&c| standardiser.from_z(clustering.centres.row(c)))
        .collect();
    let ids = stable_ids(previous, &centres, standardiser);
    let mut ids_by_cluster = vec![0; clustering.k];
    let segments = order
        .iter()
        .zip(centres)
        .zip(&ids)
        .map(|((&c, centre), &id)| {
            ids_by_cluster[c] = id;
            let centre_z = clustering.centres.row(c).to_vec();
            let profile = match features {
                Features::Rfm => rfm_profile(&centre_z, &centre),
                Features::Columns(encoder) => {
                    column_profile(names, |i| encoder.is_level(i), &centre_z, &centre)
                }
            };
            Segment {
                id,
                size: sizes[c],
                centre_z,
                centre,
                profile,
            }
        })
        .collect();
    (segments, ids_by_cluster)
}
