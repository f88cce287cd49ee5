//! Settling charges with patient credit (DESIGN §4): one payment, split over the charges
//! in list order, drawn from the patient's credits in the order asked (or oldest first),
//! all in one transaction that holds the patient and then the charges, in id order.

use time::OffsetDateTime;
use uuid::Uuid;

use copay_domain::Cents;
use copay_domain::credit::{self, DrawError};
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_domain::pricing::{self, ChargeStatus, Closing};
use copay_store::Store;
use copay_store::charges as charge_rows;
use copay_store::credits as credit_rows;
use copay_store::ledger::{account_balance, ensure_account, post_operation};
use copay_store::payments::{self as rows, PaymentRow};

use crate::charges::{self, NewCharge};
use crate::patients;
use crate::{ServiceError, TenantCtx};

/// A charge to settle: one copay has (its stored amounts count), or one to create first.
#[derive(Debug, Clone)]
pub enum SettledCharge {
    Existing(Uuid),
    New(Box<NewCharge>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub amount: i64,
    pub medium: String,
    pub status: String,
    pub fee: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub const PATIENT_CREDIT: &str = "PATIENT_CREDIT";
const SUCCEEDED: &str = "SUCCEEDED";

impl From<PaymentRow> for Payment {
    fn from(row: PaymentRow) -> Self {
        Payment {
            id: row.id,
            patient_id: row.patient_id,
            amount: row.amount,
            medium: row.medium,
            status: row.status,
            fee: row.fee,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn refused(message: String) -> ServiceError {
    ServiceError::Unprocessable(message)
}

/// Pays `amount` of the listed charges from the patient's credit (`credit_ids` in that
/// order, else every available credit oldest first).
pub async fn settle_with_credit(
    store: &Store,
    tenant: &TenantCtx,
    charges_to_settle: Vec<SettledCharge>,
    amount: i64,
    credit_ids: Option<Vec<Uuid>>,
) -> Result<Payment, ServiceError> {
    let tenant_id = tenant.tenant_id;
    if amount <= 0 {
        return Err(refused(format!(
            "amount must be greater than zero, not {amount}"
        )));
    }
    if charges_to_settle.is_empty() {
        return Err(ServiceError::invalid("", "name at least one charge"));
    }
    let mut tx = store.begin().await?;
    // Every charge's patient must be the same one; lock that patient before anything else.
    let mut patient_id: Option<Uuid> = None;
    let mut same_patient = |id: Uuid| -> Result<(), ServiceError> {
        match patient_id {
            Some(known) if known != id => Err(ServiceError::invalid(
                "",
                "every charge of one settlement must belong to the same patient",
            )),
            _ => {
                patient_id = Some(id);
                Ok(())
            }
        }
    };
    for charge in &charges_to_settle {
        match charge {
            SettledCharge::Existing(id) => {
                // Read in the transaction: a second pooled connection per request would
                // let concurrent settlements starve the pool.
                let patient = charge_rows::patient_of(&mut tx, tenant_id, *id)
                    .await?
                    .ok_or_else(|| ServiceError::NotFound {
                        entity: "charge",
                        id: id.to_string(),
                    })?;
                same_patient(patient)?;
            }
            SettledCharge::New(new) => same_patient(new.patient_id)?,
        }
    }
    let patient_id = patient_id.ok_or_else(|| ServiceError::invalid("", "no charge"))?;
    patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;

    // Charges without an id are created first, with the create rules.
    let mut charge_ids = Vec::with_capacity(charges_to_settle.len());
    for charge in charges_to_settle {
        charge_ids.push(match charge {
            SettledCharge::Existing(id) => id,
            SettledCharge::New(new) => charges::create_in_tx(&mut tx, tenant_id, *new).await?,
        });
    }
    // Lock the charges in id order (a fixed order, so concurrent settlements cannot
    // deadlock) and read what each owes.
    let mut locked: Vec<Uuid> = charge_ids.clone();
    locked.sort();
    locked.dedup();
    for id in &locked {
        charge_rows::get_for_update(&mut tx, tenant_id, *id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "charge",
                id: id.to_string(),
            })?;
    }
    let mut owed: Vec<(Uuid, Uuid, Cents)> = Vec::new(); // (charge, receivable, outstanding)
    for id in &charge_ids {
        if owed.iter().any(|(charge, _, _)| charge == id) {
            continue;
        }
        let receivable =
            ensure_account(&mut tx, tenant_id, AccountKind::ChargeReceivable, *id, "").await?;
        let outstanding = account_balance(&mut tx, tenant_id, receivable)
            .await?
            .map(|account| account.balance)
            .unwrap_or(Cents::ZERO);
        owed.push((*id, receivable, outstanding));
    }
    let total_owed = Cents::checked_sum(owed.iter().map(|(_, _, o)| *o))
        .map_err(|_| refused("the charges' outstanding amounts are out of range".into()))?;
    if amount > total_owed.get() {
        return Err(refused(format!(
            "amount {amount} is more than the {} the charges have outstanding",
            total_owed.get()
        )));
    }

    // Which credits pay, and how much each.
    let now = copay_store::now();
    let credits = credit_rows::of_patient_in_tx(&mut tx, tenant_id, patient_id).await?;
    let states: Vec<credit::Credit> = credits
        .iter()
        .map(|row| credit::Credit {
            id: row.credit.id,
            remaining: Cents::new(row.debit_balance.saturating_neg()),
            expires_at: row.credit.expires_at,
            created_at: row.credit.created_at,
        })
        .collect();
    let draws =
        credit::draw(&states, Cents::new(amount), credit_ids.as_deref(), now).map_err(|error| {
            match error {
                DrawError::UnknownCredit(id) => ServiceError::NotFound {
                    entity: "patient credit",
                    id: id.to_string(),
                },
                DrawError::Insufficient {
                    available,
                    requested,
                } => refused(format!(
                    "amount {requested} is more than the {available} of patient credit available"
                )),
                DrawError::NotPositive => refused("amount must be greater than zero".into()),
            }
        })?;

    // One payment: credit → clearing → each charge in list order.
    let payment_id = Uuid::now_v7();
    let clearing = ensure_account(
        &mut tx,
        tenant_id,
        AccountKind::Clearing,
        tenant_id,
        PATIENT_CREDIT,
    )
    .await?;
    let mut transfers = Vec::new();
    for (credit_id, take) in &draws {
        let account = ensure_account(
            &mut tx,
            tenant_id,
            AccountKind::PatientCredit,
            *credit_id,
            "",
        )
        .await?;
        transfers.push(Transfer::new(
            TransferKind::CreditDrawn,
            clearing,
            account,
            *take,
        )?);
    }
    let mut left = Cents::new(amount);
    let mut shares: Vec<(Uuid, Cents, Cents)> = Vec::new(); // (charge, share, outstanding after)
    for (charge_id, receivable, outstanding) in &owed {
        let share = (*outstanding).min(left);
        if share.is_positive() {
            transfers.push(Transfer::new(
                TransferKind::Payment,
                *receivable,
                clearing,
                share,
            )?);
            left = Cents::new(left.get() - share.get());
        }
        shares.push((
            *charge_id,
            share,
            Cents::new(outstanding.get() - share.get()),
        ));
    }
    let operation_id = post_operation(&mut tx, tenant_id, "credit_settlement", &transfers).await?;
    let payment = PaymentRow {
        id: payment_id,
        tenant_id,
        patient_id,
        amount,
        medium: PATIENT_CREDIT.to_string(),
        status: SUCCEEDED.to_string(),
        fee: 0,
        operation_id: Some(operation_id),
        created_at: now,
        updated_at: now,
    };
    rows::insert(&mut tx, &payment).await?;
    for (credit_id, take) in &draws {
        rows::insert_credit_draw(&mut tx, tenant_id, payment_id, *credit_id, take.get()).await?;
    }
    for (charge_id, share, after) in &shares {
        if !share.is_positive() {
            continue;
        }
        rows::insert_share(&mut tx, tenant_id, payment_id, *charge_id, share.get(), now).await?;
        let mut charge = charge_rows::get_for_update(&mut tx, tenant_id, *charge_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "charge",
                id: charge_id.to_string(),
            })?;
        let status: ChargeStatus = pricing::derive_status(*after, Closing::Payment);
        charge.status = status.as_str().to_string();
        charge.updated_at = now;
        charge_rows::set_status(&mut tx, &charge).await?;
    }
    tx.commit().await?;
    Ok(payment.into())
}
