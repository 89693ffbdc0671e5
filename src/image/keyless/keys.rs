//! Public keys of keyless verification (certificates' and logs' SubjectPublicKeyInfo) and the
//! signatures ring checks with them: ECDSA P-256 / P-384, Ed25519, RSA 2048–8192 bits.

use crate::rsa::{modulus_bits, OID_RSA, RSA_BITS};
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

const OID_EC_PUBLIC_KEY: spki::ObjectIdentifier =
    spki::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ED25519: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.3.101.112");

/// The hash a signature was made over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    P256,
    P384,
    Ed25519,
    Rsa,
}

/// A public key: its kind and the SPKI's `subjectPublicKey` bits, as ring takes them.
#[derive(Clone, Debug)]
pub(crate) struct LogKey {
    kind: Kind,
    bits: Vec<u8>,
}

impl LogKey {
    /// A DER SubjectPublicKeyInfo; `details` (the trusted root's `keyDetails`, may be empty)
    /// must agree with it when given.
    pub(crate) fn from_spki(der: &[u8], details: &str) -> Result<LogKey, String> {
        use spki::der::Decode as _;
        let info = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| format!("not a SubjectPublicKeyInfo: {e}"))?;
        let bits = info
            .subject_public_key
            .as_bytes()
            .ok_or("the key is not a whole number of bytes")?
            .to_vec();
        let oid = info.algorithm.oid;
        let kind = if oid == OID_EC_PUBLIC_KEY {
            match info.algorithm.parameters_oid() {
                Ok(c) if c == OID_P256 => Kind::P256,
                Ok(c) if c == OID_P384 => Kind::P384,
                _ => return Err("an ECDSA key not on P-256 or P-384".into()),
            }
        } else if oid == OID_ED25519 {
            Kind::Ed25519
        } else if oid == OID_RSA {
            let size = modulus_bits(&bits).map_err(|e| format!("not an RSA key: {e}"))?;
            if !RSA_BITS.contains(&size) {
                return Err(format!("an RSA key of {size} bits"));
            }
            Kind::Rsa
        } else {
            return Err(format!("key algorithm {oid} is not supported"));
        };
        let agrees = match details {
            "" => true,
            d if d.starts_with("PKIX_ECDSA_P256") => kind == Kind::P256,
            d if d.starts_with("PKIX_ECDSA_P384") => kind == Kind::P384,
            d if d.contains("ED25519") => kind == Kind::Ed25519,
            d if d.contains("RSA") => kind == Kind::Rsa,
            _ => true,
        };
        if !agrees {
            return Err(format!(
                "keyDetails {details} does not match a {kind:?} key"
            ));
        }
        Ok(LogKey { kind, bits })
    }

    /// The hash this key's signatures are made over when nothing else says (cosign's and
    /// Rekor's choice: SHA-384 for P-384, SHA-256 otherwise).
    pub(crate) fn default_hash(&self) -> Hash {
        match self.kind {
            Kind::P384 => Hash::Sha384,
            _ => Hash::Sha256,
        }
    }

    /// Whether `sig` is this key's signature of `msg` with `hash` (ignored for Ed25519).
    pub(crate) fn verifies(&self, hash: Hash, msg: &[u8], sig: &[u8]) -> bool {
        let ok = |alg: &'static dyn VerificationAlgorithm| {
            UnparsedPublicKey::new(alg, &self.bits)
                .verify(msg, sig)
                .is_ok()
        };
        match (self.kind, hash) {
            (Kind::Ed25519, _) => ok(&signature::ED25519),
            (Kind::P256, Hash::Sha256) => ok(&signature::ECDSA_P256_SHA256_ASN1),
            (Kind::P256, Hash::Sha384) => ok(&signature::ECDSA_P256_SHA384_ASN1),
            (Kind::P384, Hash::Sha256) => ok(&signature::ECDSA_P384_SHA256_ASN1),
            (Kind::P384, Hash::Sha384) => ok(&signature::ECDSA_P384_SHA384_ASN1),
            (Kind::P256 | Kind::P384, Hash::Sha512) => false,
            (Kind::Rsa, Hash::Sha256) => ok(&signature::RSA_PKCS1_2048_8192_SHA256),
            (Kind::Rsa, Hash::Sha384) => ok(&signature::RSA_PKCS1_2048_8192_SHA384),
            (Kind::Rsa, Hash::Sha512) => ok(&signature::RSA_PKCS1_2048_8192_SHA512),
        }
    }
}

/// The hash of an X.509 `signatureAlgorithm` (ECDSA, RSA PKCS#1 v1.5, Ed25519); `None` for
/// one uptick does not verify.
pub(crate) fn signature_hash(oid: &str) -> Option<Hash> {
    match oid {
        "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" | "1.3.101.112" => Some(Hash::Sha256),
        "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Some(Hash::Sha384),
        "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Some(Hash::Sha512),
        _ => None,
    }
}
