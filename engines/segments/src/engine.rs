//! The `segments` engine: its description, fitting from interaction
//! records (RFM) or customer columns, and model serialisation through the
//! core envelope.

use rapport_core::engine::{decode, encode};
use rapport_core::scoring::Frame;
use rapport_core::{DataNeed, EngineDescription, Params};

use crate::columns::ColumnEncoder;
use crate::error::SegmentError;
use crate::model::{Features, SegmentFit, SegmentModel};
use crate::params::{FeatureChoice, SegmentParams, param_specs};
use crate::rfm::{RfmRecord, RfmTable, rfm_table};

/// The k-means segmentation engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Segments;

/// An RFM fit: the customers' table (row `i` is `table.customers[i]`) and the fit.
#[derive(Debug, Clone, PartialEq)]
pub struct RfmFit<C> {
    /// R, F, M per customer and the reference instant used.
    pub table: RfmTable<C>,
    /// The model and each customer's segment id.
    pub fit: SegmentFit,
}

impl Segments {
    /// Registry name.
    pub const NAME: &'static str = "segments";

    /// Name, summary, parameters and data needs.
    pub fn describe(&self) -> EngineDescription {
        EngineDescription {
            name: Self::NAME.to_owned(),
            summary: "k-means++ with restarts on standardised RFM or chosen customer columns; \
                      k by best silhouette; profiles and ids stable across refits"
                .to_owned(),
            params: param_specs(),
            needs: vec![DataNeed::Interactions, DataNeed::CustomerAttributes],
        }
    }

    /// Fits on RFM of `records`, which the caller has filtered to the kinds
    /// of [`SegmentParams::counts_kind`]; `now` as in [`rfm_table`].
    pub fn fit_rfm<C: Ord + Clone>(
        &self,
        records: &[RfmRecord<C>],
        now: Option<i64>,
        params: &Params,
        previous: &[(u32, Vec<f64>)],
    ) -> Result<RfmFit<C>, SegmentError> {
        let params = SegmentParams::resolve(params)?;
        if params.features != FeatureChoice::Rfm {
            return Err(SegmentError::invalid_param(
                "features",
                "column features are fitted from customer attributes, not from interactions",
            ));
        }
        let table = rfm_table(records, now)?;
        let fit = SegmentModel::fit(&table.points()?, Features::Rfm, &params, previous)?;
        Ok(RfmFit { table, fit })
    }

    /// Fits on the chosen columns of `frame`; labels follow the frame's rows.
    pub fn fit_columns(
        &self,
        frame: &Frame,
        params: &Params,
        previous: &[(u32, Vec<f64>)],
    ) -> Result<SegmentFit, SegmentError> {
        let params = SegmentParams::resolve(params)?;
        let FeatureChoice::Columns {
            numeric,
            categorical,
        } = &params.features
        else {
            return Err(SegmentError::invalid_param(
                "features",
                "name the customer columns to segment on (RFM is fitted from interactions)",
            ));
        };
        let encoder = ColumnEncoder::fit(frame, numeric, categorical, params.imputation)?;
        let points = encoder.encode_frame(frame)?;
        SegmentModel::fit(&points, Features::Columns(encoder), &params, previous)
    }

    /// The model's bytes, behind the engine name and format version.
    pub fn to_bytes(&self, model: &SegmentModel) -> Result<Vec<u8>, SegmentError> {
        encode(Self::NAME, model).map_err(SegmentError::Internal)
    }

    /// A model back from [`Segments::to_bytes`]; another engine's bytes are refused.
    pub fn from_bytes(&self, bytes: &[u8]) -> Result<SegmentModel, SegmentError> {
        decode(Self::NAME, bytes).map_err(SegmentError::BadModelBytes)
    }
}
