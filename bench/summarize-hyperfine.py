"""Prints medians and the nucleus/bwrap and nucleus/crun ratios of a hyperfine JSON export."""
import json
import sys

results = {r["command"].split(":")[0]: r for r in json.load(open(sys.argv[1]))["results"]}
print("| command | median [ms] | mean ± σ [ms] |")
print("|:---|---:|---:|")
for r in results.values():
    median, mean, sd = (r[k] * 1000 for k in ("median", "mean", "stddev"))
    print(f"| `{r['command']}` | {median:.2f} | {mean:.2f} ± {sd:.2f} |")
nucleus = results["nucleus"]["median"]
print(f"\nnucleus/bwrap = {nucleus / results['bwrap']['median']:.2f}, "
      f"nucleus/crun = {nucleus / results['crun']['median']:.2f}\n")
