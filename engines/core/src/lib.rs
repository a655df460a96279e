//! Shared building blocks of Rapport's prediction engines: data types, the
//! sparse interaction matrix, the `Recommender` trait and offline evaluation.
