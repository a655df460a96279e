//! Turning an engine's ranking into a served list: the merchandising
//! pipeline with the request's filters and diversity and the rules in
//! force, the items named from the listing, and the list recorded as an
//! exposure.

use actix_web::HttpResponse;
use chrono::Utc;
use rapport_core::Recommendation;

use super::recommendation_filters::filter_of;
use super::recommendations::{
    DEFAULT_PLACEMENT, ReasonOut, RecommendQuery, Recommendations, RecommendedItem, RuleReason,
};
use crate::domain::experiment::MAX_KEY;
use crate::http::error::ApiError;
use crate::ml::listing::ListingView;
use crate::ml::merchandising::{self, ListSpec, Placed};
use crate::ml::serving::LoadedRecommender;
use crate::services::exposure_log::ServedList;
use crate::state::AppState;

/// The API form of a list, with its reasons named from the listing.
pub(super) fn present(
    listing: &ListingView<'_>,
    model: &LoadedRecommender,
    list: Vec<Placed>,
) -> Vec<RecommendedItem> {
    let named = |index: u32| {
        let id = *model.items.get(index as usize)?;
        Some((id, listing.get(&id)?))
    };
    list.into_iter()
        .map(|placed| RecommendedItem {
            item_id: placed.id,
            sku: placed.listed.sku.clone(),
            name: placed.listed.name.clone(),
            score: placed.score,
            reasons: placed
                .reasons
                .iter()
                .filter_map(|reason| {
                    named(reason.item).map(|(item_id, item)| ReasonOut {
                        item_id,
                        name: item.name.clone(),
                        weight: reason.weight,
                    })
                })
                .collect(),
            rules: placed
                .rules
                .into_iter()
                .map(|rule| RuleReason {
                    rule_id: rule.rule_id,
                    name: rule.name,
                    action: rule.action.as_str().to_owned(),
                })
                .collect(),
        })
        .collect()
}

/// Builds the list of `k` from `model`'s candidates (see
/// [`merchandising::build`]), with the request's filters and diversity and
/// the rules in force.
pub(super) fn fill(
    state: &AppState,
    model: &LoadedRecommender,
    query: &RecommendQuery,
    k: usize,
    excluded: &[u32],
    rank: impl Fn(usize) -> Result<Vec<Recommendation>, rapport_core::EngineError>,
    neighbours: Option<impl Fn(u32) -> Result<Vec<Recommendation>, rapport_core::EngineError>>,
) -> Result<Vec<RecommendedItem>, ApiError> {
    let filter = filter_of(query)?;
    let diversity = query.diversity.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&diversity) {
        return Err(ApiError::invalid("diversity", "must be between 0 and 1"));
    }
    let rules = state.models.rules.in_force(Utc::now());
    let spec = ListSpec {
        k,
        filter: &filter,
        rules: &rules,
        diversity,
        items: &model.items,
        item_index: &model.item_index,
        excluded,
    };
    let listing = state.models.listing.view()?;
    let list = merchandising::build(&listing, &spec, rank, neighbours)?;
    Ok(present(&listing, model, list))
}

/// The placement a request names, `api` by default.
pub(super) fn placement_of(query: &RecommendQuery) -> Result<String, ApiError> {
    match query.placement.as_deref().map(str::trim) {
        None => Ok(DEFAULT_PLACEMENT.to_owned()),
        Some(p) if !p.is_empty() && p.len() <= MAX_KEY => Ok(p.to_owned()),
        Some(_) => Err(ApiError::invalid(
            "placement",
            format!("1 to {MAX_KEY} characters"),
        )),
    }
}

/// Records `items` as an exposure and answers with them.
pub(super) fn respond(
    state: &AppState,
    list: ServedList<'_>,
    body: Recommendations,
) -> HttpResponse {
    let exposure_id = state.exposures.record_list(list);
    let mut response = HttpResponse::Ok();
    if let Some(id) = exposure_id {
        response.insert_header(("X-Exposure-Id", id.to_string()));
    }
    response.json(Recommendations {
        exposure_id,
        ..body
    })
}
