//! Maven order and range rows, checked here and against Maven itself (ignored tests).

use super::*;
use std::cmp::Ordering;
use std::process::{Command, Stdio};

/// `(a, relation, b)`: the POM reference's "Version Order Specification" examples (its
/// current text, whose `1-sp-1` < `1-ga-1` corrects an older `>`), the issue's example,
/// Maven's own `ComparableVersionTest` sequences and more; every row is also put to
/// Maven 3.8.7's `ComparableVersion` itself by [`rows_agree_with_maven`].
const ORDER: &[(&str, &str, &str)] = &[
    // The specification's examples.
    ("1", "<", "1.1"),
    ("1-snapshot", "<", "1"),
    ("1", "<", "1-sp"),
    ("1-foo2", "<", "1-foo10"),
    ("1.foo", "=", "1-foo"),
    ("1-foo", "<", "1-1"),
    ("1-1", "<", "1.1"),
    ("1.ga", "=", "1-ga"),
    ("1-ga", "=", "1-0"),
    ("1-0", "=", "1.0"),
    ("1.0", "=", "1"),
    ("1-sp", ">", "1-ga"),
    ("1-sp.1", ">", "1-ga.1"),
    ("1-sp-1", "<", "1-ga-1"),
    // The specification says `1-ga-1` = `1-1`; Maven 3.8.7 drops the `ga` but keeps its
    // list: [1, [[1]]] < [1, [1]].
    ("1-ga-1", "<", "1-1"),
    ("1-a1", "=", "1-alpha-1"),
    ("1.0-alpha1", "=", "1.0-ALPHA1"),
    ("1.7", ">", "1.K"),
    ("5.zebra", ">", "5.aardvark"),
    ("1-1.foo-bar1baz-.1", "=", "1-1.foo-bar-1-baz-0.1"),
    // Qualifier order: alpha < beta < milestone < rc = cr < snapshot < "" = ga = final
    // = release < sp < other qualifiers, those lexically.
    ("1-alpha", "<", "1-beta"),
    ("1-beta", "<", "1-milestone"),
    ("1-milestone", "<", "1-rc"),
    ("1-rc", "=", "1-cr"),
    ("1-rc", "<", "1-snapshot"),
    ("1-snapshot", "<", "1-final"),
    ("1-final", "=", "1-ga"),
    ("1-sp", "<", "1-abc"),
    ("1-abc", "<", "1-def"),
    ("1-m", ">", "1-milestone"),
    ("1-a", ">", "1-sp"),
    // The issue's example.
    ("1.0-alpha-1", "<", "1.0-SNAPSHOT"),
    ("1.0-SNAPSHOT", "<", "1.0"),
    ("1.0", "<", "1.0-sp1"),
    // Aliases, only before a digit.
    ("1a1", "=", "1-alpha-1"),
    ("1b2", "=", "1-beta-2"),
    ("1m3", "=", "1-milestone-3"),
    ("1.0.RC1", "=", "1.0-cr-1"),
    ("1.0GA", "=", "1.0"),
    // Numbers: numerically, any length, leading zeros ignored, trailing zeros dropped.
    ("1.0.0", "=", "1"),
    ("1.2", "<", "1.10"),
    ("1.01", "=", "1.1"),
    ("2.0", "<", "2.0.1"),
    ("1.0.0.9", "<", "1.0.0.52"),
    ("1.2147483648", ">", "1.2147483647"),
    ("1.123456789012345678901", ">", "1.99999999999999999"),
    ("1.0", "<", "1.0-1"),
    ("1.0-1", "<", "1.0.1"),
    ("1-0-2", "<", "1-1"),
    // Maven's ComparableVersionTest sequences (each row a neighbouring pair).
    ("1-alpha2snapshot", "<", "1-alpha2"),
    ("1-alpha2", "<", "1-alpha-123"),
    ("1-alpha-123", "<", "1-beta-2"),
    ("1-beta123", "<", "1-m2"),
    ("1-m11", "<", "1-rc"),
    ("1-cr2", "<", "1-rc123"),
    ("1-rc123", "<", "1-SNAPSHOT"),
    ("1-sp123", "<", "1-abc"),
    ("1-def", "<", "1-pom-1"),
    ("1-pom-1", "<", "1-1-snapshot"),
    ("1-1-snapshot", "<", "1-1"),
    ("1-2", "<", "1-123"),
    ("2.0", "<", "2.0.a"),
    ("2.0.a", "<", "2-1"),
    ("2-1", "<", "2.0.2"),
    ("2.1-a", "<", "2.1b"),
    ("2.1-c", "<", "2.1-1"),
    ("2.1.0.1", "<", "2.2"),
    ("11.a2", "<", "11.a11"),
    ("11.b11", "<", "11.m2"),
    ("11.m11", "<", "11"),
    ("11", "<", "11.a"),
    ("11b", "<", "11c"),
    // Snapshots of pre-releases, and text that is no version scheme at all.
    ("1.0a1-SNAPSHOT", "<", "1.0-alpha1"),
    ("1.0-beta3.SNAPSHOT", "<", "1.0-beta3"),
    ("1.0-rc1-SNAPSHOT", "<", "1.0-cr1"),
    ("NotAVersionSting", "<", "1.0a1-SNAPSHOT"),
    ("31.1-jre", ">", "31.1-android"),
    // Maven 3.8 itself: a list against nothing is its first item that is not equal to
    // nothing (MNG-6964); a trailing qualifier opens a list of its own (MNG-5568).
    ("0", "<", "0-0.2"),
    ("ga.b", ">", "foo"),
];

/// `(range, version, admitted)`: the POM reference's "Dependency Version Requirement
/// Specification" examples and its note that `[1.0,2.0)` admits `2.0-rc1`; each also put to
/// Maven 3.8.7's `VersionRange.containsVersion` by [`rows_agree_with_maven`].
const RANGES: &[(&str, &str, bool)] = &[
    ("[1.0]", "1.0", true),
    ("[1.0]", "1", true),
    ("[1.0]", "1.0.0", true),
    ("[1.0]", "1.0.1", false),
    ("[1.0]", "1.0-SNAPSHOT", false),
    ("(,1.0]", "0.9", true),
    ("(,1.0]", "1.0", true),
    ("(,1.0]", "1.0.1", false),
    ("(,1.0]", "1.0-sp1", false),
    ("(,1.0)", "1.0", false),
    ("(,1.0)", "1.0-rc1", true),
    ("[1.2,1.3]", "1.2", true),
    ("[1.2,1.3]", "1.3", true),
    ("[1.2,1.3]", "1.2.5", true),
    ("[1.2,1.3]", "1.3.1", false),
    ("[1.2,1.3]", "1.1", false),
    ("[1.0,2.0)", "1.0", true),
    ("[1.0,2.0)", "1.9.9", true),
    ("[1.0,2.0)", "2.0", false),
    ("[1.0,2.0)", "2.0-rc1", true),
    ("[1.0,2.0)", "2.0-SNAPSHOT", true),
    ("[1.0,2.0)", "0.9", false),
    ("[1.1,2.0)", "1.10", true),
    ("[1.5,)", "1.5", true),
    ("[1.5,)", "100", true),
    ("[1.5,)", "1.4", false),
    ("(1.5,)", "1.5", false),
    ("(1.5,)", "1.5.0", false),
    ("(1.5,)", "1.5-1", true),
    ("(,1.0],[1.2,)", "1.0", true),
    ("(,1.0],[1.2,)", "1.1", false),
    ("(,1.0],[1.2,)", "1.2", true),
    ("(,1.0],[1.2,)", "3", true),
    ("(,1.1),(1.1,)", "1.1", false),
    ("(,1.1),(1.1,)", "1.1.1", true),
    ("(,1.1),(1.1,)", "1.0", true),
    ("[1.0,1.2),[1.2,1.4)", "1.2", true),
    ("[ 1.0 , 2.0 )", "1.5", true),
    ("[1.0,)", "1.0-SNAPSHOT", false),
    ("[1.0,1]", "1.0.0", true),
    ("[,]", "0.1", true),
    ("[1.0,),[2.0,)", "3.0", true),
];

/// `(soft requirement, version, admitted)`: a bare version admits the versions equal to the
/// one Maven resolves it to (checked against `VersionRange.getRecommendedVersion`).
const SOFT: &[(&str, &str, bool)] = &[
    ("1.0", "1.0", true),
    ("1.0", "1", true),
    ("1.0", "1.0.0", true),
    ("1.0", "1.1", false),
    ("1.0", "1.0-SNAPSHOT", false),
];

/// Specs `VersionRange.createFromVersionSpec` refuses.
const INVALID: &[&str] = &[
    "[1.0,2.0",
    "(1.0)",
    "[1.0)",
    "[2.0,1.0]",
    "[1.0,1.0)",
    "(1,1.0]",
    "[1.0,2.0),1.5",
    "[1.0,2.0],[1.5,3.0]",
    "(,1.0],(,2.0]",
    "[1.0,2.0)x",
];

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn relation(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

#[test]
fn order_rows() {
    let mut wrong = Vec::new();
    for (a, rel, b) in ORDER {
        let got = relation(v(a).cmp(&v(b)));
        let back = relation(v(b).cmp(&v(a)));
        let want_back = relation(match *rel {
            "<" => Ordering::Greater,
            ">" => Ordering::Less,
            _ => Ordering::Equal,
        });
        if got != *rel || back != want_back {
            wrong.push(format!("{a} {got} {b} (want {rel}; reversed {back})"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn range_rows() {
    let mut wrong = Vec::new();
    for (spec, version, want) in RANGES.iter().chain(SOFT) {
        let got = Range::parse(spec).unwrap().admits(&v(version));
        if got != *want {
            wrong.push(format!("{spec} admits {version}: {got}, want {want}"));
        }
    }
    for spec in INVALID {
        if let Ok(r) = Range::parse(spec) {
            wrong.push(format!("{spec} parsed: {r:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn pre_releases_and_refusals() {
    for pre in [
        "1.0-alpha-1",
        "1.0a1",
        "1.0-b2",
        "1.0.M1",
        "1.0-RC1",
        "1.0.CR2",
        "1.0-SNAPSHOT",
        "2.0.0-beta.1",
    ] {
        assert!(v(pre).is_prerelease(), "{pre}");
    }
    for rel in [
        "1.0",
        "1.0-sp1",
        "1.0.Final",
        "1.0.RELEASE",
        "31.1-jre",
        "1.0-m",
        "1-1",
    ] {
        assert!(!v(rel).is_prerelease(), "{rel}");
    }
    assert_eq!(
        Version::parse("1.0 beta").unwrap_err().to_string(),
        "`1.0 beta` is not a Maven version (empty, longer than 256 bytes, or not printable ASCII)"
    );
    // Nesting is bounded by the length: a hostile index cannot nest lists without end.
    let deep = "1-".repeat(128);
    assert!(v(&deep) > v("1"));
    assert!(Version::parse(&format!("{deep}1")).is_err());
    assert!(Version::parse("").is_err());
    assert!(Version::parse("1.α").is_err());
    for operator in [">=1.0", "~1.2", "1.*", "1.0 || 2.0", "^1"] {
        let e = Range::parse(operator).unwrap_err().to_string();
        assert!(e.contains("write `[1.0,)`"), "{e}");
    }
    let e = Range::parse("[1.0,2.0").unwrap_err().to_string();
    assert_eq!(
        e,
        "`[1.0,2.0` is not a Maven version range: unbounded range"
    );
}

/// The installed Maven's `lib` (Debian's `maven` package: ci/test installs it).
const MAVEN_LIB: &str = "/usr/share/maven/lib";

/// The `maven-artifact` jar of the installed Maven.
fn maven_artifact_jar() -> std::path::PathBuf {
    let lib = std::path::Path::new(MAVEN_LIB);
    std::fs::read_dir(lib)
        .unwrap_or_else(|e| panic!("{}: {e} (ci/test installs maven)", lib.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("maven-artifact-") && n.ends_with(".jar"))
        })
        .unwrap_or_else(|| panic!("no maven-artifact jar in {}", lib.display()))
}

/// `ComparableVersion`'s own `main`: each argument compared with the next one.
fn maven_order(pairs: &[(&str, &str)]) -> Vec<&'static str> {
    let mut args = Vec::new();
    for (a, b) in pairs {
        args.push(*a);
        args.push(*b);
    }
    let out = Command::new("java")
        .arg("-jar")
        .arg(maven_artifact_jar())
        .args(&args)
        .output()
        .expect("java (ci/test installs maven)");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    // Lines `   A < B`, one per neighbouring pair; keep those of each (a, b).
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("   "))
        .map(str::trim)
        .collect();
    assert_eq!(lines.len(), args.len() - 1, "{text}");
    pairs
        .iter()
        .enumerate()
        .map(|(i, (a, b))| {
            let line = lines[2 * i];
            for rel in ["<", "==", ">"] {
                if line == format!("{a} {rel} {b}") {
                    return if rel == "==" { "=" } else { rel };
                }
            }
            panic!("unexpected line {line:?} for {a} {b}");
        })
        .collect()
}

/// Runs `VersionRange` on lines `spec<TAB>version`: `true`/`false` (`containsVersion`, or
/// for a soft requirement whether the recommended version equals it), or `invalid`.
fn maven_ranges(lines: &[String]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("RangeOracle.java");
    std::fs::write(
        &src,
        r#"import org.apache.maven.artifact.versioning.*;
import java.io.*;
public class RangeOracle {
  public static void main(String[] args) throws Exception {
BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
String line;
while ((line = in.readLine()) != null) {
  String[] p = line.split("\t", -1);
  try {
    VersionRange r = VersionRange.createFromVersionSpec(p[0]);
    if (p[1].isEmpty()) { System.out.println("valid"); continue; }
    DefaultArtifactVersion v = new DefaultArtifactVersion(p[1]);
    if (r.getRecommendedVersion() != null) {
      System.out.println(r.getRecommendedVersion().compareTo(v) == 0);
    } else {
      System.out.println(r.containsVersion(v));
    }
  } catch (InvalidVersionSpecificationException e) {
    System.out.println("invalid");
  }
}
  }
}
"#,
    )
    .unwrap();
    let mut child = Command::new("java")
        .arg("-cp")
        .arg(format!("{MAVEN_LIB}/*"))
        .arg(&src)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("java (ci/test installs default-jdk-headless)");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every row above, put to Maven 3.8.7 itself: the order rows to `ComparableVersion`'s
/// `main` (`java -jar maven-artifact-3.x.jar A B`), the range rows to `VersionRange`.
#[test]
#[cfg_attr(
    not(uptick_has_maven),
    ignore = "needs java, javac, mvn and Maven's deploy plugin (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java)"
)]
fn rows_agree_with_maven() {
    let pairs: Vec<(&str, &str)> = ORDER.iter().map(|(a, _, b)| (*a, *b)).collect();
    let maven = maven_order(&pairs);
    let mut wrong = Vec::new();
    for ((a, rel, b), m) in ORDER.iter().zip(&maven) {
        if rel != m {
            wrong.push(format!("row {a} {rel} {b}: Maven says {m}"));
        }
    }
    let mut lines: Vec<String> = RANGES
        .iter()
        .chain(SOFT)
        .map(|(s, v, _)| format!("{s}\t{v}"))
        .collect();
    lines.extend(INVALID.iter().map(|s| format!("{s}\t")));
    let answers = maven_ranges(&lines);
    assert_eq!(answers.len(), lines.len(), "{answers:?}");
    let wants = RANGES
        .iter()
        .chain(SOFT)
        .map(|(_, _, w)| w.to_string())
        .chain(INVALID.iter().map(|_| "invalid".to_string()));
    for ((line, want), got) in lines.iter().zip(wants).zip(&answers) {
        if &want != got {
            wrong.push(format!("{line:?}: row says {want}, Maven says {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// 2,000 generated (range, version) cases: one or two sets of random bounds (either may be
/// missing), brackets and single versions, answered by uptick and by Maven 3.8.7's
/// `VersionRange` (`invalid` included).
#[test]
#[cfg_attr(
    not(uptick_has_maven),
    ignore = "needs java, javac, mvn and Maven's deploy plugin (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java)"
)]
fn generated_ranges_agree_with_maven() {
    const POOL: &[&str] = &[
        "0.9",
        "1",
        "1.0",
        "1.0.1",
        "1.1",
        "1.2-rc1",
        "1.5",
        "2.0-SNAPSHOT",
        "2.0",
        "2.0.0",
        "3",
        "1-sp",
        "1.0-alpha-1",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut lines = Vec::new();
    for _ in 0..500 {
        let mut spec = String::new();
        for i in 0..1 + next(2) {
            if i > 0 {
                spec.push(',');
            }
            spec.push(['[', '('][next(2)]);
            if next(5) == 0 {
                spec.push_str(POOL[next(POOL.len())]);
            } else {
                let bound = |k: usize| if k < 3 { "" } else { POOL[k % POOL.len()] };
                spec.push_str(bound(next(POOL.len() + 3)));
                spec.push(',');
                spec.push_str(bound(next(POOL.len() + 3)));
            }
            spec.push([']', ')'][next(2)]);
        }
        for _ in 0..4 {
            lines.push(format!("{spec}\t{}", POOL[next(POOL.len())]));
        }
    }
    let answers = maven_ranges(&lines);
    assert_eq!(answers.len(), lines.len());
    let mut wrong = Vec::new();
    let mut valid = 0;
    for (line, maven) in lines.iter().zip(&answers) {
        let (spec, version) = line.split_once('\t').unwrap();
        let ours = match Range::parse(spec) {
            Ok(r) => {
                valid += 1;
                r.admits(&v(version)).to_string()
            }
            Err(_) => "invalid".to_string(),
        };
        if &ours != maven {
            wrong.push(format!("{spec} {version}: Maven {maven}, uptick {ours}"));
        }
    }
    eprintln!("maven ranges: {valid} of {} cases valid", lines.len());
    assert!(valid > 500, "too few valid ranges generated: {valid}");
    assert!(
        wrong.is_empty(),
        "{} disagree:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(30)].join("\n")
    );
}

/// 3,000 generated pairs of versions (numbers with leading zeros and of every length,
/// every qualifier and alias, unknown words, empty parts, both separators and
/// digit/letter switches), ordered by uptick and by Maven 3.8.7's `ComparableVersion`.
#[test]
#[cfg_attr(
    not(uptick_has_maven),
    ignore = "needs java, javac, mvn and Maven's deploy plugin (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java)"
)]
fn generated_versions_agree_with_maven() {
    const PARTS: &[&str] = &[
        "0",
        "00",
        "1",
        "2",
        "10",
        "010",
        "123456789",
        "1234567890",
        "12345678901234567890",
        "a",
        "b",
        "m",
        "alpha",
        "beta",
        "milestone",
        "rc",
        "cr",
        "snapshot",
        "SNAPSHOT",
        "ga",
        "final",
        "release",
        "sp",
        "foo",
        "jre",
        "x",
        "",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut version = || {
        let mut s = String::new();
        for i in 0..1 + next(5) {
            if i > 0 {
                s.push_str(["", ".", "-"][next(3)]);
            }
            s.push_str(PARTS[next(PARTS.len())]);
        }
        if s.is_empty() {
            s.push('1');
        }
        s
    };
    let versions: Vec<(String, String)> = (0..3000).map(|_| (version(), version())).collect();
    let pairs: Vec<(&str, &str)> = versions
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let maven = maven_order(&pairs);
    let wrong: Vec<String> = pairs
        .iter()
        .zip(&maven)
        .filter(|((a, b), m)| relation(v(a).cmp(&v(b))) != **m)
        .map(|((a, b), m)| {
            format!(
                "{a} vs {b}: Maven {m}, uptick {}",
                relation(v(a).cmp(&v(b)))
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} disagree:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(30)].join("\n")
    );
}
