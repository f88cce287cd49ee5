//! Paging shared by every list: the page-size bound, cutting a page, and opaque page
//! tokens. A token is base64url of `<tag>␟<payload>` (ASCII unit separator). The tag names
//! the list and its order, so a token only positions the list it came from; the separator
//! never appears in a tag, so no tag is a prefix of another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::ServiceError;

pub const MAX_PAGE_SIZE: u32 = 1000;

pub(crate) fn check_limit(limit: u32) -> Result<(), ServiceError> {
    if limit == 0 || limit > MAX_PAGE_SIZE {
        return Err(ServiceError::invalid(
            "limit",
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(())
}

/// Cuts `rows` (fetched with one row more than `limit`) to the page and returns its last
/// row when another page follows.
pub(crate) fn last_before_next_page<T>(rows: &mut Vec<T>, limit: u32) -> Option<&T> {
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    rows.last().filter(|_| has_more)
}

/// The id a token of `tag` resumes after, for lists keyed by id alone.
pub(crate) fn decode_id(tag: &str, token: Option<&str>) -> Result<Option<Uuid>, ServiceError> {
    token
        .map(|token| {
            decode(tag, token)
                .and_then(|id| Uuid::parse_str(&id).ok())
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "page_token",
                        "is not a page token of this list and order",
                    )
                })
        })
        .transpose()
}

const SEPARATOR: char = '\u{1f}';

pub(crate) fn encode(tag: &str, payload: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}{SEPARATOR}{payload}"))
}

/// The payload, when `token` was made by [`encode`] with the same tag.
pub(crate) fn decode(tag: &str, token: &str) -> Option<String> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    Some(text.strip_prefix(tag)?.strip_prefix(SEPARATOR)?.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_round_trip_only_under_their_tag() {
        let token = super::encode("list|asc", "2024-05-01|abc");
        assert_eq!(
            super::decode("list|asc", &token).as_deref(),
            Some("2024-05-01|abc")
        );
        assert_eq!(super::decode("list|desc", &token), None);
        assert_eq!(super::decode("list", &token), None);
        assert_eq!(super::decode("list|asc", "not base64!"), None);
    }
}
