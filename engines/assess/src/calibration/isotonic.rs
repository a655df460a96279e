//! Isotonic regression of the labels on the scores by pool adjacent
//! violators, predicting as scikit-learn's
//! `IsotonicRegression(out_of_bounds="clip")`: tied scores are pooled first,
//! the fit is non-decreasing, and a new score is interpolated linearly
//! between the fitted points and clipped to the first and last.

/// A run of pooled scores sharing one fitted value.
struct Block {
    /// Lowest score in the block.
    first: f64,
    /// Highest score in the block.
    last: f64,
    /// Sum of labels (positives).
    sum: f64,
    /// Rows pooled.
    weight: f64,
}

impl Block {
    fn mean(&self) -> f64 {
        self.sum / self.weight
    }
}

/// Fits the points `(xs, ys)` of the interpolation on the finite scores:
/// each block contributes its lowest and highest score at the block's
/// positive rate. `None` when no finite score is left or the lengths differ.
pub(super) fn fit(scores: &[f64], labels: &[bool]) -> Option<(Vec<f64>, Vec<f64>)> {
    if scores.len() != labels.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len())
        .filter(|&i| scores[i].is_finite())
        .collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut blocks: Vec<Block> = Vec::new();
    for &i in &order {
        let y = f64::from(u8::from(labels[i]));
        match blocks.last_mut() {
            // A tied score joins its block before any pooling of violators.
            Some(block) if block.last == scores[i] => {
                block.sum += y;
                block.weight += 1.0;
            }
            _ => blocks.push(Block {
                first: scores[i],
                last: scores[i],
                sum: y,
                weight: 1.0,
            }),
        }
        pool_violators(&mut blocks);
    }
    if blocks.is_empty() {
        return None;
    }
    let mut xs = Vec::with_capacity(2 * blocks.len());
    let mut ys = Vec::with_capacity(2 * blocks.len());
    for block in &blocks {
        xs.push(block.first);
        ys.push(block.mean());
        if block.last > block.first {
            xs.push(block.last);
            ys.push(block.mean());
        }
    }
    Some((xs, ys))
}

/// Merges the last block into its predecessor while they are not
/// increasing. Equal neighbours merge too, so fitted values strictly rise.
fn pool_violators(blocks: &mut Vec<Block>) {
    while blocks.len() >= 2 {
        let n = blocks.len();
        if blocks[n - 2].mean() < blocks[n - 1].mean() {
            return;
        }
        if let Some(last) = blocks.pop()
            && let Some(previous) = blocks.last_mut()
        {
            previous.last = last.last;
            previous.sum += last.sum;
            previous.weight += last.weight;
        }
    }
}

/// The fitted value at `p`: linear between neighbouring points, clipped to
/// the end values outside `[xs[0], xs[last]]`. `p` itself when there are no points.
pub(super) fn apply(xs: &[f64], ys: &[f64], p: f64) -> f64 {
    let above = xs.partition_point(|&x| x <= p);
    match (above.checked_sub(1), xs.get(above)) {
        (None, _) => ys.first().copied().unwrap_or(p),
        (Some(below), None) => ys.get(below).copied().unwrap_or(p),
        (Some(below), Some(&x1)) => {
            let (x0, y0, y1) = (xs[below], ys[below], ys[above]);
            y0 + (p - x0) / (x1 - x0) * (y1 - y0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    // Scores with a tie at 0.2 (one positive, one negative) pooled first to
    // 0.5; then 0.3 (negative) violates and pools with it to 1/3; 0.4 and 0.5
    // (both positive) pool as equals to 1.
    const X: [f64; 6] = [0.3, 0.2, 0.1, 0.2, 0.5, 0.4];
    const Y: [bool; 6] = [false, true, false, false, true, true];

    #[test]
    fn pools_ties_and_violators_by_hand() {
        let (xs, ys) = fit(&X, &Y).unwrap();
        assert_eq!(xs, [0.1, 0.2, 0.3, 0.4, 0.5]);
        let third = 1.0 / 3.0;
        assert!(
            ys.iter()
                .zip([0.0, third, third, 1.0, 1.0])
                .all(|(&a, b)| close(a, b))
        );
    }

    #[test]
    fn interpolates_between_points_and_clips_the_ends() {
        let (xs, ys) = fit(&X, &Y).unwrap();
        assert!(close(apply(&xs, &ys, 0.05), 0.0));
        assert!(close(apply(&xs, &ys, 0.1), 0.0));
        assert!(close(apply(&xs, &ys, 0.15), 1.0 / 6.0));
        assert!(close(apply(&xs, &ys, 0.25), 1.0 / 3.0));
        assert!(close(apply(&xs, &ys, 0.35), 2.0 / 3.0));
        assert!(close(apply(&xs, &ys, 0.5), 1.0));
        assert!(close(apply(&xs, &ys, 0.9), 1.0));
    }

    #[test]
    fn one_block_is_a_constant_and_nothing_finite_is_none() {
        let (xs, ys) = fit(&[0.9, 0.1, 0.5, 0.3], &[false, true, false, false]).unwrap();
        assert_eq!(xs, [0.1, 0.9]);
        assert!(ys.iter().all(|&y| close(y, 0.25)));
        assert!(close(apply(&xs, &ys, 0.4), 0.25));
        assert_eq!(fit(&[f64::NAN], &[true]), None);
        assert!(close(apply(&[], &[], 0.4), 0.4));
    }
}
