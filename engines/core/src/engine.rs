//! What every engine shares whatever its kind: its self-description, the
//! head it writes before its model bytes (engine name and format version, so
//! that a model is never read by the wrong engine), and the boxed form a
//! fitted model takes behind the object-safe traits.

use std::any::Any;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::params::ParamSpec;

/// What data an engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataNeed {
    /// The interaction log.
    Interactions,
    /// Item metadata (text, category, tags).
    ItemMetadata,
    /// Customer attributes (numeric, categorical, boolean; missing allowed).
    CustomerAttributes,
}

impl DataNeed {
    /// The need's name in `snake_case`, as listed to users.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interactions => "interactions",
            Self::ItemMetadata => "item_metadata",
            Self::CustomerAttributes => "customer_attributes",
        }
    }
}

/// An engine's self-description: name, purpose, parameters and data needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineDescription {
    /// Registry name, e.g. `item_item`.
    pub name: String,
    /// One-line summary.
    pub summary: String,
    /// Accepted parameters with defaults and ranges.
    pub params: Vec<ParamSpec>,
    /// Data the engine reads.
    pub needs: Vec<DataNeed>,
}

/// Version of the envelope and model layout written by [`encode`].
pub const FORMAT: u32 = 1;

/// Encodes `model` (postcard) behind the name of the engine that fitted it
/// and the format version.
pub fn encode<M: Serialize>(engine: &str, model: &M) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(&(engine, FORMAT, model)).map_err(|e| e.to_string())
}

/// Decodes bytes written by [`encode`] for `engine`; refuses another engine's
/// model or another format version before reading the model itself.
pub fn decode<M: DeserializeOwned>(engine: &str, bytes: &[u8]) -> Result<M, String> {
    let ((written_by, format), rest) =
        postcard::take_from_bytes::<(String, u32)>(bytes).map_err(|e| e.to_string())?;
    if written_by != engine || format != FORMAT {
        return Err(format!(
            "bytes hold a `{written_by}` model (format {format}), not a `{engine}` model (format {FORMAT})"
        ));
    }
    postcard::from_bytes(rest).map_err(|e| e.to_string())
}

/// A fitted model of any engine, as held by registries and services: the
/// engine's own model type, boxed, with the name of the engine that fitted it.
pub struct FittedModel {
    engine: &'static str,
    model: Box<dyn Any + Send + Sync>,
}

impl FittedModel {
    /// Boxes a model fitted by `engine`.
    pub(crate) fn new<M: Any + Send + Sync>(engine: &'static str, model: M) -> Self {
        Self {
            engine,
            model: Box::new(model),
        }
    }

    /// The name of the engine that fitted it.
    pub fn engine(&self) -> &'static str {
        self.engine
    }

    /// The model as type `M`, when it is one (for callers that serve an
    /// engine's own queries beyond the trait's, such as association rules).
    pub fn concrete<M: Any>(&self) -> Option<&M> {
        self.model.downcast_ref::<M>()
    }

    /// The model as `engine`'s model type; the error says which engine's
    /// model it is instead.
    pub(crate) fn downcast<M: Any>(&self, engine: &str) -> Result<&M, String> {
        self.model
            .downcast_ref::<M>()
            .filter(|_| self.engine == engine)
            .ok_or_else(|| format!("a `{}` model was handed to engine `{engine}`", self.engine))
    }
}

impl std::fmt::Debug for FittedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FittedModel")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_another_engine_another_format_and_garbage() {
        let bytes = encode("a", &vec![1u32, 2]).unwrap();
        assert_eq!(decode::<Vec<u32>>("a", &bytes).unwrap(), vec![1, 2]);
        let err = decode::<Vec<u32>>("b", &bytes).unwrap_err();
        assert!(err.contains("`a` model (format 1)"), "{err}");
        let mut other = bytes.clone();
        other[2] = 7; // after the name's length and its one byte
        let err = decode::<Vec<u32>>("a", &other).unwrap_err();
        assert!(err.contains("format 7"), "{err}");
        assert!(decode::<Vec<u32>>("a", &bytes[..3]).is_err());
        assert!(decode::<Vec<u32>>("a", &[]).is_err());
    }

    #[test]
    fn downcast_names_both_engines() {
        let model = FittedModel::new("a", 3usize);
        assert_eq!(model.downcast::<usize>("a"), Ok(&3));
        let err = model.downcast::<String>("b").unwrap_err();
        assert_eq!(err, "a `a` model was handed to engine `b`");
        assert!(model.downcast::<usize>("b").is_err());
        assert!(format!("{model:?}").contains("\"a\""));
    }
}
