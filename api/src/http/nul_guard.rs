//! Text with a NUL character (`\u0000`) is refused before it reaches a
//! handler: PostgreSQL cannot store it in text or JSON, and no field of
//! this API has a use for it. One middleware checks the path, the query
//! string and JSON bodies (headers cannot carry it: the HTTP parser
//! refuses them).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::BytesMut;
use actix_web::{Error, HttpMessage, ResponseError};
use futures_util::StreamExt;

use crate::http::error::ApiError;

/// Whether percent-encoded `text` (a path or a query string) encodes a NUL.
fn encodes_nul(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// Whether JSON `body` has a string with the escape `\u0000` (a raw NUL
/// byte is not valid JSON, and the JSON parser refuses it).
fn escapes_nul(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'\\' {
            if body[i + 1..].starts_with(b"u0000") {
                return true;
            }
            i += 2; // the escaped character is never the start of an escape
        } else {
            i += 1;
        }
    }
    false
}

fn refuse(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    let response = error.error_response();
    req.into_response(response)
}

/// Middleware: refuses a NUL in the path or query string (422, field `path`
/// or `query`) or in a JSON body (422, field `body`), reading at most
/// `limit` bytes of a body (413 beyond) and handing it on unchanged.
pub async fn refuse_nul(
    limit: usize,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let message = "must not contain a NUL character (\\u0000)";
    if encodes_nul(req.path()) {
        return Ok(refuse(req, ApiError::invalid("path", message)));
    }
    if encodes_nul(req.query_string()) {
        return Ok(refuse(req, ApiError::invalid("query", message)));
    }
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if json {
        let mut payload = req.take_payload();
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > limit {
                let error = ApiError::PayloadTooLarge(
                    "the request body is larger than the limit".to_owned(),
                );
                return Ok(refuse(req, error));
            }
            body.extend_from_slice(&chunk);
        }
        if escapes_nul(&body) {
            return Ok(refuse(req, ApiError::invalid("body", message)));
        }
        req.set_payload(Payload::from(body.freeze()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nul_escapes_and_encodings_only() {
        assert!(escapes_nul(br#"{"name": "a\u0000b"}"#));
        assert!(
            !escapes_nul(br#"{"name": "a\\u0000b"}"#),
            "an escaped backslash"
        );
        assert!(escapes_nul(br#"{"name": "a\\\u0000b"}"#));
        assert!(!escapes_nul(br#"{"name": "a\u0001", "x": "\\"}"#));
        assert!(!escapes_nul(b"\\"), "a trailing backslash");
        assert!(encodes_nul("engine=%00"));
        assert!(!encodes_nul("engine=%2000"));
        assert!(!encodes_nul("/api/v1/items/100"));
    }
}
