//! The test entry to [`Repositories::updates`](super::Repositories::updates): the calls run on
//! one thread that drives the process's runtime, as a binary's main thread does.

use super::{Manager, Package, PackageError, Repositories};
use crate::protocol::UpdatesField;

type Job = Box<dyn FnOnce() + Send>;

#[doc(hidden)]
/// Test entry (`uptick::testing::packages::upgrades::updates`): `source.updates` as JSON, the
/// manager (`dpkg` / `apk`), the OCI platform, installed (name, version, architecture), the
/// cache directory; each update as `[package, installed, available, repository, architecture]`,
/// or the error with its causes. Runs on a thread that installed the process's runtime (the
/// one thread making requests in a test process).
pub fn testing_updates(
    field: &str,
    manager: &str,
    platform: (&str, Option<&str>),
    installed: &[(&str, &str, &str)],
    cache: &std::path::Path,
) -> Result<Vec<[String; 5]>, String> {
    static DRIVER: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let driver = DRIVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                crate::net::install_runtime(rt);
            }
            for job in rx {
                job();
            }
        });
        std::sync::Mutex::new(tx)
    });
    let (field, manager, arch, variant, cache) = (
        field.to_string(),
        manager.to_string(),
        platform.0.to_string(),
        platform.1.map(str::to_string),
        cache.to_path_buf(),
    );
    let installed: Vec<(String, String, String)> = installed
        .iter()
        .map(|(n, v, a)| (n.to_string(), v.to_string(), a.to_string()))
        .collect();
    let (done, result) = std::sync::mpsc::channel();
    let job: Job = Box::new(move || {
        let installed: Vec<(&str, &str, &str)> = installed
            .iter()
            .map(|(n, v, a)| (n.as_str(), v.as_str(), a.as_str()))
            .collect();
        let _ = done.send(run(
            &field,
            &manager,
            (&arch, variant.as_deref()),
            &installed,
            &cache,
        ));
    });
    let sent = driver
        .lock()
        .map_err(|_| "the driver thread is gone".to_string())?
        .send(job);
    sent.map_err(|_| "the driver thread is gone".to_string())?;
    result
        .recv()
        .map_err(|_| "the driver thread panicked".to_string())?
}

/// Test entry (`uptick::testing::packages::upgrades::updates`): `source.updates` as JSON, the
/// manager (`dpkg` / `apk`), the OCI platform, installed (name, version, architecture), the
/// cache directory; each update as `[package, installed, available, repository, architecture]`,
/// or the error with its causes.
fn run(
    field: &str,
    manager: &str,
    platform: (&str, Option<&str>),
    installed: &[(&str, &str, &str)],
    cache: &std::path::Path,
) -> Result<Vec<[String; 5]>, String> {
    let field: UpdatesField = serde_json::from_str(field).map_err(|e| e.to_string())?;
    let manager = if manager == "apk" {
        Manager::Apk
    } else {
        Manager::Dpkg
    };
    let installed: Vec<Package<'_>> = installed
        .iter()
        .map(|&(name, version, architecture)| Package {
            name,
            version,
            architecture,
        })
        .collect();
    let chain = |e: PackageError| crate::log::chain(&e);
    let repos = Repositories::new(&field)
        .map_err(chain)?
        .with_cache_dir(cache.to_path_buf());
    if !repos.serves(manager) {
        return Ok(Vec::new());
    }
    let updates = repos
        .updates(manager, platform.0, platform.1, &installed)
        .map_err(chain)?;
    Ok(updates
        .into_iter()
        .map(|u| {
            [
                u.package,
                u.installed,
                u.available,
                u.repository,
                u.architecture,
            ]
        })
        .collect())
}
