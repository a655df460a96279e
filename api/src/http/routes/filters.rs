//! Query conditions and lookups shared by the route handlers.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition};

use crate::domain::validation::contains_pattern;

/// Case-insensitive substring search of `q` over `columns`.
pub fn search<C: ColumnTrait>(columns: &[C], q: &str) -> Condition {
    let pattern = contains_pattern(&q.trim().to_lowercase());
    columns.iter().fold(Condition::any(), |cond, column| {
        cond.add(
            Expr::expr(Func::lower(Expr::col(*column)))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}

/// Rows whose `|tag|` index contains `tag` (normalised like stored tags).
pub fn has_tag<C: ColumnTrait>(index_column: C, tag: &str) -> Condition {
    let pattern = contains_pattern(&format!("|{}|", tag.trim().to_lowercase()));
    Condition::all().add(Expr::col(index_column).like(LikeExpr::new(pattern).escape('\\')))
}

/// Rows whose customer (in `customer_column`) is not soft-deleted: live, or
/// erased (nothing personal is left of them; their interactions stay, for
/// the models). Customer-related lists use it, so that a soft-deleted
/// customer is not readable through another resource.
pub fn of_visible_customer<C: ColumnTrait>(customer_column: C) -> Condition {
    use crate::entities::customer;
    use sea_orm::sea_query::Query;
    let live = Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .cond_where(
            Condition::any()
                .add(Expr::col(customer::Column::DeletedAt).is_null())
                .add(Expr::col(customer::Column::ErasedAt).is_not_null()),
        )
        .to_owned();
    Condition::all().add(Expr::col(customer_column).in_subquery(live))
}

/// Checks that customer `id` exists and is not soft-deleted (404 otherwise).
pub async fn live_customer(
    db: &impl sea_orm::ConnectionTrait,
    id: uuid::Uuid,
) -> Result<(), crate::http::error::ApiError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    crate::entities::customer::Entity::find_by_id(id)
        .filter(crate::entities::customer::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| crate::http::error::ApiError::not_found("customer"))
}
