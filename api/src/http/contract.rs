//! What the document promises integrators beyond the handlers' own
//! annotations, applied to every operation in one pass: stable
//! `resource_action` operation ids, a description on every response, every
//! error a handler can produce as `application/problem+json`, the headers
//! the service sends, and links from each creation to what takes its id.

use std::collections::BTreeMap;

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{
    Content, Object, OpenApi, RefOr, Response, ResponseBuilder, Type, content::ContentBuilder,
};

use super::operation_ids::operation_id;

/// The media type of every error.
pub const PROBLEM: &str = "application/problem+json";

/// Applies the pass to `doc`; `Err` names an operation with no id in
/// [`super::operation_ids`].
pub fn complete(doc: &mut OpenApi) -> Result<(), String> {
    let mut ids = Vec::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation) in [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("PATCH", &mut item.patch),
            ("DELETE", &mut item.delete),
        ] {
            let Some(operation) = operation else { continue };
            let id = operation_id(method, path)
                .ok_or_else(|| format!("{method} {path} has no operation id"))?;
            operation.operation_id = Some(id.to_owned());
            let (idempotency_key, if_match) = header_params(operation);
            declare_errors(method, operation, if_match);
            let takes = Takes {
                idempotency_key,
                etag: if_match || method == "GET",
            };
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response {
                    describe(status, response);
                    problems_as_problem_json(response);
                    declare_headers(status, response, takes);
                }
            }
            ids.push((method, path.clone(), id));
        }
    }
    link_creations(doc, &ids);
    Ok(())
}

/// Which of the optional request headers an operation takes, and so which
/// response headers it may send.
#[derive(Clone, Copy)]
struct Takes {
    idempotency_key: bool,
    etag: bool,
}

/// Whether the operation takes `Idempotency-Key` and `If-Match`.
fn header_params(operation: &Operation) -> (bool, bool) {
    let named = |name: &str| {
        operation.parameters.iter().flatten().any(
            |p| matches!(p, RefOr::T(p) if p.name == name && p.parameter_in == ParameterIn::Header),
        )
    };
    (named("Idempotency-Key"), named("If-Match"))
}

fn path_params(operation: &Operation) -> bool {
    operation
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path))
}

/// Every error status the handler can produce, with its reason.
/// (401 and 403 come with the security requirement, from [`super::openapi::secure`].)
fn declare_errors(method: &str, operation: &mut Operation, if_match: bool) {
    let body = operation.request_body.is_some();
    let with_path = path_params(operation);
    let mut add = |status: &str, when: bool, description: &str| {
        if when {
            operation
                .responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| problem(description));
        }
    };
    add(
        "400",
        true,
        "Malformed request: unreadable JSON, header, cursor, query or path",
    );
    add("404", with_path, "No such resource");
    add(
        "409",
        method != "GET",
        "Conflicts with the current state (a duplicate key, a stale version, an idempotency key in use)",
    );
    add("412", if_match, "`If-Match` names another version");
    add("413", body, "The body is larger than the limit");
    add("415", body, "The body is not `application/json`");
    add(
        "422",
        true,
        "Validation failed: see `errors` for each field",
    );
    add(
        "503",
        true,
        "The database is unavailable or busy; retry after `Retry-After` seconds",
    );
}

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM,
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "Problem",
                    ))))
                    .build(),
            )
            .build(),
    )
}

/// A description for a response the annotation left without one.
fn describe(status: &str, response: &mut Response) {
    if !response.description.is_empty() {
        return;
    }
    response.description = match status {
        "200" => "OK",
        "201" => "Created; `Location` names the new resource",
        "202" => "Accepted; the work goes on in the background",
        "204" => "Done; no body",
        "400" => "Malformed request",
        "401" => "Missing, invalid or revoked credentials",
        "403" => "The caller's role may not do this",
        "404" => "No such resource",
        "409" => "Conflicts with the current state",
        "412" => "`If-Match` names another version",
        "422" => "Validation failed",
        "429" => "Too many attempts; retry after `Retry-After` seconds",
        "503" => "Unavailable; retry after `Retry-After` seconds",
        _ => "Response",
    }
    .to_owned();
}

fn is_problem(content: &RefOr<Content>) -> bool {
    matches!(content, RefOr::T(Content { schema: Some(RefOr::Ref(r)), .. })
        if r.ref_location.ends_with("/Problem"))
}

/// Errors are sent as `application/problem+json`, whatever the annotation said.
fn problems_as_problem_json(response: &mut Response) {
    let moved: Vec<String> = response
        .content
        .iter()
        .filter(|(media, content)| media.as_str() != PROBLEM && is_problem(content))
        .map(|(media, _)| media.clone())
        .collect();
    for media in moved {
        if let Some(content) = response.content.shift_remove(&media) {
            response.content.insert(PROBLEM.to_owned(), content);
        }
    }
}

fn header(description: &str, schema: Object) -> RefOr<Header> {
    RefOr::T(
        HeaderBuilder::new()
            .schema(Some(schema))
            .description(Some(description))
            .build(),
    )
}

fn string() -> Object {
    Object::with_type(Type::String)
}

/// The headers sent with `status`: the request id always, `Location` on a
/// creation, `ETag` with a versioned resource, `Retry-After` when asked to
/// wait, `Idempotent-Replayed` on a replay.
fn declare_headers(status: &str, response: &mut Response, takes: Takes) {
    let headers = &mut response.headers;
    headers
        .entry("X-Request-Id".to_owned())
        .or_insert_with(|| header("The request's id, also in the logs", string()));
    match status {
        "201" => {
            headers
                .entry("Location".to_owned())
                .or_insert_with(|| header("Where the new resource is", string()));
        }
        "429" | "503" => {
            headers.entry("Retry-After".to_owned()).or_insert_with(|| {
                header(
                    "Seconds to wait before retrying",
                    Object::with_type(Type::Integer),
                )
            });
        }
        _ => {}
    }
    if matches!(status, "200" | "201") && takes.etag {
        headers.entry("ETag".to_owned()).or_insert_with(|| {
            header(
                "The resource's version, for `If-Match`, when it has one",
                string(),
            )
        });
    }
    if matches!(status, "200" | "201" | "202") && takes.idempotency_key {
        headers
            .entry("Idempotent-Replayed".to_owned())
            .or_insert_with(|| {
                header(
                    "`true` when this is the stored response to an earlier request with the same `Idempotency-Key`",
                    string(),
                )
            });
    }
}

/// Links each creation (201 on `POST /things`) to the operations on
/// `/things/{param}` and below, with the parameter taken from the new
/// resource's body, so a reader (or a stateful fuzzer) can follow
/// create → get → update → delete.
fn link_creations(doc: &mut OpenApi, ids: &[(&str, String, &str)]) {
    for (_, path, _) in ids.iter().filter(|(m, _, _)| *m == "POST") {
        let prefix = format!("{path}/{{");
        let mut links = BTreeMap::new();
        for (_, target, target_id) in ids.iter().filter(|(_, p, _)| p.starts_with(&prefix)) {
            let rest = &target[prefix.len()..];
            let Some(param) = rest.split('}').next() else {
                continue;
            };
            if rest.contains("/{") {
                continue; // takes a second id the creation does not give
            }
            let field = if param == "id" { "id" } else { param };
            links.insert(
                (*target_id).to_owned(),
                RefOr::T(
                    LinkBuilder::new()
                        .operation_id(*target_id)
                        .parameter(param, format!("$response.body#/{field}"))
                        .description(format!("The new resource, by its `{param}`"))
                        .build(),
                ),
            );
        }
        if links.is_empty() {
            continue;
        }
        let Some(item) = doc.paths.paths.get_mut(path) else {
            continue;
        };
        let Some(operation) = item.post.as_mut() else {
            continue;
        };
        if let Some(RefOr::T(created)) = operation.responses.responses.get_mut("201") {
            created.links.extend(links);
        }
    }
}
