//! The documentation's examples: every ```yaml / ```json block of README.md, CONTRIBUTING.md and
//! `docs/*.md` parses; every uptick `source` / `params` in them (marked blocks and pipelines)
//! decodes with uptick's own request types; and `ci/validate-pipelines` (JSON Schema, pipeline
//! rules) accepts them and the example pipelines. Block markers: CONTRIBUTING.md, "Documentation".

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use uptick::protocol::{ImageGetParams, ImagePutParams, ImageSource, PackageGetParams};
use uptick::testing::packages::is_package_source;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, CONTRIBUTING.md and every page of `docs/`.
fn documents() -> Vec<PathBuf> {
    let mut docs = vec![root().join("README.md"), root().join("CONTRIBUTING.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    assert!(pages.len() >= 8, "docs/ has {} pages", pages.len());
    docs.extend(pages);
    docs
}

/// One fenced block: its first line number, language, the `<!-- uptick: KIND -->` marker above
/// it (blank lines between allowed), and its text.
struct Block {
    line: usize,
    lang: String,
    marker: Option<String>,
    body: String,
}

fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut marker = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if let Some(kind) = line
            .strip_prefix("<!--")
            .and_then(|l| l.strip_suffix("-->"))
            .and_then(|l| l.trim().strip_prefix("uptick:"))
        {
            marker = Some(kind.trim().to_string());
        } else if let Some(lang) = lines[i].strip_prefix("```") {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .unwrap_or(lines.len());
            out.push(Block {
                line: i + 2,
                lang: lang.trim().to_string(),
                marker: marker.take(),
                body: lines[i + 1..end].join("\n"),
            });
            i = end;
        } else if !line.is_empty() {
            marker = None;
        }
        i += 1;
    }
    out
}

fn parse(block: &Block) -> Result<Value, String> {
    match block.lang.as_str() {
        "json" => serde_json::from_str(&block.body).map_err(|e| e.to_string()),
        _ => serde_saphyr::from_str::<Value>(&block.body).map_err(|e| e.to_string()),
    }
}

/// The kinds of block [`decode`] decodes with uptick's own types.
const DECODED: [&str; 5] = [
    "image-source",
    "package-source",
    "image-get-params",
    "image-put-params",
    "package-get-params",
];

/// Decodes `value` as uptick decodes that part of a request; `Err` says why not.
fn decode(kind: &str, value: &Value) -> Result<(), String> {
    fn as_<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), String> {
        serde_json::from_value::<T>(v.clone())
            .map(drop)
            .map_err(|e| e.to_string())
    }
    match kind {
        "image-source" => as_::<ImageSource>(value),
        "package-source" => uptick::testing::packages::decode(value.clone())
            .map(drop)
            .map_err(|e| e.to_string()),
        "image-get-params" => as_::<ImageGetParams>(value),
        "image-put-params" => as_::<ImagePutParams>(value),
        "package-get-params" => as_::<PackageGetParams>(value),
        _ => Ok(()),
    }
}

/// Every uptick `source`, get `params`, put `params` and `get_params` of a pipeline (resources
/// of type `uptick`), as (what, kind, value).
fn pipeline_parts(doc: &Value) -> Vec<(String, String, Value)> {
    let mut parts = Vec::new();
    let mut package = std::collections::BTreeMap::new();
    for res in doc["resources"].as_array().into_iter().flatten() {
        if res["type"] != "uptick" {
            continue;
        }
        let name = res["name"].as_str().unwrap_or_default().to_string();
        let source = res.get("source").cloned().unwrap_or(Value::Null);
        let is_package = is_package_source(&source);
        let kind = if is_package {
            "package-source"
        } else {
            "image-source"
        };
        parts.push((format!("resource {name} source"), kind.to_string(), source));
        package.insert(name, is_package);
    }
    fn steps<'a>(plan: &'a Value, out: &mut Vec<&'a Value>) {
        for step in plan.as_array().into_iter().flatten() {
            out.push(step);
            for nested in ["do", "aggregate"] {
                steps(&step[nested], out);
            }
            let par = &step["in_parallel"];
            steps(if par.is_object() { &par["steps"] } else { par }, out);
            for hook in [
                "try",
                "on_success",
                "on_failure",
                "on_error",
                "on_abort",
                "ensure",
            ] {
                if let Some(h) = step.get(hook) {
                    out.push(h);
                }
            }
        }
    }
    for job in doc["jobs"].as_array().into_iter().flatten() {
        let mut all = Vec::new();
        steps(&job["plan"], &mut all);
        for step in all {
            for (verb, params) in [("get", "params"), ("put", "params"), ("put", "get_params")] {
                let Some(name) = step.get(verb).and_then(Value::as_str) else {
                    continue;
                };
                let resource = step["resource"].as_str().unwrap_or(name);
                let (Some(&is_package), Some(value)) = (package.get(resource), step.get(params))
                else {
                    continue;
                };
                let kind = match (is_package, verb, params) {
                    (true, "get", _) => "package-get-params",
                    (false, "put", "params") => "image-put-params",
                    (false, _, _) => "image-get-params",
                    (true, _, _) => continue, // a put to a package resource: the validator says so
                };
                parts.push((
                    format!("{verb} {name} {params}"),
                    kind.to_string(),
                    value.clone(),
                ));
            }
        }
    }
    parts
}

#[test]
fn every_yaml_and_json_block_parses_and_decodes_as_uptick_reads_it() {
    let mut problems = Vec::new();
    let mut decoded = 0;
    for path in documents() {
        let page = path.strip_prefix(root()).unwrap().display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut checked = 0;
        for block in blocks(&text) {
            if !["yaml", "yml", "json"].contains(&block.lang.as_str()) {
                continue;
            }
            checked += 1;
            let at = format!("{page} line {}", block.line);
            let value = match parse(&block) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(format!("{at}: ```{} does not parse: {e}", block.lang));
                    continue;
                }
            };
            let is_pipeline = ["resources", "jobs", "resource_types"]
                .iter()
                .any(|k| value.get(k).is_some());
            let parts = match block.marker.as_deref() {
                Some("pipeline") => pipeline_parts(&value),
                None if is_pipeline => pipeline_parts(&value),
                Some(kind) => vec![(kind.to_string(), kind.to_string(), value.clone())],
                None => {
                    problems.push(format!(
                        "{at}: not a pipeline and no `<!-- uptick: KIND -->` marker"
                    ));
                    continue;
                }
            };
            for (what, kind, value) in parts {
                if !DECODED.contains(&kind.as_str()) {
                    continue;
                }
                decoded += 1;
                if let Err(e) = decode(&kind, &value) {
                    problems.push(format!("{at}: {what} ({kind}): {e}"));
                }
            }
        }
        if page != "CONTRIBUTING.md" {
            assert!(checked > 0, "{page} has no yaml or json block");
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(decoded >= 30, "only {decoded} uptick blocks decoded");
}

#[test]
#[cfg_attr(
    not(uptick_has_pyyaml_jsonschema),
    ignore = "needs pyyaml and jsonschema (pip install pyyaml jsonschema)"
)]
fn validate_pipelines_accepts_the_examples_and_every_document() {
    let out = Command::new("python3")
        .arg(root().join("ci/validate-pipelines"))
        .output()
        .expect("python3 must be installed (ci/test installs it, with pyyaml and jsonschema)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ci/validate-pipelines failed (it needs pyyaml and jsonschema; ci/test installs them):\n{stderr}"
    );
    for path in documents() {
        let page = path.strip_prefix(root()).unwrap().display().to_string();
        assert!(
            stderr.contains(&format!("pipelines: {page}: ")),
            "ci/validate-pipelines did not read {page}:\n{stderr}"
        );
    }
}
