//! Tests of the image's own repositories over real file contents (`tests/data/own-repos/`:
//! Debian 12's `debian.sources` and archive keyring, its `trusted.gpg.d` keys, a bullseye-style
//! `sources.list`, an Alpine `repositories` list).

use super::*;
use crate::packages::openpgp;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/own-repos/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap()
}

fn image(files: &[(&str, Vec<u8>)]) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .map(|(path, data)| (path.to_string(), data.clone()))
        .collect()
}

fn ids(armored: &str) -> Vec<String> {
    let mut ids: Vec<String> = openpgp::keys(armored)
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    ids.sort();
    ids
}

const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
const SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";

fn bookworm() -> BTreeMap<String, Vec<u8>> {
    image(&[
        (SOURCES, data("debian.sources")),
        (KEYRING, data("debian-archive-keyring.gpg")),
    ])
}

fn error(files: &BTreeMap<String, Vec<u8>>, insecure: &[String]) -> String {
    format!("{}", repositories(files, insecure).unwrap_err())
}

#[test]
fn debian_12_sources_with_their_signed_by_keyring() {
    let own = repositories(&bookworm(), &[]).unwrap();
    let apt = &own.field.apt;
    let listed: Vec<(&str, &str, Option<&str>)> = apt
        .iter()
        .map(|a| {
            (
                a.repository.as_str(),
                a.suite.as_str(),
                a.component.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("http://deb.debian.org/debian", "bookworm", Some("main")),
            (
                "http://deb.debian.org/debian",
                "bookworm-updates",
                Some("main")
            ),
            (
                "http://deb.debian.org/debian-security",
                "bookworm-security",
                Some("main")
            ),
        ]
    );
    for a in apt {
        assert!(!a.insecure);
        assert_eq!(ids(a.signed_by.as_deref().unwrap()).len(), 15);
    }
    assert!(own.field.apk.is_empty());
    assert!(own.notes[0].contains("using the image's own repositories"));
    assert!(own.notes[1].ends_with(&format!("({SOURCES}:1): signed by {KEYRING}")));
    assert_eq!(own.notes.len(), 4, "{:?}", own.notes);
}

#[test]
fn a_missing_keyring_is_an_error_unless_the_uri_is_insecure() {
    let mut files = bookworm();
    files.remove(KEYRING);
    let e = error(&files, &[]);
    assert!(e.contains(&format!("{SOURCES}:1: http://deb.debian.org/debian bookworm cannot be verified: its keyring {KEYRING} is not in the image")), "{e}");
    let e = error(&files, &["http://deb.debian.org/debian/".into()]);
    assert!(e.contains(&format!("{SOURCES}:8: http://deb.debian.org/debian-security bookworm-security cannot be verified")), "{e}");
    let both = [
        "http://deb.debian.org/debian".to_string(),
        "http://deb.debian.org/debian-security".to_string(),
        "https://elsewhere.example/".to_string(),
    ];
    let own = repositories(&files, &both).unwrap();
    assert!(own
        .field
        .apt
        .iter()
        .all(|a| a.insecure && a.signed_by.is_none()));
    assert!(own.notes.contains(
        &"insecure: https://elsewhere.example/ is none of the image's repositories".into()
    ));
    // A keyring that is not one, and a keyring outside what the image side gathers.
    files.insert(KEYRING.into(), b"not a keyring".to_vec());
    assert!(error(&files, &[]).contains(&format!("keyring {KEYRING}: ")));
    let elsewhere = String::from_utf8(data("debian.sources"))
        .unwrap()
        .replace(KEYRING, "/opt/keys/debian.gpg");
    files.insert(SOURCES.into(), elsewhere.into_bytes());
    assert!(error(&files, &[]).contains("is outside the places uptick reads keyrings from"));
}

#[test]
fn one_line_sources_use_apts_default_keyrings() {
    let files = image(&[
        ("/etc/apt/sources.list", data("bullseye-sources.list")),
        (
            "/etc/apt/sources.list.d/google-cloud-sdk.list.disabled",
            data("google-cloud-sdk.list"),
        ),
        (
            "/etc/apt/trusted.gpg.d/debian-archive-bookworm-stable.asc",
            data("debian-archive-bookworm-stable.asc"),
        ),
        (
            "/etc/apt/trusted.gpg.d/debian-archive-bookworm-security-automatic.asc",
            data("debian-archive-bookworm-security-automatic.asc"),
        ),
        ("/etc/apt/trusted.gpg.d/local.gpg", data("two-keys.gpg")),
        ("/etc/apt/trusted.gpg.d/broken.gpg", b"\x99\x01".to_vec()),
        ("/etc/apt/trusted.gpg.d/README", b"not a keyring".to_vec()),
    ]);
    let own = repositories(&files, &[]).unwrap();
    let apt = &own.field.apt;
    let signed: Vec<String> = apt
        .iter()
        .filter(|a| !a.insecure)
        .map(|a| {
            format!(
                "{} {} {}",
                a.repository,
                a.suite,
                a.component.as_deref().unwrap()
            )
        })
        .collect();
    assert_eq!(
        signed,
        [
            "http://deb.debian.org/debian bullseye main",
            "http://deb.debian.org/debian bullseye contrib",
            "http://deb.debian.org/debian bullseye non-free",
            "http://security.debian.org/debian-security bullseye-security main",
        ]
    );
    // The two .asc files and the gpg export, not the broken one nor the README.
    let keys = ids(apt[0].signed_by.as_deref().unwrap());
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert!(keys.contains(&"BDE6D2B9216EC7A8".to_string()));
    assert!(keys.contains(&"FEB8F71479656FED".to_string()));
    // trusted=yes: read unchecked, with a warning; the flat repository and the CD skipped.
    let unchecked: Vec<_> = apt.iter().filter(|a| a.insecure).collect();
    assert_eq!(unchecked.len(), 1);
    assert_eq!(unchecked[0].repository, "http://apt.example.invalid/debian");
    let notes = own.notes.join("\n");
    for expected in [
        "ignored keyring /etc/apt/trusted.gpg.d/broken.gpg: ",
        "warning: apt http://apt.example.invalid/debian stable [main] (/etc/apt/sources.list:6): trusted=yes",
        "skipped /etc/apt/sources.list:5: http://apt.example.invalid/local ./ is a flat repository",
        "skipped /etc/apt/sources.list:7: cdrom:[Debian is not an http(s) URI",
        "ignored /etc/apt/sources.list.d/google-cloud-sdk.list.disabled (apt reads only",
    ] {
        assert!(notes.contains(expected), "{expected} not in\n{notes}");
    }
    // Without any default keyring, the first unsigned source is the error.
    let bare = image(&[("/etc/apt/sources.list", data("bullseye-sources.list"))]);
    let e = error(&bare, &[]);
    assert!(e.contains("/etc/apt/sources.list:1: http://deb.debian.org/debian bullseye cannot be verified: no Signed-By, and no usable keyring"), "{e}");
}

#[test]
fn signed_by_inline_blocks_fingerprints_and_list_files() {
    let asc = String::from_utf8(data("two-keys.asc")).unwrap();
    let inline: String = asc
        .lines()
        .map(|l| {
            if l.is_empty() {
                " .\n".to_string()
            } else {
                format!(" {l}\n")
            }
        })
        .collect();
    let sources = format!("Types: deb\nURIs: https://a.example/apt\nSuites: stable\nComponents: main\nSigned-By:\n{inline}");
    let list = "deb [arch=amd64 signed-by=/etc/apt/keyrings/k.gpg,/usr/share/keyrings/debian-archive-keyring.gpg] https://b.example/apt stable main\n\
                deb [signed-by=a15e4967d7a3087dfbc971fc010591ca7f9cd676] https://c.example/apt stable main\n";
    let files = image(&[
        ("/etc/apt/sources.list.d/a.sources", sources.into_bytes()),
        ("/etc/apt/sources.list.d/b.list", list.as_bytes().to_vec()),
        ("/etc/apt/keyrings/k.gpg", data("two-keys.gpg")),
        (KEYRING, data("debian-archive-keyring.gpg")),
        ("/etc/apt/trusted.gpg.d/local.asc", data("two-keys.asc")),
    ]);
    let own = repositories(&files, &[]).unwrap();
    let keys: Vec<usize> = own
        .field
        .apt
        .iter()
        .map(|a| ids(a.signed_by.as_deref().unwrap()).len())
        .collect();
    // The inline pair; both named keyrings; one key picked from the default keyrings.
    assert_eq!(keys, [2, 17, 1]);
    assert_eq!(
        ids(own.field.apt[2].signed_by.as_deref().unwrap()),
        ["010591CA7F9CD676"]
    );
}

#[test]
fn alpine_repositories_with_the_images_keys() {
    let key = "/etc/apk/keys/test@example.invalid-00000001.rsa.pub";
    let files = image(&[
        ("/etc/apk/repositories", data("alpine-repositories")),
        (key, data("test@example.invalid-00000001.rsa.pub")),
        ("/etc/apk/keys/junk.pub", b"junk".to_vec()),
    ]);
    let own = repositories(&files, &[]).unwrap();
    let apk = &own.field.apk;
    let urls: Vec<&str> = apk.iter().map(|a| a.repository.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://dl-cdn.alpinelinux.org/alpine/v3.20/main",
            "https://dl-cdn.alpinelinux.org/alpine/v3.20/community",
        ]
    );
    let pem = String::from_utf8(data("test@example.invalid-00000001.rsa.pub")).unwrap();
    assert!(apk
        .iter()
        .all(|a| a.signed_by.as_deref() == Some(pem.as_str()) && !a.insecure));
    let notes = own.notes.join("\n");
    for expected in [
        "skipped /etc/apk/repositories:5: a tagged repository (@testing)",
        "skipped /etc/apk/repositories:6: a local repository (/media/cdrom/apks)",
        "ignored key /etc/apk/keys/junk.pub: not a PEM public key",
    ] {
        assert!(notes.contains(expected), "{expected} not in\n{notes}");
    }
    // No key: an error naming the line, unless that repository is insecure.
    let mut files = files;
    files.remove(key);
    let e = error(&files, &[]);
    assert!(e.contains("/etc/apk/repositories:1: https://dl-cdn.alpinelinux.org/alpine/v3.20/main cannot be verified"), "{e}");
    let insecure = urls.iter().map(|u| format!("{u}/")).collect::<Vec<_>>();
    let own = repositories(&files, &insecure).unwrap();
    assert!(own
        .field
        .apk
        .iter()
        .all(|a| a.insecure && a.signed_by.is_none()));
}

#[test]
fn bounds_and_an_empty_image() {
    let mut files = bookworm();
    files.insert(
        "/etc/apk/repositories".into(),
        vec![b'#'; MAX_FILE_BYTES + 1],
    );
    assert!(error(&files, &[]).contains("more than the 1048576 read"));
    let many = "deb-src http://h/d s main\n".repeat(MAX_SOURCE_LINES + 1);
    let files = image(&[("/etc/apt/sources.list", many.into_bytes())]);
    assert!(error(&files, &[]).contains("more than 256 source lines"));
    let comps: Vec<String> = (0..=MAX_REPOSITORIES).map(|i| format!("c{i}")).collect();
    let line = format!("deb [trusted=yes] http://h/d s {}\n", comps.join(" "));
    let files = image(&[("/etc/apt/sources.list", line.into_bytes())]);
    assert!(error(&files, &[]).contains("more than 64 repositories"));
    let own = repositories(&BTreeMap::new(), &[]).unwrap();
    assert!(own.field.apt.is_empty() && own.field.apk.is_empty());
    assert!(own.notes[1].contains("no apt or apk repository"));
}

#[test]
fn wanted_paths() {
    for path in [
        "/etc/apt/sources.list",
        "/etc/apt/sources.list.d/debian.sources",
        "/etc/apt/trusted.gpg",
        "/etc/apt/trusted.gpg.d/x.asc",
        "/etc/apt/keyrings/x.gpg",
        KEYRING,
        "/etc/apk/repositories",
        "/etc/apk/keys/alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
    ] {
        assert!(wanted(path), "{path}");
    }
    for path in [
        "/etc/apt/sources.list.save",
        "/etc/passwd",
        "/etc/apk/world",
        "/usr/share/keyringsx",
        "/usr/share/keyrings/nested/x.gpg",
    ] {
        assert!(!wanted(path), "{path}");
    }
}

#[test]
fn credentials_in_a_uri_stay_out_of_notes_and_errors() {
    let list = "deb https://user:s3cret@apt.example/d s main\ndeb mirror+https://user:s3cret@apt.example/m s main\n";
    let files = image(&[("/etc/apt/sources.list", list.as_bytes().to_vec())]);
    let e = error(&files, &[]);
    assert!(
        e.contains("https://apt.example/d s cannot be verified") && !e.contains("s3cret"),
        "{e}"
    );
    let own = repositories(&files, &["https://user:s3cret@apt.example/d".into()]).unwrap();
    assert_eq!(
        own.field.apt[0].repository,
        "https://user:s3cret@apt.example/d"
    );
    assert!(!own.notes.join("\n").contains("s3cret"), "{:?}", own.notes);
}

#[test]
fn cut_and_flipped_files_give_errors_or_notes_never_a_panic() {
    let originals = [
        (SOURCES, data("debian.sources")),
        ("/etc/apt/sources.list", data("bullseye-sources.list")),
        ("/etc/apk/repositories", data("alpine-repositories")),
        ("/etc/apt/trusted.gpg.d/local.gpg", data("two-keys.gpg")),
        ("/etc/apt/trusted.gpg.d/local.asc", data("two-keys.asc")),
    ];
    for (path, original) in &originals {
        let step = (original.len() / 40).max(1);
        for at in (0..original.len()).step_by(step) {
            let mut flipped = original.clone();
            flipped[at] ^= 0xA5;
            for contents in [original[..at].to_vec(), flipped] {
                let mut files = image(&originals);
                files.insert(path.to_string(), contents);
                let _ = repositories(&files, &[]);
            }
        }
    }
}
