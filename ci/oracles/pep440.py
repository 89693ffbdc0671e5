"""Writes PEP 440 cases answered by `packaging` itself, for
`cargo test --lib versions::oracle -- --ignored` (see ci/version-oracles).
Usage: python3 pep440.py OUT.json"""
import json
import random
import sys

import packaging
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

random.seed(7)
bases = ["0", "1", "1.0", "1.0.0", "1.1", "2", "2.0", "3.0.0", "1!1.0"]
suffixes = ["", "a1", "a2", "b1", "rc1", "c1", ".dev0", ".dev1", "a1.dev1", ".post0", ".post1",
            ".post1.dev0", "a1.post0", "a2.post0", "rc1.post1", "+local", "+abc.1", ".post1+x",
            "a1+x", "-1", "_alpha-2", ".RC1", "pre3", "preview1", "r2", "rev3"]
versions = sorted({b + s for b in bases for s in suffixes} | {
    "invalid", "INVALID", "1.0-foo", "v1.0", "1.0.0.0", "0.9", "1.5", "1.9.9", "2.0.1", "10.0",
    "1.0.dev0+x", "3.0.0a7", "3.0.0a8", "3.0.0a8.dev0", "2.0a1", "2.0a2", "1.0.post0.dev0",
    "1.2.3-alpine"})
specs = set()
for op in ["==", "!=", "<=", ">=", "<", ">", "~=", "==="]:
    for b in bases + ["1.2.3"]:
        for s in ["", "a1", "a2", "b1", "rc1", ".dev1", ".post1", ".post0", "a1.post0",
                  ".post1.dev0", "+local", ".*", "a8"]:
            specs.add(op + b + s)
specs |= {"===invalid", "=== invalid", "== 1.0", ">= 1.0 ,< 2", "~=1", "<0", "", " , ",
          ">=1.0,", "~=1.4.5a4", "~=2.2.post3", "==1.0.*+x", ">=1.0+local", "~=1.0.*",
          ">V1.0", "==v1.0", ">=1.0 <2", "===1.0,===1.0", "==1.0,===invalid"}
single = sorted(specs)
for _ in range(3000):
    specs.add(", ".join(random.sample(single, random.randint(2, 3))))
rows, lists = [], []
for s in sorted(specs):
    try:
        ss = SpecifierSet(s)
    except InvalidSpecifier:
        rows.append([s, None, "invalid", None])
        continue
    for v in versions if s in single else random.sample(versions, 40):
        rows.append([s, v, bool(list(ss.filter([v], prereleases=True))), bool(ss.prereleases)])
    for _ in range(2 if s in single else 1):
        items = random.sample(versions, random.randint(1, 15))
        lists.append([s, items, list(ss.filter(items)),
                      list(ss.filter(items, prereleases=False)),
                      list(ss.filter(items, prereleases=True))])
valid = []
for v in versions:
    try:
        Version(v)
        valid.append(v)
    except InvalidVersion:
        pass
equal = [[a, b] for a in valid for b in valid if a < b and Version(a) == Version(b)]
json.dump({"rows": rows, "lists": lists, "all": versions, "valid": valid,
           "order": sorted(valid, key=Version), "equal": equal}, open(sys.argv[1], "w"))
print(f"pep440 oracle (packaging {packaging.__version__}): {len(rows)} rows, {len(lists)} lists")
