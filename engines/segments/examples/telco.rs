//! Figures of the segments engine next to BENCHMARKS.md's scikit-learn
//! references: k-means on Telco (tenure, MonthlyCharges, TotalCharges; the
//! 11 blanks as 0) for k = 2..8, then a synthetic 100,000 x 10, k = 8 timing.
//!
//! `cargo run -j1 --release -p rapport-segments --example telco [CSV]`; the
//! default CSV is the first `*.csv` of `../shared/data/telco-churn/` or
//! `/work/shared/data/telco-churn/`.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::Params;
use rapport_core::scoring::{Frame, Value};
use rapport_core::table::{TableOptions, read_table};
use rapport_segments::{
    Features, KMeansOptions, Points, SegmentModel, SegmentParams, Segments, Standardiser, kmeans,
};

/// BENCHMARKS.md: k, inertia, silhouette, sizes (scikit-learn 1.9.1, n_init 10, seed 0).
const REFERENCE: [(usize, f64, f64, &str); 7] = [
    (2, 9712.1244, 0.4797, "4682, 2361"),
    (3, 6186.1792, 0.4516, "2692, 2201, 2150"),
    (4, 4148.4825, 0.4722, "2276, 1904, 1703, 1160"),
    (5, 3111.2849, 0.4437, "1906, 1665, 1392, 1166, 914"),
    (6, 2562.4914, 0.4378, "1652, 1543, 1138, 1078, 866, 766"),
    (
        7,
        2178.8988,
        0.4324,
        "1300, 1159, 1076, 1027, 921, 828, 732",
    ),
    (
        8,
        1862.6681,
        0.4276,
        "1214, 1082, 926, 881, 855, 823, 634, 628",
    ),
];
const BEST_K4: f64 = 4148.4745;

fn telco_csv() -> Result<PathBuf, Box<dyn Error>> {
    if let Some(path) = std::env::args().nth(1) {
        return Ok(path.into());
    }
    for dir in [
        "../shared/data/telco-churn",
        "/work/shared/data/telco-churn",
    ] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut csvs: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "csv"))
                .collect();
            csvs.sort();
            if let Some(first) = csvs.into_iter().next() {
                return Ok(first);
            }
        }
    }
    Err("no Telco CSV found; pass its path".into())
}

fn telco_frame() -> Result<Frame, Box<dyn Error>> {
    let path = telco_csv()?;
    println!("data: {}", path.display());
    let bytes = std::fs::read(&path)?;
    let table = read_table(&bytes, &TableOptions::default())?;
    let header = table.header.ok_or("the CSV has no header")?;
    let rows = table
        .rows
        .iter()
        .map(|r| r.fields.iter().map(|c| Value::from_cell(c)).collect())
        .collect();
    Ok(Frame::new(header, rows)?)
}

fn join(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn telco() -> Result<(), Box<dyn Error>> {
    let frame = telco_frame()?;
    let params = Params::new()
        .with("features", "tenure,MonthlyCharges,TotalCharges")
        .with("k_min", 2)
        .with("k_max", 8);
    let started = Instant::now();
    let fit = Segments.fit_columns(&frame, &params, &[])?;
    let total = started.elapsed().as_secs_f64();
    let model = &fit.model;
    let s = &model.standardiser;
    println!(
        "rows {}; means {:.4?} (ref 32.3711, 64.7617, 2279.7343); population stds {:.4?} (ref 24.5577, 30.0879, 2266.6335)",
        model.rows, s.means, s.stds
    );
    println!(
        "\n{:>2} | {:>10} {:>10} {:>8} | {:>7} {:>7} {:>7} | {:>5} {:>9} {:>6} | {:>6} {:>7} | sizes / reference sizes",
        "k",
        "inertia",
        "reference",
        "diff %",
        "silh.",
        "ref",
        "diff",
        "iter",
        "converged",
        "iters",
        "fit s",
        "silh. s"
    );
    for report in &model.per_k {
        let Some(&(_, ref_inertia, ref_silhouette, ref_sizes)) =
            REFERENCE.iter().find(|r| r.0 == report.k)
        else {
            continue;
        };
        let silhouette = report.silhouette.unwrap_or(f64::NAN);
        let converged = report.runs.iter().filter(|r| r.converged).count();
        let min_it = report.runs.iter().map(|r| r.iterations).min().unwrap_or(0);
        let max_it = report.runs.iter().map(|r| r.iterations).max().unwrap_or(0);
        println!(
            "{:>2} | {:>10.4} {:>10.4} {:>+8.4} | {:>7.4} {:>7.4} {:>+7.4} | {:>5} {:>6}/{:<2} {:>6} | {:>6.3} {:>7.3} | {} / {}",
            report.k,
            report.inertia,
            ref_inertia,
            100.0 * (report.inertia - ref_inertia) / ref_inertia,
            silhouette,
            ref_silhouette,
            silhouette - ref_silhouette,
            report.iterations,
            converged,
            report.runs.len(),
            format!("{min_it}-{max_it}"),
            report.fit_seconds,
            report.silhouette_seconds,
            join(&report.sizes),
            ref_sizes,
        );
    }
    if let Some(k4) = model.per_k.iter().find(|r| r.k == 4) {
        println!(
            "\nk = 4: inertia {:.4} is {:+.4} % from the best known 4148.4745",
            k4.inertia,
            100.0 * (k4.inertia - BEST_K4) / BEST_K4
        );
        let inertias: Vec<String> = k4
            .runs
            .iter()
            .map(|r| format!("{:.1}", r.inertia))
            .collect();
        let near = k4
            .runs
            .iter()
            .filter(|r| (r.inertia - BEST_K4).abs() / BEST_K4 < 1e-3)
            .count();
        println!(
            "k = 4 restarts: {near}/{} within 0.1 % of the best known; inertias {}",
            k4.runs.len(),
            inertias.join(" ")
        );
    }
    println!(
        "chosen k = {} (best silhouette); all of k = 2..8 with silhouettes in {total:.3} s",
        model.k
    );
    for seg in &model.segments {
        println!(
            "  segment {} ({}): {}",
            seg.id, seg.size, seg.profile.summary
        );
    }
    Ok(())
}

/// Eight gaussian blobs in 10 dimensions (Box-Muller), 100,000 rows.
fn synthetic(n: usize, d: usize, k: usize) -> Result<Points, Box<dyn Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let centres: Vec<f64> = (0..k * d).map(|_| rng.random::<f64>() * 10.0).collect();
    let mut data = Vec::with_capacity(n * d);
    for i in 0..n {
        let c = i % k;
        for j in 0..d {
            let (u1, u2) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
            let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            data.push(centres[c * d + j] + 1.5 * normal);
        }
    }
    Ok(Points::new(n, d, data)?)
}

fn synthetic_timing() -> Result<(), Box<dyn Error>> {
    let (n, d, k) = (100_000, 10, 8);
    let raw = synthetic(n, d, k)?;
    let z = Standardiser::fit(&raw).transform(&raw);
    let started = Instant::now();
    let c = kmeans(
        &z,
        &KMeansOptions {
            k,
            ..KMeansOptions::default()
        },
    )?;
    let kmeans_s = started.elapsed().as_secs_f64();
    let iterations: Vec<String> = c.runs.iter().map(|r| r.iterations.to_string()).collect();
    let converged = c.runs.iter().filter(|r| r.converged).count();
    println!(
        "\nsynthetic {n} x {d}, k = {k}, n_init 10: k-means {kmeans_s:.3} s (standardised input), inertia {:.1}, iterations per restart {}, converged {converged}/10",
        c.inertia,
        iterations.join(" ")
    );
    let params = SegmentParams {
        k,
        ..SegmentParams::default()
    };
    let started = Instant::now();
    let fit = SegmentModel::fit(&raw, synthetic_features(d), &params, &[])?;
    let total = started.elapsed().as_secs_f64();
    let report = fit.model.chosen().ok_or("no report")?;
    println!(
        "synthetic full model fit (standardise + k-means + silhouette on a 20,000 sample + profiles): {total:.3} s; k-means part {:.3} s; silhouette part {:.3} s; silhouette {:.4}",
        report.fit_seconds,
        report.silhouette_seconds,
        report.silhouette.unwrap_or(f64::NAN)
    );
    Ok(())
}

/// Column features named x0..x{d-1} for synthetic points.
fn synthetic_features(d: usize) -> Features {
    Features::Columns(rapport_segments::ColumnEncoder {
        numeric: (0..d).map(|j| (format!("x{j}"), 0.0)).collect(),
        categorical: Vec::new(),
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    telco()?;
    synthetic_timing()
}
