//! Facets: the values a charge capture can be found by, read out of its encounter-shaped
//! data when it is written, so that every list filter, ranking hint, search and metadata
//! lookup is an indexed equality or prefix match instead of a scan over JSON.
//!
//! Both sides use the same normalisation: what is stored for a charge and what a filter
//! asks for go through [`Facet::normalize`], so "  Jane   DOE" finds "jane doe".

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use uuid::Uuid;

/// Longest stored value, in bytes. Longer values are cut (on a character boundary) on
/// both sides, which keeps every index key small without refusing any input.
pub const MAX_VALUE_BYTES: usize = 256;

/// Bumped whenever what [`facets_of`] produces changes, so stored facets are recomputed.
pub const FACETS_VERSION: i32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    BillingProviderNpi,
    ServiceFacilityName,
    PrimaryPayerId,
    PrimaryPayerName,
    RenderingProviderNpi,
    RenderingProviderName,
    SupervisingProviderNpi,
    SupervisingProviderName,
    ClaimCreationCategory,
    Tag,
    PatientName,
    BillableStatus,
    ResponsibleParty,
    /// A word the free-text search matches by prefix.
    SearchWord,
    /// `schema_id` of a metadata instance.
    MetadataSchema,
    /// `schema_id`, key and canonical JSON value of one metadata entry.
    MetadataEntry,
}

/// How a facet's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matching {
    /// Identifiers and codes: compared as given, without surrounding blanks.
    Exact,
    /// Names: case and runs of white space do not matter.
    Name,
}

impl Facet {
    pub fn as_str(self) -> &'static str {
        match self {
            Facet::BillingProviderNpi => "billing_provider_npi",
            Facet::ServiceFacilityName => "service_facility_name",
            Facet::PrimaryPayerId => "primary_payer_id",
            Facet::PrimaryPayerName => "primary_payer_name",
            Facet::RenderingProviderNpi => "rendering_provider_npi",
            Facet::RenderingProviderName => "rendering_provider_name",
            Facet::SupervisingProviderNpi => "supervising_provider_npi",
            Facet::SupervisingProviderName => "supervising_provider_name",
            Facet::ClaimCreationCategory => "claim_creation_category",
            Facet::Tag => "tag",
            Facet::PatientName => "patient_name",
            Facet::BillableStatus => "billable_status",
            Facet::ResponsibleParty => "responsible_party",
            Facet::SearchWord => "search_word",
            Facet::MetadataSchema => "metadata_schema",
            Facet::MetadataEntry => "metadata_entry",
        }
    }

    fn matching(self) -> Matching {
        match self {
            Facet::ServiceFacilityName
            | Facet::PrimaryPayerName
            | Facet::RenderingProviderName
            | Facet::SupervisingProviderName
            | Facet::PatientName
            | Facet::SearchWord => Matching::Name,
            _ => Matching::Exact,
        }
    }

    /// The stored form of `raw` for this facet; `None` for a blank value, which is never
    /// stored and never matches.
    pub fn normalize(self, raw: &str) -> Option<String> {
        let text = match self.matching() {
            Matching::Exact => raw.trim().to_string(),
            Matching::Name => raw
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
        };
        (!text.is_empty()).then(|| truncate(text))
    }
}

fn truncate(mut text: String) -> String {
    if text.len() > MAX_VALUE_BYTES {
        let mut end = MAX_VALUE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// The charge-level fields facets are read from, besides its data.
#[derive(Debug, Clone, Copy)]
pub struct FacetSource<'a> {
    pub id: Uuid,
    pub charge_external_id: &'a str,
    pub patient_external_id: &'a str,
    pub claim_creation_category: Option<&'a str>,
    pub data: &'a Value,
    pub metadata: Option<&'a Value>,
}

fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |current, key| current.get(*key))
        .and_then(Value::as_str)
}

/// "first last" when either part is there, else nothing.
fn person_name(person: Option<&Value>) -> Option<String> {
    let person = person?;
    let parts: Vec<&str> = ["first_name", "last_name"]
        .iter()
        .filter_map(|key| at(person, &[key]))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Every facet value of one charge capture, without repeats.
pub fn facets_of(source: &FacetSource<'_>) -> BTreeSet<(Facet, String)> {
    let data = source.data;
    let mut out = BTreeSet::new();
    let mut add = |facet: Facet, raw: Option<&str>| {
        if let Some(value) = raw.and_then(|raw| facet.normalize(raw)) {
            out.insert((facet, value));
        }
    };
    add(
        Facet::BillingProviderNpi,
        at(data, &["billing_provider", "npi"]),
    );
    add(
        Facet::ServiceFacilityName,
        at(data, &["service_facility", "organization_name"]),
    );
    let card = ["subscriber_primary", "insurance_card"];
    add(
        Facet::PrimaryPayerId,
        at(data, &[card[0], card[1], "payer_id"]),
    );
    add(
        Facet::PrimaryPayerName,
        at(data, &[card[0], card[1], "payer_name"]),
    );
    for (provider, npi_facet, name_facet) in [
        (
            "rendering_provider",
            Facet::RenderingProviderNpi,
            Facet::RenderingProviderName,
        ),
        (
            "supervising_provider",
            Facet::SupervisingProviderNpi,
            Facet::SupervisingProviderName,
        ),
    ] {
        add(npi_facet, at(data, &[provider, "npi"]));
        add(name_facet, person_name(data.get(provider)).as_deref());
        add(name_facet, at(data, &[provider, "organization_name"]));
    }
    add(Facet::ClaimCreationCategory, source.claim_creation_category);
    if let Some(tags) = data.get("tag_ids").and_then(Value::as_array) {
        for tag in tags {
            add(Facet::Tag, tag.as_str());
        }
    }
    let patient_name = person_name(data.get("patient"));
    add(Facet::PatientName, patient_name.as_deref());
    add(Facet::BillableStatus, at(data, &["billable_status"]));
    add(Facet::ResponsibleParty, at(data, &["responsible_party"]));

    let id = source.id.to_string();
    let searchable = [
        Some(id.as_str()),
        Some(source.patient_external_id),
        Some(source.charge_external_id),
        at(data, &["patient", "date_of_birth"]),
        patient_name.as_deref(),
    ];
    for text in searchable.into_iter().flatten() {
        for word in search_words(text) {
            out.insert((Facet::SearchWord, word));
        }
    }

    if let Some(instances) = source.metadata.and_then(Value::as_array) {
        for instance in instances {
            let Some(schema) = instance.get("schema_id").and_then(Value::as_str) else {
                continue;
            };
            if let Some(value) = Facet::MetadataSchema.normalize(schema) {
                out.insert((Facet::MetadataSchema, value));
            }
            if let Some(content) = instance.get("content").and_then(Value::as_object) {
                for (key, value) in content {
                    out.insert((Facet::MetadataEntry, metadata_entry(schema, key, value)));
                }
            }
        }
    }
    out
}

/// The words of a search text, each matched as a prefix of some stored word.
pub fn search_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|word| Facet::SearchWord.normalize(word))
        .collect()
}

/// The stored form of one metadata key and value under a schema: equal JSON values give
/// equal text whatever their key order.
/// An entry too long to store whole is stored as a digest of the whole, so two long
/// values that differ never compare equal.
pub fn metadata_entry(schema_id: &str, key: &str, value: &Value) -> String {
    let entry = format!(
        "{}\u{1f}{key}\u{1f}{}",
        schema_id.trim().to_lowercase(),
        canonical(value)
    );
    if entry.len() <= MAX_VALUE_BYTES {
        return entry;
    }
    use sha2::Digest;
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(entry.as_bytes()))
    )
}

fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let sorted: Map<String, Value> = entries
                .into_iter()
                .map(|(key, value)| (key.clone(), canonical(value)))
                .collect();
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
