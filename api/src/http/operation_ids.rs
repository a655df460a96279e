//! The `operationId` of every operation, named `resource_action` so that
//! generated clients read naturally (`customers_list`,
//! `recommendations_for_customer`). Kept in one table so that they stay
//! stable when handlers are renamed; a new route without an entry fails
//! the document's generation (and its test).

/// (method, path, operation id) for every operation of the API.
const OPERATIONS: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/segments", "segments_list"),
    ("PATCH", "/api/v1/segments/{id}", "segments_rename"),
    (
        "GET",
        "/api/v1/segments/{id}/customers",
        "segments_customers",
    ),
    ("POST", "/api/v1/segments/assign", "segments_assign"),
    (
        "GET",
        "/api/v1/customers/{id}/segment-history",
        "segments_history_of_customer",
    ),
    (
        "GET",
        "/api/v1/items/{id}/bought-together",
        "baskets_bought_together",
    ),
    ("POST", "/api/v1/baskets/complete", "baskets_complete"),
    (
        "GET",
        "/api/v1/customers/{id}/satisfaction",
        "satisfaction_of_customer",
    ),
    ("GET", "/api/v1/satisfaction", "satisfaction_grouped"),
    ("POST", "/api/v1/auth/login", "auth_login"),
    ("POST", "/api/v1/auth/refresh", "auth_refresh"),
    ("POST", "/api/v1/auth/logout", "auth_logout"),
    ("GET", "/api/v1/me", "auth_me"),
    ("POST", "/api/v1/me/password", "auth_change_password"),
    ("GET", "/api/v1/users", "users_list"),
    ("POST", "/api/v1/users", "users_create"),
    ("GET", "/api/v1/users/{id}", "users_get"),
    ("PATCH", "/api/v1/users/{id}", "users_update"),
    ("DELETE", "/api/v1/users/{id}", "users_deactivate"),
    ("GET", "/api/v1/api-keys", "api_keys_list"),
    ("POST", "/api/v1/api-keys", "api_keys_create"),
    ("DELETE", "/api/v1/api-keys/{id}", "api_keys_revoke"),
    ("GET", "/api/v1/audit-log", "audit_log_list"),
    ("GET", "/api/v1/customers", "customers_list"),
    ("POST", "/api/v1/customers", "customers_create"),
    (
        "PUT",
        "/api/v1/customers/by-external-id/{external_id}",
        "customers_upsert_by_external_id",
    ),
    ("GET", "/api/v1/customers/{id}", "customers_get"),
    ("PATCH", "/api/v1/customers/{id}", "customers_update"),
    ("DELETE", "/api/v1/customers/{id}", "customers_delete"),
    (
        "POST",
        "/api/v1/customers/{id}/restore",
        "customers_restore",
    ),
    ("GET", "/api/v1/customers/{id}/export", "customers_export"),
    (
        "GET",
        "/api/v1/customers/{id}/interactions",
        "customers_timeline",
    ),
    (
        "GET",
        "/api/v1/customers/{id}/timeline",
        "customers_full_timeline",
    ),
    (
        "GET",
        "/api/v1/customers/{id}/recommendations",
        "recommendations_for_customer",
    ),
    (
        "GET",
        "/api/v1/customers/{id}/scores",
        "scores_for_customer",
    ),
    ("POST", "/api/v1/scores/batch", "scores_batch"),
    ("GET", "/api/v1/items", "items_list"),
    ("POST", "/api/v1/items", "items_create"),
    ("PUT", "/api/v1/items/by-sku/{sku}", "items_upsert_by_sku"),
    ("GET", "/api/v1/items/{id}", "items_get"),
    ("PATCH", "/api/v1/items/{id}", "items_update"),
    ("DELETE", "/api/v1/items/{id}", "items_delete"),
    ("GET", "/api/v1/items/{id}/similar", "items_similar"),
    ("GET", "/api/v1/interactions", "interactions_list"),
    ("POST", "/api/v1/interactions", "interactions_create"),
    (
        "POST",
        "/api/v1/interactions/batch",
        "interactions_create_batch",
    ),
    ("GET", "/api/v1/interactions/{id}", "interactions_get"),
    (
        "GET",
        "/api/v1/interaction-weights",
        "interaction_weights_get",
    ),
    ("GET", "/api/v1/engines", "engines_list"),
    ("POST", "/api/v1/engines/{name}/train", "engines_train"),
    ("POST", "/api/v1/engines/{name}/tune", "engines_tune"),
    ("GET", "/api/v1/experiments", "experiments_list"),
    ("POST", "/api/v1/experiments", "experiments_create"),
    ("GET", "/api/v1/experiments/{key}", "experiments_get"),
    ("POST", "/api/v1/experiments/{key}/stop", "experiments_stop"),
    (
        "GET",
        "/api/v1/experiments/{key}/results",
        "experiments_results",
    ),
    ("GET", "/api/v1/exposures/{id}", "exposures_get"),
    (
        "POST",
        "/api/v1/exposures/{id}/impressions",
        "exposures_impressions",
    ),
    (
        "GET",
        "/api/v1/models/{id}/online-metrics",
        "models_online_metrics",
    ),
    ("GET", "/api/v1/jobs", "jobs_list"),
    ("GET", "/api/v1/jobs/{id}", "jobs_get"),
    ("GET", "/api/v1/models", "models_list"),
    ("GET", "/api/v1/models/{id}", "models_get"),
    ("POST", "/api/v1/models/{id}/activate", "models_activate"),
    ("GET", "/api/v1/models/{id}/report", "models_report"),
    ("GET", "/api/v1/models/{id}/rules", "models_rules"),
    (
        "GET",
        "/api/v1/models/{id}/report.json",
        "models_report_figures",
    ),
    ("GET", "/api/v1/workflows", "workflows_list"),
    ("POST", "/api/v1/workflows", "workflows_create"),
    ("GET", "/api/v1/workflows/{key}", "workflows_get"),
    ("PUT", "/api/v1/workflows/{key}", "workflows_new_version"),
    (
        "GET",
        "/api/v1/workflows/{key}/versions/{version}",
        "workflows_get_version",
    ),
    (
        "GET",
        "/api/v1/workflow-instances",
        "workflow_instances_list",
    ),
    (
        "POST",
        "/api/v1/workflow-instances",
        "workflow_instances_start",
    ),
    (
        "GET",
        "/api/v1/workflow-instances/{id}",
        "workflow_instances_get",
    ),
    (
        "POST",
        "/api/v1/workflow-instances/{id}/transitions",
        "workflow_instances_transition",
    ),
    (
        "POST",
        "/api/v1/workflow-instances/{id}/assignment",
        "workflow_instances_assign",
    ),
    (
        "POST",
        "/api/v1/workflow-instances/{id}/cancel",
        "workflow_instances_cancel",
    ),
    (
        "POST",
        "/api/v1/workflow-instances/{id}/comments",
        "workflow_instances_comment",
    ),
    (
        "GET",
        "/api/v1/workflow-instances/{id}/events",
        "workflow_instances_events",
    ),
    (
        "GET",
        "/api/v1/recommendation-rules",
        "recommendation_rules_list",
    ),
    (
        "POST",
        "/api/v1/recommendation-rules",
        "recommendation_rules_create",
    ),
    (
        "GET",
        "/api/v1/recommendation-rules/{id}",
        "recommendation_rules_get",
    ),
    (
        "PATCH",
        "/api/v1/recommendation-rules/{id}",
        "recommendation_rules_update",
    ),
    (
        "DELETE",
        "/api/v1/recommendation-rules/{id}",
        "recommendation_rules_delete",
    ),
    ("GET", "/api/v1/automations", "automations_list"),
    ("POST", "/api/v1/automations", "automations_create"),
    ("GET", "/api/v1/automations/{id}", "automations_get"),
    ("PATCH", "/api/v1/automations/{id}", "automations_update"),
    ("DELETE", "/api/v1/automations/{id}", "automations_delete"),
    ("GET", "/api/v1/automations/{id}/runs", "automations_runs"),
    ("GET", "/api/v1/webhooks", "webhooks_list"),
    ("POST", "/api/v1/webhooks", "webhooks_create"),
    ("GET", "/api/v1/webhooks/{id}", "webhooks_get"),
    ("PATCH", "/api/v1/webhooks/{id}", "webhooks_update"),
    ("DELETE", "/api/v1/webhooks/{id}", "webhooks_delete"),
    (
        "POST",
        "/api/v1/webhooks/{id}/rotate-secret",
        "webhooks_rotate_secret",
    ),
    (
        "GET",
        "/api/v1/webhooks/{id}/deliveries",
        "webhooks_deliveries",
    ),
    (
        "POST",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
        "webhooks_redeliver",
    ),
    ("GET", "/healthz", "operations_health"),
    ("GET", "/readyz", "operations_ready"),
    ("GET", "/metrics", "operations_metrics"),
];

/// The operation id of `method` on `path` (as the document spells it).
pub fn operation_id(method: &str, path: &str) -> Option<&'static str> {
    OPERATIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, id)| *id)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_and_named_resource_action() {
        let mut seen = HashSet::new();
        for (method, path, id) in OPERATIONS {
            assert!(seen.insert(*id), "{id} is used twice");
            assert!(
                id.contains('_') && id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{method} {path}: {id}"
            );
        }
    }

    #[test]
    fn every_operation_of_the_document_has_an_id_and_every_id_an_operation() {
        let doc = crate::http::startup::openapi_document().unwrap();
        let mut listed = 0;
        for (path, item) in &doc.paths.paths {
            for (method, operation) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ] {
                if let Some(operation) = operation {
                    listed += 1;
                    assert_eq!(
                        operation.operation_id.as_deref(),
                        operation_id(method, path),
                        "{method} {path}"
                    );
                }
            }
        }
        assert_eq!(
            listed,
            OPERATIONS.len(),
            "the table names operations that do not exist"
        );
    }
}
