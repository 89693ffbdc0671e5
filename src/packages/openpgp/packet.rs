//! The OpenPGP wire format (RFC 9580 §4, §3.2, §5.2.3.7, §6): packets, MPIs, signature
//! subpackets and ASCII armor, each read within a stated bound.

/// One packet: its tag and body.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packet<'a> {
    pub tag: u8,
    pub body: &'a [u8],
}

fn truncated() -> String {
    "truncated OpenPGP packet".to_string()
}

/// A big-endian length of `n` bytes at the start of `data`, and the rest.
fn length(data: &[u8], n: usize) -> Result<(usize, &[u8]), String> {
    let bytes = data.get(..n).ok_or_else(truncated)?;
    let value = bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok((value, &data[n..]))
}

/// The packets of binary OpenPGP data; more than `max` of them is an error (a bound on the work
/// every later step does). Partial-length packets (only for literal and encrypted data, which
/// nothing read here contains) are refused.
pub(crate) fn packets(mut data: &[u8], max: usize) -> Result<Vec<Packet<'_>>, String> {
    let mut out = Vec::new();
    while let Some((&first, rest)) = data.split_first() {
        if first & 0x80 == 0 {
            return Err("not OpenPGP data".into());
        }
        if out.len() == max {
            return Err(format!("more than {max} OpenPGP packets"));
        }
        let (tag, len, rest) = if first & 0x40 != 0 {
            let tag = first & 0x3f;
            let (&o1, rest) = rest.split_first().ok_or_else(truncated)?;
            match o1 {
                0..=191 => (tag, usize::from(o1), rest),
                192..=223 => {
                    let (&o2, rest) = rest.split_first().ok_or_else(truncated)?;
                    (
                        tag,
                        ((usize::from(o1) - 192) << 8) + usize::from(o2) + 192,
                        rest,
                    )
                }
                255 => {
                    let (n, rest) = length(rest, 4)?;
                    (tag, n, rest)
                }
                _ => return Err("partial-length OpenPGP packets are not supported".into()),
            }
        } else {
            let tag = (first >> 2) & 0x0f;
            match first & 3 {
                0 => {
                    let (n, rest) = length(rest, 1)?;
                    (tag, n, rest)
                }
                1 => {
                    let (n, rest) = length(rest, 2)?;
                    (tag, n, rest)
                }
                2 => {
                    let (n, rest) = length(rest, 4)?;
                    (tag, n, rest)
                }
                _ => (tag, rest.len(), rest),
            }
        };
        let body = rest.get(..len).ok_or_else(truncated)?;
        out.push(Packet { tag, body });
        data = &rest[len..];
    }
    Ok(out)
}

/// One MPI: its big-endian bytes (no leading zeros) and the rest.
pub(crate) fn mpi(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let bits = usize::from(u16::from_be_bytes([*data.first()?, *data.get(1)?]));
    let len = bits.div_ceil(8);
    let value = data.get(2..2 + len)?;
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    Some((&value[start..], &data[2 + len..]))
}

/// One signature subpacket: its type (critical bit removed), whether it is critical, its body.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subpacket<'a> {
    pub kind: u8,
    pub critical: bool,
    pub body: &'a [u8],
}

/// The subpackets of a subpacket area (at most 65,535 bytes, so at most that many subpackets);
/// `None` when it is malformed.
pub(crate) fn subpackets(mut area: &[u8]) -> Option<Vec<Subpacket<'_>>> {
    let mut out = Vec::new();
    while let Some(&o1) = area.first() {
        let (len, header): (usize, usize) = match o1 {
            0..=191 => (usize::from(o1), 1),
            192..=254 => (
                ((usize::from(o1) - 192) << 8) + usize::from(*area.get(1)?) + 192,
                2,
            ),
            255 => {
                let b = area.get(1..5)?;
                (u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize, 5)
            }
        };
        let sub = area.get(header..header.checked_add(len)?)?;
        let (&kind, body) = sub.split_first()?;
        out.push(Subpacket {
            kind: kind & 0x7f,
            critical: kind & 0x80 != 0,
            body,
        });
        area = &area[header + len..];
    }
    Some(out)
}

/// The binary contents of every armored block of `kind` (`PUBLIC KEY BLOCK`, `SIGNATURE`) in
/// `text` (whose size the caller bounds).
pub(crate) fn dearmor(text: &str, kind: &str) -> Result<Vec<Vec<u8>>, String> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN PGP {kind}-----");
    let end = format!("-----END PGP {kind}-----");
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while lines.by_ref().any(|l| l == begin) {
        // Armor headers, up to an empty line (a line without `: ` means there were none).
        let mut data = String::new();
        let mut in_headers = true;
        let mut ended = false;
        for line in lines.by_ref() {
            if line == end {
                ended = true;
                break;
            }
            if in_headers {
                if line.is_empty() {
                    in_headers = false;
                    continue;
                }
                if line.contains(": ") {
                    continue;
                }
                in_headers = false;
            }
            if line.starts_with('=') {
                continue; // the CRC-24 line
            }
            data.push_str(line);
        }
        if !ended {
            return Err(format!("an armored {kind} without its END line"));
        }
        out.push(
            base64::engine::general_purpose::STANDARD
                .decode(data.as_bytes())
                .map_err(|e| format!("armored {kind}: {e}"))?,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_counts_are_bounded() {
        // Two old-format one-byte-length packets (tag 2, empty bodies).
        let two = [0x88, 0, 0x88, 0];
        assert_eq!(packets(&two, 2).unwrap().len(), 2);
        assert_eq!(packets(&two, 1).unwrap_err(), "more than 1 OpenPGP packets");
        assert!(packets(&[0x88, 5, 1], 9).is_err());
        assert!(packets(&[0x01], 9).is_err());
    }

    #[test]
    fn subpackets_read_lengths_and_critical_bits() {
        let area = [2, 0x82, 7, 5, 27, 1, 2, 3, 4];
        let subs = subpackets(&area).unwrap();
        assert_eq!(subs.len(), 2);
        assert_eq!(
            (subs[0].kind, subs[0].critical, subs[0].body),
            (2, true, &[7][..])
        );
        assert_eq!((subs[1].kind, subs[1].body), (27, &[1, 2, 3, 4][..]));
        assert!(subpackets(&[5, 2]).is_none());
        assert!(subpackets(&[0]).is_none());
    }
}
