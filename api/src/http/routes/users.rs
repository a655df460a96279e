//! `/users` (admin): accounts, their roles, departments and activity.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::BASE;
use super::auth::UserOut;
use crate::auth::Caller;
use crate::auth::accounts;
use crate::domain::user::{NewUser, UserChanges};
use crate::domain::validation::nullable;
use crate::entities::user::{self, Column};
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action, Role};
use crate::services::{Context, users};
use crate::state::AppState;

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    /// Unique, case-insensitive; stored lower-case.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
    /// 12 to 128 characters.
    pub password: String,
    /// Make it a one-time password: the user must change it (`POST
    /// /me/password`) at first sign-in before using anything else.
    #[serde(default)]
    pub must_change_password: bool,
}

/// Fields to change; absent fields are left alone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub department: Option<Option<String>>,
    /// Deactivating revokes every token of the user at once.
    pub active: Option<bool>,
    /// A new password (12 to 128 characters); revokes the user's tokens.
    pub password: Option<String>,
}

/// Filters of `GET /users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilters {
    pub role: Option<Role>,
    pub department: Option<String>,
    pub active: Option<bool>,
}

const SORTABLE: &[(&str, Column)] = &[("created_at", Column::CreatedAt), ("email", Column::Email)];

fn ok_with_etag(row: user::Model) -> HttpResponse {
    let version = row.version;
    with_etag(HttpResponse::Ok(), version).json(UserOut::from(row))
}

/// List users (admin).
#[utoipa::path(tag = "users", params(UserFilters, PageParams),
    responses((status = 200, body = Page<UserOut>, description = "One page; sort by created_at or email")))]
#[get("/users")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<UserFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ManageAccess)?;
    let sort = Sort::parse(page.sort.as_deref(), SORTABLE, "created_at")?;
    let mut select = user::Entity::find();
    if let Some(role) = filters.role {
        select = select.filter(Column::Role.eq(role.as_str()));
    }
    if let Some(department) = &filters.department {
        select = select.filter(Column::Department.eq(department.as_str()));
    }
    if let Some(active) = filters.active {
        select = select.filter(Column::Active.eq(active));
    }
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    Ok(HttpResponse::Ok().json(rows.map(UserOut::from)))
}

/// Create a user (admin) with the password the admin chose; with
/// `must_change_password: true` it is a one-time password the user must
/// change at first sign-in. Honours `Idempotency-Key`.
#[utoipa::path(tag = "users", request_body = UserInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = UserOut, headers(("Location" = String))),
        (status = 409, body = crate::http::error::Problem, description = "e-mail already used"),
        (status = 422, body = crate::http::error::Problem)))]
#[post("/users")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<UserInput>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let input = body.into_inner();
    let email = accounts::normalise_email(&input.email);
    accounts::check_fields(
        &email,
        &input.name,
        input.department.as_deref(),
        Some(&input.password),
    )?;
    // The password is left out of the idempotency fingerprint on purpose.
    let fingerprint = json!({"email": email, "name": input.name, "role": input.role,
        "department": input.department, "must_change_password": input.must_change_password});
    let creation =
        match idempotency::begin(&state, &key, &caller, "POST /users", &fingerprint).await? {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let new = NewUser {
        email,
        name: input.name,
        role: input.role,
        department: input.department,
        password: input.password,
        must_change_password: input.must_change_password,
    };
    let row = users::create(&ctx, &creation.txn, new).await?;
    let location = format!("{BASE}/users/{}", row.id);
    creation
        .finish(StatusCode::CREATED, Some(location), &UserOut::from(row))
        .await
}

/// Get one user (admin); the `ETag` is its version.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserOut, headers(("ETag" = String))), (status = 404, body = crate::http::error::Problem)))]
#[get("/users/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ManageAccess)?;
    Ok(ok_with_etag(users::find(&state.db, *id).await?))
}

fn context<'a>(state: &'a AppState, caller: &'a Caller) -> Result<Context<'a>, ApiError> {
    let grant = policy::require(caller, Action::ManageAccess)?;
    Ok(Context::for_caller(&state.db, caller, grant, &state.models))
}

impl From<UserPatch> for UserChanges {
    fn from(patch: UserPatch) -> Self {
        Self {
            email: patch.email,
            name: patch.name,
            role: patch.role,
            department: patch.department,
            active: patch.active,
            password: patch.password,
        }
    }
}

/// Change a user (admin): e-mail, name, role, department, active, password.
/// The last active admin cannot be demoted or deactivated (409).
#[utoipa::path(tag = "users", request_body = UserPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = UserOut), (status = 409, body = crate::http::error::Problem),
        (status = 412, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem)))]
#[patch("/users/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let changes = UserChanges::from(body.into_inner());
    let updated = users::update(&ctx, &state.user_states, *id, &if_match, changes).await?;
    Ok(ok_with_etag(updated))
}

/// Deactivate a user (admin): the account is kept for history, its tokens stop
/// working at once. The last active admin cannot be deactivated (409).
#[utoipa::path(tag = "users", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = crate::http::error::Problem), (status = 409, body = crate::http::error::Problem)))]
#[delete("/users/{id}")]
async fn deactivate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let changes = UserChanges {
        active: Some(false),
        ..Default::default()
    };
    users::update(&ctx, &state.user_states, *id, &if_match, changes).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounts the user routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(update)
        .service(deactivate);
}
