//! How a recommendation list is made from an engine's ranking: candidates
//! the item listing names as active and the request filters admit, the
//! merchandising rules in force (hide, boost, bury before the cut; pins
//! after it), an optional re-ranking for diversity, and the cut to `k`.
//! Candidates are asked of the engine in growing numbers until enough pass.

use std::collections::HashMap;
use std::sync::Arc;

use rapport_core::diversity::mmr;
use rapport_core::{EngineError, Reason, Recommendation};
use uuid::Uuid;

use super::item_filter::ItemFilter;
use super::listing::{ListedItem, ListingView};
use crate::domain::RuleAction;
use crate::domain::recommendation_rule::RuleRecord;

/// Candidates first asked of the engine: those wanted and some spare to make
/// up for items left out. The engine explains every candidate it returns, so
/// asking for many more than the list shows costs each request most of its
/// time at catalogue scale: a half again as many (at least 2) when the
/// engine's order stands, and at least 20 more when boosts or buries may lift
/// an item from further down.
fn first_ask(wanted: usize, reorders: bool) -> usize {
    let spare = if reorders {
        wanted.max(20)
    } else {
        (wanted / 2).max(2)
    };
    wanted + spare
}

/// Candidates re-ranked for diversity, per item of the list.
const DIVERSITY_POOL_PER_ITEM: usize = 3;

/// A rule that moved an item, as its reason entry says.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedRule {
    pub rule_id: Uuid,
    pub name: String,
    pub action: RuleAction,
}

/// One item of the list.
#[derive(Debug, Clone)]
pub struct Placed {
    pub id: Uuid,
    pub listed: Arc<ListedItem>,
    /// The engine's score times the factors of the boosts and buries
    /// applied (0 for a pinned item the engine did not rank).
    pub score: f64,
    pub reasons: Vec<Reason>,
    /// The rules that moved it, in the order applied.
    pub rules: Vec<AppliedRule>,
}

/// What the list is asked to be.
pub struct ListSpec<'a> {
    /// List length.
    pub k: usize,
    pub filter: &'a ItemFilter,
    /// The rules in force.
    pub rules: &'a [RuleRecord],
    /// Weight of diversity in `0..=1` (0: none).
    pub diversity: f64,
    /// The model's item ids, by index.
    pub items: &'a [Uuid],
    /// The model's item indices, by id.
    pub item_index: &'a HashMap<Uuid, u32>,
    /// Item indices never to list (the customer's seen and dismissed items).
    pub excluded: &'a [u32],
}

fn applied(rule: &RuleRecord) -> AppliedRule {
    AppliedRule {
        rule_id: rule.id,
        name: rule.name.clone(),
        action: rule.action,
    }
}

impl ListSpec<'_> {
    fn targeting<'r>(
        &'r self,
        id: &'r Uuid,
        item: &'r ListedItem,
    ) -> impl Iterator<Item = &'r RuleRecord> {
        self.rules
            .iter()
            .filter(move |r| r.targets(id, item.category.as_deref(), &item.tags))
    }

    /// Whether `item` may be listed at all: active, admitted by the
    /// filters and hidden by no rule.
    fn admits(&self, id: &Uuid, item: &ListedItem) -> bool {
        item.active
            && self.filter.admits(id, item)
            && !self
                .targeting(id, item)
                .any(|r| r.action == RuleAction::Hide)
    }

    /// Whether a rule in force may change the engine's order (a boost or a bury).
    fn reorders(&self) -> bool {
        self.rules
            .iter()
            .any(|r| matches!(r.action, RuleAction::Boost | RuleAction::Bury))
    }

    /// A ranked candidate with the boosts and buries targeting it applied,
    /// when it may be listed.
    fn candidate(&self, listing: &ListingView<'_>, rec: Recommendation) -> Option<(u32, Placed)> {
        let id = *self.items.get(rec.item as usize)?;
        let listed = listing.get(&id)?;
        if rec.score <= 0.0 || !self.admits(&id, &listed) {
            return None;
        }
        let mut score = rec.score;
        let mut rules = Vec::new();
        for rule in self.targeting(&id, &listed) {
            if matches!(rule.action, RuleAction::Boost | RuleAction::Bury) {
                score *= rule.score_factor();
                rules.push(applied(rule));
            }
        }
        Some((
            rec.item,
            Placed {
                id,
                listed,
                score,
                reasons: rec.reasons,
                rules,
            },
        ))
    }
}

/// The list: `rank(n)` gives the engine's best `n` candidates, and
/// `similar(index)` an item's nearest items (for diversity; `None` when the
/// engine knows no similarity, and categories serve instead).
pub fn build(
    listing: &ListingView<'_>,
    spec: &ListSpec<'_>,
    rank: impl Fn(usize) -> Result<Vec<Recommendation>, EngineError>,
    similar: Option<impl Fn(u32) -> Result<Vec<Recommendation>, EngineError>>,
) -> Result<Vec<Placed>, EngineError> {
    let pool = if spec.diversity > 0.0 {
        spec.k * DIVERSITY_POOL_PER_ITEM
    } else {
        spec.k
    };
    let mut ranked = candidates(listing, spec, pool, &rank)?;
    // Boosts and buries reorder; the sort is stable, so ties keep the engine's order.
    ranked.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
    ranked.truncate(pool);
    if spec.diversity > 0.0 {
        ranked = diversify(ranked, spec, similar.as_ref())?;
    }
    let mut list: Vec<Placed> = ranked.into_iter().map(|(_, p)| p).take(spec.k).collect();
    pin(listing, spec, &mut list);
    Ok(list)
}

/// At least `wanted` admitted candidates (fewer when the engine runs out),
/// asking for four times as many each time too few pass: per-request work
/// stays small when most items pass, and a customer with little history
/// does not make the engine rank the whole catalogue.
fn candidates(
    listing: &ListingView<'_>,
    spec: &ListSpec<'_>,
    wanted: usize,
    rank: &impl Fn(usize) -> Result<Vec<Recommendation>, EngineError>,
) -> Result<Vec<(u32, Placed)>, EngineError> {
    let reorders = spec.reorders();
    let mut asked = first_ask(wanted, reorders);
    // Without boosts or buries the engine's order is the list's: the first
    // `wanted` admitted are the list, and the rest need no listing lookups.
    let keep = if reorders { usize::MAX } else { wanted };
    loop {
        let list = rank(asked)?;
        // Lists are best first: once a candidate has no evidence behind it
        // (score 0), asking for more cannot help.
        let out_of_evidence = list.last().is_none_or(|r| r.score <= 0.0);
        let exhausted = out_of_evidence || list.len() < asked || asked > spec.items.len();
        let admitted: Vec<(u32, Placed)> = list
            .into_iter()
            .filter_map(|rec| spec.candidate(listing, rec))
            .take(keep)
            .collect();
        if admitted.len() >= wanted || exhausted {
            return Ok(admitted);
        }
        asked *= 4;
    }
}

/// Re-ranks `ranked` by maximal marginal relevance over the engine's item
/// similarity, or over "same category" when the engine knows none.
fn diversify(
    ranked: Vec<(u32, Placed)>,
    spec: &ListSpec<'_>,
    similar: Option<&impl Fn(u32) -> Result<Vec<Recommendation>, EngineError>>,
) -> Result<Vec<(u32, Placed)>, EngineError> {
    let position: HashMap<u32, usize> = ranked
        .iter()
        .enumerate()
        .map(|(at, (i, _))| (*i, at))
        .collect();
    let mut pairs: HashMap<(usize, usize), f64> = HashMap::new();
    for (at, (index, _)) in ranked.iter().enumerate() {
        let Some(similar) = similar else { break };
        let neighbours = similar(*index)?;
        let top = neighbours.first().map_or(0.0, |n| n.score);
        for n in &neighbours {
            if let Some(&other) = position.get(&n.item)
                && top > 0.0
            {
                let s = (n.score / top).clamp(0.0, 1.0);
                let slot = pairs.entry((at.min(other), at.max(other))).or_default();
                *slot = slot.max(s);
            }
        }
    }
    let by_category = pairs.is_empty();
    let scores: Vec<f64> = ranked.iter().map(|(_, p)| p.score).collect();
    let order = mmr(&scores, spec.k, spec.diversity, |a, b| {
        if by_category {
            let (x, y) = (&ranked[a].1.listed.category, &ranked[b].1.listed.category);
            f64::from(u8::from(x.is_some() && x == y))
        } else {
            pairs.get(&(a.min(b), a.max(b))).copied().unwrap_or(0.0)
        }
    });
    let mut slots: Vec<Option<(u32, Placed)>> = ranked.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|at| slots[at].take())
        .collect())
}

/// Places each pinned item at its position (in the order of the
/// positions), when it may be listed here; the list stays `k` long.
fn pin(listing: &ListingView<'_>, spec: &ListSpec<'_>, list: &mut Vec<Placed>) {
    let mut pins: Vec<&RuleRecord> = spec
        .rules
        .iter()
        .filter(|r| r.action == RuleAction::Pin)
        .collect();
    pins.sort_by_key(|r| r.position);
    for rule in pins {
        let (Some(id), Some(position)) = (rule.item_id, rule.position) else {
            continue;
        };
        let Some(listed) = listing.get(&id) else {
            continue;
        };
        let excluded = spec
            .item_index
            .get(&id)
            .is_some_and(|i| spec.excluded.contains(i));
        if excluded || !spec.admits(&id, &listed) {
            continue;
        }
        let mut placed = match list.iter().position(|p| p.id == id) {
            Some(at) => list.remove(at),
            None => Placed {
                id,
                listed,
                score: 0.0,
                reasons: Vec::new(),
                rules: Vec::new(),
            },
        };
        placed.rules.push(applied(rule));
        let at = usize::try_from(position - 1).unwrap_or(0).min(list.len());
        list.insert(at, placed);
    }
    list.truncate(spec.k);
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use chrono::Utc;

    use super::*;
    use crate::ml::listing::ItemListing;

    const CATALOGUE: usize = 100;

    type Ranked = Result<Vec<Recommendation>, EngineError>;

    fn catalogue() -> (Vec<Uuid>, ItemListing) {
        let items: Vec<Uuid> = (0..CATALOGUE).map(|_| Uuid::now_v7()).collect();
        let listing = ItemListing::of(items.iter().enumerate().map(|(i, id)| {
            let listed = ListedItem {
                sku: format!("sku-{i}"),
                name: format!("item {i}"),
                active: true,
                category: Some(if i == 25 { "sale" } else { "rest" }.to_owned()),
                tags: Vec::new(),
                price: 1.0,
                version: 1,
            };
            (*id, listed)
        }));
        (items, listing)
    }

    fn on_category(action: RuleAction, category: &str) -> RuleRecord {
        let now = Utc::now();
        RuleRecord {
            id: Uuid::nil(),
            name: format!("{action:?} {category}"),
            action,
            item_id: None,
            category: Some(category.to_owned()),
            tag: None,
            position: None,
            factor: (action == RuleAction::Boost).then_some(10.0),
            starts_at: None,
            ends_at: None,
            active: true,
            version: 1,
            created_by: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Lists item `i` at rank `i` with a falling score, recording each ask.
    fn ranking(asks: &RefCell<Vec<usize>>) -> impl Fn(usize) -> Ranked {
        move |n| {
            asks.borrow_mut().push(n);
            Ok((0..n.min(CATALOGUE))
                .map(|i| Recommendation {
                    item: i as u32,
                    score: 1.0 - i as f64 / CATALOGUE as f64,
                    reasons: Vec::new(),
                })
                .collect())
        }
    }

    fn list(rules: &[RuleRecord], asks: &RefCell<Vec<usize>>) -> Vec<usize> {
        let (items, listing) = catalogue();
        let item_index = items
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u32))
            .collect();
        let filter = ItemFilter::default();
        let spec = ListSpec {
            k: 10,
            filter: &filter,
            rules,
            diversity: 0.0,
            items: &items,
            item_index: &item_index,
            excluded: &[],
        };
        let view = listing.view().unwrap();
        let none: Option<fn(u32) -> Ranked> = None;
        build(&view, &spec, ranking(asks), none)
            .unwrap()
            .iter()
            .map(|p| items.iter().position(|id| *id == p.id).unwrap())
            .collect()
    }

    #[test]
    fn the_engine_order_asks_for_a_half_again_as_many_candidates() {
        let asks = RefCell::new(Vec::new());
        assert_eq!(list(&[], &asks), (0..10).collect::<Vec<_>>());
        assert_eq!(*asks.borrow(), [15]);
    }

    #[test]
    fn a_boost_reaches_candidates_past_the_first_few() {
        let asks = RefCell::new(Vec::new());
        let listed = list(&[on_category(RuleAction::Boost, "sale")], &asks);
        assert_eq!(listed[0], 25, "the boosted item leads: {listed:?}");
        assert_eq!(listed[1..], (0..9).collect::<Vec<_>>());
        assert_eq!(*asks.borrow(), [30]);
    }

    #[test]
    fn too_few_passing_asks_four_times_as_many_until_the_engine_runs_out() {
        let asks = RefCell::new(Vec::new());
        let listed = list(&[on_category(RuleAction::Hide, "rest")], &asks);
        assert_eq!(listed, [25]);
        assert_eq!(*asks.borrow(), [15, 60, 240]);
    }
}
