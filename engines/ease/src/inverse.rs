//! Inverse of a symmetric positive definite matrix with faer, held
//! column-major in a `Vec` of which only the lower triangle is read. The
//! Cholesky factor L overwrites the matrix in f64; L^-1 goes to a second
//! buffer and P = L^-T L^-1 overwrites L's storage, so at most two matrices
//! are held (in mixed precision, the f64 factor and its f32 copy, then two
//! f32 matrices). Every step is blocked, vectorised and parallel (about n^3 flops
//! in all). [`spd_inverse_mixed`] runs the two steps after the factor in f32,
//! twice as fast, for well-conditioned matrices.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
use faer::linalg::matmul::triangular::{BlockStructure, matmul};
use faer::linalg::triangular_inverse::invert_lower_triangular;
use faer::traits::RealField;
use faer::traits::math_utils::one;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

/// The matrix handed to an inverse is not (numerically) positive definite,
/// or not n x n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPositiveDefinite;

/// Side of the square tiles [`mirror_lower`] copies, small enough that a
/// tile's source and destination stay in cache.
const TILE: usize = 64;

/// The inverse of the n x n symmetric positive definite `a` in f64, whole
/// (both triangles), in `a`'s storage.
pub fn spd_inverse(mut a: Vec<f64>, n: usize, par: Par) -> Result<Vec<f64>, NotPositiveDefinite> {
    factor(&mut a, n, par)?;
    Ok(invert_factor(a, n, par))
}

/// [`spd_inverse`] with the factor in f64 and its inverse and the product in
/// f32: the result's error relative to its norm grows like f32's epsilon
/// times the square root of `a`'s condition number.
pub fn spd_inverse_mixed(
    mut a: Vec<f64>,
    n: usize,
    par: Par,
) -> Result<Vec<f32>, NotPositiveDefinite> {
    factor(&mut a, n, par)?;
    let single: Vec<f32> = a.par_iter().map(|&x| x as f32).collect();
    drop(a);
    Ok(invert_factor(single, n, par))
}

/// The Cholesky factor L of `a` in place, in its lower triangle.
fn factor(a: &mut [f64], n: usize, par: Par) -> Result<(), NotPositiveDefinite> {
    if a.len() != n * n {
        return Err(NotPositiveDefinite);
    }
    let mut scratch = MemBuffer::new(cholesky_in_place_scratch::<f64>(n, par, Default::default()));
    cholesky_in_place(
        MatMut::from_column_major_slice_mut(a, n, n),
        Default::default(),
        par,
        MemStack::new(&mut scratch),
        Default::default(),
    )
    .map(|_| ())
    .map_err(|_| NotPositiveDefinite)
}

/// P = L^-T L^-1, whole, in the storage of L (its lower triangle).
fn invert_factor<T: RealField + Copy + Default>(mut l: Vec<T>, n: usize, par: Par) -> Vec<T> {
    let mut l_inv = vec![T::default(); n * n];
    invert_lower_triangular(
        MatMut::from_column_major_slice_mut(&mut l_inv, n, n),
        MatRef::from_column_major_slice(&l, n, n),
        par,
    );
    let l_inv = MatRef::from_column_major_slice(&l_inv, n, n);
    // Only the lower triangle of P is computed; L is no longer needed.
    matmul(
        MatMut::from_column_major_slice_mut(&mut l, n, n),
        BlockStructure::TriangularLower,
        Accum::Replace,
        l_inv.transpose(),
        BlockStructure::TriangularUpper,
        l_inv,
        BlockStructure::TriangularLower,
        one::<T>(),
        par,
    );
    mirror_lower(&mut l, n);
    l
}

/// Copies the strict lower triangle of the column-major n x n `a` onto its
/// upper one, tile by tile.
fn mirror_lower<T: Copy>(a: &mut [T], n: usize) {
    for j0 in (0..n).step_by(TILE) {
        for i0 in (j0..n).step_by(TILE) {
            for j in j0..(j0 + TILE).min(n) {
                for i in i0.max(j + 1)..(i0 + TILE).min(n) {
                    a[i * n + j] = a[j * n + i];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic SPD matrix X^T X + lambda I (column-major) from a
    /// tiny linear congruential generator.
    fn spd(n: usize, lambda: f64) -> Vec<f64> {
        let mut state: u64 = 42;
        let x: Vec<Vec<f64>> = (0..n + 7)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        if (state >> 33).is_multiple_of(4) {
                            1.0
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let mut m = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..n {
                m[j * n + i] = x.iter().map(|row| row[i] * row[j]).sum::<f64>();
            }
            m[j * n + j] += lambda;
        }
        m
    }

    /// The largest |M P - I| entry, both column-major n x n.
    fn residual(m: &[f64], p: &[f64], n: usize) -> f64 {
        let mut worst: f64 = 0.0;
        for j in 0..n {
            for i in 0..n {
                let mp: f64 = (0..n).map(|k| m[k * n + i] * p[j * n + k]).sum();
                worst = worst.max((mp - if i == j { 1.0 } else { 0.0 }).abs());
            }
        }
        worst
    }

    fn assert_symmetric<T: Copy + PartialEq + std::fmt::Debug>(p: &[T], n: usize) {
        for j in 0..n {
            for i in 0..j {
                assert_eq!(p[j * n + i], p[i * n + j], "n = {n}: ({i},{j})");
            }
        }
    }

    #[test]
    fn inverts_and_is_symmetric() {
        for n in [0, 1, 5, 64, 65, 200] {
            let m = spd(n, 2.0);
            for par in [Par::Seq, Par::rayon(2)] {
                let p = spd_inverse(m.clone(), n, par).unwrap();
                let err = residual(&m, &p, n);
                assert!(err < 1e-10, "n = {n}: max |M P - I| {err}");
                assert_symmetric(&p, n);
                let mixed = spd_inverse_mixed(m.clone(), n, par).unwrap();
                let widened: Vec<f64> = mixed.iter().map(|&x| f64::from(x)).collect();
                let err = residual(&m, &widened, n);
                assert!(err < 1e-5, "n = {n}: mixed, max |M P - I| {err}");
                assert_symmetric(&mixed, n);
            }
        }
    }

    #[test]
    fn matches_a_reference_inverse() {
        // [[4, 2], [2, 3]]^-1 = [[3, -2], [-2, 4]] / 8
        let m = vec![4.0, 2.0, 2.0, 3.0];
        let expected = [0.375, -0.25, -0.25, 0.5];
        let p = spd_inverse(m.clone(), 2, Par::Seq).unwrap();
        let mixed = spd_inverse_mixed(m, 2, Par::Seq).unwrap();
        for (k, &e) in expected.iter().enumerate() {
            assert!((p[k] - e).abs() < 1e-15, "{k}: {}", p[k]);
            assert!((f64::from(mixed[k]) - e).abs() < 1e-7, "{k}: {}", mixed[k]);
        }
    }

    #[test]
    fn reads_only_the_lower_triangle() {
        let n = 100;
        let m = spd(n, 1.0);
        let mut lower = m.clone();
        for j in 1..n {
            for i in 0..j {
                lower[j * n + i] = f64::NAN;
            }
        }
        let p = spd_inverse(lower, n, Par::Seq).unwrap();
        assert!(residual(&m, &p, n) < 1e-10);
    }

    #[test]
    fn refuses_what_is_not_positive_definite() {
        let n = 200;
        let mut m = spd(n, 1.0);
        m[150 * n + 150] = -1.0;
        assert_eq!(
            spd_inverse(m.clone(), n, Par::Seq),
            Err(NotPositiveDefinite)
        );
        assert_eq!(spd_inverse_mixed(m, n, Par::Seq), Err(NotPositiveDefinite));
        let mut m = spd(3, 1.0);
        m[4] = f64::NAN;
        assert_eq!(spd_inverse(m, 3, Par::Seq), Err(NotPositiveDefinite));
        assert_eq!(
            spd_inverse(vec![0.0; 6], 2, Par::Seq),
            Err(NotPositiveDefinite)
        );
    }
}
