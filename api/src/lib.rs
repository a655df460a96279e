//! The Rapport service.
