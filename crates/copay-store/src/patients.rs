//! The patient registry.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct PatientRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub date_of_birth: Option<Date>,
    pub gender: Option<String>,
    pub address_line_one: Option<String>,
    pub address_line_two: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub country: Option<String>,
    pub meta: Option<Json<Value>>,
    pub attributes: Json<Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

macro_rules! select_patient {
    ($($tail:expr),*) => {
        concat!(
            "SELECT id, tenant_id, external_id, first_name, last_name, email, phone_number, date_of_birth, gender, \
             address_line_one, address_line_two, city, state, zip_code, country, meta, attributes, created_at, \
             updated_at FROM patients ",
            $($tail),*
        )
    };
}

/// What a patient search matches: names, phone, email, ids, lowercase.
fn search_text(row: &PatientRow) -> String {
    [
        Some(row.id.to_string()),
        row.external_id.clone(),
        row.first_name.clone(),
        row.last_name.clone(),
        row.phone_number.clone(),
        row.email.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
    .to_lowercase()
}

pub async fn insert(tx: &mut Tx, row: &PatientRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO patients (id, tenant_id, external_id, first_name, last_name, email, phone_number, \
         date_of_birth, gender, address_line_one, address_line_two, city, state, zip_code, country, meta, \
         attributes, search_text, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(&row.external_id)
        .bind(&row.first_name)
        .bind(&row.last_name)
        .bind(&row.email)
        .bind(&row.phone_number)
        .bind(row.date_of_birth)
        .bind(&row.gender)
        .bind(&row.address_line_one)
        .bind(&row.address_line_two)
        .bind(&row.city)
        .bind(&row.state)
        .bind(&row.zip_code)
        .bind(&row.country)
        .bind(&row.meta)
        .bind(&row.attributes)
        .bind(search_text(row))
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Writes every mutable column of `row` (matched by tenant and id).
pub async fn update(tx: &mut Tx, row: &PatientRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE patients SET external_id = $1, first_name = $2, last_name = $3, email = $4, phone_number = $5, \
         date_of_birth = $6, gender = $7, address_line_one = $8, address_line_two = $9, city = $10, state = $11, \
         zip_code = $12, country = $13, meta = $14, attributes = $15, search_text = $16, updated_at = $17 \
         WHERE tenant_id = $18 AND id = $19")
        .bind(&row.external_id)
        .bind(&row.first_name)
        .bind(&row.last_name)
        .bind(&row.email)
        .bind(&row.phone_number)
        .bind(row.date_of_birth)
        .bind(&row.gender)
        .bind(&row.address_line_one)
        .bind(&row.address_line_two)
        .bind(&row.city)
        .bind(&row.state)
        .bind(&row.zip_code)
        .bind(&row.country)
        .bind(&row.meta)
        .bind(&row.attributes)
        .bind(search_text(row))
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The patient by id, locked for update on PostgreSQL (SQLite's write transaction is).
pub async fn get_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<PatientRow>> {
    Ok(fetch_optional_locked!(
        tx,
        PatientRow,
        select_patient,
        "WHERE tenant_id = $1 AND id = $2",
        |q| q.bind(tenant_id).bind(id)
    ))
}

/// The patient with this external id, locked for update on PostgreSQL.
pub async fn by_external_id_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    external_id: &str,
) -> StoreResult<Option<PatientRow>> {
    Ok(fetch_optional_locked!(
        tx,
        PatientRow,
        select_patient,
        "WHERE tenant_id = $1 AND external_id = $2",
        |q| q.bind(tenant_id).bind(external_id)
    ))
}

/// How a patient list is narrowed. At most `limit` rows, newest first.
#[derive(Debug, Clone, Default)]
pub struct PatientQuery {
    /// Lowercase text every match contains (names, phone, email, ids).
    pub search: Option<String>,
    pub external_id: Option<String>,
    /// Only these ids (an empty list means no such restriction).
    pub ids: Vec<Uuid>,
    pub limit: u32,
}

impl Store {
    pub async fn patient(&self, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<PatientRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, PatientRow>(
            select_patient!("WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    pub async fn patient_by_external_id(
        &self,
        tenant_id: Uuid,
        external_id: &str,
    ) -> StoreResult<Option<PatientRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, PatientRow>(
            select_patient!("WHERE tenant_id = $1 AND external_id = $2"))
            .bind(tenant_id)
            .bind(external_id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    pub async fn list_patients(
        &self,
        tenant_id: Uuid,
        query: &PatientQuery,
    ) -> StoreResult<Vec<PatientRow>> {
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_patient!(""));
            qb.push(" WHERE tenant_id = ").push_bind(tenant_id);
            if let Some(search) = &query.search {
                // `instr` on SQLite and `strpos` on PostgreSQL would differ; LIKE with the
                // wildcards escaped works on both.
                let escaped = search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                qb.push(" AND search_text LIKE ")
                    .push_bind(format!("%{escaped}%"))
                    .push(" ESCAPE '\\'");
            }
            if let Some(external_id) = &query.external_id {
                qb.push(" AND external_id = ").push_bind(external_id.clone());
            }
            push_in!(qb, "id", query.ids);
            qb.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(i64::from(query.limit));
            qb.build_query_as::<PatientRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}
