//! The payer directory (installation-wide): read, list, resolve a request's payer
//! identifier to an entry, and import a directory file.

use std::collections::HashMap;
use std::io::Read;

use serde_json::{Map, Value};
use uuid::Uuid;

use copay_store::payers::{self as rows, PayerCursor, PayerRow};
use copay_store::{Json, Store, Tx};

use crate::ServiceError;
use crate::paging;

const ENTITY: &str = "payer";

/// How a request names a payer (Candid's `PayerIdentifier`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayerIdentifier {
    /// By national payer id; an id the directory lacks is added with this name.
    Info {
        payer_id: String,
        payer_name: String,
    },
    /// By directory uuid; it must exist.
    Uuid(Uuid),
}

/// The directory entry `identifier` names, in the caller's transaction.
///
/// `payer_info` matches on the payer id (surrounding blanks ignored). A payer id the
/// directory does not have yet becomes a new entry with the given name, so a client can
/// name any payer its clearinghouse knows; for a known id the directory's name stands and
/// the given one is ignored (the directory is shared by every tenant, so one tenant's
/// spelling must not rename it for the others). `payer_uuid` must name an entry.
pub async fn resolve_in_tx(
    tx: &mut Tx,
    identifier: &PayerIdentifier,
) -> Result<PayerRow, ServiceError> {
    match identifier {
        PayerIdentifier::Uuid(payer_uuid) => {
            rows::get_in_tx(tx, *payer_uuid)
                .await?
                .ok_or_else(|| ServiceError::NotFound {
                    entity: ENTITY,
                    id: payer_uuid.to_string(),
                })
        }
        PayerIdentifier::Info {
            payer_id,
            payer_name,
        } => {
            let payer_id = required("payer_identifier.payer_id", payer_id)?;
            let payer_name = required("payer_identifier.payer_name", payer_name)?;
            let row = PayerRow::new(payer_id, payer_name, copay_store::now());
            Ok(rows::insert_if_missing(tx, &row).await?)
        }
    }
}

fn required<'a>(field: &str, value: &'a str) -> Result<&'a str, ServiceError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ServiceError::invalid(field, "must not be empty"));
    }
    if let Some(problem) = text_problem(value) {
        return Err(ServiceError::invalid(field, problem));
    }
    Ok(value)
}

/// Why `value` cannot be a directory text, if it cannot.
fn text_problem(value: &str) -> Option<&'static str> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Some("must be at most 255 characters");
    }
    if value.chars().any(char::is_control) {
        return Some("must not contain control characters");
    }
    None
}

const MAX_TEXT_CHARS: usize = 255;

pub async fn get(store: &Store, payer_uuid: Uuid) -> Result<PayerRow, ServiceError> {
    store
        .payer(payer_uuid)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: ENTITY,
            id: payer_uuid.to_string(),
        })
}

/// The payers with these uuids, by uuid; unknown uuids are absent from the map.
pub async fn get_many(
    store: &Store,
    payer_uuids: &[Uuid],
) -> Result<HashMap<Uuid, PayerRow>, ServiceError> {
    let rows = store.payers_by_uuids(payer_uuids).await?;
    Ok(rows.into_iter().map(|row| (row.payer_uuid, row)).collect())
}

#[derive(Debug, Clone)]
pub struct PayerPage {
    pub items: Vec<PayerRow>,
    pub next_page_token: Option<String>,
}

const PAGE_TAG: &str = "payers1|name";

fn encode_cursor(row: &PayerRow) -> String {
    // The uuid has no `|`, so the name after the first one may contain any character.
    paging::encode(PAGE_TAG, &format!("{}|{}", row.payer_uuid, row.payer_name))
}

fn decode_cursor(token: Option<&str>) -> Result<Option<PayerCursor>, ServiceError> {
    let Some(token) = token else {
        return Ok(None);
    };
    paging::decode(PAGE_TAG, token)
        .and_then(|payload| {
            let (uuid, name) = payload.split_once('|')?;
            Some(PayerCursor {
                payer_uuid: Uuid::parse_str(uuid).ok()?,
                payer_name: name.to_string(),
            })
        })
        .map(Some)
        .ok_or_else(|| ServiceError::invalid("page_token", "is not a page token of this list"))
}

/// One page of the directory in name order (then uuid; names compare byte-wise). With a
/// `search_term`, only payers whose name or payer id contains it, ignoring case.
/// `limit` is 1–1000.
pub async fn list(
    store: &Store,
    search_term: Option<&str>,
    limit: u32,
    page_token: Option<&str>,
) -> Result<PayerPage, ServiceError> {
    paging::check_limit(limit)?;
    let after = decode_cursor(page_token)?;
    let search_term = search_term.map(str::trim).filter(|term| !term.is_empty());
    let mut rows = store
        .list_payers(search_term, after.as_ref(), limit + 1)
        .await?;
    let next_page_token = paging::last_before_next_page(&mut rows, limit).map(encode_cursor);
    Ok(PayerPage {
        items: rows,
        next_page_token,
    })
}

/// What an import did: rows in the file, and how many were new, changed, or already as
/// the file has them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Rows written per transaction during an import.
pub const IMPORT_BATCH_ROWS: usize = 500;

const REQUIRED_COLUMNS: [&str; 2] = ["payer_id", "payer_name"];
const OPTIONAL_COLUMNS: [&str; 10] = [
    "availity_payer_name",
    "availity_claims_payer_id",
    "availity_eligibility_id",
    "availity_remittance_payer_id",
    "address1",
    "address2",
    "city",
    "state",
    "zip_code",
    "zip_plus_four_code",
];
/// Address columns that must be filled whenever any address column is.
const ADDRESS_REQUIRED: [&str; 4] = ["address1", "city", "state", "zip_code"];
const ADDRESS_COLUMNS: [&str; 6] = [
    "address1",
    "address2",
    "city",
    "state",
    "zip_code",
    "zip_plus_four_code",
];

/// Imports a directory file: CSV with a header row naming `payer_id` and `payer_name` and
/// any of the optional columns (availity ids and names, and the street address as
/// `address1`, `address2`, `city`, `state`, `zip_code`, `zip_plus_four_code`). Each row
/// adds the payer id to the directory or overwrites that entry's details.
///
/// The whole file is checked before anything is written: the first bad row (or unknown
/// column, or payer id repeated) fails the import naming its line, and the directory is
/// left as it was. Rows are then written in transactions of [`IMPORT_BATCH_ROWS`];
/// `progress(done, total)` is called after each. A database failure part-way leaves the
/// earlier batches written; importing the same file again finishes the job.
pub async fn import_csv(
    store: &Store,
    reader: impl Read,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportReport, ServiceError> {
    let parsed = parse_csv(reader)?;
    let total = parsed.len();
    let mut report = ImportReport {
        imported: total,
        ..ImportReport::default()
    };
    let mut done = 0;
    for batch in parsed.chunks(IMPORT_BATCH_ROWS) {
        let mut tx = store.begin().await?;
        let ids: Vec<String> = batch.iter().map(|row| row.payer_id.clone()).collect();
        let existing: HashMap<String, PayerRow> = rows::by_payer_ids(&mut tx, &ids)
            .await?
            .into_iter()
            .map(|row| (row.payer_id.clone(), row))
            .collect();
        let now = copay_store::now();
        for row in batch {
            match existing.get(&row.payer_id) {
                Some(stored) if stored.same_details(row) => report.unchanged += 1,
                Some(stored) => {
                    report.updated += 1;
                    let changed = PayerRow {
                        payer_uuid: stored.payer_uuid,
                        created_at: stored.created_at,
                        updated_at: now,
                        ..row.clone()
                    };
                    rows::upsert(&mut tx, &changed).await?;
                }
                None => {
                    report.created += 1;
                    let new = PayerRow {
                        payer_uuid: Uuid::now_v7(),
                        created_at: now,
                        updated_at: now,
                        ..row.clone()
                    };
                    rows::upsert(&mut tx, &new).await?;
                }
            }
        }
        tx.commit().await?;
        done += batch.len();
        progress(done, total);
    }
    Ok(report)
}

/// Candid's `State` enum: the 50 states, DC, territories and military post codes.
const STATES: [&str; 63] = [
    "AA", "AE", "AP", "AL", "AK", "AS", "AZ", "AR", "CA", "CO", "CT", "DC", "DE", "FL", "FM", "GA",
    "GU", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MH", "MI", "MN", "MP",
    "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "PR",
    "PW", "RI", "SC", "SD", "TN", "TX", "UT", "VI", "VT", "VA", "WA", "WV", "WI", "WY", "FC",
];

/// Checks the address parts the SDK types: `state` is a `State` code (any case, stored
/// upper), `zip_code` five digits, `zip_plus_four_code` four.
fn check_address(address: &mut Map<String, Value>) -> Result<(), String> {
    if let Some(Value::String(state)) = address.get_mut("state") {
        let upper = state.to_ascii_uppercase();
        if !STATES.contains(&upper.as_str()) {
            return Err(format!(
                "state {state:?} is not a US state or territory code"
            ));
        }
        *state = upper;
    }
    for (column, digits) in [("zip_code", 5), ("zip_plus_four_code", 4)] {
        if let Some(Value::String(value)) = address.get(column)
            && (value.len() != digits || !value.bytes().all(|byte| byte.is_ascii_digit()))
        {
            return Err(format!("{column} {value:?} is not {digits} digits"));
        }
    }
    Ok(())
}

fn line_error(line: u64, message: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(format!("line {line}"), message.to_string())
}

fn csv_error(error: csv::Error) -> ServiceError {
    let line = error.position().map(csv::Position::line).unwrap_or(1);
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_string(),
        _ => error.to_string(),
    };
    line_error(line, message)
}

/// Every row of the file as a directory entry (uuid and times are filled in on write).
fn parse_csv(reader: impl Read) -> Result<Vec<PayerRow>, ServiceError> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = csv.headers().map_err(csv_error)?.clone();
    let mut columns: HashMap<&'static str, usize> = HashMap::new();
    for (index, name) in headers.iter().enumerate() {
        let name = name.trim_start_matches('\u{feff}');
        let known = REQUIRED_COLUMNS
            .into_iter()
            .chain(OPTIONAL_COLUMNS)
            .find(|column| *column == name)
            .ok_or_else(|| line_error(1, format!("unknown column {name:?}")))?;
        if columns.insert(known, index).is_some() {
            return Err(line_error(1, format!("column {name:?} appears twice")));
        }
    }
    for column in REQUIRED_COLUMNS {
        if !columns.contains_key(column) {
            return Err(line_error(1, format!("the header has no {column} column")));
        }
    }
    let placeholder_time = time::OffsetDateTime::UNIX_EPOCH;
    let mut rows = Vec::new();
    let mut lines_by_id: HashMap<String, u64> = HashMap::new();
    for record in csv.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map(csv::Position::line).unwrap_or(0);
        let mut values: HashMap<&str, String> = HashMap::new();
        for (column, index) in &columns {
            let value = record.get(*index).unwrap_or_default();
            if value.is_empty() {
                continue;
            }
            if let Some(problem) = text_problem(value) {
                return Err(line_error(line, format!("{column} {problem}")));
            }
            values.insert(column, value.to_string());
        }
        let mut take = |column: &str| values.remove(column);
        let payer_id = take("payer_id").ok_or_else(|| line_error(line, "payer_id is empty"))?;
        let payer_name =
            take("payer_name").ok_or_else(|| line_error(line, "payer_name is empty"))?;
        if let Some(first) = lines_by_id.insert(payer_id.clone(), line) {
            return Err(line_error(
                line,
                format!("payer_id {payer_id:?} is already on line {first}"),
            ));
        }
        let mut row = PayerRow::new(&payer_id, &payer_name, placeholder_time);
        row.availity_payer_name = take("availity_payer_name");
        row.availity_claims_payer_id = take("availity_claims_payer_id");
        row.availity_eligibility_id = take("availity_eligibility_id");
        row.availity_remittance_payer_id = take("availity_remittance_payer_id");
        let mut address: Map<String, Value> = ADDRESS_COLUMNS
            .iter()
            .filter_map(|column| {
                take(column).map(|value| (column.to_string(), Value::String(value)))
            })
            .collect();
        if !address.is_empty() {
            if let Some(missing) = ADDRESS_REQUIRED
                .iter()
                .find(|column| !address.contains_key(**column))
            {
                return Err(line_error(
                    line,
                    format!(
                        "{missing} is empty; an address needs address1, city, state and zip_code"
                    ),
                ));
            }
            check_address(&mut address).map_err(|message| line_error(line, message))?;
            row.street_address = Some(Json(Value::Object(address)));
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<PayerRow>, String> {
        parse_csv(text.as_bytes()).map_err(|error| error.to_string())
    }

    #[test]
    fn reads_required_and_optional_columns() {
        let rows = parse(
            "payer_name,payer_id,availity_claims_payer_id,address1,city,state,zip_code\n\
             \"Acme Health, Inc.\", A1 ,AV1,1 Main St,Springfield,il,62701\n\
             Beta Plan,B2,,,,,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].payer_id, "A1");
        assert_eq!(rows[0].payer_name, "Acme Health, Inc.");
        assert_eq!(rows[0].availity_claims_payer_id.as_deref(), Some("AV1"));
        assert_eq!(
            rows[0].street_address.as_ref().map(|json| json.0.clone()),
            Some(
                serde_json::json!({"address1": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "62701"})
            )
        );
        assert_eq!(rows[1].street_address, None);
        assert_eq!(rows[1].availity_claims_payer_id, None);
    }

    #[test]
    fn bad_rows_name_their_line() {
        assert_eq!(
            parse("payer_id,payer_name\nA1,Acme\nB2,\n").unwrap_err(),
            "line 3: payer_name is empty"
        );
        assert_eq!(
            parse("payer_id,payer_name\nA1,Acme\nA1,Again\n").unwrap_err(),
            "line 3: payer_id \"A1\" is already on line 2"
        );
        assert_eq!(
            parse("payer_id,payer_name\nA1,Acme,extra\n").unwrap_err(),
            "line 2: has 3 fields, the header has 2"
        );
        assert_eq!(
            parse("payer_id,payer_name,city\nA1,Acme,Springfield\n").unwrap_err(),
            "line 2: address1 is empty; an address needs address1, city, state and zip_code"
        );
        assert_eq!(
            parse("payer_id,payer_name,address1,city,state,zip_code\nA1,Acme,1 Main,X,ZZ,12345\n")
                .unwrap_err(),
            "line 2: state \"ZZ\" is not a US state or territory code"
        );
        assert_eq!(
            parse("payer_id,payer_name,address1,city,state,zip_code\nA1,Acme,1 Main,X,il,1234\n")
                .unwrap_err(),
            "line 2: zip_code \"1234\" is not 5 digits"
        );
        assert_eq!(
            parse("payer_id,name\nA1,Acme\n").unwrap_err(),
            "line 1: unknown column \"name\""
        );
        assert_eq!(
            parse("payer_id\nA1\n").unwrap_err(),
            "line 1: the header has no payer_name column"
        );
    }

    #[test]
    fn page_tokens_carry_name_and_uuid() {
        let row = PayerRow::new("A1", "Name | with bar", time::OffsetDateTime::UNIX_EPOCH);
        let token = encode_cursor(&row);
        assert_eq!(
            decode_cursor(Some(&token)).unwrap(),
            Some(PayerCursor {
                payer_name: "Name | with bar".into(),
                payer_uuid: row.payer_uuid,
            })
        );
        assert!(decode_cursor(Some("garbage")).is_err());
    }
}
