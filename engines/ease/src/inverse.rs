//! Inverse of a symmetric positive definite matrix by recursive 2 x 2 block
//! elimination (Schur complements), so nearly all the work is matrix products,
//! which nalgebra hands to a cache-blocked, vectorised kernel. A plain
//! Cholesky inverse goes column by column and is several times slower on
//! catalogue-sized matrices.

use nalgebra::DMatrix;

/// Below this size the Cholesky inverse is used directly.
const BASE: usize = 128;

/// The inverse of a symmetric positive definite matrix; `None` when it is not.
///
/// With M = [[A, B], [B^T, D]], W = A^-1 B and S = D - B^T W (SPD too):
/// M^-1 = [[A^-1 + W S^-1 W^T, -W S^-1], [-S^-1 W^T, S^-1]].
pub fn spd_inverse(m: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let n = m.nrows();
    if n != m.ncols() {
        return None;
    }
    if n <= BASE {
        return m.clone().cholesky().map(|c| c.inverse());
    }
    let h = n / 2;
    let r = n - h;
    let a = m.view((0, 0), (h, h)).clone_owned();
    let b = m.view((0, h), (h, r)).clone_owned();
    let bt = m.view((h, 0), (r, h)).clone_owned();
    let a_inv = spd_inverse(&a)?;
    let w = &a_inv * &b;
    let s = m.view((h, h), (r, r)) - &bt * &w;
    let s_inv = spd_inverse(&s)?;
    let v = &w * &s_inv;
    let top_left = a_inv + &v * w.transpose();
    let mut out = DMatrix::<f64>::zeros(n, n);
    out.view_mut((0, 0), (h, h)).copy_from(&top_left);
    out.view_mut((0, h), (h, r)).copy_from(&(-&v));
    out.view_mut((h, 0), (r, h)).copy_from(&(-v.transpose()));
    out.view_mut((h, h), (r, r)).copy_from(&s_inv);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic SPD matrix X^T X + lambda I from a tiny linear congruential generator.
    fn spd(n: usize, lambda: f64) -> DMatrix<f64> {
        let mut state: u64 = 42;
        let x = DMatrix::<f64>::from_fn(n + 7, n, |_, _| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if (state >> 33).is_multiple_of(4) {
                1.0
            } else {
                0.0
            }
        });
        x.transpose() * &x + DMatrix::<f64>::identity(n, n) * lambda
    }

    #[test]
    fn matches_the_cholesky_inverse() {
        for n in [1, 5, 128, 129, 200] {
            let m = spd(n, 2.0);
            let fast = spd_inverse(&m).unwrap();
            let reference = m.clone().cholesky().unwrap().inverse();
            let err = (&fast - &reference).abs().max();
            assert!(err < 1e-10, "n = {n}: max difference {err}");
        }
    }

    #[test]
    fn refuses_what_is_not_positive_definite() {
        let mut m = spd(200, 1.0);
        m[(150, 150)] = -1.0;
        assert!(spd_inverse(&m).is_none());
        assert!(spd_inverse(&DMatrix::<f64>::zeros(2, 3)).is_none());
    }
}
