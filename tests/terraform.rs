//! Terraform Registry providers and modules against a fake registry serving the protocol's
//! documents in their documented shapes (remote service discovery, the provider and module
//! registry protocols' `versions`): discovery, ordering, constraints, the token's reach, `in`.

use crate::support::fake::{self, Reply};
use crate::support::{check, dest_files, files_of, get, versions};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "tf-uptick-test-token-0123456789";

/// What a fake host was asked: path and `Authorization`.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// `GET …/hashicorp/aws/versions` as the provider registry protocol documents it (with the
/// public registry's extra `id` and `warnings`), versions out of order.
fn provider_versions() -> String {
    let linux_darwin = json!([{"os": "linux", "arch": "amd64"}, {"os": "darwin", "arch": "arm64"}]);
    json!({
        "id": "hashicorp/aws",
        "versions": [
            {"version": "5.1.0", "protocols": ["5.0"], "platforms": linux_darwin},
            {"version": "4.2.0", "protocols": ["5.0"], "platforms": [{"os": "linux", "arch": "amd64"}]},
            {"version": "6.1.0-beta1", "protocols": ["5.0", "6.0"], "platforms": linux_darwin},
            {"version": "5.0.0", "protocols": ["5.0"], "platforms": linux_darwin},
            {"version": "6.0.0", "protocols": ["5.0", "6.0"], "platforms": linux_darwin},
            {"version": "5.2.0", "protocols": ["5.0"], "platforms": linux_darwin},
            {"version": "4.1.0", "protocols": ["5.0"], "platforms": [{"os": "linux", "arch": "amd64"}]},
        ],
        "warnings": null
    })
    .to_string()
}

/// `GET …/hashicorp/consul/aws/versions` as the module registry protocol documents it.
fn module_versions() -> String {
    json!({"modules": [{
        "source": "hashicorp/consul/aws",
        "versions": [{"version": "0.1.0"}, {"version": "0.11.0"}, {"version": "0.9.3"}, {"version": "0.12.0-rc1"}]
    }]})
    .to_string()
}

/// A fake host: `/.well-known/terraform.json` is `discovery` (404 when `None`), any path ending
/// in a known address's `versions` its document; everything asked recorded in `seen`.
fn host(discovery: Option<String>, seen: Seen) -> u16 {
    fake::serve_requests(0, move |r| {
        seen.lock().unwrap().push((
            r.path.clone(),
            r.header("Authorization").map(str::to_string),
        ));
        let json = |body: String| Reply::new(200, body).header("Content-Type", "application/json");
        match r.path.as_str() {
            "/.well-known/terraform.json" => match &discovery {
                Some(doc) => json(doc.clone()),
                None => Reply::new(404, "not found"),
            },
            p if p.ends_with("/hashicorp/aws/versions") => json(provider_versions()),
            p if p.ends_with("/hashicorp/consul/aws/versions") => json(module_versions()),
            _ => Reply::new(404, r#"{"errors":["Not Found"]}"#),
        }
    })
}

/// A registry whose services are relative to its discovery document (as registry.terraform.io's
/// `/v1/providers/`, `/v1/modules/`).
fn registry() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let doc = json!({"modules.v1": "/v1/modules/", "providers.v1": "/v1/providers/", "login.v1": {"client": "terraform-cli"}});
    let port = host(Some(doc.to_string()), seen.clone());
    (format!("http://127.0.0.1:{port}"), seen)
}

fn src(registry: &str, address: &str, extra: Value) -> Value {
    let mut s = json!({"terraform": address, "registry": registry, "access_token": crate::support::secret(TOKEN), "debug": true});
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    s
}

fn paths(seen: &Seen) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|(p, _)| p.clone())
        .collect()
}

#[test]
fn terraform_providers_and_modules_are_checked_through_discovery() {
    let (reg, seen) = registry();
    // First check: the newest release (6.1.0-beta1 is a pre-release).
    let out = check(&json!({"source": src(&reg, "hashicorp/aws", json!({}))})).succeeds();
    assert_eq!(out, json!([{"version": "6.0.0"}]));
    assert_eq!(
        paths(&seen),
        [
            "/.well-known/terraform.json",
            "/v1/providers/hashicorp/aws/versions"
        ]
    );
    // The token went to the registry with every request.
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|(_, a)| a.as_deref() == Some(&format!("Bearer {TOKEN}"))));
    // The cursor and everything newer, in semver order.
    let out = check(
        &json!({"source": src(&reg, "hashicorp/aws", json!({})), "version": {"version": "5.1.0"}}),
    )
    .succeeds();
    assert_eq!(versions(&out), ["5.1.0", "5.2.0", "6.0.0"]);
    let out = check(&json!({"source": src(&reg, "hashicorp/aws", json!({"pre_releases": true})), "version": {"version": "6.0.0"}}))
        .succeeds();
    assert_eq!(versions(&out), ["6.0.0", "6.1.0-beta1"]);
    // A module: `modules.v1`, NAMESPACE/NAME/PROVIDER.
    let out = check(&json!({"source": src(&reg, "hashicorp/consul/aws", json!({}))})).succeeds();
    assert_eq!(out, json!([{"version": "0.11.0"}]));
    let out = check(&json!({"source": src(&reg, "hashicorp/consul/aws", json!({})), "version": {"version": "0.9.3"}}))
        .succeeds();
    assert_eq!(versions(&out), ["0.9.3", "0.11.0"]);
    assert!(paths(&seen).contains(&"/v1/modules/hashicorp/consul/aws/versions".to_string()));
    // Unknown to the registry: "not found", naming the versions URL.
    let line = check(&json!({"source": src(&reg, "hashicorp/nope", json!({}))})).fails();
    assert!(
        line.contains("Terraform Registry package `hashicorp/nope` not found at")
            && line.contains("/v1/providers/hashicorp/nope/versions"),
        "{line}"
    );
}

#[test]
fn terraform_constraints_are_terraforms() {
    let (reg, _) = registry();
    let listed = |constraint: &str, pre: Option<bool>| {
        let mut extra = json!({"constraint": constraint});
        if let Some(p) = pre {
            extra["pre_releases"] = json!(p);
        }
        let out = check(
            &json!({"source": src(&reg, "hashicorp/aws", extra), "version": {"version": "4.1.0"}}),
        )
        .succeeds();
        versions(&out)
    };
    // `~> 5.0`: 5.x from 5.0 up; the cursor outside the constraint is gone: the newest.
    assert_eq!(listed("~> 5.0", None), ["5.2.0"]);
    assert_eq!(listed("~> 5.0.0", None), ["5.0.0"]);
    assert_eq!(listed(">= 4.2, < 6.0, != 5.1.0", None), ["5.2.0"]);
    assert_eq!(listed("= 5.1.0", None), ["5.1.0"]);
    // A pre-release only through an exact `=` (or a bare version), or with `pre_releases: true`.
    assert_eq!(listed(">= 6.0", None), ["6.0.0"]);
    assert_eq!(listed("= 6.1.0-beta1", None), ["6.1.0-beta1"]);
    assert_eq!(listed("6.1.0-beta1", None), ["6.1.0-beta1"]);
    assert_eq!(listed(">= 6.0", Some(true)), ["6.1.0-beta1"]);
    // Ranges from the cursor.
    let out = check(&json!({"source": src(&reg, "hashicorp/aws", json!({"constraint": ">= 4.2, < 6.0"})), "version": {"version": "4.2.0"}}))
        .succeeds();
    assert_eq!(versions(&out), ["4.2.0", "5.0.0", "5.1.0", "5.2.0"]);
    let line = check(&json!({"source": src(&reg, "hashicorp/aws", json!({"constraint": "~> x"}))}))
        .fails();
    assert!(
        line.contains("source.constraint") && line.contains("~> x"),
        "{line}"
    );
}

#[test]
fn terraform_in_writes_protocols_and_platforms_of_a_provider() {
    let (reg, _) = registry();
    let dest = tempfile::tempdir().unwrap();
    let out = get(
        &json!({"source": src(&reg, "hashicorp/aws", json!({})), "version": {"version": "6.0.0"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        dest_files(dest.path()),
        files_of(&[
            ("version", "6.0.0"),
            ("tag", "6.0.0"),
            ("protocols", "5.0 6.0"),
            ("platforms", "linux_amd64 darwin_arm64"),
        ])
    );
    assert_eq!(
        out,
        json!({"version": {"version": "6.0.0"}, "metadata": [
            {"name": "package", "value": "hashicorp/aws"},
            {"name": "version", "value": "6.0.0"},
            {"name": "protocols", "value": "5.0 6.0"},
            {"name": "platforms", "value": "linux_amd64 darwin_arm64"},
        ]})
    );
    // A module has versions only.
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src(&reg, "hashicorp/consul/aws", json!({})), "version": {"version": "0.9.3"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        dest_files(dest.path()),
        files_of(&[("version", "0.9.3"), ("tag", "0.9.3")])
    );
    // No files are named: `download` is refused, DEST untouched; a version gone is an error.
    let dest = tempfile::tempdir().unwrap();
    let line = get(&json!({"source": src(&reg, "hashicorp/aws", json!({})), "version": {"version": "6.0.0"}, "params": {"download": "*.zip"}}), dest.path()).fails();
    assert!(
        line.contains("params.download") && line.contains("names no files"),
        "{line}"
    );
    assert!(dest_files(dest.path()).is_empty());
    let line = get(
        &json!({"source": src(&reg, "hashicorp/aws", json!({})), "version": {"version": "3.0.0"}}),
        dest.path(),
    )
    .fails();
    assert!(
        line.contains("hashicorp/aws 3.0.0 is no longer listed"),
        "{line}"
    );
}

#[test]
fn terraform_services_on_another_host_get_no_token() {
    // `providers.v1` absolute, on another host: the discovery request carries the token, the
    // versions request (another origin) does not.
    let other_seen: Seen = Arc::default();
    let other = host(None, other_seen.clone());
    let seen: Seen = Arc::default();
    let doc = json!({"providers.v1": format!("http://127.0.0.1:{other}/terraform/providers/v1")});
    let reg = format!(
        "http://127.0.0.1:{}",
        host(Some(doc.to_string()), seen.clone())
    );
    let out = check(&json!({"source": src(&reg, "hashicorp/aws", json!({}))})).succeeds();
    assert_eq!(out, json!([{"version": "6.0.0"}]));
    assert_eq!(
        *seen.lock().unwrap(),
        [(
            "/.well-known/terraform.json".to_string(),
            Some(format!("Bearer {TOKEN}"))
        )]
    );
    // A base URL without its trailing `/` is read as a directory, as Terraform reads it.
    assert_eq!(
        *other_seen.lock().unwrap(),
        [(
            "/terraform/providers/v1/hashicorp/aws/versions".to_string(),
            None
        )]
    );
    // A discovery document redirected to another host: relative service URLs resolve against
    // where it was found (after the redirect), and that host gets no token either.
    let (moved, moved_seen) = registry();
    let target = format!("{moved}/.well-known/terraform.json");
    let redirecting = fake::serve(move |_, _| Reply::new(301, "").header("Location", &target));
    let reg_r = format!("http://127.0.0.1:{redirecting}");
    let out = check(&json!({"source": src(&reg_r, "hashicorp/aws", json!({}))})).succeeds();
    assert_eq!(out, json!([{"version": "6.0.0"}]));
    assert_eq!(
        *moved_seen.lock().unwrap(),
        [
            ("/.well-known/terraform.json".to_string(), None),
            ("/v1/providers/hashicorp/aws/versions".to_string(), None)
        ]
    );
    // No token configured: nothing is sent anywhere.
    seen.lock().unwrap().clear();
    let out = check(&json!({"source": {"terraform": "hashicorp/aws", "registry": reg}})).succeeds();
    assert_eq!(out, json!([{"version": "6.0.0"}]));
    assert!(seen.lock().unwrap().iter().all(|(_, a)| a.is_none()));
}

#[test]
fn terraform_discovery_failures_are_named() {
    // A registry offering modules only has no provider service.
    let seen: Seen = Arc::default();
    let doc = json!({"modules.v1": "/v1/modules/"});
    let reg = format!(
        "http://127.0.0.1:{}",
        host(Some(doc.to_string()), seen.clone())
    );
    let line = check(&json!({"source": src(&reg, "hashicorp/aws", json!({}))})).fails();
    assert!(
        line.contains("/.well-known/terraform.json")
            && line
                .contains("the registry offers no `providers.v1` service (it offers: modules.v1)"),
        "{line}"
    );
    assert_eq!(paths(&seen), ["/.well-known/terraform.json"]);
    // No discovery document at all.
    let reg = format!("http://127.0.0.1:{}", host(None, Arc::default()));
    let line = check(&json!({"source": src(&reg, "hashicorp/aws", json!({}))})).fails();
    assert!(line.contains("HTTP 404: no discovery document"), "{line}");
    // A service that is no string, a document that is no object.
    for (doc, expected) in [
        (
            json!({"providers.v1": 1}).to_string(),
            "`providers.v1` is not a URL string",
        ),
        (
            json!({"providers.v1": "ftp://x/"}).to_string(),
            "`providers.v1` is not an http(s) URL",
        ),
        (
            "[1, 2]".to_string(),
            "not a discovery document (a JSON object)",
        ),
    ] {
        let reg = format!("http://127.0.0.1:{}", host(Some(doc), Arc::default()));
        let line = check(&json!({"source": src(&reg, "hashicorp/aws", json!({}))})).fails();
        assert!(line.contains(expected), "{expected}: {line}");
    }
    // A discovery document past 1 MiB is not read.
    let big = format!(
        r#"{{"providers.v1": "/v1/providers/", "x": "{}"}}"#,
        "a".repeat(1024 * 1024)
    );
    let reg = format!("http://127.0.0.1:{}", host(Some(big), Arc::default()));
    let line = check(&json!({"source": src(&reg, "hashicorp/aws", json!({}))})).fails();
    assert!(
        line.contains("response is larger than 1048576 bytes"),
        "{line}"
    );
}

#[test]
fn terraform_bad_sources_are_refused_before_any_request() {
    let (reg, seen) = registry();
    for address in [
        "aws",
        "hashicorp/aws/x/y",
        "hashicorp//aws",
        "hashicorp/aws.v2",
        "hashicorp/../aws",
        "hashicorp/consul/AWS",
        "hashicorp/con sul/aws",
        "hashicorp/aws?x=1",
    ] {
        let line = check(&json!({"source": src(&reg, address, json!({}))})).fails();
        assert!(
            line.contains("source.terraform")
                && line.contains("is not a Terraform provider or module address"),
            "{address}: {line}"
        );
    }
    for registry in [
        "registry.terraform.io",
        "ftp://registry.example.com",
        "https://r.example.com/?x=1",
    ] {
        let line = check(&json!({"source": src(registry, "hashicorp/aws", json!({}))})).fails();
        assert!(line.contains("source.registry"), "{registry}: {line}");
    }
    let line = check(
        &json!({"source": src(&reg, "hashicorp/aws", json!({"username": "u", "password": "p"}))}),
    )
    .fails();
    assert!(
        line.contains("source.username") && line.contains("set `access_token`"),
        "{line}"
    );
    assert!(paths(&seen).is_empty(), "{:?}", paths(&seen));
    // A field of other sources.
    let line =
        check(&json!({"source": {"terraform": "hashicorp/aws", "suite": "bookworm"}})).fails();
    assert!(
        line.contains("source.suite: not a field of terraform sources (only apt sources have it)"),
        "{line}"
    );
    let line = check(&json!({"source": {"terraform": "hashicorp/aws", "api_url": reg}})).fails();
    assert!(
        line.contains("source.api_url: not a field of terraform sources"),
        "{line}"
    );
}
