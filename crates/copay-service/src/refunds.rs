//! Refunds of patient payments (DESIGN §4): money goes back without reopening the debt.
//! A refund takes back part of a payment charge by charge, in the order the payment paid
//! them; a refund of a patient-credit payment puts the money back on the patient's credit
//! as a new credit record. One transaction holds the patient, the payment's charges (in
//! id order) and the payment, so concurrent refunds can never give back more than was paid.

use time::OffsetDateTime;
use uuid::Uuid;

use copay_domain::Cents;
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_domain::payment_medium::{MediumKind, classify};
use copay_domain::pricing::ChargeStatus;
use copay_domain::refund::{self, PaidShare};
use copay_store::Store;
use copay_store::charges as charge_rows;
use copay_store::ledger::{ensure_account, post_operation};
use copay_store::payments::{self as rows, RefundRow};

use crate::settlement::{SUCCEEDED, lock_charges, outstanding};
use crate::{ServiceError, TenantCtx, credits, patients, providers};

/// Why a refund was given (Decoda `RefundReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundReason {
    Duplicate,
    Dispute,
    BookingFee,
    Other,
}

impl RefundReason {
    pub const ALL: [RefundReason; 4] = [
        RefundReason::Duplicate,
        RefundReason::Dispute,
        RefundReason::BookingFee,
        RefundReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundReason::Duplicate => "DUPLICATE",
            RefundReason::Dispute => "DISPUTE",
            RefundReason::BookingFee => "BOOKING_FEE",
            RefundReason::Other => "OTHER",
        }
    }

    pub fn parse(text: &str) -> Option<RefundReason> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == text)
    }
}

#[derive(Debug, Clone)]
pub struct NewRefund {
    pub payment_id: Uuid,
    pub provider_id: Uuid,
    pub amount: i64,
    pub reason: RefundReason,
    pub description: Option<String>,
    pub location_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub reason: String,
    pub description: Option<String>,
    pub provider_id: String,
    pub location_id: Option<String>,
    pub status: String,
    /// The credit record a refund of a credit payment created.
    pub credit_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

impl From<RefundRow> for Refund {
    fn from(row: RefundRow) -> Self {
        Refund {
            id: row.id,
            payment_id: row.payment_id,
            amount: row.amount,
            reason: row.reason,
            description: row.description,
            provider_id: row.provider_id,
            location_id: row.location_id,
            status: row.status,
            credit_id: row.credit_id,
            created_at: row.created_at,
        }
    }
}

fn refused(message: String) -> ServiceError {
    ServiceError::Unprocessable(message)
}

pub async fn refund(
    store: &Store,
    tenant: &TenantCtx,
    new: NewRefund,
) -> Result<Refund, ServiceError> {
    let tenant_id = tenant.tenant_id;
    if new.amount <= 0 {
        return Err(ServiceError::invalid("amount", "must be greater than zero"));
    }
    // Who gave the refund must be one of the tenant's providers.
    providers::get(store, tenant, new.provider_id).await?;

    let mut tx = store.begin().await?;
    let not_found = || ServiceError::NotFound {
        entity: "payment",
        id: new.payment_id.to_string(),
    };
    let patient_id = rows::patient_of(&mut tx, tenant_id, new.payment_id)
        .await?
        .ok_or_else(not_found)?;
    patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;
    let shares = rows::shares_of_payment(&mut tx, tenant_id, new.payment_id).await?;
    let charge_ids: Vec<Uuid> = shares.iter().map(|share| share.charge_id).collect();
    let locked = lock_charges(&mut tx, tenant_id, &charge_ids).await?;
    let payment = rows::get_for_update(&mut tx, tenant_id, new.payment_id)
        .await?
        .ok_or_else(not_found)?;
    if payment.voided_at.is_some() {
        return Err(refused(format!(
            "payment {} was voided and cannot be refunded",
            payment.id
        )));
    }
    let refunded = rows::refunded_shares_of_payment(&mut tx, tenant_id, payment.id).await?;
    let paid_shares: Vec<PaidShare> = shares
        .iter()
        .map(|share| PaidShare {
            charge_id: share.charge_id,
            paid: Cents::new(share.amount),
            refunded: Cents::new(
                refunded
                    .iter()
                    .filter(|r| r.charge_id == share.charge_id)
                    .map(|r| r.amount)
                    .sum(),
            ),
        })
        .collect();
    let taken = refund::allocate(&paid_shares, Cents::new(new.amount))
        .map_err(|error| refused(error.to_string()))?;

    // The money leaves the way it came: back to the medium's clearing account, or onto a
    // new credit record for a credit payment.
    let refunds = ensure_account(&mut tx, tenant_id, AccountKind::Refunds, tenant_id, "").await?;
    let (source, credit_id) = match classify(&payment.medium) {
        MediumKind::PatientCredit => {
            let credit_id = credits::insert_record_in_tx(
                &mut tx,
                tenant_id,
                patient_id,
                new.amount,
                format!("Refund of patient-credit payment {}", payment.id),
            )
            .await?;
            let account = ensure_account(
                &mut tx,
                tenant_id,
                AccountKind::PatientCredit,
                credit_id,
                "",
            )
            .await?;
            (account, Some(credit_id))
        }
        MediumKind::Processor | MediumKind::ExternalSettlement => (
            ensure_account(
                &mut tx,
                tenant_id,
                AccountKind::Clearing,
                tenant_id,
                &payment.medium,
            )
            .await?,
            None,
        ),
    };
    let transfer = Transfer::new(
        TransferKind::Refund,
        source,
        refunds,
        Cents::new(new.amount),
    )?;
    let operation_id = post_operation(&mut tx, tenant_id, "refund", &[transfer]).await?;
    let now = copay_store::now();
    let row = RefundRow {
        id: Uuid::now_v7(),
        tenant_id,
        payment_id: payment.id,
        amount: new.amount,
        reason: new.reason.as_str().to_string(),
        description: new.description,
        provider_id: new.provider_id.to_string(),
        location_id: new.location_id,
        status: SUCCEEDED.to_string(),
        credit_id,
        operation_id: Some(operation_id),
        created_at: now,
    };
    rows::insert_refund(&mut tx, &row).await?;
    for (charge_id, amount) in &taken {
        rows::insert_refund_share(&mut tx, tenant_id, row.id, *charge_id, amount.get()).await?;
    }
    // A charge every payment of which came back in full reads REFUNDED.
    for (charge_id, _) in &taken {
        let Some(charge) = locked.iter().find(|charge| charge.id == *charge_id) else {
            continue;
        };
        let current = ChargeStatus::parse(&charge.status).unwrap_or(ChargeStatus::Outstanding);
        let (_, owes) = outstanding(&mut tx, tenant_id, *charge_id).await?;
        let (paid, refunded) = rows::paid_and_refunded(&mut tx, tenant_id, *charge_id).await?;
        let status =
            refund::status_after_refund(current, owes, Cents::new(paid), Cents::new(refunded));
        if status != current {
            let mut charge = charge.clone();
            charge.status = status.as_str().to_string();
            charge.updated_at = now;
            charge_rows::set_status(&mut tx, &charge).await?;
        }
    }
    crate::events::record_many_in_tx(
        &mut tx,
        tenant_id,
        &[
            crate::events::EventType::RefundCreated,
            crate::events::EventType::RefundSucceeded,
        ],
        crate::events::Subject::Refund(row.id),
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}
