//! Credential secrets: 256-bit random values, shown once, stored as SHA-256 hashes.
//!
//! SHA-256 (not a password hash) is right here because the secrets are high-entropy
//! random values, not human passwords; it keeps every authenticated request cheap.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
pub use secrecy::SecretString as Secret;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A fresh secret: `prefix` followed by 32 random bytes, base64url. The prefix tells a
/// human (and a secret scanner) what kind of secret they are looking at.
pub fn generate(prefix: &str) -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// A public identifier (not secret): `prefix` + 16 random bytes in hex.
pub fn generate_identifier(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// The secret's text, for the one place it is shown: to the operator who created it.
pub fn expose(secret: &Secret) -> &str {
    secret.expose_secret()
}

pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// 32 random bytes for a server-side key.
pub fn random_key() -> Vec<u8> {
    let mut bytes = vec![0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_and_256_bit() {
        let a = generate("cpk_");
        let b = generate("cpk_");
        assert!(a.expose_secret().starts_with("cpk_"));
        assert_ne!(a.expose_secret(), b.expose_secret());
        let encoded = &a.expose_secret()["cpk_".len()..];
        assert_eq!(URL_SAFE_NO_PAD.decode(encoded).unwrap().len(), 32);
    }

    #[test]
    fn hashes_are_sha256_and_do_not_contain_the_secret() {
        let digest = hash("cpk_abc");
        assert_eq!(digest.len(), 32);
        assert_eq!(digest, hash("cpk_abc"));
        assert_ne!(digest, hash("cpk_abd"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let secret = generate("cps_");
        assert!(!format!("{secret:?}").contains("cps_"));
    }
}
