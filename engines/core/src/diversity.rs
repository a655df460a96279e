//! Re-ranking for diversity by maximal marginal relevance (Carbonell and
//! Goldstein 1998): each next item maximises
//! `(1 - lambda) * relevance - lambda * (highest similarity to an item
//! already chosen)`, with relevance the score over the best score.

/// The order in which to show `scores` (best first; positive) so that
/// `k` of them trade relevance for diversity by `lambda` in `0..=1`:
/// 0 keeps the given order, 1 picks each next item as unlike the chosen as
/// possible. `similarity(a, b)` is in `0..=1` for positions `a` and `b`
/// of `scores`. Ties go to the better-ranked item. Returns at most `k`
/// positions.
pub fn mmr(
    scores: &[f64],
    k: usize,
    lambda: f64,
    similarity: impl Fn(usize, usize) -> f64,
) -> Vec<usize> {
    let best = scores.iter().copied().fold(0.0_f64, f64::max);
    let relevance = |i: usize| if best > 0.0 { scores[i] / best } else { 0.0 };
    let mut chosen: Vec<usize> = Vec::with_capacity(k.min(scores.len()));
    // The highest similarity of each candidate to the chosen so far.
    let mut closest = vec![0.0_f64; scores.len()];
    let mut left: Vec<usize> = (0..scores.len()).collect();
    while chosen.len() < k && !left.is_empty() {
        let value = |i: usize| (1.0 - lambda) * relevance(i) - lambda * closest[i];
        let mut pick = 0;
        for (at, &i) in left.iter().enumerate().skip(1) {
            if value(i) > value(left[pick]) {
                pick = at;
            }
        }
        let next = left.remove(pick);
        for &i in &left {
            closest[i] = closest[i].max(similarity(next, i));
        }
        chosen.push(next);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items 0 and 1 are near copies (similarity 0.9), 2 is unlike both.
    fn similarity(a: usize, b: usize) -> f64 {
        if (a == 0 && b == 1) || (a == 1 && b == 0) {
            0.9
        } else {
            0.0
        }
    }

    #[test]
    fn no_diversity_keeps_the_ranking() {
        assert_eq!(mmr(&[3.0, 2.9, 1.0], 3, 0.0, similarity), [0, 1, 2]);
        assert_eq!(mmr(&[3.0, 2.9, 1.0], 2, 0.0, similarity), [0, 1]);
    }

    /// With lambda = 0.5, after item 0: item 1 is worth
    /// 0.5 * 2.9/3 - 0.5 * 0.9 = 0.0333, item 2 0.5 * 1/3 = 0.1667, so 2
    /// comes second; then 1.
    #[test]
    fn a_near_copy_gives_way_to_an_unlike_item() {
        assert_eq!(mmr(&[3.0, 2.9, 1.0], 3, 0.5, similarity), [0, 2, 1]);
        // With little weight on diversity, 1 keeps its place:
        // 0.9 * 2.9/3 - 0.1 * 0.9 = 0.78 > 0.9 / 3 = 0.3.
        assert_eq!(mmr(&[3.0, 2.9, 1.0], 3, 0.1, similarity), [0, 1, 2]);
    }

    #[test]
    fn short_inputs_and_ties() {
        assert!(mmr(&[], 3, 0.5, similarity).is_empty());
        assert_eq!(mmr(&[1.0, 1.0], 5, 1.0, |_, _| 0.0), [0, 1]);
    }
}
