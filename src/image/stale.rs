//! `check` for a source with `base` and/or `updates`: a version only while the image is stale
//! (its base moved on, or a package installed in it has an update), the same one while it
//! stays stale for the same reasons.

use super::freshness::{self, Base, Method};
use super::{updates, ImageError, ImagePlan, Target};
use crate::log;
use crate::protocol::ImageVersion;

/// Versions of the watched tag: none while fresh (the cursor is kept), the current digest with
/// what made it stale otherwise.
pub(crate) async fn check(
    plan: &ImagePlan,
    target: &Target,
    cursor: Option<ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let source = &plan.source;
    let field = if source.base.is_some() {
        "source.base"
    } else {
        "source.updates"
    };
    let tag = source.tag.clone().ok_or_else(|| ImageError::Invalid {
        field,
        detail: "needs `tag` (the image to watch)".into(),
    })?;
    let base = source
        .base
        .as_ref()
        .map(|f| Base::from_source(target, f))
        .transpose()?;
    let Some(image) = target.client.get_manifest(&target.repository, &tag).await? else {
        return Ok(Vec::new());
    };
    let mut base_digest = None;
    let mut stale = false;
    if let Some(base) = &base {
        let report =
            freshness::judge(&target.client, &target.repository, &image, base, None).await?;
        log_base(&target.name, &tag, &report);
        stale |= report.stale;
        base_digest = report.base_digest.parse().ok();
    }
    let mut updates_hash = None;
    if let Some(plan) = &plan.updates {
        let report = updates::judge(plan, &target.client, &target.repository, &image).await?;
        log::info(format_args!(
            "{}:{tag} has {} package update(s){}",
            target.name,
            report.updates.len(),
            first_names(&report.updates, 5)
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        ));
        stale |= report.stale();
        updates_hash = report.hash;
    }
    if !stale {
        return Ok(cursor.into_iter().collect());
    }
    let now = ImageVersion {
        tag,
        digest: image.digest,
        base_digest,
        updates: updates_hash,
    };
    match cursor {
        Some(c) if c == now => Ok(vec![c]),
        _ => Ok(vec![now]),
    }
}

fn log_base(name: &str, tag: &str, report: &freshness::Report) {
    log::info(format_args!(
        "{name}:{tag} is {} ({} against base {})",
        if report.stale { "stale" } else { "fresh" },
        match report.method {
            Method::Layers => "layers",
            Method::Annotation => "annotation",
        },
        report.base_digest
    ));
}

/// `a, b, c (and 4 more)` of the updated package names; `None` without updates.
pub(crate) fn first_names(list: &[crate::packages::upgrades::Update], n: usize) -> Option<String> {
    let mut names: Vec<&str> = list.iter().map(|u| u.package.as_str()).collect();
    names.dedup();
    if names.is_empty() {
        return None;
    }
    let more = names.len().saturating_sub(n);
    let mut text = names[..names.len().min(n)].join(", ");
    if more > 0 {
        text.push_str(&format!(" (and {more} more)"));
    }
    Some(text)
}
