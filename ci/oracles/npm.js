// Writes (range, version, includePrerelease, satisfies | "invalid") rows answered by node-semver
// itself, for `cargo test --lib versions::oracle -- --ignored` (see ci/version-oracles).
// Usage: node npm.js NODE_SEMVER_DIR OUT.json
'use strict'
const [dir, out] = process.argv.slice(2)
const Range = require(dir + '/classes/range')
const SemVer = require(dir + '/classes/semver')
let seed = 42
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
const pick = (a) => a[rnd(a.length)]
const num = () => pick(['0', '1', '2', '3', '10', 'x', 'X', '*', '01'])
const pre = () => pick(['', '', '', '-0', '-pre', '-rc.1', '-alpha.1', '-beta', '-1', '-a.b.c'])
const build = () => pick(['', '', '', '+build', '+b.1'])
const partial = () => {
  const n = rnd(3) + 1
  let s = num()
  if (n > 1) s += '.' + num()
  if (n > 2) s += '.' + num() + pre() + build()
  return pick(['', '', 'v', '=', 'v=', '= ']) + s
}
const op = () => pick(['', '', '~', '^', '~>', '>', '<', '>=', '<=', '=', '> ', '< ', '~ ', '^ ', '>= '])
const range = () => {
  const alts = []
  for (let i = rnd(3) + 1; i > 0; i--) {
    const k = rnd(5)
    if (k === 0) alts.push(partial() + ' - ' + partial())
    else if (k === 1) alts.push('')
    else {
      const simple = []
      for (let j = rnd(3) + 1; j > 0; j--) simple.push(op() + partial())
      alts.push(simple.join(pick([' ', '  '])))
    }
  }
  return alts.join(pick(['||', ' || ', ' ||', '|| ']))
}
// The examples and the README's, then generated ranges.
const ranges = ['||', '1.x ||', '|| 2', '^x', '1.0.0 - x', '1.x - x', '=0.7.x', '>=0.7.x', '<=0.7.x',
  '2.x', '~1.1', '^1.0.0', '*', '1 - 2', '>=1.0.0 <=1.1.0', '* || 1.0.0-pre', '~x.1', '1.x.2', '']
for (let i = 0; i < 6000; i++) ranges.push(range())
const versions = []
for (const M of ['0', '1', '2', '3', '10']) {
  for (const m of ['0', '1', '2']) {
    for (const p of ['0', '1', '3']) {
      for (const pr of ['', '-0', '-pre', '-rc.1', '-alpha.1']) versions.push(`${M}.${m}.${p}${pr}`)
    }
  }
}
const rows = []
for (const r of ranges) {
  for (const inc of [false, true]) {
    let range
    try { range = new Range(r, { includePrerelease: inc }) } catch (e) { rows.push([r, null, inc, 'invalid']); continue }
    for (const v of versions) if (rnd(4) === 0) rows.push([r, v, inc, range.test(new SemVer(v))])
  }
}
require('fs').writeFileSync(out, JSON.stringify(rows))
console.log(`npm oracle: ${rows.length} rows from ${ranges.length} ranges`)
