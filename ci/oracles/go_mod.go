// Asks golang.org/x/mod itself about generated Go versions and module paths; writes the answers
// as JSON for the ignored tests in src/versions/go.rs and src/packages/go.rs (ci/go-oracle).
package main

import (
	"encoding/json"
	"os"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

type version struct {
	V         string `json:"v"`
	Valid     bool   `json:"valid"`
	Canonical string `json:"canonical"`
	ModCanon  string `json:"module_canonical"`
	Pseudo    bool   `json:"pseudo"`
}

type path struct {
	P       string `json:"p"`
	Ok      bool   `json:"ok"`
	Escaped string `json:"escaped"`
}

func main() {
	var versions []string
	for _, major := range []string{"0", "1", "2", "10", "01", ""} {
		versions = append(versions, "v"+major, "v"+major+".2")
		for _, rest := range []string{".0.0", ".2.3", ".10.0", ".2.03"} {
			for _, pre := range []string{"", "-alpha", "-alpha.1", "-alpha.beta", "-beta.11", "-rc.1", "-0", "-01", "-0a", "-x..y", "-RC1", "-0.20191109021931-daa7c04131f5", "-20191109021931-daa7c04131f5", "-pre.0.20060102150405-hash", "-"} {
				for _, build := range []string{"", "+incompatible", "+meta", "+", "+a.01"} {
					versions = append(versions, "v"+major+rest+pre+build)
				}
			}
		}
	}
	versions = append(versions, "bad", "", "1.2.3", "V1.2.3", "v1.2.3.4")
	var vs []version
	for _, v := range versions {
		vs = append(vs, version{v, semver.IsValid(v), semver.Canonical(v), module.CanonicalVersion(v), module.IsPseudoVersion(v)})
	}
	// Every pair of a sample (every 7th version) compared.
	var sample []string
	for i, v := range versions {
		if i%7 == 0 {
			sample = append(sample, v)
		}
	}
	var cmps [][3]interface{}
	for _, a := range sample {
		for _, b := range sample {
			cmps = append(cmps, [3]interface{}{a, b, semver.Compare(a, b)})
		}
	}
	var paths []path
	firsts := []string{"example.com", "Example.com", "example", "-x.com", "x.com.", ".x.com", "gopkg.in", "x_y.com", "localhost"}
	rests := []string{"", "/lib", "/Azure/azure-sdk", "/lib/v2", "/lib/v1", "/lib/v0", "/lib/v2.0", "/yaml.v3", "/yaml.v0", "/yaml", "/check.v1-unstable", "/a//b", "/a/", "/../x", "/./x", "/.x", "/x.", "/a b", "/!x", "/x~1", "/x~", "/con", "/aux.go", "/a~b", "/é"}
	for _, f := range firsts {
		for _, r := range rests {
			p := f + r
			esc, err := module.EscapePath(p)
			paths = append(paths, path{p, module.CheckPath(p) == nil && err == nil, esc})
		}
	}
	out := map[string]interface{}{"versions": vs, "compare": cmps, "paths": paths}
	data, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(os.Args[1], data, 0o644); err != nil {
		panic(err)
	}
}
