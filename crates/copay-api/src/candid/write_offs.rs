//! Write-offs v1 (contract §6.3): create in batch, get, list, revert. The SDK names no
//! errors here, so every failure is a plain `ApiError` to it; copay still answers with
//! the Candid envelope (`EntityNotFoundError` 404, `UnprocessableEntityError` 422).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_domain::claim_write_off::WriteOffSide;
use copay_service::claim_write_offs::{
    self as service, ListRequest, NewWriteOff, WriteOffParty, WriteOffTarget,
};
use copay_store::claim_write_offs::{WriteOffRow, WriteOffSort};

use super::allocations::{
    WireDateTime, descending, limit, path_id, timestamp, unprocessable, uuid_param,
};
use super::error::CandidError;
use super::extract::{CandidJson, CandidTenant};
use super::payers::{PayerIdentifierBody, PayerV3};
use crate::AppState;
use crate::query::QueryParams;

macro_rules! reason_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// The wire value, as stored.
            pub fn as_text(self) -> String {
                serde_json::to_value(self)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_string))
                    .unwrap_or_default()
            }
        }
    };
}

reason_enum!(
    /// `PatientWriteOffReason` (12 values).
    PatientWriteOffReason {
        SmallBalance,
        CharityOrFinancialAssistance,
        PatientExperienceOrServiceRecovery,
        OonCourtesyAdjustment,
        PromptPayDiscount,
        BadDebt,
        CollectionAgency,
        Other,
        Unknown,
        UncollectibleOrNonBillable,
        Deceased,
        Bankruptcy,
    }
);

reason_enum!(
    /// `InsuranceWriteOffReason` (19 values).
    InsuranceWriteOffReason {
        SmallBalance,
        OonWriteOff,
        NoAuthorizationReferral,
        TimelyFiling,
        StaleDate,
        TimelyFilingLateEncounter,
        CredentialingOrContracting,
        NonCoveredMaxBenefit,
        NotMedicallyNecessary,
        BundledOrInclusive,
        UncollectibleOrNonBillable,
        EffortsExhausted,
        AdministrativeWriteOff,
        CaseRateOrCapitated,
        Other,
        Unknown,
        ContractualAdjustment,
        PrimaryPaidMaxBenefits,
        Interest,
    }
);

/// `InsuranceWriteOffTarget`, both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InsuranceWriteOffTarget {
    ServiceLineId { value: Uuid },
    ClaimId { value: Uuid },
    BillingProviderId { value: Uuid },
}

/// `WriteOffCreate`: one write-off of a batch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WriteOffCreate {
    /// Takes the amount off a service line's patient balance.
    Patient {
        write_off_timestamp: WireDateTime,
        #[serde(default)]
        write_off_note: Option<String>,
        write_off_reason: PatientWriteOffReason,
        #[serde(default)]
        custom_write_off_reason: Option<String>,
        service_line_id: Uuid,
        amount_cents: i64,
    },
    /// Takes the amount off a line's insurance balance, a claim's claim-level balance or
    /// the money held for a billing provider.
    Insurance {
        payer_identifier: PayerIdentifierBody,
        write_off_target: InsuranceWriteOffTarget,
        write_off_timestamp: WireDateTime,
        #[serde(default)]
        write_off_note: Option<String>,
        write_off_reason: InsuranceWriteOffReason,
        #[serde(default)]
        custom_write_off_reason: Option<String>,
        amount_cents: i64,
    },
    /// copay keeps no non-insurance payers: always `EntityNotFoundError` for the payer.
    NonInsurancePayer {
        non_insurance_payer_id: Uuid,
        service_line_id: Uuid,
        write_off_timestamp: WireDateTime,
        #[serde(default)]
        write_off_note: Option<String>,
        write_off_reason: InsuranceWriteOffReason,
        #[serde(default)]
        custom_write_off_reason: Option<String>,
        amount_cents: i64,
    },
}

impl WriteOffCreate {
    fn into_service(self) -> NewWriteOff {
        match self {
            WriteOffCreate::Patient {
                write_off_timestamp,
                write_off_note,
                write_off_reason,
                custom_write_off_reason,
                service_line_id,
                amount_cents,
            } => NewWriteOff {
                party: WriteOffParty::Patient,
                target: WriteOffTarget::ServiceLine(service_line_id),
                occurred_at: write_off_timestamp.0,
                note: write_off_note,
                reason: write_off_reason.as_text(),
                custom_reason: custom_write_off_reason,
                amount_cents,
            },
            WriteOffCreate::Insurance {
                payer_identifier,
                write_off_target,
                write_off_timestamp,
                write_off_note,
                write_off_reason,
                custom_write_off_reason,
                amount_cents,
            } => NewWriteOff {
                party: WriteOffParty::Insurance(payer_identifier.into_service()),
                target: match write_off_target {
                    InsuranceWriteOffTarget::ServiceLineId { value } => {
                        WriteOffTarget::ServiceLine(value)
                    }
                    InsuranceWriteOffTarget::ClaimId { value } => WriteOffTarget::Claim(value),
                    InsuranceWriteOffTarget::BillingProviderId { value } => {
                        WriteOffTarget::BillingProvider(value)
                    }
                },
                occurred_at: write_off_timestamp.0,
                note: write_off_note,
                reason: write_off_reason.as_text(),
                custom_reason: custom_write_off_reason,
                amount_cents,
            },
            WriteOffCreate::NonInsurancePayer {
                non_insurance_payer_id,
                service_line_id,
                write_off_timestamp,
                write_off_note,
                write_off_reason,
                custom_write_off_reason,
                amount_cents,
            } => NewWriteOff {
                party: WriteOffParty::NonInsurancePayer(non_insurance_payer_id),
                target: WriteOffTarget::ServiceLine(service_line_id),
                occurred_at: write_off_timestamp.0,
                note: write_off_note,
                reason: write_off_reason.as_text(),
                custom_reason: custom_write_off_reason,
                amount_cents,
            },
        }
    }
}

/// The create body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWriteOffsRequest {
    pub write_offs: Vec<WriteOffCreate>,
}

/// `WriteOff` of type `patient`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientWriteOff {
    pub write_off_id: Uuid,
    pub write_off_timestamp: String,
    pub write_off_note: Option<String>,
    #[schema(value_type = PatientWriteOffReason)]
    pub write_off_reason: String,
    pub custom_write_off_reason: Option<String>,
    pub reverts_write_off_id: Option<Uuid>,
    pub reverted_by_write_off_id: Option<Uuid>,
    /// A revert records the original amount negated.
    pub amount_cents: i64,
    pub patient_external_id: String,
    pub claim_id: Uuid,
    pub service_line_id: Uuid,
}

/// `WriteOff` of type `insurance`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InsuranceWriteOff {
    pub write_off_id: Uuid,
    pub write_off_timestamp: String,
    pub write_off_note: Option<String>,
    #[schema(value_type = InsuranceWriteOffReason)]
    pub write_off_reason: String,
    pub custom_write_off_reason: Option<String>,
    pub reverts_write_off_id: Option<Uuid>,
    pub reverted_by_write_off_id: Option<Uuid>,
    /// A revert records the original amount negated.
    pub amount_cents: i64,
    /// Boxed: the payer is most of the size of a write-off.
    pub payer: Box<PayerV3>,
    pub write_off_target: InsuranceWriteOffTarget,
}

/// `WriteOff` (union on `type`). copay never stores `non_insurance_payer` write-offs.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WriteOff {
    Patient(PatientWriteOff),
    Insurance(InsuranceWriteOff),
}

/// `CreateWriteOffsResponse`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreateWriteOffsResponse {
    pub write_offs: Vec<WriteOff>,
}

/// `WriteOffsPage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteOffsPage {
    pub items: Vec<WriteOff>,
    pub next_page_token: Option<String>,
    pub prev_page_token: Option<String>,
}

fn view(row: WriteOffRow, payers: &HashMap<Uuid, PayerV3>) -> WriteOff {
    let nil = Uuid::nil();
    if row.account_type == WriteOffSide::Patient.as_str() {
        return WriteOff::Patient(PatientWriteOff {
            write_off_id: row.id,
            write_off_timestamp: timestamp(row.occurred_at),
            write_off_note: row.note,
            write_off_reason: row.reason,
            custom_write_off_reason: row.custom_reason,
            reverts_write_off_id: row.reverts_id,
            reverted_by_write_off_id: row.reverted_by_id,
            amount_cents: row.amount_cents,
            patient_external_id: row.patient_external_id.unwrap_or_default(),
            claim_id: row.claim_id.unwrap_or(nil),
            service_line_id: row.service_line_id.unwrap_or(nil),
        });
    }
    let payer_uuid = row.payer_uuid.unwrap_or(nil);
    let payer = payers
        .get(&payer_uuid)
        .cloned()
        .unwrap_or_else(|| missing_payer(payer_uuid));
    let write_off_target = match row.target_kind.as_str() {
        "service_line" => InsuranceWriteOffTarget::ServiceLineId {
            value: row.service_line_id.unwrap_or(nil),
        },
        "claim" => InsuranceWriteOffTarget::ClaimId {
            value: row.claim_id.unwrap_or(nil),
        },
        _ => InsuranceWriteOffTarget::BillingProviderId {
            value: row.billing_provider_id.unwrap_or(nil),
        },
    };
    WriteOff::Insurance(InsuranceWriteOff {
        write_off_id: row.id,
        write_off_timestamp: timestamp(row.occurred_at),
        write_off_note: row.note,
        write_off_reason: row.reason,
        custom_write_off_reason: row.custom_reason,
        reverts_write_off_id: row.reverts_id,
        reverted_by_write_off_id: row.reverted_by_id,
        amount_cents: row.amount_cents,
        payer: Box::new(payer),
        write_off_target,
    })
}

/// A payer the directory lacks: it never deletes one, so only a corrupt row needs this.
fn missing_payer(payer_uuid: Uuid) -> PayerV3 {
    PayerV3 {
        payer_uuid,
        payer_id: String::new(),
        payer_name: String::new(),
        availity_payer_name: None,
        availity_claims_payer_id: None,
        availity_eligibility_id: None,
        availity_remittance_payer_id: None,
        street_address: None,
    }
}

async fn views(state: &AppState, rows: Vec<WriteOffRow>) -> Result<Vec<WriteOff>, CandidError> {
    let mut uuids: Vec<Uuid> = rows.iter().filter_map(|row| row.payer_uuid).collect();
    uuids.sort();
    uuids.dedup();
    let payers: HashMap<Uuid, PayerV3> = copay_service::payers::get_many(&state.store, &uuids)
        .await?
        .iter()
        .map(|(uuid, row)| (*uuid, PayerV3::from(row)))
        .collect();
    Ok(rows.into_iter().map(|row| view(row, &payers)).collect())
}

async fn one(state: &AppState, row: WriteOffRow) -> Result<WriteOff, CandidError> {
    views(state, vec![row])
        .await?
        .pop()
        .ok_or(CandidError::Internal)
}

fn list_request(params: &QueryParams) -> Result<ListRequest, CandidError> {
    let sort = match params.string("sort").as_deref() {
        None | Some("write_off_timestamp") => WriteOffSort::Time,
        Some("amount_cents") => WriteOffSort::Amount,
        Some("write_off_note") => WriteOffSort::Note,
        Some(other) => {
            return Err(CandidError::Unprocessable(format!(
                "sort: {other:?} is not one of amount_cents, write_off_timestamp, write_off_note"
            )));
        }
    };
    let given = params.strings("account_types");
    let account_types = if given.is_empty() {
        None
    } else {
        let mut sides = Vec::new();
        for text in &given {
            match (WriteOffSide::parse(text), text.as_str()) {
                (Some(side), _) => sides.push(side),
                // copay has no third-party (non-insurance) payers: nothing to match.
                (None, "THIRD_PARTY_PAYER") => {}
                (None, other) => {
                    return Err(CandidError::Unprocessable(format!(
                        "account_types: {other:?} is not one of PATIENT, INSURANCE, THIRD_PARTY_PAYER"
                    )));
                }
            }
        }
        Some(sides)
    };
    Ok(ListRequest {
        patient_external_id: params.string("patient_external_id"),
        payer_uuid: uuid_param(params, "payer_uuid")?,
        service_line_id: uuid_param(params, "service_line_id")?,
        claim_id: uuid_param(params, "claim_id")?,
        billing_provider_id: uuid_param(params, "billing_provider_id")?,
        account_types,
        sort,
        descending: descending(params)?,
        limit: limit(params)?,
        page_token: params.string("page_token"),
    })
}

#[utoipa::path(
    get,
    path = "/api/write-offs/v1",
    tag = "candid: write-offs",
    params(
        ("limit" = Option<u32>, Query, description = "1–999, default 100"),
        ("patient_external_id" = Option<String>, Query), ("payer_uuid" = Option<Uuid>, Query),
        ("service_line_id" = Option<Uuid>, Query),
        ("claim_id" = Option<Uuid>, Query, description = "Write-offs on the claim and on its lines"),
        ("billing_provider_id" = Option<Uuid>, Query),
        ("sort" = Option<String>, Query, description = "amount_cents, write_off_timestamp (default), write_off_note"),
        ("sort_direction" = Option<String>, Query, description = "asc or desc (default)"),
        ("page_token" = Option<String>, Query),
        ("account_types" = Option<Vec<String>>, Query, description = "PATIENT, INSURANCE, THIRD_PARTY_PAYER (copay has none of the last)")
    ),
    security(("candid_bearer" = [])),
    responses((status = 200, body = WriteOffsPage), (status = 422, description = "`UnprocessableEntityError`: a bad parameter"))
)]
pub async fn get_multi(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<WriteOffsPage>, CandidError> {
    let params = QueryParams::parse(raw.as_deref());
    let request = list_request(&params)?;
    let page = service::list(&state.store, &tenant, request)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(Json(WriteOffsPage {
        items: views(&state, page.items).await?,
        next_page_token: page.next_page_token,
        prev_page_token: None,
    }))
}

#[utoipa::path(
    get,
    path = "/api/write-offs/v1/{write_off_id}",
    tag = "candid: write-offs",
    params(("write_off_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = WriteOff), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn get(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<WriteOff>, CandidError> {
    let row = service::get(&state.store, &tenant, path_id(&id)?).await?;
    Ok(Json(one(&state, row).await?))
}

#[utoipa::path(
    post,
    path = "/api/write-offs/v1",
    tag = "candid: write-offs",
    request_body = CreateWriteOffsRequest,
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = CreateWriteOffsResponse, description = "Every write-off of the batch, or none"),
        (status = 404, description = "`EntityNotFoundError`: a service line, claim, billing provider or payer (every non-insurance payer)"),
        (status = 422, description = "`UnprocessableEntityError`: a bad body, or an amount that is not positive")
    )
)]
pub async fn create(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    body: Result<CandidJson<CreateWriteOffsRequest>, CandidError>,
) -> Result<Json<CreateWriteOffsResponse>, CandidError> {
    let CandidJson(body) = body.map_err(unprocessable)?;
    let new = body
        .write_offs
        .into_iter()
        .map(WriteOffCreate::into_service)
        .collect();
    let rows = service::create(&state.store, &tenant, new)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(Json(CreateWriteOffsResponse {
        write_offs: views(&state, rows).await?,
    }))
}

/// Serves both `revert` and `revert_insurance_balance_adjustment` (one path).
#[utoipa::path(
    post,
    path = "/api/write-offs/v1/{write_off_id}/revert",
    tag = "candid: write-offs",
    params(("write_off_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = WriteOff, description = "The reverting write-off (the original amount negated, `reverts_write_off_id` set)"),
        (status = 404, description = "`EntityNotFoundError`"),
        (status = 422, description = "`UnprocessableEntityError`: already reverted, or itself a revert")
    )
)]
pub async fn revert(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<WriteOff>, CandidError> {
    let row = service::revert(&state.store, &tenant, path_id(&id)?)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(Json(one(&state, row).await?))
}

/// copay ingests no ERAs, so no adjustment originated in one: every id is unknown.
#[utoipa::path(
    post,
    path = "/api/write-offs/v1/{adjustment_id}/revert-era-originated",
    tag = "candid: write-offs",
    params(("adjustment_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 404, description = "`EntityNotFoundError`: always"))
)]
pub async fn revert_era_originated(
    CandidTenant(_tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<String>, CandidError> {
    Err(CandidError::EntityNotFound(id))
}
