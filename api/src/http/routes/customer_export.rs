//! `GET /customers/{id}/export`: everything held on a person as one JSON
//! document, streamed: the record first, then the interactions and the audit
//! entries read a page at a time, so memory stays bounded however long the
//! customer's history is.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use futures_util::stream;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::audit_log::AuditEntryOut;
use super::customers::CustomerOut;
use super::interactions::InteractionOut;
use crate::auth::Caller;
use crate::domain::DomainError;
use crate::entities::{audit_entry, interaction};
use crate::http::error::ApiError;
use crate::policy::{self, Action, Grant};
use crate::services::{privacy, records};
use crate::state::AppState;

/// Rows read per query while streaming.
const PAGE: u64 = 500;

/// Everything held on one customer (the document `GET
/// /customers/{id}/export` streams, in this order).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerExport {
    pub exported_at: DateTime<Utc>,
    /// Set when the customer was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Set when the customer's personal data was erased.
    pub erased_at: Option<DateTime<Utc>>,
    pub customer: CustomerOut,
    /// Every interaction, oldest first.
    pub interactions: Vec<InteractionOut>,
    /// Audit entries about the customer, oldest first.
    pub audit: Vec<AuditEntryOut>,
}

/// Where the stream is: each list is read after the (time, id) of the last
/// row sent.
enum Part {
    Interactions(Option<(DateTime<Utc>, Uuid)>),
    Audit(Option<(DateTime<Utc>, Uuid)>),
    Done,
}

struct Export {
    db: DatabaseConnection,
    customer: Uuid,
    grant: Grant,
    part: Part,
}

fn after(time: &impl ColumnTrait, id: &impl ColumnTrait, last: (DateTime<Utc>, Uuid)) -> Condition {
    Condition::any()
        .add(time.gt(last.0))
        .add(Condition::all().add(time.eq(last.0)).add(id.gt(last.1)))
}

/// Rows as JSON array elements, each preceded by a comma but the list's first.
fn elements<T: Serialize>(rows: &[T], first: bool) -> Result<String, DomainError> {
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        if !(first && i == 0) {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(row).map_err(anyhow::Error::from)?);
    }
    Ok(out)
}

impl Export {
    /// The next piece of the document, or `None` at its end.
    async fn next_chunk(&mut self) -> Result<Option<String>, DomainError> {
        use audit_entry::Column as A;
        use interaction::Column as I;
        match self.part {
            Part::Interactions(last) => {
                let mut page = interaction::Entity::find()
                    .filter(I::CustomerId.eq(self.customer))
                    .order_by_asc(I::OccurredAt)
                    .order_by_asc(I::Id)
                    .limit(PAGE);
                if let Some(last) = last {
                    page = page.filter(after(&I::OccurredAt, &I::Id, last));
                }
                let rows = page.all(&self.db).await?;
                let Some(end) = rows.last().map(|r| (r.occurred_at, r.id)) else {
                    self.part = Part::Audit(None);
                    return Ok(Some("],\"audit\":[".to_owned()));
                };
                let out: Vec<InteractionOut> = rows
                    .into_iter()
                    .map(|row| InteractionOut::new(row, self.grant))
                    .collect::<Result<_, _>>()?;
                self.part = Part::Interactions(Some(end));
                elements(&out, last.is_none()).map(Some)
            }
            Part::Audit(last) => {
                let mut page = audit_entry::Entity::find()
                    .filter(A::ResourceType.eq("customer"))
                    .filter(A::ResourceId.eq(self.customer.to_string()))
                    .order_by_asc(A::OccurredAt)
                    .order_by_asc(A::Id)
                    .limit(PAGE);
                if let Some(last) = last {
                    page = page.filter(after(&A::OccurredAt, &A::Id, last));
                }
                let rows = page.all(&self.db).await?;
                let Some(end) = rows.last().map(|r| (r.occurred_at, r.id)) else {
                    self.part = Part::Done;
                    return Ok(Some("]}".to_owned()));
                };
                let out: Vec<AuditEntryOut> = rows.into_iter().map(AuditEntryOut::from).collect();
                self.part = Part::Audit(Some(end));
                elements(&out, last.is_none()).map(Some)
            }
            Part::Done => Ok(None),
        }
    }
}

/// The record and its dates: the document up to its first list.
#[derive(Serialize)]
struct Head {
    exported_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    erased_at: Option<DateTime<Utc>>,
    customer: CustomerOut,
}

/// Everything held on a customer as one JSON document: the record, every
/// interaction and the audit entries about them, streamed. Masked for roles
/// that read without personal data; an erased customer's export holds
/// nothing personal. A database failure part-way ends the stream early
/// (the document is then incomplete, never wrong).
#[utoipa::path(tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerExport), (status = 404, body = crate::http::error::Problem)))]
#[get("/customers/{id}/export")]
async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    let row = privacy::find_any(&state.db, *id).await?;
    if row.deleted_at.is_some() && row.erased_at.is_none() {
        // A soft-deleted customer is only visible to whoever may restore it.
        policy::require(&caller, Action::RestoreCustomers)?;
    }
    let head = Head {
        exported_at: Utc::now(),
        deleted_at: row.deleted_at,
        erased_at: row.erased_at,
        customer: CustomerOut::new(records::customer(&row)?, grant),
    };
    let mut head = serde_json::to_string(&head).map_err(anyhow::Error::from)?;
    head.pop(); // the closing brace: the lists follow
    head.push_str(",\"interactions\":[");
    let export = Export {
        db: state.db.clone(),
        customer: row.id,
        grant,
        part: Part::Interactions(None),
    };
    let rest = stream::unfold(export, |mut export| async move {
        match export.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(Bytes::from(chunk)), export)),
            Ok(None) => None,
            Err(err) => {
                tracing::error!(error = %err, "customer export stopped part-way");
                export.part = Part::Done;
                Some((Err(ApiError::Domain(err)), export))
            }
        }
    });
    let body = futures_util::StreamExt::chain(
        stream::once(async move { Ok::<_, ApiError>(Bytes::from(head)) }),
        rest,
    );
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .streaming(body))
}

/// Mounts the export route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export);
}
