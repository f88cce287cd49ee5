//! Turning request bytes into typed values with the failing field's path, shared by both
//! dialects (each renders the path its own way).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use time::Date;
use time::macros::format_description;

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// Why a body could not become the expected type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: Vec<PathSegment>,
    /// Human-readable, without serde's "at line N column M" suffix.
    pub message: String,
    /// A pydantic-style error type: `missing`, `enum`, `type_error`, `json_invalid`, ...
    pub kind: &'static str,
}

impl FieldError {
    pub fn at(path: &[&str], message: impl Into<String>, kind: &'static str) -> FieldError {
        FieldError {
            path: path
                .iter()
                .map(|key| PathSegment::Key((*key).to_string()))
                .collect(),
            message: message.into(),
            kind,
        }
    }

    /// The error at a dotted path with indexes (`items[0].item.name`), the form the
    /// service layer names fields in.
    pub fn at_dotted(dotted: &str, message: impl Into<String>, kind: &'static str) -> FieldError {
        let mut path = Vec::new();
        for part in dotted.split('.') {
            let mut pieces = part.split('[');
            if let Some(key) = pieces.next().filter(|key| !key.is_empty()) {
                path.push(PathSegment::Key(key.to_string()));
            }
            for index in pieces {
                match index.trim_end_matches(']').parse() {
                    Ok(index) => path.push(PathSegment::Index(index)),
                    Err(_) => path.push(PathSegment::Key(index.to_string())),
                }
            }
        }
        FieldError {
            path,
            message: message.into(),
            kind,
        }
    }

    /// `data.service_lines[0].quantity`
    pub fn dotted_path(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            match segment {
                PathSegment::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                PathSegment::Index(index) => {
                    out.push_str(&format!("[{index}]"));
                }
            }
        }
        out
    }
}

/// Parses JSON into `T`, reporting the path of the first failing field. An empty body is
/// read as `{}` when `empty_is_object` (the Candid SDK sends no body for an empty PATCH).
pub fn parse_json<T: DeserializeOwned>(
    bytes: &[u8],
    empty_is_object: bool,
) -> Result<T, FieldError> {
    let bytes: &[u8] = if empty_is_object && bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(into_field_error)?;
    deserializer.end().map_err(|error| FieldError {
        path: Vec::new(),
        message: strip_position(&error.to_string()),
        kind: "json_invalid",
    })?;
    Ok(value)
}

/// Checks that an already-parsed JSON value has the shape of `T`, reporting paths under
/// `prefix` (for a nested document validated on its own, such as Candid's `data`).
pub fn check_value<T: DeserializeOwned>(
    value: &serde_json::Value,
    prefix: &str,
) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut error = into_field_error(error);
        error.path.insert(0, PathSegment::Key(prefix.to_string()));
        error
    })
}

/// For `Option<Option<T>>` fields: absent → `None` (with `#[serde(default)]`), `null` →
/// `Some(None)`, a value → `Some(Some(v))`. PATCH bodies need the difference.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

fn into_field_error(error: serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let mut path: Vec<PathSegment> = error
        .path()
        .iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(PathSegment::Key(key.clone())),
            serde_path_to_error::Segment::Seq { index } => Some(PathSegment::Index(*index)),
            serde_path_to_error::Segment::Enum { variant } => {
                Some(PathSegment::Key(variant.clone()))
            }
            serde_path_to_error::Segment::Unknown => None,
        })
        .collect();
    let inner = error.into_inner();
    let message = strip_position(&inner.to_string());
    let kind = if inner.is_syntax() || inner.is_eof() {
        "json_invalid"
    } else if let Some(field) = missing_field(&message) {
        path.push(PathSegment::Key(field));
        return FieldError {
            path,
            message: "Field required".into(),
            kind: "missing",
        };
    } else if message.starts_with("unknown variant") {
        "enum"
    } else if message.starts_with("invalid type") {
        "type_error"
    } else {
        "value_error"
    };
    FieldError {
        path,
        message,
        kind,
    }
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// A `YYYY-MM-DD` date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireDate(pub Date);

impl<'de> Deserialize<'de> for WireDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = WireDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<WireDate, E> {
                parse_date(text)
                    .map(WireDate)
                    .ok_or_else(|| E::custom(format!("{text:?} is not a date (YYYY-MM-DD)")))
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }
}

pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

/// An instant as RFC 3339 (`2026-12-02T19:30:24.320063Z`), how both dialects write
/// date-times.
pub fn format_timestamp(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn format_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Line {
        quantity: String,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        lines: Vec<Line>,
        #[serde(default)]
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Billable,
    }

    #[test]
    fn dotted_paths_split_into_keys_and_indexes() {
        let error = FieldError::at_dotted("items[0].item.name", "bad", "value_error");
        assert_eq!(
            error.path,
            vec![
                PathSegment::Key("items".into()),
                PathSegment::Index(0),
                PathSegment::Key("item".into()),
                PathSegment::Key("name".into()),
            ]
        );
        assert_eq!(error.dotted_path(), "items[0].item.name");
        assert_eq!(
            FieldError::at_dotted("limit", "bad", "x").dotted_path(),
            "limit"
        );
    }

    #[test]
    fn reports_the_path_of_a_wrong_type() {
        let error = parse_json::<Body>(
            br#"{"name":"a","lines":[{"quantity":"1"},{"quantity":2}]}"#,
            false,
        )
        .unwrap_err();
        assert_eq!(error.dotted_path(), "lines[1].quantity");
        assert_eq!(error.kind, "type_error");
        assert!(!error.message.contains("line 1"), "{}", error.message);
    }

    #[test]
    fn reports_a_missing_field_at_its_own_path() {
        let error = parse_json::<Body>(br#"{"lines":[]}"#, false).unwrap_err();
        assert_eq!(error.dotted_path(), "name");
        assert_eq!(error.kind, "missing");
    }

    #[test]
    fn reports_unknown_enum_values() {
        let error =
            parse_json::<Body>(br#"{"name":"a","lines":[],"kind":"nope"}"#, false).unwrap_err();
        assert_eq!(error.dotted_path(), "kind");
        assert_eq!(error.kind, "enum");
    }

    #[test]
    fn malformed_json_and_trailing_garbage_are_invalid() {
        assert_eq!(
            parse_json::<Body>(b"{", false).unwrap_err().kind,
            "json_invalid"
        );
        assert_eq!(
            parse_json::<Body>(br#"{"name":"a","lines":[]} x"#, false)
                .unwrap_err()
                .kind,
            "json_invalid"
        );
    }

    #[test]
    fn empty_body_is_an_empty_object_only_when_allowed() {
        #[derive(Debug, Deserialize)]
        struct Patch {
            #[allow(dead_code)]
            note: Option<String>,
        }
        assert!(parse_json::<Patch>(b"", true).is_ok());
        assert_eq!(
            parse_json::<Patch>(b"", false).unwrap_err().kind,
            "json_invalid"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert!(parse_json::<serde_json::Value>(deep.as_bytes(), false).is_err());
    }
}
