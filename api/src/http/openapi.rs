//! The OpenAPI document, generated from the registered handlers.

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, ResponseBuilder, SecurityRequirement, content::ContentBuilder};

use crate::domain::{
    DeliveryStatus, ErrorCode, EventType, InstanceStatus, InteractionKind, JobStatus,
    LifecycleStage, Role, RuleAction,
};
use crate::http::error::Problem;

/// Title, description and tags; paths and schemas come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rapport API",
        description = "Self-hosted intelligent CRM: customers, items, interactions, recommendations, scores and workflows. Errors are RFC 9457 problem+json with a stable `code`. Lists are cursor-paginated (`limit` 1-500, default 50; `cursor`; `sort=field|-field`). Writes honour `If-Match`; creating POSTs honour `Idempotency-Key`. Request bodies are limited to 8 MiB by default (413 beyond).",
        license(name = "Apache-2.0")
    ),
    components(schemas(
        Problem,
        ErrorCode,
        EventType,
        JobStatus,
        InstanceStatus,
        DeliveryStatus,
        LifecycleStage,
        InteractionKind,
        Role,
        RuleAction
    )),
    tags(
        (name = "auth", description = "Sign-in, token refresh, sign-out and the current user"),
        (name = "users", description = "User accounts (admin)"),
        (name = "api-keys", description = "Keys for integrations (admin)"),
        (name = "audit", description = "The audit log (admin)"),
        (name = "customers", description = "Customers and their timelines"),
        (name = "items", description = "The catalogue"),
        (name = "interactions", description = "What customers did"),
        (name = "models", description = "Engines, training jobs and trained models"),
        (name = "predictions", description = "Recommendations, similar items and scores, explained"),
        (name = "analytics", description = "Segments, bought-together rules, basket completion and satisfaction"),
        (name = "workflows", description = "Cross-department workflows: definitions, instances, transitions and timelines"),
        (name = "automations", description = "Rules that start workflows when something happens to a customer"),
        (name = "webhooks", description = "Signed event delivery (Standard Webhooks) with a delivery log"),
        (name = "operations", description = "Health, readiness and metrics")
    )
)]
pub struct ApiDoc;

/// Name of the bearer security scheme.
pub const BEARER: &str = "bearer";

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "Problem",
                    ))))
                    .build(),
            )
            .build(),
    )
}

/// Declares the bearer scheme, and on every operation that does not opt out
/// (with an empty `security(())`), requires it and documents 401 and 403.
pub fn secure(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT or API key (rpk_...)")
                .build(),
        ),
    );
    for item in doc.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            if operation.security.is_some() {
                // Declared public with `security(())`.
                continue;
            }
            operation.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
            let responses = &mut operation.responses.responses;
            responses
                .entry("401".to_owned())
                .or_insert_with(|| problem_response("Missing, invalid or revoked credentials"));
            responses
                .entry("403".to_owned())
                .or_insert_with(|| problem_response("The caller's role may not do this"));
        }
    }
}

/// The complete document as pretty JSON (what `rapport openapi` prints).
pub fn to_json() -> Result<String, anyhow::Error> {
    Ok(crate::http::startup::openapi_document()?.to_pretty_json()? + "\n")
}
