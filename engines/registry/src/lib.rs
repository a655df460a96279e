//! Rapport's recommendation engines by name, and the `eval` command that runs
//! the offline protocol of DESIGN.md §5 straight on CSV files.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod cli;
pub mod mapping;
mod report;

use std::sync::OnceLock;

use rapport_core::{DynRecommender, EngineDescription};

pub use cli::{EvalArgs, EvalError, run_eval};

/// The recommendation engines, by name.
pub struct Registry {
    engines: Vec<Box<dyn DynRecommender>>,
}

impl Registry {
    fn new() -> Self {
        Self {
            engines: vec![
                Box::new(rapport_popularity::Popularity),
                Box::new(rapport_item_item::ItemItem),
                Box::new(rapport_user_user::UserUser),
                Box::new(rapport_ease::Ease),
                Box::new(rapport_content::Content),
            ],
        }
    }

    /// The engine registered as `name`.
    pub fn get(&self, name: &str) -> Option<&dyn DynRecommender> {
        self.engines
            .iter()
            .find(|e| e.name() == name)
            .map(|e| e.as_ref())
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> Vec<String> {
        self.engines.iter().map(|e| e.name().to_owned()).collect()
    }

    /// Every engine's description.
    pub fn descriptions(&self) -> Vec<EngineDescription> {
        self.engines.iter().map(|e| e.describe()).collect()
    }
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_is_found_by_its_name() {
        let names = registry().names();
        assert_eq!(
            names,
            ["popularity", "item_item", "user_user", "ease", "content"]
        );
        for name in &names {
            assert_eq!(&registry().get(name).unwrap().describe().name, name);
        }
        assert!(registry().get("logistic").is_none());
        assert!(
            registry()
                .descriptions()
                .iter()
                .all(|d| !d.params.is_empty())
        );
    }

    #[test]
    fn a_model_handed_to_another_engine_is_an_internal_error() {
        let data = rapport_core::Dataset {
            n_customers: 1,
            n_items: 2,
            interactions: vec![rapport_core::Interaction {
                customer: 0,
                item: 1,
                weight: 1.0,
                timestamp: 0,
            }],
            items: vec![],
        };
        let popularity = registry().get("popularity").unwrap();
        let model = popularity.fit(&data, &rapport_core::Params::new()).unwrap();
        let item_item = registry().get("item_item").unwrap();
        let err = item_item.recommend(&model, 0, 1, &[]).unwrap_err();
        assert!(!err.is_caller_error(), "{err}");
        let bytes = popularity.to_bytes(&model).unwrap();
        assert!(item_item.from_bytes(&bytes).is_err());
        let back = popularity.from_bytes(&bytes).unwrap();
        assert_eq!(popularity.recommend(&back, 0, 1, &[]).unwrap()[0].item, 1);
    }
}
