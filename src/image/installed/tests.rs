//! Layers built in memory (tar, gzip) read through `read_installed`.

use super::*;
use std::cell::Cell;
use std::io::{Cursor, Read, Write};

/// A tar entry of a test layer.
enum E {
    File(&'static str, Vec<u8>),
    Dir(&'static str),
    Symlink(&'static str, &'static str),
}

fn file(path: &'static str, text: &str) -> E {
    E::File(path, text.as_bytes().to_vec())
}

fn tar(entries: Vec<E>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match e {
            E::File(path, data) => {
                h.set_size(data.len() as u64);
                b.append_data(&mut h, path, &data[..]).unwrap();
            }
            E::Dir(path) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, path, std::io::empty()).unwrap();
            }
            E::Symlink(path, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, path, target).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn layer(entries: Vec<E>) -> Vec<u8> {
    gzip(&tar(entries))
}

/// Reads `layers` (top-most first) through a lazy iterator; also says how many were opened.
/// Every read is done twice, from the layers and from their reductions (what `check` keeps
/// per layer digest), and both must give the same answer.
fn read(layers: Vec<Vec<u8>>) -> (Result<Found, InstalledError>, usize) {
    let opened = Cell::new(0);
    let mut it = layers.clone().into_iter();
    let result = read_installed(std::iter::from_fn(|| {
        let bytes = it.next()?;
        opened.set(opened.get() + 1);
        Some(Ok(Box::new(Cursor::new(bytes)) as Box<dyn Read>))
    }));
    let reduced = read_reduced(layers);
    assert_eq!(
        format!("{result:?}"),
        format!("{reduced:?}"),
        "the reduced layers give another answer"
    );
    (result, opened.get())
}

/// Like [`read`], each layer first cut down by [`reduce`].
fn read_reduced(layers: Vec<Vec<u8>>) -> Result<Found, InstalledError> {
    let mut it = layers.into_iter().enumerate();
    read_layers(std::iter::from_fn(|| {
        let (index, bytes) = it.next()?;
        let stream = match crate::image::extract::decompress(Cursor::new(bytes)) {
            Ok(s) => s,
            Err(source) => {
                return Some(Err(InstalledError::Tar {
                    layer: index,
                    source,
                }))
            }
        };
        Some(reduce(index, stream, Vec::new()).map(|t| Box::new(Cursor::new(t)) as Box<dyn Read>))
    }))
}

fn stanza(name: &str, version: &str, status: &str) -> String {
    format!(
        "Package: {name}\nStatus: {status}\nPriority: optional\nArchitecture: amd64\n\
         Version: {version}\nDescription: a package\n more text: here\n\n"
    )
}

fn names_versions(found: &Found) -> Vec<(String, String)> {
    let p = &found.installed.packages;
    p.iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const OK: &str = "install ok installed";

#[test]
fn a_higher_layer_changes_the_status_and_lower_layers_are_not_read() {
    let layers = vec![
        layer(vec![file("etc/hostname", "x\n")]),
        layer(vec![file(
            "var/lib/dpkg/status",
            &stanza("libssl3", "3.0.2", OK),
        )]),
        layer(vec![file(
            "var/lib/dpkg/status",
            &stanza("libssl3", "3.0.1", OK),
        )]),
        b"not a layer at all; reading it would be an error".repeat(20),
    ];
    let (found, opened) = read(layers);
    let found = found.unwrap();
    assert_eq!(opened, 2, "layers below the database are not read");
    assert_eq!(found.path, "/var/lib/dpkg/status");
    assert_eq!(found.layers, vec![1]);
    assert_eq!(found.installed.format, Format::Dpkg);
    assert_eq!(names_versions(&found), pairs(&[("libssl3", "3.0.2")]));
}

#[test]
fn dpkg_status_keeps_what_apt_counts_as_installed_and_reads_sources() {
    let text = [
        stanza("base-files", "12.4", OK),
        stanza("old-conf", "1.0", "deinstall ok config-files"),
        stanza("gone", "2.0", "purge ok not-installed"),
        stanza("pinned", "3.0", "hold ok installed"),
        stanza("broken", "4.0", "install reinstreq half-installed"),
        "Package: libssl3\nStatus: install ok installed\nArchitecture: arm64\n\
         Source: openssl\nVersion: 3.0.15-1~deb12u1\n\n"
            .to_string(),
        "Package: libc6\r\nStatus: install ok installed\r\nArchitecture: amd64\r\n\
         Source: glibc (2.36-9+deb12u9)\r\nVersion: 2.36-9+deb12u9b1\r\n\r\n"
            .to_string(),
        "Package: no-version\nStatus: install ok installed\n\n".to_string(),
    ]
    .concat();
    let (found, _) = read(vec![layer(vec![
        E::Dir("./var/lib/dpkg/"),
        file("./var/lib/dpkg/status", &text),
    ])]);
    let found = found.unwrap();
    assert_eq!(
        names_versions(&found),
        pairs(&[
            ("base-files", "12.4"),
            ("pinned", "3.0"),
            ("broken", "4.0"),
            ("libssl3", "3.0.15-1~deb12u1"),
            ("libc6", "2.36-9+deb12u9b1"),
        ])
    );
    let p = &found.installed.packages;
    assert_eq!(p[0].architecture, "amd64");
    assert_eq!(p[0].source, None);
    assert_eq!(p[3].architecture, "arm64");
    let src = |n: &str, v: &str| Some((n.to_string(), v.to_string()));
    assert_eq!(p[3].source, src("openssl", "3.0.15-1~deb12u1"));
    assert_eq!(p[4].source, src("glibc", "2.36-9+deb12u9"));
}

#[test]
fn whiteouts_and_opaque_parents_hide_the_status_below() {
    let lower = || layer(vec![file("var/lib/dpkg/status", &stanza("a", "1", OK))]);
    for hider in [
        "var/lib/dpkg/.wh.status",
        "var/lib/.wh.dpkg",
        "./.wh.var",
        "var/lib/dpkg/.wh..wh..opq",
        "var/.wh..wh..opq",
        ".wh..wh..opq",
        "var/lib/dpkg",
    ] {
        let (found, opened) = read(vec![layer(vec![file(hider, "")]), lower()]);
        // An opaque root hides every database path: nothing below can count.
        let expected = if hider == ".wh..wh..opq" { 1 } else { 2 };
        assert!(
            matches!(found, Err(InstalledError::NoDatabase { layers }) if layers == expected),
            "{hider}: {found:?}"
        );
        assert_eq!(opened, expected, "{hider}");
    }
}

#[test]
fn a_whiteout_hides_only_lower_layers_not_its_own() {
    let top = layer(vec![
        file("var/lib/dpkg/.wh..wh..opq", ""),
        file("var/lib/dpkg/status", &stanza("b", "2", OK)),
        file("var/lib/dpkg/.wh.status", ""),
    ]);
    let lower = layer(vec![file("var/lib/dpkg/status", &stanza("a", "1", OK))]);
    let (found, _) = read(vec![top, lower]);
    assert_eq!(names_versions(&found.unwrap()), pairs(&[("b", "2")]));
}

fn control(name: &str, version: &str) -> String {
    format!("Package: {name}\nVersion: {version}\nArchitecture: amd64\nMaintainer: x\n")
}

#[test]
fn distroless_status_d_is_gathered_top_copy_winning_whiteouts_honoured() {
    let top = layer(vec![
        file(
            "var/lib/dpkg/status.d/libssl3",
            &control("libssl3", "3.0.15"),
        ),
        file("var/lib/dpkg/status.d/.wh.tzdata", ""),
    ]);
    let middle = layer(vec![file("app/server", "binary")]);
    let bottom = layer(vec![
        E::Dir("var/lib/dpkg/status.d/"),
        file(
            "var/lib/dpkg/status.d/base-files",
            &control("base-files", "12.4"),
        ),
        file("var/lib/dpkg/status.d/libc6", &control("libc6", "2.36-9")),
        file(
            "var/lib/dpkg/status.d/libc6.md5sums",
            "0123  lib/libc.so.6\n",
        ),
        file(
            "var/lib/dpkg/status.d/libssl3",
            &control("libssl3", "3.0.11"),
        ),
        file("var/lib/dpkg/status.d/tzdata", &control("tzdata", "2024a")),
    ]);
    let (found, opened) = read(vec![top, middle, bottom]);
    let found = found.unwrap();
    assert_eq!(opened, 3);
    assert_eq!(found.path, "/var/lib/dpkg/status.d");
    assert_eq!(found.layers, vec![0, 2]);
    assert_eq!(
        names_versions(&found),
        pairs(&[
            ("base-files", "12.4"),
            ("libc6", "2.36-9"),
            ("libssl3", "3.0.15")
        ])
    );
}

#[test]
fn an_opaque_or_whited_out_status_d_stops_the_gathering() {
    let bottom = || {
        layer(vec![file(
            "var/lib/dpkg/status.d/base-files",
            &control("base-files", "1"),
        )])
    };
    let opaque = layer(vec![
        file("var/lib/dpkg/status.d/.wh..wh..opq", ""),
        file("var/lib/dpkg/status.d/libc6", &control("libc6", "2")),
    ]);
    let (found, _) = read(vec![opaque, bottom()]);
    assert_eq!(names_versions(&found.unwrap()), pairs(&[("libc6", "2")]));
    let whiteout = layer(vec![file("var/lib/dpkg/.wh.status.d", "")]);
    let (found, _) = read(vec![whiteout, bottom()]);
    assert!(
        matches!(found, Err(InstalledError::NoDatabase { .. })),
        "{found:?}"
    );
}

#[test]
fn the_status_file_wins_over_status_d() {
    let top = layer(vec![file(
        "var/lib/dpkg/status.d/libc6",
        &control("libc6", "2"),
    )]);
    let bottom = layer(vec![file(
        "var/lib/dpkg/status",
        &stanza("base-files", "1", OK),
    )]);
    let (found, _) = read(vec![top, bottom]);
    let found = found.unwrap();
    assert_eq!(found.path, "/var/lib/dpkg/status");
    assert_eq!(names_versions(&found), pairs(&[("base-files", "1")]));
}

#[test]
fn apk_installed_records() {
    let db = "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nS:383152\nI:622592\nT:the musl c library\n\
              o:musl\nm:Maintainer <m@example.org>\nF:lib\nR:ld-musl-x86_64.so.1\na:0:0:755\n\
              Z:Q1xyz=\n\nP:libcrypto3\nV:3.3.2-r0\nA:x86_64\no:openssl\nD:so:libc.musl-x86_64.so.1\n\n\
              P:no-version\n\n";
    let top = layer(vec![file("etc/motd", "hi\n")]);
    let base = layer(vec![
        E::Dir("lib/apk/db/"),
        file("lib/apk/db/installed", db),
    ]);
    let (found, opened) = read(vec![top, base]);
    let found = found.unwrap();
    assert_eq!(opened, 2);
    assert_eq!(found.installed.format, Format::Apk);
    assert_eq!(found.path, "/lib/apk/db/installed");
    assert_eq!(found.layers, vec![1]);
    assert_eq!(
        names_versions(&found),
        pairs(&[("musl", "1.2.5-r0"), ("libcrypto3", "3.3.2-r0")])
    );
    let p = &found.installed.packages[1];
    assert_eq!(p.architecture, "x86_64");
    assert_eq!(p.source, Some(("openssl".into(), "3.3.2-r0".into())));
}

#[test]
fn no_database_is_a_clear_error() {
    let (found, opened) = read(vec![
        layer(vec![file("etc/hostname", "x\n")]),
        layer(vec![E::Dir("var/lib/dpkg/")]),
    ]);
    assert_eq!(opened, 2);
    let e = found.unwrap_err();
    assert!(
        matches!(e, InstalledError::NoDatabase { layers: 2 }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("no package database in the image"),
        "{e}"
    );
}

#[test]
fn a_layer_that_is_not_a_tar_is_a_clear_error() {
    for bytes in [
        gzip(&b"plain text, no tar header ".repeat(40)),
        b"x".repeat(1024),
    ] {
        let (found, _) = read(vec![bytes]);
        let e = found.unwrap_err();
        assert!(matches!(e, InstalledError::Tar { layer: 0, .. }), "{e:?}");
        assert!(e.to_string().contains("not a readable tar stream"), "{e}");
    }
    let failing = vec![Err(std::io::Error::other("blob gone"))];
    let e = read_installed(failing).unwrap_err();
    assert!(matches!(e, InstalledError::Fetch { layer: 0, .. }), "{e:?}");
}

#[test]
fn a_status_file_over_the_bound_is_refused_before_it_is_read() {
    let mut h = tar::Header::new_gnu();
    h.set_path("var/lib/dpkg/status").unwrap();
    h.set_size(MAX_DATABASE + 1);
    h.set_mode(0o644);
    h.set_cksum();
    let mut bytes = h.as_bytes().to_vec();
    bytes.extend_from_slice(&[b'P'; 4096]);
    let (found, _) = read(vec![bytes]);
    let e = found.unwrap_err();
    assert!(
        matches!(e, InstalledError::TooLarge { size, limit: MAX_DATABASE, .. } if size == MAX_DATABASE + 1),
        "{e:?}"
    );
}

#[test]
fn more_packages_than_the_bound_are_refused() {
    let text = "Package: p\nVersion: 1\nStatus: install ok installed\n\n".repeat(MAX_PACKAGES + 1);
    let (found, _) = read(vec![tar(vec![file("var/lib/dpkg/status", &text)])]);
    let e = found.unwrap_err();
    assert!(
        matches!(
            e,
            InstalledError::TooMany {
                limit: MAX_PACKAGES,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn a_linked_database_is_refused() {
    let top = layer(vec![E::Symlink("lib/apk/db/installed", "installed.real")]);
    let (found, _) = read(vec![top]);
    let e = found.unwrap_err();
    assert!(
        matches!(&e, InstalledError::NotAFile { kind: "symbolic link", path, .. } if path == "/lib/apk/db/installed"),
        "{e:?}"
    );
}

#[test]
fn the_hosts_own_dpkg_status_read_through_a_layer() {
    // This suite's machines are Debian: the file must be there.
    let status = std::fs::read("/var/lib/dpkg/status").expect("/var/lib/dpkg/status");
    let (found, _) = read(vec![layer(vec![E::File("var/lib/dpkg/status", status)])]);
    let found = found.unwrap();
    let p = &found.installed.packages;
    assert!(p.len() > 100, "{} packages", p.len());
    for p in p {
        assert!(
            !p.name.is_empty() && !p.version.is_empty() && !p.architecture.is_empty(),
            "{p:?}"
        );
    }
}

/// The configuration files of `layers` (top-most first), each layer reduced first.
fn config_of(layers: Vec<Vec<u8>>) -> config::Config {
    let mut it = layers.into_iter().enumerate();
    config::read_config(std::iter::from_fn(|| {
        let (index, bytes) = it.next()?;
        let stream = crate::image::extract::decompress(Cursor::new(bytes)).unwrap();
        Some(reduce(index, stream, Vec::new()).map(|t| Box::new(Cursor::new(t)) as Box<dyn Read>))
    }))
    .unwrap()
}

#[test]
fn the_image_configuration_is_read_as_the_image_sees_it() {
    let base = layer(vec![
        file(
            "etc/apt/sources.list",
            "deb http://deb.debian.org/debian bookworm main\n",
        ),
        file(
            "etc/apt/sources.list.d/old.list",
            "deb http://old.example/ x main\n",
        ),
        file("etc/apt/trusted.gpg.d/old.asc", "old key"),
        file("usr/share/keyrings/debian-archive-keyring.gpg", "keyring"),
        file(
            "usr/share/keyrings/nested/not-read.gpg",
            "deeper than a child",
        ),
        file("usr/share/doc/unrelated", "x"),
        file(
            "etc/apk/repositories",
            "https://dl-cdn.alpinelinux.org/alpine/v3.20/main\n",
        ),
    ]);
    let top = layer(vec![
        file("etc/apt/sources.list.d/.wh.old.list", ""),
        file("etc/apt/trusted.gpg.d/.wh..wh..opq", ""),
        file("etc/apt/trusted.gpg.d/new.asc", "new key"),
        file(
            "etc/apt/sources.list",
            "deb http://mirror.example/debian bookworm main\n",
        ),
        file("etc/apk/.wh.repositories", ""),
        E::Symlink("etc/apt/keyrings", "/elsewhere"),
        E::Symlink(
            "etc/apt/trusted.gpg.d/ubuntu.gpg",
            "../../../usr/share/keyrings/debian-archive-keyring.gpg",
        ),
        E::Symlink("etc/apt/trusted.gpg.d/outside.gpg", "/etc/shadow"),
    ]);
    let found = config_of(vec![top, base]);
    let names: Vec<&str> = found.files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "/etc/apt/sources.list",
            "/etc/apt/trusted.gpg.d/new.asc",
            "/etc/apt/trusted.gpg.d/ubuntu.gpg",
            "/usr/share/keyrings/debian-archive-keyring.gpg"
        ]
    );
    // A link is read as the configuration file it points to, never as anything else.
    assert_eq!(found.files["/etc/apt/trusted.gpg.d/ubuntu.gpg"], b"keyring");
    assert_eq!(found.skipped, ["/etc/apt/trusted.gpg.d/outside.gpg"]);
    assert_eq!(
        found.files["/etc/apt/sources.list"],
        b"deb http://mirror.example/debian bookworm main\n"
    );
    // The top layer's own whiteout and opaque marker do not hide its own entries.
    assert_eq!(found.files["/etc/apt/trusted.gpg.d/new.asc"], b"new key");
}

#[test]
fn a_reduced_layer_keeps_only_what_the_walks_read() {
    let mut entries = vec![file("var/lib/dpkg/status", &stanza("a", "1", OK))];
    for i in 0..200 {
        entries.push(E::File(
            Box::leak(format!("usr/lib/unrelated/{i}").into_boxed_str()),
            vec![b'x'; 4096],
        ));
    }
    let long = Box::leak(format!("var/lib/dpkg/status.d/{}", "n".repeat(150)).into_boxed_str());
    entries.push(file(long, &stanza("long", "2", OK)));
    let raw = layer(entries);
    let stream = crate::image::extract::decompress(Cursor::new(raw.clone())).unwrap();
    let reduced = reduce(0, stream, Vec::new()).unwrap();
    // Two files and their headers (the long name takes a GNU long-name entry), not 800 KiB.
    assert!(reduced.len() < 8 * 1024, "{} bytes", reduced.len());
    let mut archive = tar::Archive::new(Cursor::new(&reduced));
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["var/lib/dpkg/status", long]);
}

#[test]
fn the_configuration_kept_is_what_the_own_repositories_parser_reads() {
    let mut ours: Vec<String> = config::FILES
        .iter()
        .map(|f| format!("/{}", f.join("/")))
        .chain(config::DIRS.iter().map(|d| format!("/{}/", d.join("/"))))
        .collect();
    ours.sort();
    let mut theirs: Vec<String> = crate::packages::upgrades::own::WANTED
        .iter()
        .map(|s| s.to_string())
        .collect();
    theirs.sort();
    assert_eq!(ours, theirs);
}
