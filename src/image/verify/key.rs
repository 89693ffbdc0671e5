//! A public key of `verify.keys` (PEM SubjectPublicKeyInfo: ECDSA P-256, Ed25519, RSA) and the
//! cosign signatures it verifies.

use crate::rsa::{modulus_bits, OID_RSA, RSA_BITS};
use ring::signature::{self, UnparsedPublicKey};

/// A public key of `verify.keys`.
#[derive(Clone, Debug)]
pub(crate) struct PublicKey {
    kind: KeyKind,
    /// The key as ring takes it: the SPKI's `subjectPublicKey` bits.
    bytes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    EcdsaP256,
    Ed25519,
    Rsa,
}

const OID_EC_PUBLIC_KEY: spki::ObjectIdentifier =
    spki::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_ED25519: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.3.101.112");

impl PublicKey {
    /// A PEM `PUBLIC KEY` (SubjectPublicKeyInfo) of an ECDSA P-256, Ed25519 or RSA key.
    pub(crate) fn from_pem(pem: &str) -> Result<PublicKey, KeyError> {
        use rustls_pki_types::pem::PemObject as _;
        use spki::der::Decode as _;
        let der = rustls_pki_types::SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes())
            .map_err(KeyError::Pem)?;
        let info = spki::SubjectPublicKeyInfoRef::from_der(der.as_ref()).map_err(KeyError::Spki)?;
        let bits = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| refused("the public key is not a whole number of bytes"))?
            .to_vec();
        let oid = info.algorithm.oid;
        let kind = if oid == OID_EC_PUBLIC_KEY {
            match info.algorithm.parameters_oid() {
                Ok(curve) if curve == OID_P256 => KeyKind::EcdsaP256,
                Ok(curve) => {
                    return Err(refused(format!(
                        "ECDSA curve {curve} is not supported (P-256 is)"
                    )))
                }
                Err(e) => return Err(KeyError::Curve(e)),
            }
        } else if oid == OID_ED25519 {
            KeyKind::Ed25519
        } else if oid == OID_RSA {
            KeyKind::Rsa
        } else {
            return Err(refused(format!(
                "key algorithm {oid} is not supported (ECDSA P-256, Ed25519, RSA are)"
            )));
        };
        let expected_len = match kind {
            KeyKind::EcdsaP256 => Some(65),
            KeyKind::Ed25519 => Some(32),
            KeyKind::Rsa => None,
        };
        if expected_len.is_some_and(|n| n != bits.len()) {
            return Err(refused(format!(
                "a {kind:?} key of {} bytes is malformed",
                bits.len()
            )));
        }
        if kind == KeyKind::Rsa {
            let size = modulus_bits(&bits).map_err(KeyError::Rsa)?;
            if !RSA_BITS.contains(&size) {
                return Err(refused(format!(
                    "an RSA key of {size} bits is not supported ({} to {} bits are)",
                    RSA_BITS.start(),
                    RSA_BITS.end()
                )));
            }
        }
        Ok(PublicKey { kind, bytes: bits })
    }

    /// Whether `sig` is this key's signature of `payload` (as cosign makes them).
    pub(crate) fn verifies(&self, payload: &[u8], sig: &[u8]) -> bool {
        let ok = |alg: &'static dyn signature::VerificationAlgorithm| {
            UnparsedPublicKey::new(alg, &self.bytes)
                .verify(payload, sig)
                .is_ok()
        };
        match self.kind {
            KeyKind::EcdsaP256 => ok(&signature::ECDSA_P256_SHA256_ASN1),
            KeyKind::Ed25519 => ok(&signature::ED25519),
            KeyKind::Rsa => {
                ok(&signature::RSA_PKCS1_2048_8192_SHA256)
                    || ok(&signature::RSA_PSS_2048_8192_SHA256)
            }
        }
    }
}

/// Why a key of `source.verify.keys` cannot be used: the parser's error kept as the cause, or
/// uptick's own finding about a key that parsed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyError {
    /// The text holds no PEM `PUBLIC KEY` block.
    #[error("not a PEM `PUBLIC KEY` block")]
    Pem(#[source] rustls_pki_types::pem::Error),
    /// The block is not a SubjectPublicKeyInfo.
    #[error("not a SubjectPublicKeyInfo")]
    Spki(#[source] spki::der::Error),
    /// An ECDSA key whose parameters name no curve.
    #[error("ECDSA key without a named curve")]
    Curve(#[source] spki::Error),
    /// An RSA key whose bits are not an `RSAPublicKey`.
    #[error("not an RSA public key")]
    Rsa(#[source] spki::der::Error),
    /// A key uptick does not take (its algorithm, curve, size or length).
    #[error("{0}")]
    Refused(String),
}

/// uptick's own finding about a key.
fn refused(detail: impl Into<String>) -> KeyError {
    KeyError::Refused(detail.into())
}
