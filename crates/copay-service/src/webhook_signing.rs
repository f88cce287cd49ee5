//! The bytes a webhook receiver gets and their signature.
//!
//! Bodies are serialised the way Python's `json.dumps` writes them by default (`", "`
//! and `": "` separators, every non-ASCII character escaped as `\uXXXX`): Decoda's own
//! verification sample re-serialises the parsed body with `json.dumps` before checking
//! the HMAC, so only this form verifies there, while receivers that hash the raw body
//! (the safer way) verify any form. `json.dumps(json.loads(body))` gives back exactly
//! these bytes because a parsed object keeps the key order it was sent in.

use std::io;

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CharEscape, Formatter};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Decoda-Signature";

/// Lowercase hex HMAC-SHA256 of `body` keyed with the webhook's secret.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        for ch in fragment.chars() {
            // Python escapes DEL too: it writes only ' '..='~' as they are.
            if ch.is_ascii() && ch != '\x7f' {
                let mut buffer = [0u8; 1];
                writer.write_all(ch.encode_utf8(&mut buffer).as_bytes())?;
            } else {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        let text: String = match escape {
            CharEscape::Quote => "\\\"".into(),
            CharEscape::ReverseSolidus => "\\\\".into(),
            CharEscape::Solidus => "/".into(),
            CharEscape::Backspace => "\\b".into(),
            CharEscape::FormFeed => "\\f".into(),
            CharEscape::LineFeed => "\\n".into(),
            CharEscape::CarriageReturn => "\\r".into(),
            CharEscape::Tab => "\\t".into(),
            CharEscape::AsciiControl(byte) => format!("\\u{byte:04x}"),
        };
        writer.write_all(text.as_bytes())
    }
}

/// `value` as Python's `json.dumps(value)` would write it.
pub fn to_python_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    // Serialising a `Value` into memory cannot fail.
    if value.serialize(&mut serializer).is_err() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{sign, to_python_json};

    #[test]
    fn writes_python_separators_and_ascii_escapes() {
        let value = json!({"a": [1, 2, {"b": null}], "c": "é😀\n\"/\u{7f}", "d": true});
        let text = String::from_utf8(to_python_json(&value)).expect("ascii");
        assert_eq!(
            text,
            r#"{"a": [1, 2, {"b": null}], "c": "\u00e9\ud83d\ude00\n\"/\u007f", "d": true}"#
        );
        assert_eq!(to_python_json(&json!({})), b"{}");
        assert_eq!(to_python_json(&json!([])), b"[]");
    }

    #[test]
    fn signs_with_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
