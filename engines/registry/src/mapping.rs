//! `--map` and `--map-items` column mappings, and loading CSV tables through
//! them into a [`Dataset`] with external ids.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use rapport_core::dates::{DateFormat, parse_timestamp};
use rapport_core::table::{Row, RowError, Table};
use rapport_core::{Dataset, IdMap, Interaction, ItemMeta};

use crate::cli::EvalError;

/// Columns of an interactions file.
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionMap {
    customer: String,
    item: String,
    occurred_at: Option<(String, DateFormat)>,
    weight: Option<String>,
}

/// Columns of an items file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemMap {
    item: String,
    name: Option<String>,
    description: Option<String>,
    category: Option<String>,
    tags: Option<String>,
    tag_flags: Option<RangeInclusive<usize>>,
}

fn pairs(spec: &str) -> Result<BTreeMap<String, String>, EvalError> {
    let mut out = BTreeMap::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, column) = part
            .split_once('=')
            .ok_or_else(|| EvalError::Map(format!("`{part}` is not field=COLUMN")))?;
        if out
            .insert(key.trim().to_owned(), column.trim().to_owned())
            .is_some()
        {
            return Err(EvalError::Map(format!(
                "field `{}` mapped twice",
                key.trim()
            )));
        }
    }
    Ok(out)
}

fn refuse_unknown(map: &BTreeMap<String, String>, known: &[&str]) -> Result<(), EvalError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(EvalError::Map(format!(
            "unknown field `{k}` (known: {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

impl InteractionMap {
    /// Parses `customer=COL,item=COL[,occurred_at=COL[:unix|:rfc3339|:datetime]][,weight=COL]`.
    pub fn parse(spec: &str) -> Result<Self, EvalError> {
        let mut map = pairs(spec)?;
        refuse_unknown(&map, &["customer", "item", "occurred_at", "weight"])?;
        let required = |map: &mut BTreeMap<String, String>, key: &str| {
            map.remove(key)
                .ok_or_else(|| EvalError::Map(format!("--map needs {key}=COLUMN")))
        };
        let occurred_at = match map.remove("occurred_at") {
            None => None,
            Some(c) => Some(match c.rsplit_once(':') {
                Some((column, format)) => (
                    column.to_owned(),
                    format.parse::<DateFormat>().map_err(EvalError::Map)?,
                ),
                None => (c, DateFormat::Auto),
            }),
        };
        Ok(Self {
            customer: required(&mut map, "customer")?,
            item: required(&mut map, "item")?,
            occurred_at,
            weight: map.remove("weight"),
        })
    }
}

impl ItemMap {
    /// Parses `item=COL[,name=COL][,description=COL][,category=COL][,tags=COL][,tag_flags=FROM-TO]`.
    ///
    /// `tags` is split on `|`, `;` and `,`; `tag_flags` names a range of 0/1
    /// columns whose header names (or `colN` without a header) become tags.
    pub fn parse(spec: &str) -> Result<Self, EvalError> {
        let mut map = pairs(spec)?;
        refuse_unknown(
            &map,
            &[
                "item",
                "name",
                "description",
                "category",
                "tags",
                "tag_flags",
            ],
        )?;
        let tag_flags = match map.remove("tag_flags") {
            None => None,
            Some(range) => {
                let bad = || EvalError::Map(format!("tag_flags=`{range}` is not FROM-TO"));
                let (from, to) = range.split_once('-').ok_or_else(bad)?;
                let from: usize = from.trim().parse().map_err(|_| bad())?;
                let to: usize = to.trim().parse().map_err(|_| bad())?;
                if from > to {
                    return Err(bad());
                }
                Some(from..=to)
            }
        };
        Ok(Self {
            item: map
                .remove("item")
                .ok_or_else(|| EvalError::Map("--map-items needs item=COLUMN".into()))?,
            name: map.remove("name"),
            description: map.remove("description"),
            category: map.remove("category"),
            tags: map.remove("tags"),
            tag_flags,
        })
    }
}

/// One interaction row with external ids.
struct RawInteraction {
    customer: String,
    item: String,
    weight: f32,
    timestamp: i64,
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

fn column(table: &Table, spec: &Option<String>) -> Result<Option<usize>, EvalError> {
    spec.as_deref()
        .map(|c| table.column(c))
        .transpose()
        .map_err(EvalError::from)
}

fn interaction(
    row: &Row,
    customer: usize,
    item: usize,
    occurred_at: Option<(usize, DateFormat)>,
    weight: Option<usize>,
) -> Result<RawInteraction, String> {
    let id = |c: usize, what: &str| {
        let v = row.get(c);
        if v.is_empty() {
            Err(format!("empty {what} id"))
        } else {
            Ok(v.to_owned())
        }
    };
    let timestamp = match occurred_at {
        Some((c, format)) => parse_timestamp(row.get(c), format)?,
        // Without a time column, file order stands for time.
        None => row.line as i64,
    };
    let weight = match weight {
        Some(c) => {
            let text = row.get(c);
            text.parse::<f32>()
                .ok()
                .filter(|w| w.is_finite())
                .ok_or_else(|| format!("weight `{text}` is not a number"))?
        }
        None => 1.0,
    };
    Ok(RawInteraction {
        customer: id(customer, "customer")?,
        item: id(item, "item")?,
        weight,
        timestamp,
    })
}

fn metadata(table: &Table, row: &Row, map: &ItemMap, cols: &ItemColumns) -> ItemMeta {
    let text = |c: Option<usize>| c.map(|c| row.get(c).to_owned()).unwrap_or_default();
    let mut tags: Vec<String> = cols
        .tags
        .map(|c| {
            row.get(c)
                .split(['|', ';', ','])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(range) = &map.tag_flags {
        for c in range.clone() {
            if !matches!(row.get(c), "" | "0") {
                let name = table
                    .header
                    .as_ref()
                    .and_then(|h| h.get(c).cloned())
                    .unwrap_or_else(|| format!("col{c}"));
                tags.push(name);
            }
        }
    }
    ItemMeta {
        name: text(cols.name),
        description: text(cols.description),
        category: cols
            .category
            .map(|c| row.get(c).to_owned())
            .filter(|c| !c.is_empty()),
        tags,
        attributes: BTreeMap::new(),
    }
}

struct ItemColumns {
    item: usize,
    name: Option<usize>,
    description: Option<usize>,
    category: Option<usize>,
    tags: Option<usize>,
}

/// Maps the tables onto a data set. Rows that cannot be mapped are skipped
/// and reported, or refused when `strict`.
pub fn load(
    interactions: &Table,
    map: &InteractionMap,
    items: Option<(&Table, &ItemMap)>,
    strict: bool,
) -> Result<Loaded, EvalError> {
    let customer = interactions.column(&map.customer)?;
    let item = interactions.column(&map.item)?;
    let occurred_at = match &map.occurred_at {
        Some((c, format)) => Some((interactions.column(c)?, *format)),
        None => None,
    };
    let weight = column(interactions, &map.weight)?;
    let mut skipped = interactions.skipped.clone();
    let mut raw = Vec::with_capacity(interactions.rows.len());
    for row in &interactions.rows {
        match interaction(row, customer, item, occurred_at, weight) {
            Ok(x) => raw.push(x),
            Err(message) => {
                let problem = RowError {
                    line: row.line,
                    message,
                };
                if strict {
                    return Err(EvalError::Row(problem));
                }
                skipped.push(problem);
            }
        }
    }

    skipped.sort_by_key(|e| e.line);

    let mut item_rows: Vec<(String, ItemMeta)> = Vec::new();
    if let Some((table, item_map)) = items {
        if let Some(range) = &item_map.tag_flags
            && *range.end() >= table.width
        {
            return Err(EvalError::Map(format!(
                "tag_flags reaches column {} but the items file has {} columns",
                range.end(),
                table.width
            )));
        }
        let cols = ItemColumns {
            item: table.column(&item_map.item)?,
            name: column(table, &item_map.name)?,
            description: column(table, &item_map.description)?,
            category: column(table, &item_map.category)?,
            tags: column(table, &item_map.tags)?,
        };
        skipped.extend(table.skipped.iter().map(|e| RowError {
            line: e.line,
            message: format!("items file: {}", e.message),
        }));
        for row in &table.rows {
            let id = row.get(cols.item);
            if id.is_empty() {
                let problem = RowError {
                    line: row.line,
                    message: "items file: empty item id".into(),
                };
                if strict {
                    return Err(EvalError::Row(problem));
                }
                skipped.push(problem);
                continue;
            }
            item_rows.push((id.to_owned(), metadata(table, row, item_map, &cols)));
        }
    }

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
    let interactions = raw
        .iter()
        .filter_map(|x| {
            Some(Interaction {
                customer: customers.get(&x.customer)?,
                item: item_ids.get(&x.item)?,
                weight: x.weight,
                timestamp: x.timestamp,
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
    use rapport_core::table::{TableOptions, read_table};

    #[test]
    fn parses_maps_and_refuses_bad_ones() {
        let m = InteractionMap::parse("customer=user, item=2,occurred_at=ts:unix").unwrap();
        assert_eq!(m.occurred_at, Some(("ts".into(), DateFormat::Unix)));
        assert!(InteractionMap::parse("customer=0").is_err());
        assert!(InteractionMap::parse("customer=0,item=1,colour=2").is_err());
        assert!(InteractionMap::parse("customer=0,item=1,occurred_at=2:iso").is_err());
        assert!(InteractionMap::parse("customer=0,customer=1,item=1").is_err());
        let i = ItemMap::parse("item=0,name=1,tag_flags=5-23").unwrap();
        assert_eq!(i.tag_flags, Some(5..=23));
        assert!(ItemMap::parse("item=0,tag_flags=9-2").is_err());
        assert!(ItemMap::parse("name=1").is_err());
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
    }
}
