#!/usr/bin/env python3
"""Seeds a plain-HTTP loopback registry quickly over the distribution API (stdlib only).

    ci/seed.py series HOST:PORT REPO COUNT   # COUNT distinct manifests tagged 1.0.0 … (semver)
Prints the last tag and its digest.
"""
import hashlib
import json
import sys
import urllib.request
from urllib.parse import urljoin


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req) as resp:
        return resp.status, resp.headers, resp.read()


def push_blob(base, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, headers, _ = request("POST", f"{base}/v2/{repo}/blobs/uploads/")
    location = urljoin(base, headers["Location"])
    sep = "&" if "?" in location else "?"
    request("PUT", f"{location}{sep}digest={digest}", data, {"Content-Type": "application/octet-stream"})
    return digest, len(data)


def series(host, repo, count):
    base = f"http://{host}"
    layer = push_blob(base, repo, b"uptick bench layer")
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [layer[0]]}}).encode()
    config = push_blob(base, repo, config)
    last = None
    for i in range(count):
        tag = f"{1 + i // 1000}.{(i // 10) % 100}.{i % 10}"
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config[0], "size": config[1]},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer[0], "size": layer[1]}],
            "annotations": {"n": str(i)},
        }).encode()
        request("PUT", f"{base}/v2/{repo}/manifests/{tag}", manifest,
                {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        last = (tag, "sha256:" + hashlib.sha256(manifest).hexdigest())
    print(last[0], last[1])


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "series":
        series(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)
