//! Request filters of a recommendation list, as merchandisers use them: a
//! category, tags (any of), tags and items to leave out, a price range.
//! Applied to the ranked candidates, before the list is cut to its length.

use uuid::Uuid;

use super::listing::ListedItem;

/// What a listed item must satisfy to be recommended; the default admits all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemFilter {
    /// Only items of this category.
    pub category: Option<String>,
    /// Only items with at least one of these tags (none: any item).
    pub tags: Vec<String>,
    /// No item with any of these tags.
    pub exclude_tags: Vec<String>,
    /// None of these items.
    pub exclude_items: Vec<Uuid>,
    /// Only items priced at least this.
    pub min_price: Option<f64>,
    /// Only items priced at most this.
    pub max_price: Option<f64>,
}

impl ItemFilter {
    /// True when the filter admits every item.
    pub fn is_empty(&self) -> bool {
        *self == ItemFilter::default()
    }

    /// Whether item `id`, listed as `item`, passes.
    pub fn admits(&self, id: &Uuid, item: &ListedItem) -> bool {
        let tagged = |tags: &[String]| tags.iter().any(|t| item.tags.contains(t));
        self.category
            .as_ref()
            .is_none_or(|c| item.category.as_ref() == Some(c))
            && (self.tags.is_empty() || tagged(&self.tags))
            && !tagged(&self.exclude_tags)
            && !self.exclude_items.contains(id)
            && self.min_price.is_none_or(|min| item.price >= min)
            && self.max_price.is_none_or(|max| item.price <= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(category: &str, tags: &[&str], price: f64) -> ListedItem {
        ListedItem {
            sku: "sku".to_owned(),
            name: "name".to_owned(),
            active: true,
            category: Some(category.to_owned()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            price,
            version: 1,
        }
    }

    #[test]
    fn each_filter_narrows_the_items() {
        let id = Uuid::now_v7();
        let shoe = item("shoes", &["summer", "sale"], 40.0);
        assert!(ItemFilter::default().is_empty());
        assert!(ItemFilter::default().admits(&id, &shoe));
        let only = |f: ItemFilter| f.admits(&id, &shoe);
        assert!(only(ItemFilter {
            category: Some("shoes".into()),
            ..Default::default()
        }));
        assert!(!only(ItemFilter {
            category: Some("hats".into()),
            ..Default::default()
        }));
        assert!(only(ItemFilter {
            tags: vec!["winter".into(), "sale".into()],
            ..Default::default()
        }));
        assert!(!only(ItemFilter {
            tags: vec!["winter".into()],
            ..Default::default()
        }));
        assert!(!only(ItemFilter {
            exclude_tags: vec!["sale".into()],
            ..Default::default()
        }));
        assert!(!only(ItemFilter {
            exclude_items: vec![id],
            ..Default::default()
        }));
        assert!(only(ItemFilter {
            min_price: Some(40.0),
            max_price: Some(40.0),
            ..Default::default()
        }));
        assert!(!only(ItemFilter {
            min_price: Some(40.5),
            ..Default::default()
        }));
        assert!(!only(ItemFilter {
            max_price: Some(39.0),
            ..Default::default()
        }));
    }
}
