//! The ledger core on a real database: posting, verification, and concurrent spending.

use std::sync::Arc;

use copay_domain::Cents;
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_store::Store;
use copay_store::ledger::{PostError, ensure_account, post_operation};
use uuid::Uuid;

use crate::harness::TestApp;

crate::both_backends!(
    postings_keep_balances_equal_to_their_transfers,
    verify_names_a_drifted_balance,
    concurrent_spending_never_overdraws_credit,
);

struct Accounts {
    tenant: Uuid,
    credit: Uuid,
    clearing: Uuid,
    revenue: Uuid,
}

async fn open_accounts(store: &Store, tenant: Uuid) -> Accounts {
    let patient = Uuid::now_v7();
    let mut tx = store.begin().await.unwrap();
    let credit = ensure_account(&mut tx, tenant, AccountKind::PatientCredit, patient, "")
        .await
        .unwrap();
    let clearing = ensure_account(&mut tx, tenant, AccountKind::Clearing, tenant, "CASH")
        .await
        .unwrap();
    let revenue = ensure_account(&mut tx, tenant, AccountKind::Revenue, tenant, "")
        .await
        .unwrap();
    // Asking again returns the same account.
    assert_eq!(
        ensure_account(&mut tx, tenant, AccountKind::PatientCredit, patient, "")
            .await
            .unwrap(),
        credit
    );
    tx.commit().await.unwrap();
    Accounts {
        tenant,
        credit,
        clearing,
        revenue,
    }
}

async fn post(store: &Store, tenant: Uuid, transfers: &[Transfer]) -> Result<Uuid, PostError> {
    let mut tx = store.begin().await.unwrap();
    let result = post_operation(&mut tx, tenant, "test", transfers).await;
    if result.is_ok() {
        tx.commit().await.unwrap();
    }
    result
}

async fn presented(store: &Store, tenant: Uuid, account: Uuid) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let account = copay_store::ledger::account_balance(&mut tx, tenant, account)
        .await
        .unwrap()
        .unwrap();
    account.presented().unwrap().get()
}

async fn postings_keep_balances_equal_to_their_transfers(app: &TestApp) {
    let tenant: Uuid = app.tenant("acme").await.tenant_id.parse().unwrap();
    let a = open_accounts(app.store(), tenant).await;
    let issue = Transfer::new(
        TransferKind::CreditIssued,
        a.credit,
        a.clearing,
        Cents::new(10_000),
    )
    .unwrap();
    post(app.store(), tenant, &[issue]).await.unwrap();
    let spend = Transfer::new(
        TransferKind::CreditDrawn,
        a.revenue,
        a.credit,
        Cents::new(2_500),
    )
    .unwrap();
    post(app.store(), tenant, &[spend]).await.unwrap();

    assert_eq!(presented(app.store(), tenant, a.credit).await, 7_500);
    assert_eq!(presented(app.store(), tenant, a.clearing).await, 10_000);
    assert_eq!(presented(app.store(), tenant, a.revenue).await, 2_500);

    // Overspending is refused and writes nothing.
    let overspend = Transfer::new(
        TransferKind::CreditDrawn,
        a.revenue,
        a.credit,
        Cents::new(7_501),
    )
    .unwrap();
    assert!(matches!(
        post(app.store(), tenant, &[overspend]).await,
        Err(PostError::Ledger(_))
    ));
    assert_eq!(presented(app.store(), tenant, a.credit).await, 7_500);

    // Another tenant cannot post against these accounts: they are not found for it.
    let other: Uuid = app.tenant("beta").await.tenant_id.parse().unwrap();
    let foreign = Transfer::new(
        TransferKind::CreditDrawn,
        a.revenue,
        a.credit,
        Cents::new(1),
    )
    .unwrap();
    assert!(matches!(
        post(app.store(), other, &[foreign]).await,
        Err(PostError::Ledger(_))
    ));

    let report = app.verify().await;
    assert!(report.is_ok(), "{:?}", report.violations);
    assert_eq!(report.transfers, 2);
    assert_eq!(report.accounts, 3);
}

async fn verify_names_a_drifted_balance(app: &TestApp) {
    let tenant: Uuid = app.tenant("acme").await.tenant_id.parse().unwrap();
    let a = open_accounts(app.store(), tenant).await;
    let issue = Transfer::new(
        TransferKind::CreditIssued,
        a.credit,
        a.clearing,
        Cents::new(500),
    )
    .unwrap();
    post(app.store(), tenant, &[issue]).await.unwrap();
    app.assert_ledger_ok().await;

    let mut tx = app.store().begin().await.unwrap();
    copay_store::on_tx!(&mut tx, conn => sqlx::query("UPDATE ledger_accounts SET balance = balance + 1 WHERE id = $1")
        .bind(a.credit)
        .execute(conn)
        .await
        .map(|_| ()))
    .unwrap();
    tx.commit().await.unwrap();

    let report = app.verify().await;
    assert_eq!(report.violations.len(), 1, "{:?}", report.violations);
    assert!(report.violations[0].contains(&a.credit.to_string()));
    assert!(report.violations[0].contains("stored balance -499"));

    // A tenant-wide account keeps no stored balance: one written is named too.
    let mut tx = app.store().begin().await.unwrap();
    copay_store::on_tx!(&mut tx, conn => sqlx::query("UPDATE ledger_accounts SET balance = 1 WHERE id = $1")
        .bind(a.clearing)
        .execute(conn)
        .await
        .map(|_| ()))
    .unwrap();
    tx.commit().await.unwrap();
    let report = app.verify().await;
    assert_eq!(report.violations.len(), 2, "{:?}", report.violations);
    assert!(
        report
            .violations
            .iter()
            .any(|violation| violation.contains(&a.clearing.to_string())
                && violation.contains("keeps none"))
    );
}

async fn concurrent_spending_never_overdraws_credit(app: &TestApp) {
    let tenant: Uuid = app.tenant("acme").await.tenant_id.parse().unwrap();
    let a = Arc::new(open_accounts(app.store(), tenant).await);
    let issue = Transfer::new(
        TransferKind::CreditIssued,
        a.credit,
        a.clearing,
        Cents::new(1_000),
    )
    .unwrap();
    post(app.store(), tenant, &[issue]).await.unwrap();

    // 40 spenders of 100 each race for 1,000 of credit: exactly 10 may win.
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let store = app.store().clone();
        let a = a.clone();
        tasks.push(tokio::spawn(async move {
            let spend = Transfer::new(
                TransferKind::CreditDrawn,
                a.revenue,
                a.credit,
                Cents::new(100),
            )
            .unwrap();
            post(&store, a.tenant, &[spend]).await.is_ok()
        }));
    }
    let mut succeeded = 0;
    for task in tasks {
        if task.await.unwrap() {
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 10);
    assert_eq!(presented(app.store(), tenant, a.credit).await, 0);
    app.assert_ledger_ok().await;
}
