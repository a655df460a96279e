//! The sparse customer x item matrix shared by the collaborative engines.

use serde::{Deserialize, Serialize};
use sprs::{CsMat, TriMat};

use crate::data::Dataset;
use crate::error::EngineError;
use crate::params::{ParamSpec, ParamValues};

const SECONDS_PER_DAY: f64 = 86_400.0;

/// How interactions become matrix entries.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MatrixOptions {
    /// Half-life of the exponential time decay in seconds; `None` for no decay.
    /// The newest interaction of the log has full weight.
    pub half_life_secs: Option<f64>,
    /// Replace every stored entry by 1.0 (after summing duplicates), so that
    /// only whether a customer touched an item counts.
    pub binary: bool,
}

impl MatrixOptions {
    /// The parameters, shared by every engine that builds a matrix, that set these options.
    pub fn param_specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::float(
                "half_life_days",
                0.0,
                0.0,
                36_500.0,
                "half-life of the exponential time decay of interaction weights in days; 0 turns decay off",
            ),
            ParamSpec::bool(
                "binary",
                false,
                "count only whether a customer touched an item, ignoring weights",
            ),
        ]
    }

    /// The options set by the parameters of [`MatrixOptions::param_specs`].
    pub fn from_params(values: &ParamValues) -> Result<Self, EngineError> {
        let days = values.float("half_life_days")?;
        Ok(Self {
            half_life_secs: (days > 0.0).then_some(days * SECONDS_PER_DAY),
            binary: values.bool("binary")?,
        })
    }
}

/// Customer x item matrix in both compressed row (CSR) and column (CSC) form.
///
/// Duplicated (customer, item) pairs are summed; entries whose sum is zero are dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionMatrix {
    csr: CsMat<f64>,
    csc: CsMat<f64>,
}

impl InteractionMatrix {
    /// Builds the matrix from a data set.
    pub fn build(data: &Dataset, options: MatrixOptions) -> Result<Self, EngineError> {
        data.validate()?;
        if let Some(h) = options.half_life_secs
            && !(h.is_finite() && h > 0.0)
        {
            return Err(EngineError::invalid_param(
                "half_life",
                "must be a positive number of seconds",
            ));
        }
        let newest = data.interactions.iter().map(|x| x.timestamp).max();
        let mut tri = TriMat::new((data.n_customers, data.n_items));
        for x in &data.interactions {
            let mut w = f64::from(x.weight);
            if let (Some(h), Some(t0)) = (options.half_life_secs, newest) {
                let age = (t0 - x.timestamp) as f64;
                w *= (-age / h * std::f64::consts::LN_2).exp();
            }
            tri.add_triplet(x.customer as usize, x.item as usize, w);
        }
        let summed: CsMat<f64> = tri.to_csr();
        // Each copy of the log goes as soon as the next is made: at
        // 10,000,000 interactions the triplets alone are 240 MB.
        drop(tri);
        let csr = without_zeros(summed, options.binary);
        let csc = csr.to_other_storage();
        Ok(Self { csr, csc })
    }

    /// Number of customers (rows).
    pub fn n_customers(&self) -> usize {
        self.csr.rows()
    }

    /// Number of items (columns).
    pub fn n_items(&self) -> usize {
        self.csr.cols()
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.csr.nnz()
    }

    /// The row-major form.
    pub fn csr(&self) -> &CsMat<f64> {
        &self.csr
    }

    /// The column-major form.
    pub fn csc(&self) -> &CsMat<f64> {
        &self.csc
    }

    /// The items of one customer with their weights, by item index; empty for
    /// an index out of range.
    pub fn customer_row(&self, customer: u32) -> (&[usize], &[f64]) {
        lane(&self.csr, customer as usize)
    }

    /// Keeps only the row-major form, which is all that serving needs.
    pub fn into_rows(self) -> CustomerRows {
        CustomerRows { csr: self.csr }
    }

    /// The customers of one item with their weights, by customer index; empty
    /// for an index out of range.
    pub fn item_column(&self, item: u32) -> (&[usize], &[f64]) {
        lane(&self.csc, item as usize)
    }
}

/// Each customer's items and weights (the row-major half of an
/// [`InteractionMatrix`]), kept by fitted models to serve by customer index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRows {
    csr: CsMat<f64>,
}

impl CustomerRows {
    /// Number of customers.
    pub fn n_customers(&self) -> usize {
        self.csr.rows()
    }

    /// The items of one customer with their weights, by item index; empty for
    /// an index out of range.
    pub fn row(&self, customer: u32) -> (&[usize], &[f64]) {
        lane(&self.csr, customer as usize)
    }

    /// The items and weights of a known customer; an error for an index out of range.
    pub fn history(&self, customer: u32) -> Result<(&[usize], &[f64]), EngineError> {
        if customer as usize >= self.n_customers() {
            return Err(EngineError::UnknownCustomer(customer));
        }
        Ok(self.row(customer))
    }
}

/// The indices and values of outer lane `outer` (a row of a CSR matrix, a
/// column of a CSC one); empty for an index out of range.
pub fn lane(m: &CsMat<f64>, outer: usize) -> (&[usize], &[f64]) {
    if outer >= m.outer_dims() {
        return (&[], &[]);
    }
    let range = m.indptr().outer_inds_sz(outer);
    match (m.indices().get(range.clone()), m.data().get(range)) {
        (Some(indices), Some(data)) => (indices, data),
        _ => (&[], &[]),
    }
}

/// A dense scratch vector that remembers which entries it touched, so one row
/// of a sparse product (Gustavson's algorithm) costs only its non-zeros to
/// gather and to reset.
#[derive(Debug, Clone)]
pub struct SparseAccumulator {
    values: Vec<f64>,
    seen: Vec<bool>,
    touched: Vec<usize>,
}

impl SparseAccumulator {
    /// A zeroed accumulator for `len` columns.
    pub fn new(len: usize) -> Self {
        Self {
            values: vec![0.0; len],
            seen: vec![false; len],
            touched: Vec::new(),
        }
    }

    /// Adds `v` to column `j` (ignored when `j` is out of range).
    pub fn add(&mut self, j: usize, v: f64) {
        if let (Some(slot), Some(seen)) = (self.values.get_mut(j), self.seen.get_mut(j)) {
            if !*seen {
                *seen = true;
                self.touched.push(j);
            }
            *slot += v;
        }
    }

    /// The value gathered in column `j` so far (zero when untouched).
    pub fn value(&self, j: usize) -> f64 {
        self.values.get(j).copied().unwrap_or(0.0)
    }

    /// The touched columns with their values, in first-touch order.
    pub fn touched(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.touched.iter().map(|&j| (j, self.value(j)))
    }

    /// Visits the touched columns (in first-touch order) and resets them.
    pub fn drain(&mut self, mut f: impl FnMut(usize, f64)) {
        for &j in &self.touched {
            if let (Some(slot), Some(seen)) = (self.values.get_mut(j), self.seen.get_mut(j)) {
                f(j, *slot);
                *slot = 0.0;
                *seen = false;
            }
        }
        self.touched.clear();
    }
}

thread_local! {
    /// Each thread's scratch accumulator for [`with_scratch`].
    static SCRATCH: std::cell::RefCell<SparseAccumulator> =
        std::cell::RefCell::new(SparseAccumulator::new(0));
}

/// Runs `f` with this thread's zeroed accumulator of at least `len` columns,
/// and resets what `f` touched afterwards. Serving threads allocate it once
/// (and again only for a larger catalogue), so a request costs what it
/// touches, not the size of the catalogue. Re-entrant calls get a fresh one.
pub fn with_scratch<T>(len: usize, f: impl FnOnce(&mut SparseAccumulator) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut acc) => {
            if acc.values.len() < len {
                *acc = SparseAccumulator::new(len);
            }
            let out = f(&mut acc);
            acc.drain(|_, _| {});
            out
        }
        Err(_) => f(&mut SparseAccumulator::new(len)),
    })
}

/// `m` without its explicit zeros (weights that cancelled out), every
/// value 1 when `binary`; compacted in place.
fn without_zeros(m: CsMat<f64>, binary: bool) -> CsMat<f64> {
    let shape = m.shape();
    let (indptr, mut indices, mut data) = m.into_raw_storage();
    let mut kept = Vec::with_capacity(indptr.len());
    kept.push(0);
    let mut write = 0;
    for row in indptr.windows(2) {
        for at in row[0]..row[1] {
            if data[at] != 0.0 {
                indices[write] = indices[at];
                data[write] = if binary { 1.0 } else { data[at] };
                write += 1;
            }
        }
        kept.push(write);
    }
    indices.truncate(write);
    data.truncate(write);
    CsMat::new(shape, kept, indices, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Interaction;

    fn x(customer: u32, item: u32, weight: f32, timestamp: i64) -> Interaction {
        Interaction {
            customer,
            item,
            weight,
            timestamp,
            basket: None,
        }
    }

    #[test]
    fn duplicates_are_summed_and_both_forms_agree() {
        let data = Dataset {
            n_customers: 2,
            n_items: 3,
            interactions: vec![x(0, 1, 1.0, 0), x(0, 1, 2.0, 0), x(1, 2, 1.0, 0)],
            items: vec![],
        };
        let m = InteractionMatrix::build(&data, MatrixOptions::default()).unwrap();
        assert_eq!(m.nnz(), 2);
        assert_eq!(m.customer_row(0), (&[1usize][..], &[3.0][..]));
        assert_eq!(m.item_column(2), (&[1usize][..], &[1.0][..]));
        assert_eq!(m.customer_row(9).0.len(), 0);
        let rows = m.into_rows();
        assert_eq!(rows.history(0).unwrap(), (&[1usize][..], &[3.0][..]));
        assert_eq!(rows.history(2), Err(EngineError::UnknownCustomer(2)));
    }

    #[test]
    fn weights_that_cancel_out_leave_no_entry() {
        let data = Dataset {
            n_customers: 3,
            n_items: 3,
            interactions: vec![
                x(0, 0, 1.0, 0),
                x(0, 0, -1.0, 0),
                x(0, 2, 2.0, 0),
                x(2, 1, -1.0, 0),
                x(2, 1, 1.0, 0),
            ],
            items: vec![],
        };
        let m = InteractionMatrix::build(&data, MatrixOptions::default()).unwrap();
        assert_eq!(m.nnz(), 1);
        assert_eq!(m.customer_row(0), (&[2usize][..], &[2.0][..]));
        assert_eq!(m.customer_row(2).0.len(), 0);
        assert_eq!(m.item_column(2), (&[0usize][..], &[2.0][..]));
        assert_eq!(m.item_column(1).0.len(), 0);
    }

    #[test]
    fn binary_and_decay_options() {
        let day = 86_400;
        let data = Dataset {
            n_customers: 1,
            n_items: 2,
            interactions: vec![x(0, 0, 5.0, 0), x(0, 1, 1.0, day)],
            items: vec![],
        };
        let b = InteractionMatrix::build(
            &data,
            MatrixOptions {
                binary: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(b.customer_row(0).1, &[1.0, 1.0]);
        let d = InteractionMatrix::build(
            &data,
            MatrixOptions {
                half_life_secs: Some(day as f64),
                binary: false,
            },
        )
        .unwrap();
        let w = d.customer_row(0).1;
        assert!((w[0] - 2.5).abs() < 1e-12 && (w[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn options_from_params() {
        let specs = MatrixOptions::param_specs();
        let v = crate::params::Params::new().resolve(&specs).unwrap();
        assert_eq!(
            MatrixOptions::from_params(&v).unwrap(),
            MatrixOptions::default()
        );
        let v = crate::params::Params::new()
            .with("half_life_days", 2)
            .with("binary", true)
            .resolve(&specs)
            .unwrap();
        let o = MatrixOptions::from_params(&v).unwrap();
        assert_eq!(o.half_life_secs, Some(172_800.0));
        assert!(o.binary);
    }

    #[test]
    fn bad_half_life_is_refused() {
        let data = Dataset::default();
        let r = InteractionMatrix::build(
            &data,
            MatrixOptions {
                half_life_secs: Some(-1.0),
                binary: false,
            },
        );
        assert!(r.is_err());
    }

    #[test]
    fn accumulator_gathers_and_resets() {
        let mut acc = SparseAccumulator::new(4);
        acc.add(2, 1.0);
        acc.add(0, 2.0);
        acc.add(2, 0.5);
        let mut seen = vec![];
        acc.drain(|j, v| seen.push((j, v)));
        assert_eq!(seen, vec![(2, 1.5), (0, 2.0)]);
        acc.add(1, 1.0);
        acc.add(2, 0.25);
        let mut again = vec![];
        acc.drain(|j, v| again.push((j, v)));
        assert_eq!(again, vec![(1, 1.0), (2, 0.25)]);
    }
}
