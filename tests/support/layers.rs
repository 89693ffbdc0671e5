//! Builds layer tarballs (gzip, zstd, plain) entry by entry, hostile names included.

use std::io::Write;

pub enum Entry<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str, u32),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
    Char(&'a str),
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
        let (mut h, data): (tar::Header, &[u8]) = match e {
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
