//! Builds layer tarballs (gzip, zstd, plain) entry by entry, hostile names included.

use std::io::Write;

pub enum Entry<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str, u32),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
    Char(&'a str),
    /// A PAX extended header (`key`, value) applying to the next entry.
    Pax(&'a [(&'a str, &'a [u8])]),
    /// The layer's own root entry `./` with this mode (owner 1000:1000).
    Root(u32),
    /// A GNU sparse file (type `S`) of this apparent size holding two 1 KiB data blocks, one at
    /// each end: about 2 KiB in the layer.
    Sparse(&'a str, u64),
    /// A PAX 1.0 sparse file (`GNU.sparse.*` records, map in the data) of this apparent size.
    PaxSparse(&'a str, u64),
}

/// The body of a PAX extended header: `<len> <key>=<value>\n` records.
fn pax_records(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in records {
        let rest = k.len() + v.len() + 3; // space, '=', newline
        let mut len = rest + 1;
        while len != rest + len.to_string().len() {
            len = rest + len.to_string().len();
        }
        out.extend_from_slice(format!("{len} {k}=").as_bytes());
        out.extend_from_slice(v);
        out.push(b'\n');
    }
    out
}

#[derive(Clone, Copy, Debug)]
pub enum Compression {
    Gzip,
    Zstd,
    Plain,
}

pub const MTIME: u64 = 1_700_000_000;

fn header(name: &str, kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    // Raw name bytes: the tar crate refuses `..` and absolute paths, hostile tests need them.
    let bytes = name.as_bytes();
    let field = &mut h.as_old_mut().name;
    field[..bytes.len()].copy_from_slice(bytes);
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(MTIME);
    h.set_uid(1000);
    h.set_gid(1000);
    h
}

fn link_header(name: &str, kind: tar::EntryType, target: &str) -> tar::Header {
    let mut h = header(name, kind, 0, 0o777);
    let bytes = target.as_bytes();
    h.as_old_mut().linkname[..bytes.len()].copy_from_slice(bytes);
    h
}

/// A tar stream of `entries`, compressed as asked.
pub fn layer(entries: &[Entry], compression: Compression) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let owned: Vec<u8>;
        let (mut h, data): (tar::Header, &[u8]) = match e {
            Entry::Pax(records) => {
                owned = pax_records(records);
                (
                    header(
                        "PaxHeader",
                        tar::EntryType::XHeader,
                        owned.len() as u64,
                        0o644,
                    ),
                    &owned,
                )
            }
            Entry::Root(m) => (header("./", tar::EntryType::Directory, 0, *m), &[]),
            Entry::Sparse(n, size) => {
                owned = vec![b'x'; 2048];
                let mut h = header(n, tar::EntryType::GNUSparse, 2048, 0o644);
                let gnu = h.as_gnu_mut().expect("gnu header");
                gnu.sparse[0].set_offset(0);
                gnu.sparse[0].set_length(1024);
                gnu.sparse[1].set_offset(size - 1024);
                gnu.sparse[1].set_length(1024);
                gnu.set_real_size(*size);
                (h, &owned)
            }
            Entry::PaxSparse(n, size) => {
                let realsize = size.to_string();
                let records = [
                    ("GNU.sparse.major", &b"1"[..]),
                    ("GNU.sparse.minor", b"0"),
                    ("GNU.sparse.name", n.as_bytes()),
                    ("GNU.sparse.realsize", realsize.as_bytes()),
                ];
                let pax = pax_records(&records);
                let mut ph = header(
                    "PaxHeader",
                    tar::EntryType::XHeader,
                    pax.len() as u64,
                    0o644,
                );
                ph.set_cksum();
                b.append(&ph, &pax[..]).expect("append");
                let mut map = format!("2\n0\n512\n{}\n512\n", size - 512).into_bytes();
                map.resize(512, 0);
                map.extend_from_slice(&[b'y'; 1024]);
                owned = map;
                let name = format!("GNUSparseFile.0/{n}");
                (
                    header(&name, tar::EntryType::Regular, owned.len() as u64, 0o644),
                    &owned,
                )
            }
            Entry::File(n, d, m) => (header(n, tar::EntryType::Regular, d.len() as u64, *m), d),
            Entry::Dir(n, m) => (header(n, tar::EntryType::Directory, 0, *m), &[]),
            Entry::Symlink(n, t) => (link_header(n, tar::EntryType::Symlink, t), &[]),
            Entry::Hardlink(n, t) => (link_header(n, tar::EntryType::Link, t), &[]),
            Entry::Char(n) => (header(n, tar::EntryType::Char, 0, 0o666), &[]),
        };
        h.set_cksum();
        b.append(&h, data).expect("append");
    }
    let raw = b.into_inner().expect("tar");
    match compression {
        Compression::Plain => raw,
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&raw).expect("gzip");
            enc.finish().expect("gzip")
        }
        Compression::Zstd => {
            ruzstd::encoding::compress_to_vec(&raw[..], ruzstd::encoding::CompressionLevel::Fastest)
        }
    }
}

pub fn media_type(c: Compression) -> &'static str {
    match c {
        Compression::Plain => "application/vnd.oci.image.layer.v1.tar",
        Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}
