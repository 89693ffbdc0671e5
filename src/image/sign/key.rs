//! `sign.key`: a private key as cosign writes it (scrypt + NaCl secretbox around PKCS#8) or as
//! plain PEM (`PRIVATE KEY`, `EC PRIVATE KEY`), loaded into ring for cosign's three schemes.
//!
//! cosign's encrypted key (go-securesystemslib's `encrypted` format) is a PEM block whose body
//! is JSON: `{"kdf": {"name": "scrypt", "params": {"N", "r", "p"}, "salt"}, "cipher": {"name":
//! "nacl/secretbox", "nonce"}, "ciphertext"}` (byte strings in base64); the secretbox key is
//! scrypt(password, salt, N, r, p) of 32 bytes, the plaintext a PKCS#8 `PrivateKeyInfo`.

use crate::rsa::RSA_BITS;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};

/// Largest key text read (a PEM RSA-8192 key is some 6 KiB).
pub(crate) const MAX_KEY_TEXT: usize = 64 * 1024;

/// Largest scrypt `N` of an encrypted key: 2^17, go-securesystemslib's strongest level (its
/// `owasp`); with `r` ≤ [`MAX_SCRYPT_R`] that is 128 MiB and about 0.5 s of work at most.
pub(crate) const MAX_SCRYPT_LOG_N: u8 = 17;

/// Largest scrypt `r` (every level cosign writes uses 8).
pub(crate) const MAX_SCRYPT_R: u32 = 8;

/// Largest scrypt `p` (every level cosign writes uses 1).
pub(crate) const MAX_SCRYPT_P: u32 = 1;

/// PEM labels of cosign's encrypted keys (the newer, then the older).
const ENCRYPTED_LABELS: [&str; 2] = [
    "ENCRYPTED SIGSTORE PRIVATE KEY",
    "ENCRYPTED COSIGN PRIVATE KEY",
];

/// Why `sign.key` cannot be used. No variant carries key material or the password.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SignKeyError {
    /// No PEM block of a label uptick reads.
    #[error("not a PEM private key (`ENCRYPTED SIGSTORE PRIVATE KEY`, `ENCRYPTED COSIGN PRIVATE KEY`, `PRIVATE KEY` or `EC PRIVATE KEY`)")]
    Pem,
    /// The body of an encrypted key is not cosign's JSON.
    #[error("the encrypted key is not cosign's JSON (kdf, cipher, ciphertext)")]
    Envelope(#[source] serde_json::Error),
    /// The secretbox does not open: the password is wrong (or the key was altered).
    #[error("wrong password: the encrypted key does not decrypt with sign.password")]
    Decrypt,
    /// ring refused the PKCS#8 document: its reason (`InvalidEncoding`, `TooSmall`, …), as
    /// ring's `KeyRejected` says it (not an error type without ring's `std` feature).
    #[error("the private key is not usable ({0})")]
    Rejected(String),
    /// uptick's own finding about the key (an algorithm, a size, a parameter).
    #[error("{0}")]
    Refused(String),
}

fn refused(detail: impl Into<String>) -> SignKeyError {
    SignKeyError::Refused(detail.into())
}

/// A signing key of one of cosign's schemes.
pub(crate) enum SigningKey {
    /// ECDSA P-256 over the payload's SHA-256, ASN.1 signature.
    Ecdsa(EcdsaKeyPair),
    /// Ed25519 over the payload itself.
    Ed25519(Ed25519KeyPair),
    /// RSA PKCS#1 v1.5 over the payload's SHA-256 (cosign's RSA scheme).
    Rsa(RsaKeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SigningKey::Ecdsa(_) => "SigningKey::Ecdsa",
            SigningKey::Ed25519(_) => "SigningKey::Ed25519",
            SigningKey::Rsa(_) => "SigningKey::Rsa",
        })
    }
}

impl SigningKey {
    /// Reads `pem` (decrypting it with `password` when it is cosign's encrypted key).
    pub(crate) fn from_pem(pem: &str, password: &str) -> Result<SigningKey, SignKeyError> {
        if pem.len() > MAX_KEY_TEXT {
            return Err(refused(format!(
                "the key text is longer than {MAX_KEY_TEXT} bytes"
            )));
        }
        let (label, body) = pem_block(pem).ok_or(SignKeyError::Pem)?;
        match label {
            l if ENCRYPTED_LABELS.contains(&l) => {
                let der = decrypt(&body, password)?;
                from_pkcs8(&der)
            }
            "PRIVATE KEY" => from_pkcs8(&body),
            "EC PRIVATE KEY" => from_pkcs8(&sec1_to_pkcs8(&body)),
            _ => Err(SignKeyError::Pem),
        }
    }

    /// cosign's signature of `payload` with this key.
    pub(crate) fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, ring::error::Unspecified> {
        let rng = SystemRandom::new();
        match self {
            SigningKey::Ecdsa(k) => Ok(k.sign(&rng, payload)?.as_ref().to_vec()),
            SigningKey::Ed25519(k) => Ok(k.sign(payload).as_ref().to_vec()),
            SigningKey::Rsa(k) => {
                let mut sig = vec![0u8; k.public().modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, payload, &mut sig)?;
                Ok(sig)
            }
        }
    }

    /// Whether `sig` is this key's signature of `payload` (a signature already stored).
    pub(crate) fn verifies(&self, payload: &[u8], sig: &[u8]) -> bool {
        let (alg, public): (&dyn signature::VerificationAlgorithm, &[u8]) = match self {
            SigningKey::Ecdsa(k) => (&signature::ECDSA_P256_SHA256_ASN1, k.public_key().as_ref()),
            SigningKey::Ed25519(k) => (&signature::ED25519, k.public_key().as_ref()),
            SigningKey::Rsa(k) => (
                &signature::RSA_PKCS1_2048_8192_SHA256,
                k.public_key().as_ref(),
            ),
        };
        signature::UnparsedPublicKey::new(alg, public)
            .verify(payload, sig)
            .is_ok()
    }
}

/// The first PEM block of `text`: its label and decoded body.
fn pem_block(text: &str) -> Option<(&str, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let (label, rest) = rest.split_once("-----")?;
    let end_marker = format!("-----END {label}-----");
    let body_end = rest.find(&end_marker)?;
    let body: String = rest[..body_end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    Some((label, bytes))
}

/// The JSON of cosign's encrypted key.
#[derive(serde::Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(serde::Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

/// Go's JSON decoder matches names without regard to case: `N`, `r`, `p` as written, the
/// other case as well.
#[derive(serde::Deserialize)]
struct ScryptParams {
    #[serde(rename = "N", alias = "n")]
    n: u64,
    #[serde(alias = "R")]
    r: u32,
    #[serde(alias = "P")]
    p: u32,
}

#[derive(serde::Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

/// Opens cosign's encrypted key: the PKCS#8 document inside.
fn decrypt(body: &[u8], password: &str) -> Result<Vec<u8>, SignKeyError> {
    use crypto_secretbox::aead::{Aead as _, KeyInit as _};
    let env: Envelope = serde_json::from_slice(body).map_err(SignKeyError::Envelope)?;
    if env.kdf.name != "scrypt" {
        return Err(refused(format!(
            "key derivation \"{}\" is not supported (scrypt is)",
            env.kdf.name
        )));
    }
    if env.cipher.name != "nacl/secretbox" {
        return Err(refused(format!(
            "cipher \"{}\" is not supported (nacl/secretbox is)",
            env.cipher.name
        )));
    }
    let b64 = |what: &str, s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| refused(format!("the encrypted key's {what} is not base64")))
    };
    let (salt, nonce, ciphertext) = (
        b64("salt", &env.kdf.salt)?,
        b64("nonce", &env.cipher.nonce)?,
        b64("ciphertext", &env.ciphertext)?,
    );
    let nonce: [u8; 24] = nonce
        .try_into()
        .map_err(|_| refused("the encrypted key's nonce is not 24 bytes"))?;
    let params = scrypt_params(&env.kdf.params)?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key)
        .map_err(|_| refused("scrypt refused the key length"))?;
    crypto_secretbox::XSalsa20Poly1305::new(&key.into())
        .decrypt(&nonce.into(), ciphertext.as_slice())
        .map_err(|_| SignKeyError::Decrypt)
}

/// The scrypt parameters, within uptick's bound (`N` a power of two up to 2^17, `r` ≤ 8,
/// `p` ≤ 1): a key file must not make `out` spend gigabytes or minutes.
fn scrypt_params(p: &ScryptParams) -> Result<scrypt::Params, SignKeyError> {
    let bound = || {
        refused(format!(
            "scrypt parameters N={}, r={}, p={} are outside uptick's bound (N a power of two up to 2^{MAX_SCRYPT_LOG_N}, r up to {MAX_SCRYPT_R}, p up to {MAX_SCRYPT_P})",
            p.n, p.r, p.p
        ))
    };
    if !p.n.is_power_of_two() || p.n < 2 || p.r == 0 || p.p == 0 {
        return Err(bound());
    }
    let log_n = p.n.trailing_zeros() as u8;
    if log_n > MAX_SCRYPT_LOG_N || p.r > MAX_SCRYPT_R || p.p > MAX_SCRYPT_P {
        return Err(bound());
    }
    scrypt::Params::new(log_n, p.r, p.p, 32).map_err(|_| bound())
}

/// A PKCS#8 `PrivateKeyInfo` of ECDSA P-256, Ed25519 or RSA, tried in that order (each parser
/// says `WrongAlgorithm` of another algorithm's key).
fn from_pkcs8(der: &[u8]) -> Result<SigningKey, SignKeyError> {
    const WRONG: &str = "WrongAlgorithm";
    let rng = SystemRandom::new();
    match EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng) {
        Ok(k) => return Ok(SigningKey::Ecdsa(k)),
        Err(e) if e.to_string() != WRONG => return Err(SignKeyError::Rejected(e.to_string())),
        Err(_) => {}
    }
    // Go writes Ed25519 PKCS#8 v1 (no public key): ring's `maybe_unchecked` reads it.
    match Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
        Ok(k) => return Ok(SigningKey::Ed25519(k)),
        Err(e) if e.to_string() != WRONG => return Err(SignKeyError::Rejected(e.to_string())),
        Err(_) => {}
    }
    match RsaKeyPair::from_pkcs8(der) {
        Ok(k) => {
            let bits = k.public().modulus_len() * 8;
            if !RSA_BITS.contains(&bits) {
                return Err(refused(format!(
                    "an RSA key of {bits} bits is not supported ({} to {} bits are)",
                    RSA_BITS.start(),
                    RSA_BITS.end()
                )));
            }
            Ok(SigningKey::Rsa(k))
        }
        Err(e) if e.to_string() != WRONG => Err(SignKeyError::Rejected(e.to_string())),
        Err(_) => Err(refused(
            "the key is not ECDSA P-256, Ed25519 or RSA (another curve or algorithm)",
        )),
    }
}

/// A SEC1 `ECPrivateKey` (`EC PRIVATE KEY`) wrapped as the PKCS#8 document of a P-256 key
/// (RFC 5208: version 0, `id-ecPublicKey` with `prime256v1`, the SEC1 bytes as the key); a key
/// of another curve is then refused by ring for its parameters.
fn sec1_to_pkcs8(sec1: &[u8]) -> Vec<u8> {
    // INTEGER 0, then AlgorithmIdentifier { id-ecPublicKey, prime256v1 } (RFC 5480).
    const HEAD: &[u8] = &[
        0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
        0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    ];
    let mut octets = vec![0x04];
    octets.extend(der_len(sec1.len()));
    octets.extend_from_slice(sec1);
    let mut inner = HEAD.to_vec();
    inner.extend(octets);
    let mut out = vec![0x30];
    out.extend(der_len(inner.len()));
    out.extend(inner);
    out
}

/// A DER length (short form below 128, else long form).
fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs8_keys_of_each_scheme_sign_and_verify() {
        let rng = SystemRandom::new();
        let ec = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .unwrap_or_else(|e| panic!("{e}"));
        let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap_or_else(|e| panic!("{e}"));
        for der in [ec.as_ref(), ed.as_ref()] {
            let key = from_pkcs8(der).unwrap_or_else(|e| panic!("{e}"));
            let sig = key.sign(b"payload").unwrap_or_else(|e| panic!("{e}"));
            assert!(key.verifies(b"payload", &sig));
            assert!(!key.verifies(b"other", &sig));
        }
        assert!(from_pkcs8(b"\x30\x00").is_err());
    }

    #[test]
    fn pem_labels_and_bounds() {
        assert!(matches!(
            SigningKey::from_pem("hello", ""),
            Err(SignKeyError::Pem)
        ));
        let other = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            SigningKey::from_pem(other, ""),
            Err(SignKeyError::Pem)
        ));
        let long = "x".repeat(MAX_KEY_TEXT + 1);
        assert!(matches!(
            SigningKey::from_pem(&long, ""),
            Err(SignKeyError::Refused(_))
        ));
    }

    #[test]
    fn scrypt_parameters_past_the_bound_are_refused() {
        let p = |n, r, p| scrypt_params(&ScryptParams { n, r, p });
        assert!(p(1 << 15, 8, 1).is_ok());
        assert!(p(1 << 17, 8, 1).is_ok());
        for (n, r, pp) in [
            (1 << 18, 8, 1),
            (1 << 40, 8, 1),
            (3 << 10, 8, 1),
            (0, 8, 1),
            (1 << 15, 9, 1),
            (1 << 15, 8, 2),
            (1 << 15, 0, 1),
        ] {
            assert!(
                matches!(p(n, r, pp), Err(SignKeyError::Refused(_))),
                "{n} {r} {pp}"
            );
        }
    }

    /// A key `cosign generate-key-pair` encrypted with an empty password (N = 2^16), from
    /// conforma/cli's tests (Apache-2.0): uptick opens what cosign writes.
    const COSIGN_MADE: &str = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6\nOCwicCI6MX0sInNhbHQiOiJLYU9OQzduQVJLOVgxM1FoaWFucjAwTTBGYys2Sitr\ndnAxN1FuanpiVk9nPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94\nIiwibm9uY2UiOiJVOHZqWWtqMlZOUFZGdlZFZWZ3bXZ5VGloUERrelBoaCJ9LCJj\naXBoZXJ0ZXh0IjoidWNWMnQ4TTZVNFJvb29FOXc0d3dkc3E1RDYrS2RKY245dERT\nKzFwRDRGN040SVJOWEgzSTBua3h1a3NackFOUHR1emIvTkVYQ201dUp3Zjh3Qzl1\nVlprbXdwNU5jRUZ6b3ZNS3JCZmNvdXdjaEkrMzkrQ0NhbVZPbzBucmRnZjhvcmpK\ndXdrWDBYL1phY0RUTERGaUxyc1laMWVMMmlqMGU1MVRpZmVQNTl4WXNPK1FnM1Jv\nOURRVjNQMk9ndDFDaVFHeGg1VXhUZytGc3c9PSJ9\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";

    #[test]
    fn a_key_cosign_encrypted_opens_with_its_password_only() {
        let key = SigningKey::from_pem(COSIGN_MADE, "").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(key, SigningKey::Ecdsa(_)));
        let older = COSIGN_MADE.replace("SIGSTORE", "COSIGN");
        assert!(SigningKey::from_pem(&older, "").is_ok());
        let err = SigningKey::from_pem(COSIGN_MADE, "hunter2").err();
        assert!(matches!(err, Some(SignKeyError::Decrypt)), "{err:?}");
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn der_lengths() {
        assert_eq!(der_len(5), [5]);
        assert_eq!(der_len(0x79), [0x79]);
        assert_eq!(der_len(0x80), [0x81, 0x80]);
        assert_eq!(der_len(0x1234), [0x82, 0x12, 0x34]);
    }
}
