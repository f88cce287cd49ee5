//! The money on a claim as its service lines and AR itemization show it (DESIGN.md §5).
//!
//! Per service line (and per claim for money not broken down to lines), the sums of live
//! payments, refunds and write-offs give:
//! - insurance paid = insurance payments − insurance refunds;
//! - patient balance = charge − insurance paid + insurance refunded − insurance and
//!   patient write-offs − patient paid + patient refunded.
//!
//! The patient balance is the line's whole open balance: what the patient owes once the
//! payer is done. copay ingests no adjudications, so it never knows an allowed amount or a
//! patient responsibility smaller than that; the same figure is the sum of the line's two
//! ledger accounts (insurance balance + patient balance), which `copay verify` and the
//! tests hold it to.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::allocation::EntryKind;
use crate::claim_write_off::WriteOffSide;
use crate::money::{Cents, MoneyError};

/// Which sum an amount belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Charge,
    Entry(EntryKind),
    /// Write-offs, net of their reverts (a revert's amount is negative).
    WriteOff(WriteOffSide),
}

impl Bucket {
    /// The stored names: `charge`, an entry kind, or `write_off:<SIDE>`.
    pub fn parse(text: &str) -> Option<Bucket> {
        if text == "charge" {
            return Some(Bucket::Charge);
        }
        if let Some(side) = text.strip_prefix("write_off:") {
            return WriteOffSide::parse(side).map(Bucket::WriteOff);
        }
        EntryKind::parse(text).map(Bucket::Entry)
    }
}

/// The sums of live money on one target, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetMoney {
    pub charge: i64,
    pub insurance_paid: i64,
    pub insurance_refunded: i64,
    pub patient_paid: i64,
    pub patient_refunded: i64,
    pub insurance_written_off: i64,
    pub patient_written_off: i64,
}

fn sum(parts: &[i64]) -> Result<i64, MoneyError> {
    Cents::checked_sum(parts.iter().copied().map(Cents::new)).map(Cents::get)
}

impl TargetMoney {
    pub fn add(&mut self, bucket: Bucket, cents: i64) -> Result<(), MoneyError> {
        let slot = match bucket {
            Bucket::Charge => &mut self.charge,
            Bucket::Entry(EntryKind::InsurancePayment) => &mut self.insurance_paid,
            Bucket::Entry(EntryKind::InsuranceRefund) => &mut self.insurance_refunded,
            Bucket::Entry(EntryKind::PatientPayment) => &mut self.patient_paid,
            Bucket::Entry(EntryKind::PatientRefund) => &mut self.patient_refunded,
            Bucket::WriteOff(WriteOffSide::Insurance) => &mut self.insurance_written_off,
            Bucket::WriteOff(WriteOffSide::Patient) => &mut self.patient_written_off,
        };
        *slot = sum(&[*slot, cents])?;
        Ok(())
    }

    /// Insurance payments net of insurance refunds.
    pub fn insurance_paid_net(&self) -> Result<i64, MoneyError> {
        Cents::new(self.insurance_paid)
            .checked_sub(Cents::new(self.insurance_refunded))
            .map(Cents::get)
    }

    /// Patient payments net of patient refunds.
    pub fn patient_paid_net(&self) -> Result<i64, MoneyError> {
        Cents::new(self.patient_paid)
            .checked_sub(Cents::new(self.patient_refunded))
            .map(Cents::get)
    }

    /// DESIGN.md §5's patient balance (negative: the patient paid more than is owed).
    pub fn patient_balance(&self) -> Result<i64, MoneyError> {
        let taken = sum(&[
            self.insurance_paid_net()?,
            self.insurance_written_off,
            self.patient_written_off,
            self.patient_paid_net()?,
        ])?;
        Cents::new(self.charge)
            .checked_sub(Cents::new(taken))
            .map(Cents::get)
    }
}

/// The money on one claim: per service line, and on the claim itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimMoney {
    pub lines: BTreeMap<Uuid, TargetMoney>,
    /// Money allocated or written off on the claim as a whole (it carries no charge).
    pub claim_level: TargetMoney,
}

impl ClaimMoney {
    /// Adds an amount on a line, or on the claim itself when `line` is `None`.
    pub fn add(
        &mut self,
        line: Option<Uuid>,
        bucket: Bucket,
        cents: i64,
    ) -> Result<(), MoneyError> {
        match line {
            Some(id) => self.lines.entry(id).or_default().add(bucket, cents),
            None => self.claim_level.add(bucket, cents),
        }
    }

    pub fn line(&self, id: Uuid) -> TargetMoney {
        self.lines.get(&id).copied().unwrap_or_default()
    }

    /// The claim's patient balance: its lines' balances less the claim-level money (both
    /// sides' payments net of refunds, and claim-level write-offs).
    pub fn patient_balance(&self) -> Result<i64, MoneyError> {
        let mut parts = Vec::with_capacity(self.lines.len() + 1);
        for line in self.lines.values() {
            parts.push(line.patient_balance()?);
        }
        parts.push(self.claim_level.patient_balance()?);
        sum(&parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(charge: i64) -> TargetMoney {
        TargetMoney {
            charge,
            ..TargetMoney::default()
        }
    }

    #[test]
    fn the_patient_balance_follows_design_section_5() {
        let mut money = line(10000);
        money
            .add(Bucket::Entry(EntryKind::InsurancePayment), 6000)
            .unwrap();
        money
            .add(Bucket::Entry(EntryKind::InsuranceRefund), 1000)
            .unwrap();
        money
            .add(Bucket::Entry(EntryKind::PatientPayment), 2000)
            .unwrap();
        money
            .add(Bucket::Entry(EntryKind::PatientRefund), 500)
            .unwrap();
        money
            .add(Bucket::WriteOff(WriteOffSide::Patient), 1000)
            .unwrap();
        money
            .add(Bucket::WriteOff(WriteOffSide::Insurance), 300)
            .unwrap();
        assert_eq!(money.insurance_paid_net(), Ok(5000));
        assert_eq!(money.patient_paid_net(), Ok(1500));
        // 10000 − 6000 + 1000 − 300 − 1000 − 2000 + 500
        assert_eq!(money.patient_balance(), Ok(2200));
        // A revert is a write-off of the opposite amount.
        money
            .add(Bucket::WriteOff(WriteOffSide::Patient), -1000)
            .unwrap();
        assert_eq!(money.patient_balance(), Ok(3200));
    }

    #[test]
    fn the_claim_balance_subtracts_claim_level_money() {
        let mut claim = ClaimMoney::default();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        claim.add(Some(a), Bucket::Charge, 10000).unwrap();
        claim.add(Some(b), Bucket::Charge, 5000).unwrap();
        claim
            .add(Some(a), Bucket::Entry(EntryKind::PatientPayment), 2000)
            .unwrap();
        claim
            .add(None, Bucket::Entry(EntryKind::PatientPayment), 700)
            .unwrap();
        claim
            .add(None, Bucket::Entry(EntryKind::InsurancePayment), 300)
            .unwrap();
        claim
            .add(None, Bucket::WriteOff(WriteOffSide::Insurance), 100)
            .unwrap();
        assert_eq!(claim.line(a).patient_balance(), Ok(8000));
        assert_eq!(claim.line(b).patient_balance(), Ok(5000));
        assert_eq!(claim.line(Uuid::from_u128(3)), TargetMoney::default());
        assert_eq!(claim.patient_balance(), Ok(13000 - 700 - 300 - 100));
    }

    #[test]
    fn overpayment_is_a_negative_balance_and_overflow_an_error() {
        let mut money = line(100);
        money
            .add(Bucket::Entry(EntryKind::PatientPayment), 150)
            .unwrap();
        assert_eq!(money.patient_balance(), Ok(-50));
        let mut huge = line(i64::MAX);
        assert_eq!(
            huge.add(Bucket::Charge, 1),
            Err(MoneyError::Overflow),
            "sums are checked"
        );
        huge.patient_refunded = i64::MAX;
        huge.patient_paid = -1;
        assert!(huge.patient_balance().is_err());
    }

    #[test]
    fn buckets_parse_from_their_stored_names() {
        assert_eq!(Bucket::parse("charge"), Some(Bucket::Charge));
        assert_eq!(
            Bucket::parse("patient_refund"),
            Some(Bucket::Entry(EntryKind::PatientRefund))
        );
        assert_eq!(
            Bucket::parse("write_off:INSURANCE"),
            Some(Bucket::WriteOff(WriteOffSide::Insurance))
        );
        assert_eq!(Bucket::parse("write_off:OTHER"), None);
        assert_eq!(Bucket::parse("tip"), None);
    }
}
