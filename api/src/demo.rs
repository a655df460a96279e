//! The synthetic demo data set.
use sea_orm::DatabaseConnection;
/// Seeds the demo.
pub async fn seed(_db: &DatabaseConnection) -> Result<(), anyhow::Error> {
    Ok(())
}
