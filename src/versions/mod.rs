//! Version orderings: Masterminds-compatible semver with constraints, and natural tag order.

pub mod semver;

use std::cmp::Ordering;

/// Natural order for tags and extracted versions: digit runs compare as numbers, other runs as
/// text (`2024.01.9` < `2024.01.10`, `r9` < `r10`).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.is_empty(), y.is_empty()) {
            (true, true) => return a.cmp(b),
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let (ra, rest_a) = run(x);
        let (rb, rest_b) = run(y);
        let ord = match (ra[0].is_ascii_digit(), rb[0].is_ascii_digit()) {
            (true, true) => {
                let ta = trim_zeros(ra);
                let tb = trim_zeros(rb);
                ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
            }
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => ra.cmp(rb),
        };
        if ord != Ordering::Equal {
            return ord;
        }
        x = rest_a;
        y = rest_b;
    }
}

fn run(s: &[u8]) -> (&[u8], &[u8]) {
    let digit = s[0].is_ascii_digit();
    let end = s
        .iter()
        .position(|b| b.is_ascii_digit() != digit)
        .unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b'0').unwrap_or(s.len());
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec![
            "2024.01.10",
            "2024.01.9",
            "2023.12.31",
            "r10",
            "r9",
            "1.2.3",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            [
                "1.2.3",
                "2023.12.31",
                "2024.01.9",
                "2024.01.10",
                "r9",
                "r10"
            ]
        );
        assert_eq!(natural_cmp("01", "1"), Ordering::Less);
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
    }
}
