//! Hand-checked cases of k-means and its seeding.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use crate::kmeans::{KMeansOptions, kmeans, kmeans_plusplus};
use crate::matrix::{Points, sq_dist};

fn options(k: usize) -> KMeansOptions {
    KMeansOptions {
        k,
        ..KMeansOptions::default()
    }
}

/// Points on a small lattice around each of `centres`, a deterministic spread.
fn blobs(centres: &[[f64; 2]], per: usize) -> Points {
    let mut rows = Vec::new();
    for c in centres {
        for i in 0..per {
            let dx = ((i * 7) % 5) as f64 * 0.1 - 0.2;
            let dy = ((i * 3) % 4) as f64 * 0.1 - 0.15;
            rows.push(vec![c[0] + dx, c[1] + dy]);
        }
    }
    Points::from_rows(&rows).unwrap()
}

#[test]
fn two_clusters_by_hand() {
    let p = Points::from_rows(&[
        vec![0.0, 0.0],
        vec![0.0, 2.0],
        vec![10.0, 0.0],
        vec![10.0, 2.0],
    ])
    .unwrap();
    let c = kmeans(&p, &options(2)).unwrap();
    // Centres (0, 1) and (10, 1); every point at squared distance 1.
    let mut centres: Vec<Vec<f64>> = (0..2).map(|i| c.centres.row(i).to_vec()).collect();
    centres.sort_by(|a, b| a[0].total_cmp(&b[0]));
    assert_eq!(centres, vec![vec![0.0, 1.0], vec![10.0, 1.0]]);
    assert_eq!(c.inertia, 4.0);
    assert_eq!(c.labels[0], c.labels[1]);
    assert_eq!(c.labels[2], c.labels[3]);
    assert_ne!(c.labels[0], c.labels[2]);
    assert_eq!(c.sizes(), [2, 2]);
    assert_eq!(c.runs.len(), 10);
    assert!(c.runs.iter().all(|r| r.converged && r.inertia == 4.0));
}

#[test]
fn same_seed_same_result_other_seed_other_draws() {
    let p = blobs(&[[0.0, 0.0], [3.0, 1.0], [1.0, 4.0], [5.0, 5.0]], 40);
    let a = kmeans(&p, &options(5)).unwrap();
    let b = kmeans(&p, &options(5)).unwrap();
    assert_eq!(a, b);
    let other = kmeans(
        &p,
        &KMeansOptions {
            seed: 9,
            ..options(5)
        },
    )
    .unwrap();
    let inertias =
        |c: &crate::kmeans::Clustering| c.runs.iter().map(|r| r.inertia).collect::<Vec<_>>();
    assert_ne!(inertias(&a), inertias(&other));
}

#[test]
fn seeding_picks_one_point_of_each_far_group() {
    let groups = [[0.0, 0.0], [100.0, 0.0], [0.0, 100.0]];
    let p = blobs(&groups, 30);
    for seed in 0..50 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres = kmeans_plusplus(&p, 3, &mut rng);
        let mut hit = [0; 3];
        for c in centres.chunks(2) {
            let g = (0..3)
                .min_by(|&a, &b| sq_dist(c, &groups[a]).total_cmp(&sq_dist(c, &groups[b])))
                .unwrap();
            hit[g] += 1;
        }
        assert_eq!(hit, [1, 1, 1], "seed {seed}");
    }
}

#[test]
fn the_result_is_a_lloyd_fixed_point_and_converges() {
    let p = blobs(&[[0.0, 0.0], [2.0, 0.5], [0.7, 2.2]], 50);
    let c = kmeans(
        &p,
        &KMeansOptions {
            tol: 0.0,
            ..options(3)
        },
    )
    .unwrap();
    assert!(c.runs.iter().all(|r| r.converged && r.iterations < 300));
    let d = p.cols();
    let mut inertia = 0.0;
    for i in 0..p.rows() {
        let own = c.labels[i] as usize;
        let own_d = sq_dist(p.row(i), c.centres.row(own));
        inertia += own_d;
        for k in 0..3 {
            assert!(
                own_d <= sq_dist(p.row(i), c.centres.row(k)),
                "row {i} is nearest its centre"
            );
        }
    }
    assert!((inertia - c.inertia).abs() < 1e-9);
    for k in 0..3 {
        let members: Vec<usize> = (0..p.rows())
            .filter(|&i| c.labels[i] as usize == k)
            .collect();
        for j in 0..d {
            let mean = members.iter().map(|&i| p.row(i)[j]).sum::<f64>() / members.len() as f64;
            assert!(
                (mean - c.centres.row(k)[j]).abs() < 1e-12,
                "centre {k} is its members' mean"
            );
        }
    }
    let capped = kmeans(
        &p,
        &KMeansOptions {
            max_iter: 1,
            n_init: 1,
            tol: 0.0,
            ..options(3)
        },
    )
    .unwrap();
    assert_eq!(capped.iterations, 1);
}

#[test]
fn duplicates_and_too_few_rows() {
    let p = Points::from_rows(&[vec![0.0], vec![0.0], vec![0.0], vec![5.0]]).unwrap();
    let c = kmeans(&p, &options(3)).unwrap();
    assert_eq!(c.inertia, 0.0);
    assert!(c.labels.iter().all(|&l| l < 3));
    assert!(kmeans(&p, &options(5)).is_err());
    let empty = Points::new(0, 1, vec![]).unwrap();
    assert!(kmeans(&empty, &options(1)).is_err());
}
