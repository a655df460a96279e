//! Bulk loading of interactions into PostgreSQL with `COPY ... FROM STDIN`
//! (text format), several times faster than multi-row `INSERT`s, which
//! bind and plan every value. The rows go straight into `interactions`
//! while none of them is already there; once one is (a re-import, or a
//! file holding the same row twice), they stream into a temporary table
//! instead, and one `INSERT ... SELECT ... ON CONFLICT (id) DO NOTHING`
//! moves the new ones over, so a re-import still creates no duplicates.

use std::fmt::Write as _;

use sea_orm::sqlx::postgres::PgPool;

use crate::domain::DomainError;
use crate::entities::interaction;

/// The columns copied, in the order each line carries them.
const COLUMNS: &str = "id, customer_id, item_id, kind, value, rating, channel, note, occurred_at, \
                       created_at, basket_id, survey_type, survey_score, survey_question, \
                       survey_comment, exposure_id";

/// Bytes sent to the server at a time.
const SEND_BYTES: usize = 1 << 20;

/// Appends one text-format field (`\N` for NULL, with backslash, tab,
/// newline and carriage return escaped), then `end`.
fn field(line: &mut String, value: Option<&str>, end: char) {
    match value {
        None => line.push_str("\\N"),
        Some(text) => {
            for c in text.chars() {
                match c {
                    '\\' => line.push_str("\\\\"),
                    '\t' => line.push_str("\\t"),
                    '\n' => line.push_str("\\n"),
                    '\r' => line.push_str("\\r"),
                    c => line.push(c),
                }
            }
        }
    }
    line.push(end);
}

/// Appends a field whose text never needs escaping (ids, numbers), then `end`.
fn plain<T: std::fmt::Display>(line: &mut String, value: Option<T>, end: char) {
    match value {
        Some(v) => {
            let _ = write!(line, "{v}");
        }
        None => line.push_str("\\N"),
    }
    line.push(end);
}

/// A time as PostgreSQL reads it, to the microsecond it stores.
fn time(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// One row as a line of the text format.
fn encode(row: &interaction::Model, line: &mut String) {
    plain(line, Some(row.id), '\t');
    plain(line, Some(row.customer_id), '\t');
    plain(line, row.item_id, '\t');
    field(line, Some(&row.kind), '\t');
    plain(line, row.value, '\t');
    plain(line, row.rating, '\t');
    field(line, row.channel.as_deref(), '\t');
    field(line, row.note.as_deref(), '\t');
    plain(line, Some(time(&row.occurred_at)), '\t');
    plain(line, Some(time(&row.created_at)), '\t');
    field(line, row.basket_id.as_deref(), '\t');
    field(line, row.survey_type.as_deref(), '\t');
    plain(line, row.survey_score, '\t');
    field(line, row.survey_question.as_deref(), '\t');
    field(line, row.survey_comment.as_deref(), '\t');
    plain(line, row.exposure_id, '\n');
}

/// Where [`copy_interactions`] sends rows: straight into the table until a
/// copy meets a row that is already there, through a staging table after.
#[derive(Debug, Default)]
pub struct CopyRoute {
    staged: bool,
}

/// Whether `error` is a unique violation (SQLSTATE 23505).
fn is_duplicate(error: &sea_orm::sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "23505")
}

/// Streams `rows` into `table` with `COPY`; returns the rows copied.
async fn copy_into(
    conn: &mut sea_orm::sqlx::PgConnection,
    table: &str,
    rows: &[interaction::Model],
) -> Result<u64, sea_orm::sqlx::Error> {
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {table} ({COLUMNS}) FROM STDIN (FORMAT text)"
        ))
        .await?;
    let mut buffer = String::with_capacity(SEND_BYTES + 4096);
    for row in rows {
        encode(row, &mut buffer);
        if buffer.len() >= SEND_BYTES {
            copy.send(buffer.as_bytes()).await?;
            buffer.clear();
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.as_bytes()).await?;
    }
    copy.finish().await
}

/// Copies `rows` in one transaction by `route`; returns how many were new.
pub async fn copy_interactions(
    pool: &PgPool,
    rows: &[interaction::Model],
    route: &mut CopyRoute,
) -> Result<u64, DomainError> {
    let failed = |e: sea_orm::sqlx::Error| DomainError::Internal(e.into());
    let mut txn = pool.begin().await.map_err(failed)?;
    if !route.staged {
        sea_orm::sqlx::query("SAVEPOINT direct_copy")
            .execute(&mut *txn)
            .await
            .map_err(failed)?;
        match copy_into(&mut txn, "interactions", rows).await {
            Ok(copied) => {
                txn.commit().await.map_err(failed)?;
                return Ok(copied);
            }
            Err(e) if is_duplicate(&e) => {
                sea_orm::sqlx::query("ROLLBACK TO SAVEPOINT direct_copy")
                    .execute(&mut *txn)
                    .await
                    .map_err(failed)?;
                route.staged = true;
            }
            Err(e) => return Err(failed(e)),
        }
    }
    sea_orm::sqlx::query(
        "CREATE TEMPORARY TABLE interactions_load (LIKE interactions INCLUDING DEFAULTS) \
         ON COMMIT DROP",
    )
    .execute(&mut *txn)
    .await
    .map_err(failed)?;
    copy_into(&mut txn, "interactions_load", rows)
        .await
        .map_err(failed)?;
    // Built from constants only.
    let insert = format!(
        "INSERT INTO interactions ({COLUMNS}) SELECT {COLUMNS} FROM interactions_load \
         ON CONFLICT (id) DO NOTHING"
    );
    let inserted = sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(insert))
        .execute(&mut *txn)
        .await
        .map_err(failed)?
        .rows_affected();
    txn.commit().await.map_err(failed)?;
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;

    #[test]
    fn lines_escape_text_and_mark_nulls() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().unwrap();
        let row = interaction::Model {
            id: Uuid::from_u128(1),
            customer_id: Uuid::from_u128(2),
            item_id: None,
            kind: "view".to_owned(),
            value: Some(2.5),
            rating: None,
            channel: Some("web\tshop".to_owned()),
            note: Some("line\nbreak \\ done".to_owned()),
            occurred_at: at,
            created_at: at,
            exposure_id: None,
            basket_id: None,
            survey_type: None,
            survey_score: Some(9),
            survey_question: None,
            survey_comment: None,
        };
        let mut line = String::new();
        encode(&row, &mut line);
        let fields: Vec<&str> = line.trim_end_matches('\n').split('\t').collect();
        assert_eq!(fields.len(), COLUMNS.split(',').count());
        assert_eq!(fields[0], "00000000-0000-0000-0000-000000000001");
        assert_eq!(fields[2], "\\N");
        assert_eq!(fields[4], "2.5");
        assert_eq!(fields[6], "web\\tshop");
        assert_eq!(fields[7], "line\\nbreak \\\\ done");
        assert_eq!(fields[8], "2026-01-02T03:04:05.000000Z");
        assert_eq!(fields[12], "9");
        assert!(line.ends_with("\\N\n"));
    }
}
