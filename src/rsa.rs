//! RSA public key facts shared by cosign `verify.keys` and apk `signed_by`: the `rsaEncryption`
//! OID, the key sizes ring verifies, the size of a key's modulus.

/// `rsaEncryption` (RFC 8017 A.1).
pub(crate) const OID_RSA: spki::ObjectIdentifier =
    spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The RSA key sizes ring verifies (`RSA_PKCS1_2048_8192_*`).
pub(crate) const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// The size in bits of an `RSAPublicKey`'s modulus (RFC 8017 A.1.1).
pub(crate) fn modulus_bits(der: &[u8]) -> Result<usize, spki::der::Error> {
    use spki::der::{asn1::UintRef, Decode as _, Reader as _, SliceReader};
    let mut reader = SliceReader::new(der)?;
    let modulus = reader.sequence(|seq| {
        let n = UintRef::decode(seq)?;
        UintRef::decode(seq)?;
        Ok(n)
    })?;
    reader.finish(())?;
    let bytes = modulus.as_bytes();
    Ok(bytes
        .first()
        .map_or(0, |b| bytes.len() * 8 - b.leading_zeros() as usize))
}
