//! Probes for the tools each group of tests needs, so a plain `cargo test` ignores (with the
//! reason) what this machine cannot run: `uptick_has_<group>` is set for each group present.

// Cargo reads a build script's instructions from its stdout.
#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One thing a group needs.
enum Probe {
    /// An executable file of this name in a `PATH` directory.
    Program(&'static str),
    /// A top-level Python module that `python3` finds (located, not imported).
    Python(&'static str),
    /// A directory holding a file whose name starts and ends so.
    File(&'static str, &'static str, &'static str),
    /// A directory.
    Dir(&'static str),
    /// Running as root (effective uid 0).
    Root,
}

use Probe::{Dir, File, Program, Python, Root};

/// A group of tests' tools. `ci/annotate-test-needs` reads `name`, `needs` and `install` from
/// this table for the tests' `ignore` reasons: keep those three fields first, in this order.
struct Group {
    name: &'static str,
    needs: &'static str,
    install: &'static str,
    probes: &'static [Probe],
}

const GROUPS: &[Group] = &[
    Group {
        name: "docker_registry",
        needs: "docker-registry",
        install: "apt-get install docker-registry",
        probes: &[Program("docker-registry")],
    },
    Group {
        name: "python3",
        needs: "python3",
        install: "apt-get install python3",
        probes: &[Program("python3")],
    },
    Group {
        name: "pypiserver",
        needs: "pypiserver",
        install: "pip install pypiserver",
        probes: &[Program("python3"), Python("pypiserver")],
    },
    Group {
        name: "moto",
        needs: "moto's server",
        install: "pip install 'moto[server]'",
        probes: &[
            Program("python3"),
            Python("moto"),
            Python("flask"),
            Python("flask_cors"),
        ],
    },
    Group {
        name: "pyyaml_jsonschema",
        needs: "pyyaml and jsonschema",
        install: "pip install pyyaml jsonschema",
        probes: &[Program("python3"), Python("yaml"), Python("jsonschema")],
    },
    Group {
        name: "git",
        needs: "git",
        install: "apt-get install git",
        probes: &[Program("git")],
    },
    Group {
        name: "openssl",
        needs: "openssl",
        install: "apt-get install openssl",
        probes: &[Program("openssl")],
    },
    Group {
        name: "ruby",
        needs: "ruby and bundle",
        install: "apt-get install ruby ruby-bundler",
        probes: &[Program("ruby"), Program("bundle")],
    },
    Group {
        name: "maven",
        needs: "java, javac, mvn and Maven's deploy plugin",
        install: "apt-get install maven default-jdk-headless libmaven-deploy-plugin-java",
        probes: &[
            Program("java"),
            Program("javac"),
            Program("mvn"),
            File("/usr/share/maven/lib", "maven-artifact-", ".jar"),
            Dir("/usr/share/maven-repo/org/apache/maven/plugins/maven-deploy-plugin"),
        ],
    },
    Group {
        name: "apt_tools",
        needs: "apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz",
        install: "apt-get install apt-utils dpkg-dev gnupg xz-utils",
        probes: &[
            Program("apt-ftparchive"),
            Program("dpkg-scanpackages"),
            Program("dpkg-deb"),
            Program("gpg"),
            Program("xz"),
        ],
    },
    Group {
        name: "root",
        needs: "root",
        install: "run as root, as ci/test does: a tmpfs, a second uid, chroot",
        probes: &[Root],
    },
    Group {
        name: "debian_image",
        needs: "debootstrap, umoci, setfattr and Debian's mirror",
        install: "apt-get install debootstrap umoci attr",
        probes: &[
            Program("debootstrap"),
            Program("umoci"),
            Program("setfattr"),
        ],
    },
];

fn main() {
    let path_dirs = path_dirs();
    let python = find_program(&path_dirs, "python3");
    let modules = python_modules(python.as_deref());
    let mut missing = Vec::new();
    for group in GROUPS {
        println!("cargo::rustc-check-cfg=cfg(uptick_has_{})", group.name);
        let present = group.probes.iter().all(|p| match p {
            Program(name) => find_program(&path_dirs, name).is_some(),
            Python(module) => modules.found.contains(*module),
            File(dir, prefix, suffix) => has_file(Path::new(dir), prefix, suffix),
            Dir(dir) => Path::new(dir).is_dir(),
            Root => is_root(),
        });
        if present {
            println!("cargo::rustc-cfg=uptick_has_{}", group.name);
        } else {
            missing.push(format!(
                "{} ({}: {})",
                group.name, group.needs, group.install
            ));
        }
    }
    report(&missing);
    watch(&path_dirs, &modules);
}

/// Tells what is missing: a warning while building, and `UPTICK_MISSING_TOOLS` for the test
/// that fails under `ci/test` (`UPTICK_REQUIRE_TOOLS=1`) when anything is.
fn report(missing: &[String]) {
    let text = missing.join("; ");
    println!("cargo::rustc-env=UPTICK_MISSING_TOOLS={text}");
    if !missing.is_empty() {
        println!("cargo::warning=tests needing these are ignored: {text}");
    }
}

/// What re-runs the probes: another `PATH` or user, a program added to or removed from a
/// `PATH` directory, a Debian package installed, a missing Python module installed.
fn watch(path_dirs: &[PathBuf], modules: &Modules) {
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=USER");
    for dir in path_dirs {
        println!("cargo::rerun-if-changed={}", dir.display());
    }
    let dpkg = Path::new("/var/lib/dpkg/status");
    if dpkg.is_file() {
        println!("cargo::rerun-if-changed={}", dpkg.display());
    }
    // Cargo scans a directory whole: site-packages only while a module is still missing.
    let wanted = GROUPS.iter().flat_map(|g| g.probes).any(|p| match p {
        Python(module) => !modules.found.contains(*module),
        _ => false,
    });
    if wanted {
        for dir in &modules.site_dirs {
            println!("cargo::rerun-if-changed={}", dir.display());
        }
    }
}

/// The absolute, existing `PATH` directories, without any that holds this build's output
/// (Cargo would see its own writes there and re-run the probes on every build).
fn path_dirs() -> Vec<PathBuf> {
    let out = std::env::var_os("OUT_DIR").map(PathBuf::from);
    let mut seen = BTreeSet::new();
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.is_absolute() && d.is_dir())
        .filter(|d| !out.as_ref().is_some_and(|o| o.starts_with(d)))
        .filter(|d| seen.insert(d.clone()))
        .collect()
}

fn find_program(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(name)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

fn has_file(dir: &Path, prefix: &str, suffix: &str) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix))
        })
    })
}

/// Whether this process runs as root (the owner of `/proc/self` is the effective uid).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The Python modules found, and the directories pip installs into.
#[derive(Default)]
struct Modules {
    found: BTreeSet<String>,
    site_dirs: Vec<PathBuf>,
}

/// One `python3` run locating every module the groups name (`find_spec` imports nothing).
fn python_modules(python: Option<&Path>) -> Modules {
    const SCRIPT: &str = "import importlib.util, site, sys\n\
        for m in sys.argv[1:]:\n    print('found' if importlib.util.find_spec(m) else 'missing', m)\n\
        for d in site.getsitepackages() + [site.getusersitepackages()]:\n    print('site', d)\n";
    let Some(python) = python else {
        return Modules::default();
    };
    let names: BTreeSet<&str> = GROUPS
        .iter()
        .flat_map(|g| g.probes)
        .filter_map(|p| match p {
            Python(m) => Some(*m),
            _ => None,
        })
        .collect();
    let out = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .args(&names)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    let Ok(out) = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()) else {
        return Modules::default();
    };
    let mut modules = Modules::default();
    for line in out.lines() {
        match line.split_once(' ') {
            Some(("found", m)) => {
                modules.found.insert(m.to_string());
            }
            Some(("site", d)) if Path::new(d).is_dir() => modules.site_dirs.push(d.into()),
            _ => {}
        }
    }
    modules
}
