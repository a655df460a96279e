//! Query conditions shared by list endpoints.

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
