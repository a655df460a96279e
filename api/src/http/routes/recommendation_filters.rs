//! The merchandising filters of a recommendation request, read from its
//! query and checked.

use uuid::Uuid;

use super::recommendations::RecommendQuery;
use crate::http::error::ApiError;
use crate::ml::item_filter::ItemFilter;

/// The comma-separated values of a list parameter, blanks dropped.
fn listed(raw: &Option<String>) -> Vec<String> {
    raw.iter()
        .flat_map(|r| r.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The request's filters, checked: ids must be ids, prices finite, not
/// negative and in order.
pub(super) fn filter_of(query: &RecommendQuery) -> Result<ItemFilter, ApiError> {
    let exclude_items = listed(&query.exclude_items)
        .iter()
        .map(|id| id.parse::<Uuid>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::invalid("exclude_items", "must be comma-separated item ids"))?;
    for (field, price) in [
        ("min_price", query.min_price),
        ("max_price", query.max_price),
    ] {
        if price.is_some_and(|p| !p.is_finite() || p < 0.0) {
            return Err(ApiError::invalid(field, "must be a price of at least 0"));
        }
    }
    if let (Some(min), Some(max)) = (query.min_price, query.max_price)
        && min > max
    {
        return Err(ApiError::invalid("min_price", "must not exceed max_price"));
    }
    Ok(ItemFilter {
        category: query.category.clone().filter(|c| !c.trim().is_empty()),
        tags: listed(&query.tags),
        exclude_tags: listed(&query.exclude_tags),
        exclude_items,
        min_price: query.min_price,
        max_price: query.max_price,
    })
}
