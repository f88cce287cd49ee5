//! Patient charges: create (priced, opened and posted to the ledger in one transaction),
//! read, list, and adjust.

use std::collections::HashMap;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use copay_domain::Cents;
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_domain::pricing::{
    self, ChargeStatus, ChargeTerms, Closing, Line, Percent, PricingError,
};
use copay_store::charges::{
    self as rows, AdjustmentRow, ChargeItemRow, ChargeQuery, ChargeRow, ChargeWithBalance,
};
use copay_store::items::ItemRow;
use copay_store::ledger::{
    account_balance, ensure_account, ensure_and_lock_accounts, post_locked, post_operation,
};
use copay_store::{Json, Store, Tx};

use crate::items::{self, Item, NewItem};
use crate::patients::{self, Patient};
use crate::{ServiceError, TenantCtx};

pub use copay_store::charges::ChargeSort;

/// What a new charge line sells.
#[derive(Debug, Clone)]
pub enum LineItem {
    /// A catalogue item of the tenant, at its catalogue price.
    Existing(Uuid),
    /// An item to add to the catalogue with the charge.
    New(NewItem),
    /// A line with its own unit price, naming a catalogue item or not.
    Priced {
        item_id: Option<Uuid>,
        name: Option<String>,
        unit_price: i64,
    },
}

#[derive(Debug, Clone)]
pub struct NewChargeLine {
    pub item: LineItem,
    pub quantity: i64,
    pub discount_amount: i64,
    pub discount_percentage: Percent,
    pub tax_amount: i64,
}

impl NewChargeLine {
    /// A line of `quantity` of `item`, without discounts or tax.
    pub fn plain(item: LineItem, quantity: i64) -> NewChargeLine {
        NewChargeLine {
            item,
            quantity,
            discount_amount: 0,
            discount_percentage: Percent::ZERO,
            tax_amount: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewCharge {
    pub patient_id: Uuid,
    /// What the caller says is still owed (0 ≤ it ≤ the total).
    pub total_outstanding: i64,
    pub custom_amount: i64,
    pub lines: Vec<NewChargeLine>,
    pub discount_amount: i64,
    pub discount_percentage: Percent,
    pub status: Option<ChargeStatus>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub external_created_date: Option<OffsetDateTime>,
    pub rule_set_id: Option<String>,
    pub meta: Option<Value>,
    /// Attributes kept as given (`patient_pays_processing_fee`, `creator_id`, …).
    pub attributes: Map<String, Value>,
    /// A total the caller stated; a computed total that differs is refused.
    pub stated_total: Option<i64>,
    /// Tips given with the charge: (provider, cents). They come on top of the stated
    /// totals, as if tipped right after the charge was created.
    pub tips: Vec<(Uuid, i64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChargeLine {
    pub id: Uuid,
    pub item_id: Option<Uuid>,
    pub item: Option<Item>,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount_amount: i64,
    pub discount_percentage: Percent,
    pub tax_amount: i64,
    pub line_total: i64,
    /// The line's own name (a line may name no catalogue item).
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub id: Uuid,
    pub charge_id: Uuid,
    /// Signed: positive raises what is owed.
    pub amount: i64,
    pub kind: AdjustmentKind,
    pub reason: Option<String>,
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustmentKind {
    Adjustment,
    WriteOff,
    ExternalSettlement,
}

impl AdjustmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentKind::Adjustment => "ADJUSTMENT",
            AdjustmentKind::WriteOff => "WRITE_OFF",
            AdjustmentKind::ExternalSettlement => "EXTERNAL_SETTLEMENT",
        }
    }

    fn parse(text: &str) -> Option<AdjustmentKind> {
        [
            AdjustmentKind::Adjustment,
            AdjustmentKind::WriteOff,
            AdjustmentKind::ExternalSettlement,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Charge {
    pub id: Uuid,
    pub patient: Patient,
    pub status: ChargeStatus,
    pub total: i64,
    pub total_outstanding: i64,
    pub custom_amount: i64,
    pub discount_amount: i64,
    pub discount_percentage: Percent,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub external_created_date: Option<OffsetDateTime>,
    pub rule_set_id: Option<String>,
    pub meta: Option<Value>,
    pub attributes: Map<String, Value>,
    pub created_at: OffsetDateTime,
    /// Empty in list results (a summary has no lines, adjustments or payments).
    pub lines: Vec<ChargeLine>,
    pub adjustments: Vec<Adjustment>,
    pub payments: Vec<ChargePayment>,
    /// Live tips, oldest first (empty in list results).
    pub tips: Vec<crate::tips::Tip>,
}

/// This charge's share of a payment.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargePayment {
    pub amount: i64,
    pub created_at: OffsetDateTime,
    pub payment: crate::settlement::Payment,
}

const ENTITY: &str = "charge";

fn not_found(entity: &'static str, id: impl ToString) -> ServiceError {
    ServiceError::NotFound {
        entity,
        id: id.to_string(),
    }
}

fn corrupt(message: String) -> ServiceError {
    ServiceError::Store(copay_store::StoreError::Corrupt(message))
}

fn pricing_error(field: &str, error: PricingError) -> ServiceError {
    let field = match error {
        PricingError::QuantityNotPositive => "items.quantity",
        PricingError::NegativeCustomAmount => "customAmount",
        PricingError::NegativeDiscount | PricingError::NegativeTotal => "discountAmount",
        _ => field,
    };
    ServiceError::invalid(field, error.to_string())
}

/// The five accounts a charge's own postings touch.
struct ChargeAccounts {
    /// All five as read (and those that keep a balance locked) for the posting.
    locked: HashMap<Uuid, copay_domain::ledger::Account>,
    receivable: Uuid,
    revenue: Uuid,
    discounts: Uuid,
    external_settlements: Uuid,
    write_offs: Uuid,
}

async fn charge_accounts(
    tx: &mut Tx,
    tenant_id: Uuid,
    charge_id: Uuid,
) -> Result<ChargeAccounts, ServiceError> {
    // One lookup for all five (the tenant's four are open after its first charge), which
    // also reads them for the posting.
    let (ids, locked) = ensure_and_lock_accounts(
        tx,
        tenant_id,
        &[
            (AccountKind::ChargeReceivable, charge_id, ""),
            (AccountKind::Revenue, tenant_id, ""),
            (AccountKind::Discounts, tenant_id, ""),
            (AccountKind::ExternalSettlements, tenant_id, ""),
            (AccountKind::WriteOffs, tenant_id, ""),
        ],
    )
    .await?;
    match ids[..] {
        [
            receivable,
            revenue,
            discounts,
            external_settlements,
            write_offs,
        ] => Ok(ChargeAccounts {
            locked,
            receivable,
            revenue,
            discounts,
            external_settlements,
            write_offs,
        }),
        _ => Err(corrupt(format!("charge {charge_id}: accounts not opened"))),
    }
}

fn transfer(
    transfers: &mut Vec<Transfer>,
    kind: TransferKind,
    from: Uuid,
    to: Uuid,
    amount: Cents,
) -> Result<(), ServiceError> {
    if amount.is_positive() {
        transfers.push(Transfer::new(kind, from, to, amount)?);
    }
    Ok(())
}

/// Creates a charge: prices its lines, opens it with the caller's outstanding amount, and
/// posts it to the ledger, all in one transaction. New inline items join the catalogue.
pub async fn create(
    store: &Store,
    tenant: &TenantCtx,
    new: NewCharge,
) -> Result<Charge, ServiceError> {
    let prepared = prepare(store, tenant, new).await?;
    create_prepared(store, tenant, prepared).await
}

/// A charge creation worked out before its transaction ([`prepare`]).
pub struct PreparedCharge {
    plan: Plan,
    /// The request, kept to work the charge out again should the catalogue items it
    /// names change before the write (`None` when it names none).
    new: Option<NewCharge>,
    named: Vec<Uuid>,
    patient: Patient,
    /// The charge as it will read, and its webhook data (`None` with tips).
    charge: Option<(Charge, crate::events::RenderedData)>,
}

/// Works out a charge creation, and what the charge will read as (and so its webhook
/// bodies), from the patient and the catalogue items read beside other requests. On
/// SQLite the transaction holds the one writer, and doing this inside it made every
/// other write wait.
pub async fn prepare(
    store: &Store,
    tenant: &TenantCtx,
    new: NewCharge,
) -> Result<PreparedCharge, ServiceError> {
    let tenant_id = tenant.tenant_id;
    // The patient's credit balance is what the charge shows of them beyond their row; a
    // charge create does not move credit, so it is read only here.
    let patient = patients::get(store, tenant, new.patient_id).await?;
    let named = named_items(&new);
    let catalogue = copay_store::items::get_many(store, tenant_id, &named).await?;
    let kept = (!named.is_empty()).then(|| new.clone());
    let plan = plan(tenant_id, new, &catalogue)?;
    let charge = plan.charge(patient.clone())?.map(|charge| {
        let rendered = render(tenant_id, &charge);
        (charge, rendered)
    });
    Ok(PreparedCharge {
        plan,
        new: kept,
        named,
        patient,
        charge,
    })
}

/// Writes a [`prepare`]d charge in one transaction. The transaction reads the patient
/// (locking them) and the catalogue items again; if either changed since, the charge
/// is worked out (or only rendered) anew from what it read.
pub async fn create_prepared(
    store: &Store,
    tenant: &TenantCtx,
    prepared: PreparedCharge,
) -> Result<Charge, ServiceError> {
    let tenant_id = tenant.tenant_id;
    let PreparedCharge {
        mut plan,
        new,
        named,
        patient,
        mut charge,
    } = prepared;
    let mut tx = store.begin().await?;
    let mut locked = patients::get_in_tx(&mut tx, tenant_id, patient.id).await?;
    locked.credit_balance = patient.credit_balance;
    let catalogue = copay_store::items::get_many_in_tx(&mut tx, tenant_id, &named).await?;
    let mut stale = matches!(&charge, Some((charge, _)) if charge.patient != locked);
    if let Some(new) = new
        && catalogue != plan.catalogue
    {
        plan = self::plan(tenant_id, new, &catalogue)?;
        charge = plan
            .charge(locked.clone())?
            .map(|charge| (charge, Default::default()));
        stale = true;
    }
    if stale && let Some((charge, rendered)) = &mut charge {
        charge.patient = locked;
        *rendered = render(tenant_id, charge);
    }
    let created = write(
        &mut tx,
        tenant_id,
        plan,
        charge.as_ref().map(|(_, rendered)| rendered),
    )
    .await?;
    tx.commit().await?;
    match charge {
        Some((charge, _)) => Ok(charge),
        None => get(store, tenant, created.row.id).await,
    }
}

fn render(tenant_id: Uuid, charge: &Charge) -> crate::events::RenderedData {
    crate::events::render_snapshot(tenant_id, CREATED, crate::events::Snapshot::Charge(charge))
}

const CREATED: crate::events::EventType = crate::events::EventType::ChargeCreated;

/// Creates a charge inside the caller's transaction; returns its id.
pub(crate) async fn create_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    new: NewCharge,
) -> Result<Uuid, ServiceError> {
    patients::get_in_tx(tx, tenant_id, new.patient_id).await?;
    Ok(create_for_locked_patient(tx, tenant_id, new).await?.row.id)
}

/// A charge [`write`] wrote.
pub(crate) struct Created {
    pub row: ChargeRow,
    /// Its receivable and what it owes, when known without a read (a charge created with
    /// tips has them posted afterwards, which may change both its status and balance).
    pub owed: Option<(Uuid, Cents)>,
}

/// [`create_in_tx`] for a caller that has already locked (and so found) the patient in
/// this transaction: it does not lock them again.
pub(crate) async fn create_for_locked_patient(
    tx: &mut Tx,
    tenant_id: Uuid,
    new: NewCharge,
) -> Result<Created, ServiceError> {
    let catalogue = copay_store::items::get_many_in_tx(tx, tenant_id, &named_items(&new)).await?;
    let planned = plan(tenant_id, new, &catalogue)?;
    write(tx, tenant_id, planned, None).await
}

fn check_quantities(new: &NewCharge) -> Result<(), ServiceError> {
    for (index, line) in new.lines.iter().enumerate() {
        if line.quantity <= 0 {
            return Err(ServiceError::invalid(
                format!("items[{index}].quantity"),
                "must be greater than zero",
            ));
        }
    }
    Ok(())
}

/// The catalogue items a new charge's lines name.
fn named_items(new: &NewCharge) -> Vec<Uuid> {
    new.lines
        .iter()
        .filter_map(|line| match &line.item {
            LineItem::Existing(id) => Some(*id),
            LineItem::Priced { item_id, .. } => *item_id,
            LineItem::New(_) => None,
        })
        .collect()
}

/// A charge creation worked out, with every row it will write (ids chosen), before
/// anything is written.
struct Plan {
    row: ChargeRow,
    lines: Vec<ChargeItemRow>,
    /// Items the charge adds to the catalogue, for the lines that name them.
    new_items: Vec<ItemRow>,
    /// The catalogue items the lines name, as priced.
    catalogue: Vec<ItemRow>,
    gross: Cents,
    discounts: Cents,
    opening: pricing::Opening,
    /// The adjustments the opening records (their operation is set when posted).
    adjustments: Vec<AdjustmentRow>,
    tips: Vec<(Uuid, i64)>,
}

impl Plan {
    /// The charge as [`get`] would read it right after the creation, for `patient`;
    /// `None` for a charge with tips, which are posted on top (changing its balance).
    fn charge(&self, patient: Patient) -> Result<Option<Charge>, ServiceError> {
        if !self.tips.is_empty() {
            return Ok(None);
        }
        written_charge(
            &self.row,
            patient,
            self.opening.outstanding,
            &self.lines,
            self.catalogue.iter().chain(&self.new_items).cloned(),
            self.adjustments.clone(),
        )
        .map(Some)
    }
}

/// Prices `new`'s lines against `catalogue` (the tenant's items its lines name) and opens
/// it: every row the creation writes, or the input's error.
fn plan(tenant_id: Uuid, new: NewCharge, catalogue: &[ItemRow]) -> Result<Plan, ServiceError> {
    check_quantities(&new)?;
    let find_item = |id: &Uuid| {
        catalogue
            .iter()
            .find(|item| item.id == *id)
            .ok_or_else(|| not_found("item", id))
    };
    // Resolve each line: its catalogue item (existing or new) and unit price.
    let mut resolved: Vec<(Option<Uuid>, Option<String>, i64)> =
        Vec::with_capacity(new.lines.len());
    let mut new_items: Vec<ItemRow> = Vec::new();
    for (index, line) in new.lines.iter().enumerate() {
        let resolved_line = match &line.item {
            LineItem::Existing(id) => {
                let item = find_item(id)?;
                (Some(item.id), None, item.price)
            }
            LineItem::New(item) => {
                let row = items::new_row(tenant_id, item.clone()).map_err(|error| match error {
                    ServiceError::Invalid { field, message } => {
                        ServiceError::invalid(format!("items[{index}].item.{field}"), message)
                    }
                    other => other,
                })?;
                let line = (Some(row.id), None, row.price);
                new_items.push(row);
                line
            }
            LineItem::Priced {
                item_id,
                name,
                unit_price,
            } => {
                if let Some(id) = item_id {
                    find_item(id)?;
                }
                (*item_id, name.clone(), *unit_price)
            }
        };
        resolved.push(resolved_line);
    }
    let terms = ChargeTerms {
        custom_amount: Cents::new(new.custom_amount),
        lines: new
            .lines
            .iter()
            .zip(&resolved)
            .map(|(line, (_, _, price))| Line {
                unit_price: Cents::new(*price),
                quantity: line.quantity,
                discount_amount: Cents::new(line.discount_amount),
                discount_percentage: line.discount_percentage,
                tax_amount: Cents::new(line.tax_amount),
            })
            .collect(),
        discount_amount: Cents::new(new.discount_amount),
        discount_percentage: new.discount_percentage,
    };
    let priced = pricing::price(&terms).map_err(|error| pricing_error("items", error))?;
    if let Some(stated) = new.stated_total
        && stated != priced.total.get()
    {
        return Err(ServiceError::invalid(
            "total",
            format!(
                "does not match the charge's items: they total {}",
                priced.total
            ),
        ));
    }
    let opening = pricing::open(priced.total, Cents::new(new.total_outstanding), new.status)
        .map_err(|error| ServiceError::invalid("totalOutstanding", error.to_string()))?;

    let now = copay_store::now();
    let location_id = new
        .attributes
        .get("location_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let row = ChargeRow {
        id: Uuid::now_v7(),
        tenant_id,
        patient_id: new.patient_id,
        external_id: new.external_id,
        status: opening.status.as_str().to_string(),
        total: priced.total.get(),
        custom_amount: new.custom_amount,
        discount_amount: new.discount_amount,
        discount_percentage_millionths: new.discount_percentage.millionths(),
        description: new.description,
        // What the database keeps, so the charge answered from memory reads back the same.
        external_created_date: new.external_created_date.map(copay_store::to_micros),
        rule_set_id: new.rule_set_id,
        meta: new.meta.map(Json),
        attributes: Json(Value::Object(new.attributes)),
        location_id,
        created_at: now,
        updated_at: now,
    };
    let lines: Vec<ChargeItemRow> = new
        .lines
        .iter()
        .zip(&resolved)
        .zip(&priced.line_totals)
        .enumerate()
        .map(
            |(position, ((line, (item_id, name, price)), line_total))| ChargeItemRow {
                id: Uuid::now_v7(),
                tenant_id,
                charge_id: row.id,
                item_id: *item_id,
                position: i64::try_from(position).unwrap_or(i64::MAX),
                quantity: line.quantity,
                unit_price: *price,
                discount_amount: line.discount_amount,
                discount_percentage_millionths: line.discount_percentage.millionths(),
                tax_amount: line.tax_amount,
                line_total: line_total.get(),
                name: name.clone(),
                attributes: Json(Value::Object(Map::new())),
            },
        )
        .collect();
    let adjustments = [
        (
            opening.settled_externally,
            AdjustmentKind::ExternalSettlement,
            "settled before the charge reached copay",
        ),
        (
            opening.written_off,
            AdjustmentKind::WriteOff,
            "written off when the charge was created",
        ),
    ]
    .into_iter()
    .filter(|(amount, _, _)| amount.is_positive())
    .map(|(amount, kind, reason)| AdjustmentRow {
        id: Uuid::now_v7(),
        tenant_id,
        charge_id: row.id,
        amount: -amount.get(),
        adjustment_type: kind.as_str().to_string(),
        reason: Some(reason.to_string()),
        provider_id: None,
        location_id: None,
        operation_id: None,
        created_at: now,
    })
    .collect();
    Ok(Plan {
        row,
        lines,
        new_items,
        catalogue: catalogue.to_vec(),
        gross: priced.gross,
        discounts: priced.discounts,
        opening,
        adjustments,
        tips: new.tips,
    })
}

/// Writes a planned charge: its new items, row and lines, its postings and opening
/// adjustments, its tips, and its `CHARGE_CREATED` event (with bodies from `rendered`,
/// when the caller rendered them).
async fn write(
    tx: &mut Tx,
    tenant_id: Uuid,
    plan: Plan,
    rendered: Option<&crate::events::RenderedData>,
) -> Result<Created, ServiceError> {
    let Plan {
        row,
        lines,
        new_items,
        gross,
        discounts,
        opening,
        adjustments,
        tips,
        ..
    } = plan;
    for item in &new_items {
        copay_store::items::insert(tx, item).await?;
    }
    if let Err(error) = rows::insert(tx, &row).await {
        return Err(if error.is_unique_violation() {
            ServiceError::DuplicateExternalId {
                entity: ENTITY,
                external_id: row.external_id.clone().unwrap_or_default(),
            }
        } else {
            error.into()
        });
    }
    rows::insert_items(tx, &lines).await?;

    let accounts = charge_accounts(tx, tenant_id, row.id).await?;
    let mut transfers = Vec::new();
    transfer(
        &mut transfers,
        TransferKind::ChargeCreated,
        accounts.revenue,
        accounts.receivable,
        gross,
    )?;
    transfer(
        &mut transfers,
        TransferKind::Discount,
        accounts.receivable,
        accounts.discounts,
        discounts,
    )?;
    transfer(
        &mut transfers,
        TransferKind::ExternalSettlement,
        accounts.receivable,
        accounts.external_settlements,
        opening.settled_externally,
    )?;
    transfer(
        &mut transfers,
        TransferKind::WriteOff,
        accounts.receivable,
        accounts.write_offs,
        opening.written_off,
    )?;
    let operation_id = if transfers.is_empty() {
        None
    } else {
        Some(
            post_locked(
                tx,
                tenant_id,
                &accounts.locked,
                "charge_created",
                &transfers,
            )
            .await?,
        )
    };
    for mut adjustment in adjustments {
        adjustment.operation_id = operation_id;
        rows::insert_adjustment(tx, &adjustment).await?;
    }
    let owed = tips
        .is_empty()
        .then_some((accounts.receivable, opening.outstanding));
    for (index, (provider_id, amount)) in tips.into_iter().enumerate() {
        let tip = crate::tips::NewTip {
            charge_id: row.id,
            provider_id,
            amount,
        };
        crate::tips::create_in_tx(tx, tenant_id, tip)
            .await
            .map_err(|error| match error {
                ServiceError::Invalid { field, message } => {
                    ServiceError::invalid(format!("tips[{index}].{field}"), message)
                }
                other => other,
            })?;
    }
    crate::events::record_with_snapshot_in_tx(
        tx,
        tenant_id,
        &[CREATED],
        crate::events::Subject::Charge(row.id),
        rendered,
    )
    .await?;
    Ok(Created { row, owed })
}

/// A charge as [`get`] would read it right after its creation, from the rows the creation
/// wrote: no payments or tips yet, its lines in order with their catalogue items.
fn written_charge(
    row: &ChargeRow,
    patient: Patient,
    outstanding: Cents,
    lines: &[ChargeItemRow],
    catalogue: impl Iterator<Item = ItemRow>,
    adjustments: Vec<AdjustmentRow>,
) -> Result<Charge, ServiceError> {
    let catalogue: HashMap<Uuid, Item> = catalogue
        .map(|item| (item.id, items::from_row(item)))
        .collect();
    let mut charge = charge_from_row(
        ChargeWithBalance {
            charge: row.clone(),
            outstanding: outstanding.get(),
        },
        patient,
    )?;
    charge.lines = lines
        .iter()
        .map(|line| line_from_row(line, &catalogue))
        .collect::<Result<_, _>>()?;
    charge.adjustments = adjustments
        .into_iter()
        .map(adjustment_from_row)
        .collect::<Result<_, _>>()?;
    Ok(charge)
}

/// An adjustment asked for: a signed amount (positive raises what is owed).
#[derive(Debug, Clone)]
pub struct NewAdjustment {
    pub charge_id: Uuid,
    pub amount: i64,
    pub reason: String,
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
}

/// Adjusts what a charge owes. It may not take the outstanding amount below zero, and a
/// voided charge cannot be adjusted. The status follows: owed → `OUTSTANDING`, adjusted
/// to zero → `WRITE_OFF`.
pub async fn adjust(
    store: &Store,
    tenant: &TenantCtx,
    new: NewAdjustment,
) -> Result<Adjustment, ServiceError> {
    let tenant_id = tenant.tenant_id;
    if new.amount == 0 {
        return Err(ServiceError::invalid("amount", "must not be zero"));
    }
    if new.reason.trim().is_empty() {
        return Err(ServiceError::invalid("reason", "must not be empty"));
    }
    let mut tx = store.begin().await?;
    let mut charge = rows::get_for_update(&mut tx, tenant_id, new.charge_id)
        .await?
        .ok_or_else(|| not_found(ENTITY, new.charge_id))?;
    if charge.status == ChargeStatus::Void.as_str() {
        return Err(ServiceError::Unprocessable(format!(
            "charge {} is void and cannot be adjusted",
            charge.id
        )));
    }
    let receivable = ensure_account(
        &mut tx,
        tenant_id,
        AccountKind::ChargeReceivable,
        charge.id,
        "",
    )
    .await?;
    let adjustments =
        ensure_account(&mut tx, tenant_id, AccountKind::Adjustments, tenant_id, "").await?;
    let outstanding = account_balance(&mut tx, tenant_id, receivable)
        .await?
        .map(|account| account.balance)
        .unwrap_or(Cents::ZERO);
    let amount = Cents::new(new.amount);
    let after = outstanding
        .checked_add(amount)
        .map_err(|_| ServiceError::invalid("amount", "is out of range"))?;
    if after.is_negative() {
        return Err(ServiceError::Unprocessable(format!(
            "an adjustment of {} would take charge {} below zero: it has {} outstanding",
            new.amount,
            charge.id,
            outstanding.get()
        )));
    }
    let magnitude = Cents::new(new.amount)
        .checked_neg()
        .map(|negated| if new.amount > 0 { amount } else { negated })
        .map_err(|_| ServiceError::invalid("amount", "is out of range"))?;
    let transfer = if new.amount > 0 {
        Transfer::new(TransferKind::Adjustment, adjustments, receivable, magnitude)?
    } else {
        Transfer::new(TransferKind::Adjustment, receivable, adjustments, magnitude)?
    };
    let operation_id = post_operation(&mut tx, tenant_id, "charge_adjusted", &[transfer]).await?;
    let now = copay_store::now();
    let row = AdjustmentRow {
        id: Uuid::now_v7(),
        tenant_id,
        charge_id: charge.id,
        amount: new.amount,
        adjustment_type: AdjustmentKind::Adjustment.as_str().to_string(),
        reason: Some(new.reason),
        provider_id: new.provider_id,
        location_id: new.location_id,
        operation_id: Some(operation_id),
        created_at: now,
    };
    rows::insert_adjustment(&mut tx, &row).await?;
    charge.status = pricing::derive_status(after, Closing::Adjustment)
        .as_str()
        .to_string();
    charge.updated_at = now;
    rows::set_status(&mut tx, &charge).await?;
    // copay's adjustments take effect at once: created, then succeeded.
    crate::events::record_many_in_tx(
        &mut tx,
        tenant_id,
        &[
            crate::events::EventType::AdjustmentCreated,
            crate::events::EventType::AdjustmentSucceeded,
        ],
        crate::events::Subject::Adjustment(row.id),
    )
    .await?;
    tx.commit().await?;
    adjustment_from_row(row)
}

pub(crate) fn adjustment_from_row(row: AdjustmentRow) -> Result<Adjustment, ServiceError> {
    let kind = AdjustmentKind::parse(&row.adjustment_type).ok_or_else(|| {
        corrupt(format!(
            "adjustment {} has type {:?}",
            row.id, row.adjustment_type
        ))
    })?;
    Ok(Adjustment {
        id: row.id,
        charge_id: row.charge_id,
        amount: row.amount,
        kind,
        reason: row.reason,
        provider_id: row.provider_id,
        location_id: row.location_id,
        created_at: row.created_at,
    })
}

fn charge_from_row(row: ChargeWithBalance, patient: Patient) -> Result<Charge, ServiceError> {
    let charge = row.charge;
    let status = ChargeStatus::parse(&charge.status).ok_or_else(|| {
        corrupt(format!(
            "charge {} has status {:?}",
            charge.id, charge.status
        ))
    })?;
    let discount_percentage = Percent::from_millionths(charge.discount_percentage_millionths)
        .map_err(|_| corrupt(format!("charge {} has a bad percentage", charge.id)))?;
    Ok(Charge {
        id: charge.id,
        patient,
        status,
        total: charge.total,
        total_outstanding: row.outstanding,
        custom_amount: charge.custom_amount,
        discount_amount: charge.discount_amount,
        discount_percentage,
        description: charge.description,
        external_id: charge.external_id,
        external_created_date: charge.external_created_date,
        rule_set_id: charge.rule_set_id,
        meta: charge.meta.map(|json| json.0),
        attributes: match charge.attributes.0 {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        created_at: charge.created_at,
        lines: Vec::new(),
        adjustments: Vec::new(),
        payments: Vec::new(),
        tips: Vec::new(),
    })
}

/// The patients of these charges, by id.
async fn patients_of(
    store: &Store,
    tenant: &TenantCtx,
    rows: &[ChargeWithBalance],
) -> Result<HashMap<Uuid, Patient>, ServiceError> {
    let mut ids: Vec<Uuid> = rows.iter().map(|row| row.charge.patient_id).collect();
    ids.sort();
    ids.dedup();
    let limit = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    let patients = patients::list(store, tenant, None, None, &ids, limit.max(1)).await?;
    Ok(patients.into_iter().map(|p| (p.id, p)).collect())
}

/// A stored line with its catalogue item (when `catalogue` has it).
pub(crate) fn line_from_row(
    line: &ChargeItemRow,
    catalogue: &HashMap<Uuid, Item>,
) -> Result<ChargeLine, ServiceError> {
    Ok(ChargeLine {
        id: line.id,
        item_id: line.item_id,
        item: line.item_id.and_then(|id| catalogue.get(&id).cloned()),
        quantity: line.quantity,
        unit_price: line.unit_price,
        discount_amount: line.discount_amount,
        discount_percentage: Percent::from_millionths(line.discount_percentage_millionths)
            .map_err(|_| corrupt(format!("charge line {} has a bad percentage", line.id)))?,
        tax_amount: line.tax_amount,
        line_total: line.line_total,
        name: line.name.clone(),
    })
}

/// Charges with their patients; with `detail`, also their lines and adjustments.
pub(crate) async fn assemble(
    store: &Store,
    tenant: &TenantCtx,
    rows: Vec<ChargeWithBalance>,
    detail: bool,
) -> Result<Vec<Charge>, ServiceError> {
    let patients = patients_of(store, tenant, &rows).await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.charge.id).collect();
    let tips = if detail {
        store.charge_tips(tenant.tenant_id, &ids).await?
    } else {
        Vec::new()
    };
    let (lines, adjustments, catalogue, payments, refunds) = if detail {
        let lines = store.charge_items(tenant.tenant_id, &ids).await?;
        let payments = store.charge_payments(tenant.tenant_id, &ids).await?;
        let mut payment_ids: Vec<Uuid> = payments.iter().map(|share| share.payment.id).collect();
        payment_ids.sort();
        payment_ids.dedup();
        let refunds = store
            .refunds_of_payments(tenant.tenant_id, &payment_ids)
            .await?;
        let adjustments = store.charge_adjustments(tenant.tenant_id, &ids).await?;
        let item_ids: Vec<Uuid> = lines.iter().filter_map(|line| line.item_id).collect();
        let catalogue: HashMap<Uuid, Item> = store
            .items_by_ids(tenant.tenant_id, &item_ids)
            .await?
            .into_iter()
            .map(|row| (row.id, items::from_row(row)))
            .collect();
        (lines, adjustments, catalogue, payments, refunds)
    } else {
        (
            Vec::new(),
            Vec::new(),
            HashMap::new(),
            Vec::new(),
            Vec::new(),
        )
    };
    let mut charges = Vec::with_capacity(rows.len());
    for row in rows {
        let patient_id = row.charge.patient_id;
        let patient = patients
            .get(&patient_id)
            .cloned()
            .ok_or_else(|| corrupt(format!("charge {} names a missing patient", row.charge.id)))?;
        let mut charge = charge_from_row(row, patient)?;
        for line in lines.iter().filter(|line| line.charge_id == charge.id) {
            charge.lines.push(line_from_row(line, &catalogue)?);
        }
        for share in payments.iter().filter(|p| p.charge_id == charge.id) {
            let mut payment: crate::settlement::Payment = share.payment.clone().into();
            payment.refunds = refunds
                .iter()
                .filter(|refund| refund.payment_id == payment.id)
                .cloned()
                .map(Into::into)
                .collect();
            charge.payments.push(ChargePayment {
                amount: share.share,
                created_at: share.shared_at,
                payment,
            });
        }
        for adjustment in adjustments.iter().filter(|a| a.charge_id == charge.id) {
            charge
                .adjustments
                .push(adjustment_from_row(adjustment.clone())?);
        }
        for tip in tips.iter().filter(|tip| tip.tip.charge_id == charge.id) {
            charge.tips.push(tip.clone().into());
        }
        charges.push(charge);
    }
    Ok(charges)
}

async fn one(
    store: &Store,
    tenant: &TenantCtx,
    row: Option<ChargeWithBalance>,
    id: &str,
) -> Result<Charge, ServiceError> {
    let row = row.ok_or_else(|| not_found(ENTITY, id))?;
    assemble(store, tenant, vec![row], true)
        .await?
        .pop()
        .ok_or_else(|| not_found(ENTITY, id))
}

pub async fn get(store: &Store, tenant: &TenantCtx, id: Uuid) -> Result<Charge, ServiceError> {
    let row = store.charge(tenant.tenant_id, id).await?;
    one(store, tenant, row, &id.to_string()).await
}

pub async fn get_by_external_id(
    store: &Store,
    tenant: &TenantCtx,
    external_id: &str,
) -> Result<Charge, ServiceError> {
    let row = store
        .charge_by_external_id(tenant.tenant_id, external_id)
        .await?;
    one(store, tenant, row, external_id).await
}

/// The largest charge list.
pub const MAX_CHARGE_LIST: u32 = 1000;

/// A bounded list of charge summaries (no lines or adjustments).
pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    query: ChargeQuery,
) -> Result<Vec<Charge>, ServiceError> {
    if query.limit == 0 || query.limit > MAX_CHARGE_LIST {
        return Err(ServiceError::invalid(
            "n",
            format!("must be between 1 and {MAX_CHARGE_LIST}"),
        ));
    }
    let rows = store.list_charges(tenant.tenant_id, &query).await?;
    assemble(store, tenant, rows, false).await
}

/// A bounded charge list with each charge's lines, adjustments and payments.
/// These charges of the tenant with their details (unknown ids are left out), in id
/// order.
pub async fn get_many(
    store: &Store,
    tenant: &TenantCtx,
    ids: &[Uuid],
) -> Result<Vec<Charge>, ServiceError> {
    let rows = store.charges_by_ids(tenant.tenant_id, ids).await?;
    assemble(store, tenant, rows, true).await
}

pub async fn list_with_details(
    store: &Store,
    tenant: &TenantCtx,
    query: ChargeQuery,
) -> Result<Vec<Charge>, ServiceError> {
    if query.limit == 0 || query.limit > MAX_CHARGE_LIST {
        return Err(ServiceError::invalid(
            "n",
            format!("must be between 1 and {MAX_CHARGE_LIST}"),
        ));
    }
    let rows = store.list_charges(tenant.tenant_id, &query).await?;
    assemble(store, tenant, rows, true).await
}
