#!/bin/bash
# vded's modules include each other without a circle: a module that needs a type does not include the
# module that happens to define it. The graph comes from scripts/include-graph (`make includes` prints
# it); tsort orders it, and a circle fails the test with the modules on it and the edges between them.
# Needs bash, coreutils' tsort and sed only: no build, no root.
set -eu
set -o pipefail

cd "$(dirname "$0")/../.."

# DIR (default vded) lets the check be tried on another tree.
dir=${1:-vded}
graph=$(scripts/include-graph "$dir")
# An empty graph means the include parser broke, not that there are no circles.
[ -n "$graph" ] || {
	echo "FAIL: t-include-circles: no include edges found under $dir/" >&2
	exit 1
}
echo "# $(printf '%s\n' "$graph" | wc -l) include edges between the modules of $dir/"

loops=$(printf '%s\n' "$graph" | sed 's/ -> / /' | tsort 2>&1 >/dev/null) && exit 0

# tsort prints each loop it breaks as "tsort: -: input contains a loop:" and then one member per line.
printf '%s\n' "$loops" | awk -v graph="$graph" '
	BEGIN {
		n = split(graph, lines, "\n")
		for (j = 1; j <= n; j++)
			edge[lines[j]] = 1
	}
	function report(   i, j, e, out, path) {
		if (k == 0)
			return
		# tsort lists a loop in its order; say so only when every step is an edge
		path = 1
		for (i = 1; i <= k; i++)
			if (!((m[i] " -> " m[i % k + 1]) in edge))
				path = 0
		out = m[1]
		for (i = 2; i <= k; i++)
			out = out (path ? " -> " : ", ") m[i]
		print "circle: " out (path ? " -> " m[1] : "")
		for (j = 1; j <= n; j++) {
			split(lines[j], e, " -> ")
			if ((e[1] in on) && (e[2] in on))
				print "    " lines[j]
		}
		delete on
		k = 0
	}
	/input contains a loop/ { report(); next }
	/^tsort: / { sub(/^tsort: /, ""); m[++k] = $0; on[$0] = 1; next }
	{ print }
	END { report() }
'
echo "FAIL: t-include-circles: $dir/ has include circles (scripts/include-graph, make includes)" >&2
exit 1
