//! Named mappings for known data sets, on top of the generic importer.

use std::path::Path;

use clap::ValueEnum;
use rapport_core::table::TableOptions;

use super::{ImportKind, Plan};
use crate::cli::files::Mapping;

/// A known file layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// GroupLens MovieLens 100K: a directory with u.user, u.item and u.data.
    #[value(name = "movielens-100k")]
    Movielens100k,
    /// IBM Telco customer churn CSV: every column an attribute, `Churn` as `churn`.
    #[value(name = "telco-churn")]
    TelcoChurn,
}

/// Genre flag columns 5 to 23 of u.item, in the order of u.genre.
const GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

fn no_header(separator: u8) -> TableOptions {
    TableOptions {
        separator: Some(separator),
        has_header: false,
        strict: false,
    }
}

fn plan(
    kind: ImportKind,
    file: &Path,
    options: TableOptions,
    map: &str,
) -> Result<Plan, anyhow::Error> {
    Ok(Plan {
        kind,
        file: file.to_path_buf(),
        options,
        mapping: Mapping::parse(map)?,
        interaction_kind: "rating".to_owned(),
    })
}

fn movielens(kind: ImportKind, dir: &Path) -> Result<Plan, anyhow::Error> {
    match kind {
        ImportKind::Customers => plan(
            kind,
            &dir.join("u.user"),
            no_header(b'|'),
            "external_id=0,attr:age=1,attr:gender=2,attr:occupation=3,attr:zip=4",
        ),
        ImportKind::Items => {
            let mut p = plan(
                kind,
                &dir.join("u.item"),
                no_header(b'|'),
                "sku=0,name=1,attr:released=2",
            )?;
            p.mapping.tag_flags = Some((5, GENRES.iter().map(|g| (*g).to_owned()).collect()));
            Ok(p)
        }
        ImportKind::Interactions => plan(
            kind,
            &dir.join("u.data"),
            no_header(b'\t'),
            "customer=0,item=1,rating=2,occurred_at=3:unix",
        ),
        ImportKind::All => anyhow::bail!("`all` is expanded before planning"),
    }
}

/// The files to import for a preset: `all` expands to every kind it provides.
pub fn plans(preset: Preset, kind: ImportKind, path: &Path) -> Result<Vec<Plan>, anyhow::Error> {
    match preset {
        Preset::Movielens100k => {
            // Interactions need their customers and items: a directory
            // imported as interactions brings them in first.
            let kinds = match kind {
                ImportKind::All | ImportKind::Interactions => vec![
                    ImportKind::Customers,
                    ImportKind::Items,
                    ImportKind::Interactions,
                ],
                one => vec![one],
            };
            kinds.into_iter().map(|k| movielens(k, path)).collect()
        }
        Preset::TelcoChurn => match kind {
            ImportKind::Customers | ImportKind::All => {
                let mut p = plan(
                    ImportKind::Customers,
                    path,
                    TableOptions::default(),
                    "external_id=customerID,attr:churn=Churn",
                )?;
                p.mapping.rest_as_attributes = true;
                Ok(vec![p])
            }
            other => anyhow::bail!("the telco-churn preset holds customers only, not {other:?}"),
        },
    }
}
