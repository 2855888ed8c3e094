//! OAuth 2 PKCE (RFC 7636): a random code verifier and its S256 challenge.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use crate::config::credentials::Secret;
use crate::error::Error;

/// A PKCE pair: the verifier stays with the client, the challenge goes in the
/// authorization URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    /// The code verifier (43 to 128 unreserved characters), sent with the code.
    pub verifier: Secret,
    /// `BASE64URL(SHA256(verifier))`, without padding.
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair from 64 random bytes (an 86-character verifier).
    pub fn new() -> Result<Pkce, Error> {
        Ok(Pkce::from_verifier(
            URL_SAFE_NO_PAD.encode(random_bytes::<64>()?),
        ))
    }

    /// The pair of a given verifier.
    pub fn from_verifier(verifier: impl Into<String>) -> Pkce {
        let verifier = verifier.into();
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        Pkce {
            challenge: URL_SAFE_NO_PAD.encode(digest.as_ref()),
            verifier: Secret::new(verifier),
        }
    }
}

/// `N` bytes from the operating system's secure random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::config("no secure random source"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b() {
        let pair = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            pair.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn fresh_pairs_are_random_and_well_formed() {
        let a = Pkce::new().unwrap();
        let b = Pkce::new().unwrap();
        assert_ne!(a.verifier, b.verifier);
        let v = a.verifier.expose();
        assert!((43..=128).contains(&v.len()), "{}", v.len());
        assert!(v
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c)));
        assert_eq!(Pkce::from_verifier(v).challenge, a.challenge);
    }
}
