//! The files of `rapport eval` for a recommender: `--map` and `--map-items`
//! mappings (parsed as `rapport import` parses its `--map`) resolved against
//! the tables, and their rows loaded into a [`Dataset`] with external ids.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use rapport_core::dates::parse_timestamp;
use rapport_core::table::{Row, RowError, Table};
use rapport_core::{Dataset, IdMap, Interaction, ItemMeta};

use super::EvalError;
use crate::cli::files::{Fields, Mapping, MappingError, Resolved};

/// Fields of an interactions file.
const INTERACTION_FIELDS: Fields = Fields {
    names: &["customer", "item", "occurred_at", "weight", "basket"],
    attributes: false,
};
/// Fields of an items file.
const ITEM_FIELDS: Fields = Fields {
    names: &[
        "item",
        "name",
        "description",
        "category",
        "tags",
        "tag_flags",
    ],
    attributes: false,
};

/// Columns of an interactions file:
/// `customer=COL,item=COL[,occurred_at=COL[:unix|:rfc3339|:datetime]][,weight=COL][,basket=COL]`;
/// with `basket` given, `customer` may be left out (each basket is then its own customer).
#[derive(Debug, Clone)]
pub struct InteractionMap(Mapping);

impl InteractionMap {
    /// Parses and checks the mapping.
    pub fn parse(spec: &str) -> Result<Self, MappingError> {
        let mapping = Mapping::parse(spec)?;
        let required: &[&'static str] = if mapping.get("basket").is_some() {
            &["item"]
        } else {
            &["customer", "item"]
        };
        mapping.check(&INTERACTION_FIELDS, required)?;
        Ok(Self(mapping))
    }
}

/// Columns of an items file:
/// `item=COL[,name=COL][,description=COL][,category=COL][,tags=COL][,tag_flags=FROM-TO]`.
///
/// `tags` is split on `|`, `;` and `,`; `tag_flags` names a range of 0/1
/// columns whose header names (or `colN` without a header) become tags.
#[derive(Debug, Clone)]
pub struct ItemMap {
    columns: Mapping,
    tag_flags: Option<RangeInclusive<usize>>,
}

impl ItemMap {
    /// Parses and checks the mapping.
    pub fn parse(spec: &str) -> Result<Self, MappingError> {
        let mut columns = Mapping::parse(spec)?;
        columns.check(&ITEM_FIELDS, &["item"])?;
        let tag_flags = match columns.take("tag_flags") {
            None => None,
            Some(flags) => {
                let bad = || MappingError::BadValue {
                    field: "tag_flags",
                    value: flags.column.clone(),
                    message: "expected FROM-TO".into(),
                };
                let (from, to) = flags.column.split_once('-').ok_or_else(bad)?;
                let from: usize = from.trim().parse().map_err(|_| bad())?;
                let to: usize = to.trim().parse().map_err(|_| bad())?;
                if from > to {
                    return Err(bad());
                }
                Some(from..=to)
            }
        };
        Ok(Self { columns, tag_flags })
    }
}

/// A data set with the id maps that name its indices.
pub struct Loaded {
    /// The data set.
    pub data: Dataset,
    /// Customer ids.
    pub customers: IdMap,
    /// Item ids.
    pub items: IdMap,
    /// Rows refused, by line: those of the interactions file, then those of
    /// the items file (whose messages say so).
    pub skipped: Vec<RowError>,
}

/// The column of a field that the mapping's check made required.
fn required(resolved: &Resolved, field: &'static str) -> Result<usize, MappingError> {
    resolved
        .field(field)
        .map(|(column, _)| column)
        .ok_or(MappingError::Missing(field))
}

fn optional(resolved: &Resolved, field: &str) -> Option<usize> {
    resolved.field(field).map(|(column, _)| column)
}

/// One interaction row with external ids.
struct RawInteraction {
    customer: String,
    item: String,
    weight: f32,
    timestamp: i64,
    basket: Option<String>,
}

fn interaction(row: &Row, map: &Resolved) -> Result<RawInteraction, String> {
    let id = |field: &str, what: &str| {
        let v = map.field(field).map_or("", |(c, _)| row.get(c));
        if v.is_empty() {
            Err(format!("empty {what} id"))
        } else {
            Ok(v.to_owned())
        }
    };
    let timestamp = match map.field("occurred_at") {
        Some((c, format)) => parse_timestamp(row.get(c), format)?,
        // Without a time column, file order stands for time.
        None => row.line as i64,
    };
    let weight = match optional(map, "weight") {
        Some(c) => {
            let text = row.get(c);
            text.parse::<f32>()
                .ok()
                .filter(|w| w.is_finite())
                .ok_or_else(|| format!("weight `{text}` is not a number"))?
        }
        None => 1.0,
    };
    let basket = optional(map, "basket")
        .map(|c| row.get(c).trim().to_owned())
        .filter(|b| !b.is_empty());
    let customer = match (&basket, map.field("customer")) {
        (Some(basket), None) => basket.clone(),
        _ => id("customer", "customer")?,
    };
    Ok(RawInteraction {
        customer,
        item: id("item", "item")?,
        weight,
        timestamp,
        basket,
    })
}

fn metadata(table: &Table, row: &Row, map: &Resolved, flags: &ItemMap) -> ItemMeta {
    let text = |field: &str| optional(map, field).map(|c| row.get(c).to_owned());
    let mut tags: Vec<String> = text("tags")
        .map(|cell| {
            cell.split(['|', ';', ','])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    for c in flags.tag_flags.clone().into_iter().flatten() {
        if !matches!(row.get(c), "" | "0") {
            let name = table
                .header
                .as_ref()
                .and_then(|h| h.get(c).cloned())
                .unwrap_or_else(|| format!("col{c}"));
            tags.push(name);
        }
    }
    ItemMeta {
        name: text("name").unwrap_or_default(),
        description: text("description").unwrap_or_default(),
        category: text("category").filter(|c| !c.is_empty()),
        tags,
        attributes: BTreeMap::new(),
    }
}

/// Skips a row, or refuses the files when `strict`.
pub(super) fn skip(
    skipped: &mut Vec<RowError>,
    problem: RowError,
    strict: bool,
) -> Result<(), EvalError> {
    if strict {
        return Err(EvalError::Row(problem));
    }
    skipped.push(problem);
    Ok(())
}

/// The items file's rows with an id, and its skipped rows (messages saying so).
fn item_rows(
    table: &Table,
    map: &ItemMap,
    strict: bool,
    skipped: &mut Vec<RowError>,
) -> Result<Vec<(String, ItemMeta)>, EvalError> {
    if let Some(range) = &map.tag_flags
        && *range.end() >= table.width
    {
        return Err(MappingError::BadValue {
            field: "tag_flags",
            value: format!("{}-{}", range.start(), range.end()),
            message: format!("the items file has {} columns", table.width),
        }
        .into());
    }
    let columns = map.columns.resolve(table, &ITEM_FIELDS)?;
    let id_column = required(&columns, "item")?;
    skipped.extend(table.skipped.iter().map(|e| RowError {
        line: e.line,
        message: format!("items file: {}", e.message),
    }));
    let mut rows = Vec::new();
    for row in &table.rows {
        let id = row.get(id_column);
        if id.is_empty() {
            let problem = RowError {
                line: row.line,
                message: "items file: empty item id".into(),
            };
            skip(skipped, problem, strict)?;
            continue;
        }
        rows.push((id.to_owned(), metadata(table, row, &columns, map)));
    }
    Ok(rows)
}

/// Maps the tables onto a data set. Rows that cannot be mapped are skipped
/// and reported, or refused when `strict`.
pub fn load(
    interactions: &Table,
    map: &InteractionMap,
    items: Option<(&Table, &ItemMap)>,
    strict: bool,
) -> Result<Loaded, EvalError> {
    let columns = map.0.resolve(interactions, &INTERACTION_FIELDS)?;
    let mut skipped = interactions.skipped.clone();
    let mut raw = Vec::with_capacity(interactions.rows.len());
    for row in &interactions.rows {
        match interaction(row, &columns) {
            Ok(x) => raw.push(x),
            Err(message) => {
                let problem = RowError {
                    line: row.line,
                    message,
                };
                skip(&mut skipped, problem, strict)?;
            }
        }
    }
    skipped.sort_by_key(|e| e.line);
    let item_rows = match items {
        Some((table, item_map)) => item_rows(table, item_map, strict, &mut skipped)?,
        None => Vec::new(),
    };

    let customers = IdMap::sorted(raw.iter().map(|x| x.customer.clone()));
    let item_ids = IdMap::sorted(
        raw.iter()
            .map(|x| x.item.clone())
            .chain(item_rows.iter().map(|(id, _)| id.clone())),
    );
    let mut meta = Vec::new();
    if items.is_some() {
        meta = vec![ItemMeta::default(); item_ids.len()];
        for (id, m) in item_rows {
            if let Some(i) = item_ids.get(&id) {
                meta[i as usize] = m;
            }
        }
    }
    let baskets = IdMap::sorted(raw.iter().filter_map(|x| x.basket.clone()));
    let interactions = raw
        .iter()
        .filter_map(|x| {
            Some(Interaction {
                customer: customers.get(&x.customer)?,
                item: item_ids.get(&x.item)?,
                weight: x.weight,
                timestamp: x.timestamp,
                basket: x.basket.as_ref().and_then(|b| baskets.get(b)),
            })
        })
        .collect();
    Ok(Loaded {
        data: Dataset {
            n_customers: customers.len(),
            n_items: item_ids.len(),
            interactions,
            items: meta,
        },
        customers,
        items: item_ids,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_core::dates::DateFormat;
    use rapport_core::table::{TableOptions, read_table};

    #[test]
    fn parses_maps_and_refuses_bad_ones() {
        let m = InteractionMap::parse("customer=user, item=2,occurred_at=ts:unix").unwrap();
        assert_eq!(m.0.get("occurred_at").unwrap().format, DateFormat::Unix);
        assert!(InteractionMap::parse("customer=0").is_err());
        assert!(InteractionMap::parse("customer=0,item=1,colour=2").is_err());
        assert!(InteractionMap::parse("customer=0,customer=1,item=1").is_err());
        let i = ItemMap::parse("item=0,name=1,tag_flags=5-23").unwrap();
        assert_eq!(i.tag_flags, Some(5..=23));
        assert!(i.columns.get("tag_flags").is_none());
        assert!(ItemMap::parse("item=0,tag_flags=9-2").is_err());
        assert!(ItemMap::parse("name=1").is_err());
        // An unknown date format is no format: the column `2:iso` does not exist.
        let m = InteractionMap::parse("customer=0,item=1,occurred_at=2:iso").unwrap();
        let table = read_table(b"a,b,1\n", &TableOptions::default()).unwrap();
        let err = load(&table, &m, None, false).err().unwrap();
        assert!(err.to_string().contains("unknown column `2:iso`"), "{err}");
    }

    #[test]
    fn loads_with_sorted_ids_and_skips_bad_rows() {
        let text = b"who;what;when;w\n10;b;2024-01-02;2\n2;a;1704067200;1\n3;;2024-01-01;1\n2;b;yesterday;1\n4;a\n";
        let table = read_table(text, &TableOptions::default()).unwrap();
        let map =
            InteractionMap::parse("customer=who,item=what,occurred_at=when,weight=w").unwrap();
        let items = read_table(
            b"a|Alpha|x|1|0\nc|Gamma|y|0|1\nd|short\n",
            &TableOptions {
                has_header: false,
                ..Default::default()
            },
        )
        .unwrap();
        let item_map = ItemMap::parse("item=0,name=1,category=2,tag_flags=3-4").unwrap();
        let loaded = load(&table, &map, Some((&items, &item_map)), false).unwrap();
        let lines: Vec<u64> = loaded.skipped.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 5, 6, 3]);
        assert!(loaded.skipped[3].message.starts_with("items file: "));
        assert_eq!(loaded.customers.id(0), Some("2"));
        assert_eq!(loaded.customers.id(1), Some("10"));
        assert_eq!(loaded.data.n_items, 3);
        assert_eq!(loaded.items.id(2), Some("c"));
        let first = loaded.data.interactions[0];
        assert_eq!((first.customer, first.item, first.weight), (1, 1, 2.0));
        assert_eq!(first.timestamp, 1704153600);
        assert_eq!(loaded.data.items[0].name, "Alpha");
        assert_eq!(loaded.data.items[0].tags, vec!["col3"]);
        assert_eq!(loaded.data.items[2].category.as_deref(), Some("y"));
        assert!(matches!(
            load(&table, &map, None, true),
            Err(EvalError::Row(RowError { line: 4, .. }))
        ));
        let wide = ItemMap::parse("item=0,tag_flags=3-9").unwrap();
        let err = load(&table, &map, Some((&items, &wide)), false)
            .err()
            .unwrap();
        assert!(err.to_string().contains("has 5 columns"), "{err}");
    }
}
