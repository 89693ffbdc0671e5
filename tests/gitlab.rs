//! GitLab releases and tags against a replay of the REST API v4 (response shapes as
//! docs.gitlab.com/api/releases and /api/tags document them): subgroups, pages, the token.

use crate::support::fake::{self, Reply};
use crate::support::{check, dest_files, files_of, get, versions};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "glpat-uptick-test-token-0123";

/// A release as `GET /projects/:id/releases` lists it (fields from GitLab's documented example).
fn release(tag: &str, released_at: &str, upcoming: bool, links: Value) -> Value {
    json!({
        "tag_name": tag,
        "description": format!("Release {tag}"),
        "name": format!("Awesome app {tag}"),
        "created_at": released_at,
        "released_at": released_at,
        "upcoming_release": upcoming,
        "author": {"id": 1, "name": "Administrator", "username": "root", "state": "active", "avatar_url": "https://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=80&d=identicon", "web_url": "https://gitlab.example.com/root"},
        "commit": {"id": "f8d3d94cbd347e924aa7b715845e439d00e80ca4", "short_id": "f8d3d94c", "title": "Initial commit", "created_at": "2019-01-03T01:53:28.000Z", "parent_ids": [], "message": "Initial commit", "author_name": "Administrator", "author_email": "admin@example.com", "authored_date": "2019-01-03T01:53:28.000Z", "committer_name": "Administrator", "committer_email": "admin@example.com", "committed_date": "2019-01-03T01:53:28.000Z"},
        "commit_path": "/group/sub/project/-/commit/f8d3d94cbd347e924aa7b715845e439d00e80ca4",
        "tag_path": format!("/group/sub/project/-/tags/{tag}"),
        "assets": {
            "count": 2,
            "sources": [
                {"format": "zip", "url": format!("https://gitlab.example.com/group/sub/project/-/archive/{tag}/project-{tag}.zip")},
                {"format": "tar.gz", "url": format!("https://gitlab.example.com/group/sub/project/-/archive/{tag}/project-{tag}.tar.gz")}
            ],
            "links": links,
            "evidence_file_path": format!("https://gitlab.example.com/group/sub/project/-/releases/{tag}/evidence.json")
        },
        "evidences": [],
        "_links": {
            "closed_issues_url": "https://gitlab.example.com/group/sub/project/-/issues?release_tag=x&scope=all&state=closed",
            "closed_merge_requests_url": "https://gitlab.example.com/group/sub/project/-/merge_requests?release_tag=x&scope=all&state=closed",
            "edit_url": format!("https://gitlab.example.com/group/sub/project/-/releases/{tag}/edit"),
            "merged_merge_requests_url": "https://gitlab.example.com/group/sub/project/-/merge_requests?release_tag=x&scope=all&state=merged",
            "opened_issues_url": "https://gitlab.example.com/group/sub/project/-/issues?release_tag=x&scope=all&state=opened",
            "opened_merge_requests_url": "https://gitlab.example.com/group/sub/project/-/merge_requests?release_tag=x&scope=all&state=opened",
            "self": format!("https://gitlab.example.com/group/sub/project/-/releases/{tag}")
        }
    })
}

/// A tag as `GET /projects/:id/repository/tags` lists it.
fn tag(name: &str, created_at: &str) -> Value {
    json!({
        "commit": {"id": "2695effb5807a22ff3d138d593fd856244e155e7", "short_id": "2695effb", "title": "Initial commit", "created_at": created_at, "parent_ids": ["2a4b78934375d7f53875269ffd4f45fd83a84ebe"], "message": "Initial commit", "author_name": "John Smith", "author_email": "john@example.com", "authored_date": created_at, "committer_name": "Jack Smith", "committer_email": "jack@example.com", "committed_date": created_at},
        "release": null,
        "name": name,
        // An annotated tag: `target` is the tag object, `commit` what it points at.
        "target": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "message": null,
        "protected": true,
        "created_at": created_at
    })
}

/// GitLab's paging headers for page `page` of `pages` (`Link` with next/prev/first/last).
fn paging(mut reply: Reply, base: &str, path: &str, page: u32, pages: u32) -> Reply {
    let url = |p: u32| format!("<{base}{path}?id=group%2Fsub%2Fproject&page={p}&per_page=100>");
    let mut links = Vec::new();
    if page < pages {
        links.push(format!("{}; rel=\"next\"", url(page + 1)));
        reply = reply.header("x-next-page", &(page + 1).to_string());
    } else {
        reply = reply.header("x-next-page", "");
    }
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    links.push(format!("{}; rel=\"first\"", url(1)));
    links.push(format!("{}; rel=\"last\"", url(pages)));
    reply
        .header("Link", &links.join(", "))
        .header("x-page", &page.to_string())
        .header("x-per-page", "100")
        .header("x-total-pages", &pages.to_string())
        .header("Content-Type", "application/json")
}

type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// The replayed API; every request's path and `PRIVATE-TOKEN` recorded in `seen`.
fn gitlab(port: u16, other: u16, seen: Seen) -> u16 {
    let base = format!("http://127.0.0.1:{port}");
    let rel = "/api/v4/projects/group%2Fsub%2Fproject/releases";
    let page1 = json!([
        release("v1.2.0", "2026-09-01T10:00:00.000Z", false, json!([
            {"id": 2, "name": "project-linux-amd64", "url": "https://gitlab.example.com/group/sub/project/-/jobs/1/artifacts/file/bin", "direct_asset_url": "https://gitlab.example.com/group/sub/project/-/releases/v1.2.0/downloads/project-linux-amd64", "link_type": "package"}
        ])),
        release("v2.0.0", "2030-01-01T00:00:00.000Z", true, json!([])),
        release("v1.3.0-rc.1", "2026-10-01T10:00:00.000Z", false, json!([])),
    ])
    .to_string();
    let page2 = json!([release(
        "v1.1.0",
        "2026-06-01T10:00:00.000Z",
        false,
        json!([])
    )])
    .to_string();
    let tags = json!([
        tag("release-2.0", "2026-05-01T09:00:00.000+02:00"),
        tag("release-1.9", "2026-04-01T09:00:00.000+02:00"),
        tag("nightly", "2026-05-02T09:00:00.000+02:00"),
    ])
    .to_string();
    let calls = Arc::new(Mutex::new(0u32));
    fake::serve_requests(port, move |r| {
        seen.lock().unwrap().push((
            r.path.clone(),
            r.header("PRIVATE-TOKEN").map(str::to_string),
        ));
        let path = r.path.split('?').next().unwrap_or("");
        let page = if r.path.contains("page=2") { 2 } else { 1 };
        match path {
            p if p == rel && page == 1 => paging(Reply::new(200, page1.clone()), &base, rel, 1, 2),
            p if p == rel => paging(Reply::new(200, page2.clone()), &base, rel, 2, 2),
            "/api/v4/projects/group%2Fsub%2Fproject/repository/tags" => {
                paging(Reply::new(200, tags.clone()), &base, path, 1, 1)
            }
            // A project whose next page is announced on another host: not followed.
            "/api/v4/projects/group%2Fleaky/releases" => Reply::new(
                200,
                json!([release("v0.1.0", "2026-01-01T00:00:00.000Z", false, json!([]))])
                    .to_string(),
            )
            .header(
                "Link",
                &format!("<http://127.0.0.1:{other}/api/v4/projects/group%2Fleaky/releases?page=2>; rel=\"next\""),
            ),
            // A renamed project: GitLab redirects; here to another host.
            "/api/v4/projects/group%2Fmoved/releases" => Reply::new(301, "").header(
                "Location",
                &format!("http://127.0.0.1:{other}/api/v4/projects/group%2Fnew/releases?per_page=100"),
            ),
            "/api/v4/projects/group%2Fprivate/releases" => {
                Reply::new(401, r#"{"message":"401 Unauthorized"}"#)
            }
            "/api/v4/projects/group%2Fbusy/releases" => {
                let mut n = calls.lock().unwrap();
                *n += 1;
                if *n == 1 {
                    Reply::new(429, "Retry later")
                        .header("Retry-After", "1")
                        .header("RateLimit-Remaining", "0")
                } else {
                    Reply::new(200, json!([release("v3.0.0", "2026-01-01T00:00:00.000Z", false, json!([]))]).to_string())
                }
            }
            "/api/v4/projects/group%2Flimited/releases" => {
                Reply::new(429, "Retry later")
                    .header("Retry-After", "3600")
                    .header("RateLimit-Reset", "1790000000")
            }
            _ => Reply::new(404, r#"{"message":"404 Project Not Found"}"#),
        }
    })
}

/// The other host: records what it is sent, serves one release.
fn other_host(seen: Seen) -> u16 {
    fake::serve_requests(0, move |r| {
        seen.lock().unwrap().push((
            r.path.clone(),
            r.header("PRIVATE-TOKEN").map(str::to_string),
        ));
        Reply::new(
            200,
            r#"[{"tag_name":"v9.9.9","released_at":"2026-01-01T00:00:00.000Z","upcoming_release":false}]"#,
        )
    })
}

fn setup() -> (String, Seen, Seen) {
    let seen: Seen = Arc::default();
    let other_seen: Seen = Arc::default();
    let other = other_host(other_seen.clone());
    let port = crate::support::free_port();
    assert_eq!(gitlab(port, other, seen.clone()), port);
    (format!("http://127.0.0.1:{port}/api/v4"), seen, other_seen)
}

fn src(api: &str, project: &str, extra: Value) -> Value {
    let mut s = json!({"gitlab": project, "api_url": api, "access_token": crate::support::secret(TOKEN), "debug": true});
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    s
}

#[test]
fn gitlab_releases_pages_subgroups_and_tags() {
    let (api, seen, _) = setup();
    // Two pages, followed by `Link`; the upcoming release and the pre-release left out.
    let run = check(
        &json!({"source": src(&api, "group/sub/project", json!({})), "version": {"version": "1.1.0", "tag": "v1.1.0"}}),
    );
    assert_eq!(
        run.succeeds(),
        json!([{"version": "1.1.0", "tag": "v1.1.0"}, {"version": "1.2.0", "tag": "v1.2.0"}])
    );
    let paths: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(
        paths,
        [
            "/api/v4/projects/group%2Fsub%2Fproject/releases?per_page=100",
            "/api/v4/projects/group%2Fsub%2Fproject/releases?id=group%2Fsub%2Fproject&page=2&per_page=100"
        ]
    );
    // The token went to the API on every page.
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .all(|(_, t)| t.as_deref() == Some(TOKEN)));
    assert!(!run.stderr.contains(TOKEN));
    // First check: the newest; pre-releases on request; constraints as for GitHub.
    let out = check(&json!({"source": src(&api, "group/sub/project", json!({}))})).succeeds();
    assert_eq!(out, json!([{"version": "1.2.0", "tag": "v1.2.0"}]));
    let out = check(&json!({"source": src(&api, "group/sub/project", json!({"pre_releases": true})), "version": {"version": "1.2.0"}})).succeeds();
    assert_eq!(versions(&out), ["1.2.0", "1.3.0-rc.1"]);
    let out =
        check(&json!({"source": src(&api, "group/sub/project", json!({"constraint": "~1.1"}))}))
            .succeeds();
    assert_eq!(versions(&out), ["1.1.0"]);
    // `in`: version, tag, the release page and its time, its `description` as `body` and its
    // `commit.id`; links carry no hash, so no download.
    let dest = tempfile::tempdir().unwrap();
    let out = get(&json!({"source": src(&api, "group/sub/project", json!({})), "version": {"version": "1.2.0", "tag": "v1.2.0"}}), dest.path()).succeeds();
    assert_eq!(
        dest_files(dest.path()),
        files_of(&[
            ("version", "1.2.0"),
            ("tag", "v1.2.0"),
            (
                "url",
                "https://gitlab.example.com/group/sub/project/-/releases/v1.2.0"
            ),
            ("published_at", "2026-09-01T10:00:00Z"),
            ("commit_sha", "f8d3d94cbd347e924aa7b715845e439d00e80ca4"),
            ("body", "Release v1.2.0"),
        ])
    );
    assert_eq!(
        out["metadata"],
        json!([
            {"name": "package", "value": "group/sub/project"},
            {"name": "version", "value": "1.2.0"},
            {"name": "tag", "value": "v1.2.0"},
            {"name": "url", "value": "https://gitlab.example.com/group/sub/project/-/releases/v1.2.0"},
            {"name": "published_at", "value": "2026-09-01T10:00:00Z"},
            {"name": "commit_sha", "value": "f8d3d94cbd347e924aa7b715845e439d00e80ca4"},
            {"name": "body", "value": "Release v1.2.0"},
        ])
    );
    let line = get(&json!({"source": src(&api, "group/sub/project", json!({})), "version": {"version": "1.2.0", "tag": "v1.2.0"}, "params": {"download": "project-*"}}), tempfile::tempdir().unwrap().path()).fails();
    assert!(
        line.contains("project-linux-amd64") && line.contains("publishes no hash"),
        "{line}"
    );
    // Tags, read through `tag_regex`; `nightly` does not match.
    let tags = src(
        &api,
        "group/sub/project",
        json!({"releases": false, "tag_regex": "^release-(?P<version>.*)$"}),
    );
    let out = check(&json!({"source": tags, "version": {"version": "1.9", "tag": "release-1.9"}}))
        .succeeds();
    assert_eq!(
        out,
        json!([{"version": "1.9", "tag": "release-1.9"}, {"version": "2.0", "tag": "release-2.0"}])
    );
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": tags, "version": {"version": "2.0", "tag": "release-2.0"}}),
        dest.path(),
    )
    .succeeds();
    // A tag: its commit (not `target`, an annotated tag's own object), no release notes.
    assert_eq!(
        dest_files(dest.path()),
        files_of(&[
            ("version", "2.0"),
            ("tag", "release-2.0"),
            ("published_at", "2026-05-01T07:00:00Z"),
            ("commit_sha", "2695effb5807a22ff3d138d593fd856244e155e7"),
        ])
    );
}

#[test]
fn gitlab_token_stays_with_the_api_host() {
    let (api, seen, other_seen) = setup();
    // A `next` link to another host is not followed.
    let out = check(&json!({"source": src(&api, "group/leaky", json!({}))})).succeeds();
    assert_eq!(versions(&out), ["0.1.0"]);
    assert!(other_seen.lock().unwrap().is_empty());
    // A redirect to another host is followed without the token.
    let run = check(&json!({"source": src(&api, "group/moved", json!({}))}));
    assert_eq!(versions(&run.succeeds()), ["9.9.9"]);
    assert_eq!(
        *other_seen.lock().unwrap(),
        [(
            "/api/v4/projects/group%2Fnew/releases?per_page=100".to_string(),
            None
        )]
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|(p, t)| p.contains("group%2Fmoved") && t.as_deref() == Some(TOKEN)));
}

#[test]
fn gitlab_errors_name_what_failed() {
    let (api, _, _) = setup();
    let line = check(&json!({"source": src(&api, "group/missing", json!({}))})).fails();
    assert!(
        line.contains("GitLab package `group/missing` not found at")
            && line.contains("/api/v4/projects/group%2Fmissing/releases"),
        "{line}"
    );
    let line = check(&json!({"source": src(&api, "group/private", json!({}))})).fails();
    assert!(
        line.contains("GitLab refused (401)") && line.contains("access_token"),
        "{line}"
    );
    assert!(!line.contains(TOKEN));
    // A short Retry-After is waited out; a long one is reported.
    let run = check(&json!({"source": src(&api, "group/busy", json!({}))}));
    assert_eq!(versions(&run.succeeds()), ["3.0.0"]);
    assert!(
        run.stderr.contains("(429 Too Many Requests); retry 1/"),
        "{}",
        run.stderr
    );
    let line = check(&json!({"source": src(&api, "group/limited", json!({}))})).fails();
    assert!(
        line.contains(
            "GitLab refused (429): rate limited, retry after 3600 s, resets at 1790000000"
        ),
        "{line}"
    );
    for (project, expected) in [
        ("project", "is not GROUP/PROJECT"),
        ("group//project", "is not GROUP/PROJECT"),
        ("group/../project", "is not GROUP/PROJECT"),
        ("group/pro ject", "is not GROUP/PROJECT"),
    ] {
        let line = check(&json!({"source": {"gitlab": project}})).fails();
        assert!(
            line.contains("source.gitlab") && line.contains(expected),
            "{project}: {line}"
        );
    }
    let line = check(&json!({"source": {"gitlab": "g/p", "drafts": true}})).fails();
    assert!(
        line.contains("source.drafts: not a field of gitlab sources"),
        "{line}"
    );
}
