//! Settling charges (DESIGN §4): one payment, split over the charges in list order, paid
//! from the patient's credit (the credits asked for, or oldest first) or settled outside
//! copay in cash, check or another external medium. All of it is one transaction that
//! holds the patient and then the charges, in id order.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use copay_domain::Cents;
use copay_domain::credit::{self, DrawError};
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_domain::payment_medium::PATIENT_CREDIT;
use copay_domain::pricing::{self, ChargeStatus, Closing};
use copay_store::charges::{self as charge_rows, ChargeRow};
use copay_store::credits as credit_rows;
use copay_store::ledger::{account_balance, ensure_account, post_operation};
use copay_store::payments::{self as rows, PaymentRow};
use copay_store::{Store, Tx};

use crate::charges::{self, NewCharge};
use crate::credits;
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
    pub location_id: Option<String>,
    pub creator_id: Option<String>,
    pub comment: Option<String>,
    pub voided_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Its refunds, oldest first, where the read loaded them (empty on a new payment).
    pub refunds: Vec<crate::refunds::Refund>,
}

/// An id kept as text: a UUID in its canonical (lowercase, hyphenated) form, so it compares
/// equal to the same id however it was written; anything else as given.
pub fn canonical_id(text: &str) -> String {
    Uuid::parse_str(text)
        .map(|id| id.to_string())
        .unwrap_or_else(|_| text.to_string())
}

pub(crate) const SUCCEEDED: &str = "SUCCEEDED";
pub(crate) const CANCELED: &str = "CANCELED";

impl From<PaymentRow> for Payment {
    fn from(row: PaymentRow) -> Self {
        Payment {
            id: row.id,
            patient_id: row.patient_id,
            amount: row.amount,
            medium: row.medium,
            status: row.status,
            fee: row.fee,
            location_id: row.location_id,
            creator_id: row.creator_id,
            comment: row.comment,
            voided_at: row.voided_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            refunds: Vec::new(),
        }
    }
}

/// Where the money of a settlement comes from.
#[derive(Debug, Clone)]
pub enum Funding {
    /// The patient's credit: these credits in this order, else all available oldest first.
    Credit { credit_ids: Option<Vec<Uuid>> },
    /// Settled outside copay (cash, check, CareCredit, a custom medium). Of the amount,
    /// `credit_overpayment` is bought as new patient credit.
    External {
        medium: String,
        credit_overpayment: i64,
    },
}

/// A settlement asked for.
#[derive(Debug, Clone)]
pub struct Settlement {
    pub charges: Vec<SettledCharge>,
    /// What the patient pays; `None` pays everything the charges owe.
    pub amount: Option<i64>,
    pub funding: Funding,
    /// The patient, when no charge names one (a pure credit purchase); else it must match.
    pub patient_id: Option<Uuid>,
}

fn refused(message: String) -> ServiceError {
    ServiceError::Unprocessable(message)
}

fn not_found(entity: &'static str, id: impl ToString) -> ServiceError {
    ServiceError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// The one patient every charge (and the named patient) belongs to.
async fn patient_of_settlement(
    tx: &mut Tx,
    tenant_id: Uuid,
    charges: &[SettledCharge],
    named: Option<Uuid>,
) -> Result<Uuid, ServiceError> {
    let mut patient_id = named;
    for charge in charges {
        let id = match charge {
            // Read in the transaction: a second pooled connection per request would let
            // concurrent settlements starve the pool.
            SettledCharge::Existing(id) => charge_rows::patient_of(tx, tenant_id, *id)
                .await?
                .ok_or_else(|| not_found("charge", id))?,
            SettledCharge::New(new) => new.patient_id,
        };
        match patient_id {
            Some(known) if known != id => {
                return Err(ServiceError::invalid(
                    "",
                    "every charge of one settlement must belong to the same patient",
                ));
            }
            _ => patient_id = Some(id),
        }
    }
    patient_id.ok_or_else(|| ServiceError::invalid("", "name at least one charge"))
}

/// Locks the charges in id order (a fixed order, so concurrent operations cannot
/// deadlock) and returns them by id.
pub(crate) async fn lock_charges(
    tx: &mut Tx,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<ChargeRow>, ServiceError> {
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut locked = Vec::with_capacity(sorted.len());
    for id in sorted {
        locked.push(
            charge_rows::get_for_update(tx, tenant_id, id)
                .await?
                .ok_or_else(|| not_found("charge", id))?,
        );
    }
    Ok(locked)
}

/// What the charge owes now (its receivable's balance), and that account.
pub(crate) async fn outstanding(
    tx: &mut Tx,
    tenant_id: Uuid,
    charge_id: Uuid,
) -> Result<(Uuid, Cents), ServiceError> {
    let receivable =
        ensure_account(tx, tenant_id, AccountKind::ChargeReceivable, charge_id, "").await?;
    let balance = account_balance(tx, tenant_id, receivable)
        .await?
        .map(|account| account.balance)
        .unwrap_or(Cents::ZERO);
    Ok((receivable, balance))
}

fn attribute(charge: &ChargeRow, key: &str) -> Option<String> {
    match &charge.attributes.0 {
        Value::Object(map) => map.get(key).and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// The charge that buys patient credit with an overpayment.
fn credit_purchase(patient_id: Uuid, amount: i64) -> NewCharge {
    NewCharge {
        patient_id,
        total_outstanding: amount,
        custom_amount: amount,
        lines: Vec::new(),
        discount_amount: 0,
        discount_percentage: pricing::Percent::ZERO,
        status: None,
        description: Some("Patient credit purchase".to_string()),
        external_id: None,
        external_created_date: None,
        rule_set_id: None,
        meta: None,
        attributes: Map::new(),
        stated_total: None,
        tips: Vec::new(),
    }
}

/// Pays the listed charges as one payment (DESIGN §4).
pub async fn settle(
    store: &Store,
    tenant: &TenantCtx,
    settlement: Settlement,
) -> Result<Payment, ServiceError> {
    let tenant_id = tenant.tenant_id;
    if let Some(amount) = settlement.amount
        && amount <= 0
    {
        return Err(refused(format!(
            "amount must be greater than zero, not {amount}"
        )));
    }
    let overpayment = match &settlement.funding {
        Funding::External {
            credit_overpayment, ..
        } => *credit_overpayment,
        Funding::Credit { .. } => 0,
    };
    if overpayment < 0 {
        return Err(ServiceError::invalid(
            "credit_overpayment_amount",
            "must not be negative",
        ));
    }
    if let Some(amount) = settlement.amount
        && overpayment > amount
    {
        return Err(refused(format!(
            "credit_overpayment_amount {overpayment} is more than the amount {amount}"
        )));
    }
    if settlement.charges.is_empty() && overpayment == 0 {
        return Err(ServiceError::invalid("", "name at least one charge"));
    }

    let mut tx = store.begin().await?;
    let patient_id = patient_of_settlement(
        &mut tx,
        tenant_id,
        &settlement.charges,
        settlement.patient_id,
    )
    .await?;
    // The patient first: every operation on a patient's money locks in this order.
    patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;

    // Charges without an id are created first, with the create rules; an overpayment
    // buys credit through a charge of its own, paid first so it always gets all of it.
    // The patient is locked already, and a charge created here is this transaction's
    // own row: it needs neither a lock nor a read back when creating it told us what it
    // owes.
    let mut charge_ids = Vec::with_capacity(settlement.charges.len() + 1);
    let mut created: Vec<charges::Created> = Vec::new();
    if overpayment > 0 {
        let purchase = credit_purchase(patient_id, overpayment);
        created.push(charges::create_for_locked_patient(&mut tx, tenant_id, purchase).await?);
        charge_ids.push(created[created.len() - 1].row.id);
    }
    for charge in settlement.charges {
        charge_ids.push(match charge {
            SettledCharge::Existing(id) => id,
            SettledCharge::New(new) => {
                let charge = charges::create_for_locked_patient(&mut tx, tenant_id, *new).await?;
                let id = charge.row.id;
                created.push(charge);
                id
            }
        });
    }
    let known: Vec<&charges::Created> = created
        .iter()
        .filter(|charge| charge.owed.is_some())
        .collect();
    let to_lock: Vec<Uuid> = charge_ids
        .iter()
        .copied()
        .filter(|id| !known.iter().any(|charge| charge.row.id == *id))
        .collect();
    let mut locked = lock_charges(&mut tx, tenant_id, &to_lock).await?;
    locked.extend(known.iter().map(|charge| charge.row.clone()));
    if let Some(void) = locked
        .iter()
        .find(|charge| charge.status == ChargeStatus::Void.as_str())
    {
        return Err(refused(format!(
            "charge {} is void and cannot be paid",
            void.id
        )));
    }
    let mut owed: Vec<(Uuid, Uuid, Cents)> = Vec::new(); // (charge, receivable, outstanding)
    for id in &charge_ids {
        if owed.iter().any(|(charge, _, _)| charge == id) {
            continue;
        }
        let (receivable, balance) = match known
            .iter()
            .find(|charge| charge.row.id == *id)
            .and_then(|charge| charge.owed)
        {
            Some(owes) => owes,
            None => outstanding(&mut tx, tenant_id, *id).await?,
        };
        owed.push((*id, receivable, balance));
    }
    let total_owed = Cents::checked_sum(owed.iter().map(|(_, _, o)| *o))
        .map_err(|_| refused("the charges' outstanding amounts are out of range".into()))?;
    let amount = settlement.amount.unwrap_or(total_owed.get());
    if amount <= 0 {
        return Err(refused("the charges have nothing outstanding".into()));
    }
    if amount > total_owed.get() {
        return Err(refused(format!(
            "amount {amount} is more than the {} the charges have outstanding",
            total_owed.get()
        )));
    }

    let now = copay_store::now();
    let payment_id = Uuid::now_v7();
    let mut transfers = Vec::new();
    let (medium, draws) = match &settlement.funding {
        Funding::Credit { credit_ids } => {
            let draws =
                draw_credit(&mut tx, tenant_id, patient_id, amount, credit_ids, now).await?;
            (PATIENT_CREDIT.to_string(), draws)
        }
        Funding::External { medium, .. } => (medium.clone(), Vec::new()),
    };
    // Money arrives in the medium's clearing account, and from there pays each charge.
    let clearing = ensure_account(
        &mut tx,
        tenant_id,
        AccountKind::Clearing,
        tenant_id,
        &medium,
    )
    .await?;
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
    for (charge_id, receivable, owes) in &owed {
        let share = (*owes).min(left);
        if share.is_positive() {
            transfers.push(Transfer::new(
                TransferKind::Payment,
                *receivable,
                clearing,
                share,
            )?);
            left = Cents::new(left.get() - share.get());
        }
        shares.push((*charge_id, share, Cents::new(owes.get() - share.get())));
    }
    let operation = if draws.is_empty() {
        "external_settlement"
    } else {
        "credit_settlement"
    };
    let operation_id = post_operation(&mut tx, tenant_id, operation, &transfers).await?;
    // Where, by whom and with what comment the payment was taken: as the first charge says.
    let first = charge_ids
        .first()
        .and_then(|id| locked.iter().find(|charge| charge.id == *id));
    let payment = PaymentRow {
        id: payment_id,
        tenant_id,
        patient_id,
        amount,
        medium,
        status: SUCCEEDED.to_string(),
        fee: 0,
        location_id: first.and_then(|charge| attribute(charge, "location_id")),
        creator_id: first
            .and_then(|charge| attribute(charge, "creator_id"))
            .map(|id| canonical_id(&id)),
        comment: first.and_then(|charge| attribute(charge, "comment")),
        operation_id: Some(operation_id),
        voided_at: None,
        created_at: now,
        updated_at: now,
    };
    rows::insert(&mut tx, &payment).await?;
    for (credit_id, take) in &draws {
        rows::insert_credit_draw(&mut tx, tenant_id, payment_id, *credit_id, take.get()).await?;
    }
    let mut share_ids = Vec::with_capacity(shares.len());
    for (charge_id, share, after) in &shares {
        if !share.is_positive() {
            continue;
        }
        share_ids.push(
            rows::insert_share(&mut tx, tenant_id, payment_id, *charge_id, share.get(), now)
                .await?,
        );
        if let Some(charge) = locked.iter().find(|charge| charge.id == *charge_id) {
            let mut charge = charge.clone();
            charge.status = pricing::derive_status(*after, Closing::Payment)
                .as_str()
                .to_string();
            charge.updated_at = now;
            charge_rows::set_status(&mut tx, &charge).await?;
        }
    }
    if overpayment > 0 {
        credits::grant_in_tx(
            &mut tx,
            tenant_id,
            patient_id,
            overpayment,
            format!("Overpayment of payment {payment_id}"),
        )
        .await?;
    }
    crate::events::record_many_in_tx(
        &mut tx,
        tenant_id,
        &[
            crate::events::EventType::PaymentCreated,
            crate::events::EventType::PaymentSucceeded,
        ],
        crate::events::Subject::Payment(payment_id),
    )
    .await?;
    // Then one CHARGE_PAYMENT_CREATED per charge the payment went to.
    for share_id in share_ids {
        crate::events::record_in_tx(
            &mut tx,
            tenant_id,
            crate::events::EventType::ChargePaymentCreated,
            crate::events::Subject::ChargePayment(share_id),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(payment.into())
}

/// Which credits pay `amount`, and how much each.
async fn draw_credit(
    tx: &mut Tx,
    tenant_id: Uuid,
    patient_id: Uuid,
    amount: i64,
    credit_ids: &Option<Vec<Uuid>>,
    now: OffsetDateTime,
) -> Result<Vec<(Uuid, Cents)>, ServiceError> {
    let credits = credit_rows::of_patient_in_tx(tx, tenant_id, patient_id).await?;
    let states: Vec<credit::Credit> = credits
        .iter()
        .map(|row| credit::Credit {
            id: row.credit.id,
            remaining: Cents::new(row.debit_balance.saturating_neg()),
            expires_at: row.credit.expires_at,
            created_at: row.credit.created_at,
        })
        .collect();
    credit::draw(&states, Cents::new(amount), credit_ids.as_deref(), now).map_err(|error| {
        match error {
            DrawError::UnknownCredit(id) => not_found("patient credit", id),
            DrawError::Insufficient {
                available,
                requested,
            } => refused(format!(
                "amount {requested} is more than the {available} of patient credit available"
            )),
            DrawError::NotPositive => refused("amount must be greater than zero".into()),
        }
    })
}

/// Closes $0 charges without taking a payment: charges without an id are created first;
/// each must owe nothing, and one still `OUTSTANDING` becomes `PAID`. Returns their ids.
pub async fn mark_no_charge(
    store: &Store,
    tenant: &TenantCtx,
    charges_to_close: Vec<SettledCharge>,
) -> Result<Vec<Uuid>, ServiceError> {
    let tenant_id = tenant.tenant_id;
    if charges_to_close.is_empty() {
        return Err(ServiceError::invalid("", "name at least one charge"));
    }
    let mut tx = store.begin().await?;
    let patient_id = patient_of_settlement(&mut tx, tenant_id, &charges_to_close, None).await?;
    patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;
    let mut ids = Vec::with_capacity(charges_to_close.len());
    for charge in charges_to_close {
        ids.push(match charge {
            SettledCharge::Existing(id) => id,
            SettledCharge::New(new) => charges::create_in_tx(&mut tx, tenant_id, *new).await?,
        });
    }
    let now = copay_store::now();
    for mut charge in lock_charges(&mut tx, tenant_id, &ids).await? {
        let (_, owes) = outstanding(&mut tx, tenant_id, charge.id).await?;
        if owes.is_positive() {
            return Err(refused(format!(
                "charge {} has {} outstanding; only charges that owe nothing can be marked no-charge",
                charge.id,
                owes.get()
            )));
        }
        if charge.status == ChargeStatus::Outstanding.as_str() {
            charge.status = ChargeStatus::Paid.as_str().to_string();
            charge.updated_at = now;
            charge_rows::set_status(&mut tx, &charge).await?;
        }
    }
    tx.commit().await?;
    Ok(ids)
}
