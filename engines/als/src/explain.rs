//! Reasons for a recommendation: the decomposition of `implicit`'s
//! `explain` (Hu, Koren and Volinsky 2008, section 5).
//!
//! A customer's factors solve `A x = b` with `A = YᵀY + λI + Σ (c_i - 1)
//! y_i y_iᵀ` and `b = Σ p_i c_i y_i` over their history items `i`, so the
//! score of item `j` is `y_jᵀ A⁻¹ b = Σ_i p_i c_i (A⁻¹ y_j)ᵀ y_i`: history item
//! `i` contributes its confidence times its similarity to `j` in the metric
//! `A⁻¹` of the customer's own solve. The contributions add up to the score
//! of an exact solve against the final item factors; the served score comes
//! from the conjugate-gradient solve of the last iteration, so the two agree
//! closely but not to the last digit.

use nalgebra::{DMatrix, DVector};

use crate::train::{Factors, Row};

/// `A` and `b` of one row's least squares, in `f64`; `gram` is `YᵀY + λI`
/// of `other`, row-major.
pub fn normal_equations(
    gram: &[f64],
    other: &Factors,
    row: &Row<'_>,
) -> (DMatrix<f64>, DVector<f64>) {
    let d = other.dim();
    let mut a = DMatrix::from_row_slice(d, d, gram);
    let mut b = DVector::zeros(d);
    for (y, p, c) in row.entries(other) {
        let y = DVector::from_iterator(d, y.iter().map(|&v| f64::from(v)));
        let (p, c) = (f64::from(p), f64::from(c));
        b.axpy(p * c, &y, 1.0);
        if c != 1.0 {
            a.ger(c - 1.0, &y, &y, 1.0);
        }
    }
    (a, b)
}

/// For each candidate, what each history item of `row` adds to its score
/// (see the module documentation); empty lists when `A` is not positive
/// definite, which a positive regularisation rules out.
pub fn contributions(
    gram: &[f64],
    items: &Factors,
    row: &Row<'_>,
    candidates: &[u32],
) -> Vec<Vec<(u32, f64)>> {
    let d = items.dim();
    let (a, _) = normal_equations(gram, items, row);
    let Some(cholesky) = a.cholesky() else {
        return vec![Vec::new(); candidates.len()];
    };
    candidates
        .iter()
        .map(|&j| {
            let y_j = items.row(j as usize).iter().map(|&v| f64::from(v));
            let weighted = cholesky.solve(&DVector::from_iterator(d, y_j));
            row.indices
                .iter()
                .zip(row.entries(items))
                .map(|(&i, (y_i, p, c))| {
                    let similarity: f64 = weighted
                        .iter()
                        .zip(y_i)
                        .map(|(w, &y)| w * f64::from(y))
                        .sum();
                    (i as u32, f64::from(p * c) * similarity)
                })
                .collect()
        })
        .collect()
}
