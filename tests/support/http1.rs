//! The request head of HTTP/1.1, as the test servers (fake, proxies) read it.

use std::io::BufRead;

/// A request line and its headers.
pub struct Head {
    pub method: String,
    pub target: String,
    /// Raw header lines, `Name: value\r\n`.
    pub lines: Vec<String>,
    /// `Content-Length`, 0 when absent.
    pub length: usize,
}

impl Head {
    /// A header's value (first of its name).
    pub fn header(&self, name: &str) -> Option<String> {
        header_in(&self.lines, name)
    }

    /// The header lines except those named (case-insensitive).
    pub fn lines_without(&self, names: &[&str]) -> Vec<String> {
        self.lines
            .iter()
            .filter(|h| {
                let k = h.split_once(':').map_or("", |(k, _)| k.trim());
                !names.iter().any(|n| k.eq_ignore_ascii_case(n))
            })
            .cloned()
            .collect()
    }
}

/// The value of the first raw header line named `name` (case-insensitive).
pub fn header_in(lines: &[String], name: &str) -> Option<String> {
    lines.iter().find_map(|h| {
        let (k, v) = h.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// Reads one request head; `None` at end of stream.
pub fn read_head(reader: &mut impl BufRead) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut lines = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        lines.push(h);
    }
    let mut head = Head {
        method,
        target,
        lines,
        length: 0,
    };
    head.length = head
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(Some(head))
}
