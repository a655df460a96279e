//! The [`Caller`] extractor: the bearer token of the request, decoded once,
//! and the request id for the audit log.

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::caller::{Caller, authenticate};
use crate::domain::DomainError;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::telemetry::RequestId;

fn bearer(req: &HttpRequest) -> Result<String, DomainError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| DomainError::Unauthorized("a bearer token is required".to_owned()))?;
    let value = value
        .to_str()
        .map_err(|_| DomainError::Unauthorized("malformed Authorization header".to_owned()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(DomainError::Unauthorized(
            "the Authorization header must be `Bearer <token>`".to_owned(),
        )),
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                DomainError::Internal(anyhow::anyhow!("application state missing"))
            })?;
            let mut caller = authenticate(&state, &token?).await?;
            caller.request_id = request_id;
            Ok(caller)
        })
    }
}
