//! The implicit-feedback weight of each interaction kind, as configured.

use std::collections::BTreeMap;

use rapport_core::KindWeights;
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::WeightOverrides;
use crate::domain::InteractionKind;

/// Implicit-feedback weight of each kind (defaults overridden by configuration).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InteractionWeights {
    /// Weight per kind name.
    pub weights: BTreeMap<String, f64>,
}

impl InteractionWeights {
    /// The engines' default weights with `overrides` applied; an unknown kind is an error.
    pub fn new(overrides: &WeightOverrides) -> Result<Self, anyhow::Error> {
        let defaults = KindWeights::default();
        let mut weights: BTreeMap<String, f64> = InteractionKind::ALL
            .iter()
            .map(|kind| {
                (
                    kind.as_str().to_owned(),
                    f64::from(defaults.weight(kind.as_str())),
                )
            })
            .collect();
        for (kind, weight) in &overrides.0 {
            let slot = weights
                .get_mut(kind)
                .ok_or_else(|| anyhow::anyhow!("unknown interaction kind `{kind}` in weights"))?;
            *slot = *weight;
        }
        Ok(Self { weights })
    }

    /// The weights in the engines' form.
    pub fn to_kind_weights(&self) -> KindWeights {
        KindWeights::new(
            self.weights.iter().map(|(k, w)| (k.clone(), *w as f32)),
            0.0,
        )
    }
}
