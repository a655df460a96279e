//! Cursor (keyset) pagination and sorting shared by every list endpoint.
//!
//! A cursor is the opaque base64url encoding of the sort it was made for,
//! the sort value of the last row returned and that row's id. The next page
//! starts strictly after that (value, id) pair, so rows inserted or removed
//! meanwhile never cause duplicates or gaps.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ModelTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, Select, Value,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::{DomainError, ErrorCode};
use crate::http::error::ApiError;

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page size.
pub const MAX_LIMIT: u64 = 500;

/// `?limit=&cursor=&sort=` of every list endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Sort field, `-` prefix for descending (allowed fields are listed per endpoint).
    pub sort: Option<String>,
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The rows of this page.
    pub data: Vec<T>,
    /// Cursor of the next page, or null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Converts every row, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }

    /// Converts every row with a conversion that may fail, keeping the cursor.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            data: self.data.into_iter().map(f).collect::<Result<_, E>>()?,
            next_cursor: self.next_cursor,
        })
    }
}

/// A validated sort: which column, which direction.
#[derive(Debug, Clone, Copy)]
pub struct Sort<C> {
    field: &'static str,
    column: C,
    descending: bool,
}

impl<C: Copy> Sort<C> {
    /// Parses `field` / `-field` against the sortable fields of a resource.
    /// Every allowed column must be non-null.
    pub fn parse(
        raw: Option<&str>,
        allowed: &[(&'static str, C)],
        default: &str,
    ) -> Result<Self, ApiError> {
        let raw = raw
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(default);
        let (descending, name) = match raw.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, raw),
        };
        allowed
            .iter()
            .find(|(field, _)| *field == name)
            .map(|&(field, column)| Self {
                field,
                column,
                descending,
            })
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|(f, _)| *f).collect();
                ApiError::invalid(
                    "sort",
                    format!("cannot sort by `{name}`; use one of {}", names.join(", ")),
                )
            })
    }

    fn key(&self) -> String {
        format!("{}{}", if self.descending { "-" } else { "" }, self.field)
    }
}

/// A sort value as it travels inside a cursor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "t", content = "v")]
enum CursorValue {
    Text(String),
    Int(i64),
    Float(f64),
    Time(DateTime<Utc>),
}

impl CursorValue {
    fn from_value(value: Value) -> Result<Self, ApiError> {
        match value {
            Value::String(Some(s)) => Ok(Self::Text(s)),
            Value::Int(Some(i)) => Ok(Self::Int(i.into())),
            Value::BigInt(Some(i)) => Ok(Self::Int(i)),
            Value::Double(Some(f)) => Ok(Self::Float(f)),
            Value::ChronoDateTimeUtc(Some(t)) => Ok(Self::Time(t)),
            other => Err(ApiError::Domain(DomainError::Internal(anyhow::anyhow!(
                "column of type {other:?} used as a sort key"
            )))),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Self::Text(s) => s.into(),
            Self::Int(i) => i.into(),
            Self::Float(f) => f.into(),
            Self::Time(t) => t.into(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Cursor {
    sort: String,
    last: CursorValue,
    id: Uuid,
}

impl Cursor {
    fn encode(&self) -> Result<String, ApiError> {
        let json = serde_json::to_vec(self)
            .map_err(|e| ApiError::Domain(DomainError::Internal(e.into())))?;
        Ok(URL_SAFE_NO_PAD.encode(json))
    }

    fn decode(raw: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::BadRequest {
            code: ErrorCode::InvalidCursor,
            detail: "the cursor is malformed; use the next_cursor of a previous page".to_owned(),
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }
}

/// A position in a list merged from several tables, newest first by
/// (time, id): the cursor of the last entry returned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeCursor {
    /// The entry's time.
    pub at: DateTime<Utc>,
    /// The entry's id (ids are unique across the merged tables).
    pub id: Uuid,
}

/// The sort a [`TimeCursor`] is made for.
const TIME_SORT: &str = "-at";

impl TimeCursor {
    /// The cursor of `params`, if any.
    pub fn from_params(params: &PageParams) -> Result<Option<Self>, ApiError> {
        let Some(raw) = params.cursor.as_deref() else {
            return Ok(None);
        };
        let bad = || ApiError::BadRequest {
            code: ErrorCode::InvalidCursor,
            detail: "the cursor was not made for this list".to_owned(),
        };
        match Cursor::decode(raw)? {
            Cursor {
                sort,
                last: CursorValue::Time(at),
                id,
            } if sort == TIME_SORT => Ok(Some(Self { at, id })),
            _ => Err(bad()),
        }
    }

    /// The opaque text of the cursor.
    pub fn encode(self) -> Result<String, ApiError> {
        Cursor {
            sort: TIME_SORT.to_owned(),
            last: CursorValue::Time(self.at),
            id: self.id,
        }
        .encode()
    }

    /// Rows strictly after the cursor in (time, id) descending order.
    pub fn after<C: ColumnTrait>(self, at: C, id: C) -> Condition {
        Condition::any().add(at.lt(self.at)).add(
            Expr::col(at)
                .eq(self.at)
                .and(id.lt(self.id))
                .into_condition(),
        )
    }
}

/// Validated page size.
pub fn limit(params: &PageParams) -> Result<u64, ApiError> {
    match params.limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => Ok(n as u64),
        Some(_) => Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// Runs `select` for one page: applies the cursor, the sort (with `id` as
/// tie-breaker) and the limit, and builds the next cursor.
pub async fn fetch_page<E, C>(
    db: &C,
    select: Select<E>,
    sort: Sort<E::Column>,
    id_column: E::Column,
    params: &PageParams,
) -> Result<Page<E::Model>, ApiError>
where
    E: EntityTrait,
    E::Model: ModelTrait<Entity = E> + Sync,
    C: ConnectionTrait,
{
    let limit = limit(params)?;
    let order = if sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut select = select;
    if let Some(raw) = params.cursor.as_deref() {
        let cursor = Cursor::decode(raw)?;
        if cursor.sort != sort.key() {
            return Err(ApiError::BadRequest {
                code: ErrorCode::InvalidCursor,
                detail: format!(
                    "the cursor was made for sort `{}`, not `{}`",
                    cursor.sort,
                    sort.key()
                ),
            });
        }
        let value = cursor.last.into_value();
        let after: Condition = if sort.descending {
            Condition::any().add(sort.column.lt(value.clone())).add(
                Expr::col(sort.column)
                    .eq(value)
                    .and(id_column.lt(cursor.id))
                    .into_condition(),
            )
        } else {
            Condition::any().add(sort.column.gt(value.clone())).add(
                Expr::col(sort.column)
                    .eq(value)
                    .and(id_column.gt(cursor.id))
                    .into_condition(),
            )
        };
        select = select.filter(after);
    }
    let mut rows = select
        .order_by(sort.column, order.clone())
        .order_by(id_column, order)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        match rows.last() {
            Some(last) => {
                let id = match last.get(id_column) {
                    Value::Uuid(Some(id)) => id,
                    other => {
                        return Err(ApiError::Domain(DomainError::Internal(anyhow::anyhow!(
                            "id column holds {other:?}"
                        ))));
                    }
                };
                let cursor = Cursor {
                    sort: sort.key(),
                    last: CursorValue::from_value(last.get(sort.column))?,
                    id,
                };
                Some(cursor.encode()?)
            }
            None => None,
        }
    } else {
        None
    };
    Ok(Page {
        data: rows,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Col {
        Name,
        Created,
    }

    const ALLOWED: &[(&str, Col)] = &[("name", Col::Name), ("created_at", Col::Created)];

    #[test]
    fn cursor_round_trips() {
        let cursor = Cursor {
            sort: "-created_at".into(),
            last: CursorValue::Time(Utc::now()),
            id: Uuid::now_v7(),
        };
        let encoded = cursor.encode().unwrap();
        assert!(!encoded.contains('='));
        assert_eq!(Cursor::decode(&encoded).unwrap(), cursor);
    }

    #[test]
    fn garbage_cursors_are_rejected() {
        for raw in ["", "not base64!", "e30", &URL_SAFE_NO_PAD.encode(b"[1,2]")] {
            let err = Cursor::decode(raw).unwrap_err();
            assert!(matches!(
                err,
                ApiError::BadRequest {
                    code: ErrorCode::InvalidCursor,
                    ..
                }
            ));
        }
    }

    #[test]
    fn sort_parses_direction_and_refuses_unknown_fields() {
        let sort = Sort::parse(Some("-name"), ALLOWED, "created_at").unwrap();
        assert_eq!(sort.column, Col::Name);
        assert!(sort.descending);
        assert_eq!(sort.key(), "-name");
        let default = Sort::parse(None, ALLOWED, "-created_at").unwrap();
        assert_eq!(default.column, Col::Created);
        assert!(default.descending);
        assert!(Sort::parse(Some("password"), ALLOWED, "name").is_err());
    }

    #[test]
    fn limit_bounds() {
        let params = |limit| PageParams {
            limit,
            cursor: None,
            sort: None,
        };
        assert_eq!(limit(&params(None)).unwrap(), 50);
        assert_eq!(limit(&params(Some(500))).unwrap(), 500);
        assert!(limit(&params(Some(0))).is_err());
        assert!(limit(&params(Some(-1))).is_err());
        assert!(limit(&params(Some(501))).is_err());
        assert!(limit(&params(Some(i64::MAX))).is_err());
    }
}
