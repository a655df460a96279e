//! Offline metrics for scorers: ROC AUC, accuracy at a threshold, log loss.

/// Probabilities are clipped to `[EPS, 1 - EPS]` in the log loss, as scikit-learn does.
const EPS: f64 = 1e-15;

/// Area under the ROC curve: the probability that a random positive scores
/// above a random negative, ties counting one half (Mann-Whitney U with
/// average ranks). `None` unless both classes are present.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 || scores.len() != labels.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start..=end (1-based: start+1..=end+1) share their average.
        let average_rank = (start + end) as f64 / 2.0 + 1.0;
        let tied_positives = order[start..=end].iter().filter(|&&i| labels[i]).count();
        positive_rank_sum += average_rank * tied_positives as f64;
        start = end + 1;
    }
    let p = positives as f64;
    Some((positive_rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// Mean negative log-likelihood of the labels, probabilities clipped away from 0 and 1.
pub fn log_loss(probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    if probabilities.is_empty() || probabilities.len() != labels.len() {
        return None;
    }
    let total: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &positive)| {
            let p = p.clamp(EPS, 1.0 - EPS);
            -(if positive { p } else { 1.0 - p }).ln()
        })
        .sum();
    Some(total / probabilities.len() as f64)
}

/// Share of rows whose class is right when `probability > threshold` means positive.
pub fn accuracy(probabilities: &[f64], labels: &[bool], threshold: f64) -> Option<f64> {
    if probabilities.is_empty() || probabilities.len() != labels.len() {
        return None;
    }
    let right = probabilities
        .iter()
        .zip(labels)
        .filter(|&(&p, &positive)| (p > threshold) == positive)
        .count();
    Some(right as f64 / probabilities.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn auc_counts_pairs_and_halves_ties() {
        // Positives 0.9, 0.4; negatives 0.5, 0.1: pairs won (0.9>0.5), (0.9>0.1), (0.4>0.1),
        // lost (0.4<0.5): AUC = 3/4.
        let auc = roc_auc(&[0.9, 0.5, 0.4, 0.1], &[true, false, true, false]).unwrap();
        assert!(close(auc, 0.75));
        // Positive 0.5 ties negative 0.5 and beats negative 0.2: (0.5 + 1) / 2.
        let auc = roc_auc(&[0.5, 0.5, 0.2], &[true, false, false]).unwrap();
        assert!(close(auc, 0.75));
        assert!(close(roc_auc(&[0.3, 0.3], &[true, false]).unwrap(), 0.5));
        assert!(close(roc_auc(&[0.1, 0.9], &[false, true]).unwrap(), 1.0));
        assert_eq!(roc_auc(&[0.1, 0.9], &[true, true]), None);
    }

    #[test]
    fn log_loss_by_hand_and_clipped() {
        // -(ln 0.8 + ln(1 - 0.3)) / 2
        let expected = -(0.8f64.ln() + 0.7f64.ln()) / 2.0;
        assert!(close(
            log_loss(&[0.8, 0.3], &[true, false]).unwrap(),
            expected
        ));
        // A certain wrong answer costs -ln(1e-15), not infinity.
        let clipped = log_loss(&[0.0], &[true]).unwrap();
        assert!(close(clipped, -(1e-15f64).ln()));
        assert_eq!(log_loss(&[], &[]), None);
    }

    #[test]
    fn accuracy_at_half() {
        let acc = accuracy(&[0.9, 0.6, 0.4, 0.5], &[true, false, false, true], 0.5).unwrap();
        // Right: 0.9 (pos), 0.4 (neg); wrong: 0.6 (neg), 0.5 (pos, not above 0.5).
        assert!(close(acc, 0.5));
    }
}
