//! Query strings with repeated keys (`claim_ids=a&claim_ids=b`), as both vendors' clients
//! send lists. Unknown keys are ignored; a bad value names its parameter.

use std::collections::HashMap;
use std::str::FromStr;

use crate::wire::FieldError;

pub struct QueryParams(HashMap<String, Vec<String>>);

impl QueryParams {
    pub fn parse(query: Option<&str>) -> QueryParams {
        let mut params: HashMap<String, Vec<String>> = HashMap::new();
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            params
                .entry(key.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        QueryParams(params)
    }

    /// The last value of `key` (a repeated scalar keeps the last, as most servers do).
    pub fn string(&self, key: &str) -> Option<String> {
        self.0.get(key).and_then(|values| values.last()).cloned()
    }

    pub fn strings(&self, key: &str) -> Vec<String> {
        self.0.get(key).cloned().unwrap_or_default()
    }

    pub fn parsed<T: FromStr>(&self, key: &str, expected: &str) -> Result<Option<T>, FieldError> {
        self.string(key)
            .map(|value| {
                value.parse().map_err(|_| {
                    FieldError::at(
                        &[key],
                        format!("{value:?} is not {expected}"),
                        "value_error",
                    )
                })
            })
            .transpose()
    }

    pub fn parsed_list<T: FromStr>(&self, key: &str, expected: &str) -> Result<Vec<T>, FieldError> {
        self.strings(key)
            .iter()
            .map(|value| {
                value.parse().map_err(|_| {
                    FieldError::at(
                        &[key],
                        format!("{value:?} is not {expected}"),
                        "value_error",
                    )
                })
            })
            .collect()
    }

    /// A value that must be one of `allowed` (returned as given).
    pub fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<String>, FieldError> {
        match self.string(key) {
            Some(value) if !allowed.contains(&value.as_str()) => Err(FieldError::at(
                &[key],
                format!("{value:?} is not one of {}", allowed.join(", ")),
                "enum",
            )),
            other => Ok(other),
        }
    }

    /// A calendar date, `YYYY-MM-DD`.
    pub fn date(&self, key: &str) -> Result<Option<time::Date>, FieldError> {
        self.string(key)
            .map(|value| {
                time::Date::parse(
                    &value,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|_| {
                    FieldError::at(
                        &[key],
                        format!("{value:?} is not a date (YYYY-MM-DD)"),
                        "date_parsing",
                    )
                })
            })
            .transpose()
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, FieldError> {
        match self.string(key).as_deref() {
            None => Ok(None),
            Some("true") | Some("True") | Some("1") => Ok(Some(true)),
            Some("false") | Some("False") | Some("0") => Ok(Some(false)),
            Some(other) => Err(FieldError::at(
                &[key],
                format!("{other:?} is not a boolean"),
                "bool_parsing",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_become_lists_and_values_are_decoded() {
        let q = QueryParams::parse(Some("tags=a+b&tags=c%26d&limit=5&flag=true"));
        assert_eq!(q.strings("tags"), vec!["a b", "c&d"]);
        assert_eq!(q.parsed::<u32>("limit", "a number").unwrap(), Some(5));
        assert_eq!(q.bool("flag").unwrap(), Some(true));
        assert_eq!(q.string("missing"), None);
    }

    #[test]
    fn bad_values_name_their_parameter() {
        let q = QueryParams::parse(Some("limit=ten&sort=size&flag=maybe"));
        assert_eq!(
            q.parsed::<u32>("limit", "a number")
                .unwrap_err()
                .dotted_path(),
            "limit"
        );
        assert_eq!(q.one_of("sort", &["created_at"]).unwrap_err().kind, "enum");
        assert!(q.bool("flag").is_err());
    }
}
