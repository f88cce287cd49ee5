//! Opaque page tokens shared by every list: base64url of `<tag>␟<payload>` (ASCII unit
//! separator). The tag names the list and its order, so a token only positions the list
//! it came from; the separator never appears in a tag, so no tag is a prefix of another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
