//! The [`Caller`] extractor: the bearer token of the request, decoded once,
//! and the request id for the audit log. A user who must change a one-time
//! password gets 403 `password_change_required` from every route that
//! takes a `Caller`; the self-service routes (`GET /me`, `POST
//! /me/password`) take a [`SelfService`] instead.

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

/// The authenticated caller of `req`, whatever their password state.
fn authenticated(req: &HttpRequest) -> LocalBoxFuture<'static, Result<Caller, ApiError>> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let token = bearer(req);
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    Box::pin(async move {
        let state = state
            .ok_or_else(|| DomainError::Internal(anyhow::anyhow!("application state missing")))?;
        let mut caller = authenticate(&state, &token?).await?;
        caller.request_id = request_id;
        Ok(caller)
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = authenticated(req);
        Box::pin(async move {
            let caller = caller.await?;
            if caller.must_change_password {
                return Err(DomainError::PasswordChangeRequired.into());
            }
            Ok(caller)
        })
    }
}

/// The caller of a self-service route (`GET /me`, `POST /me/password`):
/// authenticated like a [`Caller`], and let through even while a one-time
/// password is still to be changed.
pub struct SelfService(pub Caller);

impl FromRequest for SelfService {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = authenticated(req);
        Box::pin(async move { caller.await.map(SelfService) })
    }
}
