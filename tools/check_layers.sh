#!/bin/sh
# Print the include graph between offsim's modules (and between the parts of
# sim/), and check it against the layering below.  Exit 1, naming FILE:LINE
# and the #include, for every edge that goes the wrong way:
#   - a module including a header of a module it may not depend on;
#   - a file including another module's private header (<module>/internal/);
#   - inside sim/, a part including a header of a part above it (resources
#     such as links, servers and the backhaul must not reach the task
#     lifecycle: they report completion through callbacks).
# tests/<module>/ may use what <module> may use, and <module>'s private
# headers; bench/ may use anything, private headers included (white-box
# measurements).  Headers are matched by file name, as the compiler's include
# path does.
#
#   sh tools/check_layers.sh [ROOT [BUILD]]
#
# ROOT defaults to the current directory.  With BUILD (a CMake build folder),
# the calls between sim/'s parts are checked too, from the symbols its object
# files define and use (nm): a resource calling a task-lifecycle function is
# the same upward edge as including its header.  Calls through a callback
# pointer are not edges, which is the point of callbacks.
#
# POSIX sh, find, sed, sort and awk (nm with BUILD): nothing a build machine
# lacks, so CI runs it as the ctest test `check_layers`.

# The layering, the one place it is written: "module: what it uses directly".
# Uses are transitive; `*` means every module.  docs/design.md draws it as
#   core <- config <- {models, scenarios, results} <- policies(models) <- sim <- experiments <- cli
#   (plots on results only; the sweep command draws an experiment's figures)
LAYERS='
core:
config: core
models: config
scenarios: config
results: config
policies: models
sim: scenarios models policies results
experiments: sim
plots: results
cli: *
'

# The parts of sim/, the same way, then after "|" the file-name prefixes of
# each part's sources and headers (the longest match wins).  Files matching
# none (the public sim.h, shared helpers) are left out of this check.
SIM_PARTS='
engine: | sim_engine sim_rng
channel: engine | sim_chan
resource: channel | sim_link sim_server sim_backhaul sim_cell
task: * | sim_task
'

root=${1:-.}
build=${2:-}
tmp=${TMPDIR:-/tmp}/check_layers.$$
trap 'rm -f "$tmp".*' EXIT INT TERM
# One line per global symbol of sim/'s objects: "SOURCE.c SYMBOL TYPE".
: > "$tmp.syms"
if [ -n "$build" ]; then
    find "$build" -path '*/off_sim.dir/*' -name '*.c.o' | sort > "$tmp.objs"
    if [ ! -s "$tmp.objs" ]; then
        echo "check_layers: no sim object files under $build (build first)" >&2
        exit 2
    fi
    while read -r o; do
        b=${o##*/}
        nm -P -g "$o" | sed "s|^|${b%.o} |" >> "$tmp.syms" || exit 2
    done < "$tmp.objs"
fi
cd "$root" || exit 2

modules=$(printf '%s\n' "$LAYERS" | sed -n 's/^\([a-z_]*\):.*/\1/p')
dirs=""
for m in $modules tests bench; do
    [ -d "$m" ] && dirs="$dirs $m"
done
# shellcheck disable=SC2086 # one word per folder
find $dirs -type f \( -name '*.c' -o -name '*.h' \) | sort > "$tmp.files"

awk -v layers="$LAYERS" -v parts="$SIM_PARTS" -v graph="$tmp.graph" -v syms="$tmp.syms" '
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function base(p,   n, a) { n = split(p, a, "/"); return a[n] }
# Read a table of "name: uses [| file-name prefixes]" lines into
# names[kind, 1..count[kind]], use[kind, name, other] = 1 (closed
# transitively), all[kind, name] for `*`, and the prefixes into pat/patpart.
function table(text, kind,   n, i, lines, line, name, rest, k, w, j, a, b, c, changed, npat) {
    n = split(text, lines, "\n")
    for (i = 1; i <= n; i++) {
        line = trim(lines[i])
        if (line == "") continue
        name = trim(substr(line, 1, index(line, ":") - 1))
        rest = substr(line, index(line, ":") + 1)
        names[kind, ++count[kind]] = name
        if (index(rest, "|")) {
            npat = split(trim(substr(rest, index(rest, "|") + 1)), w, /[ \t]+/)
            for (j = 1; j <= npat; j++) { pat[++npats] = w[j]; patpart[npats] = name }
            rest = substr(rest, 1, index(rest, "|") - 1)
        }
        k = split(trim(rest), w, /[ \t]+/)
        for (j = 1; j <= k; j++) {
            if (w[j] == "*") all[kind, name] = 1
            else if (w[j] != "") use[kind, name, w[j]] = 1
        }
        direct[kind, name] = trim(rest)
    }
    do {
        changed = 0
        for (a = 1; a <= count[kind]; a++)
            for (b = 1; b <= count[kind]; b++)
                if (use[kind, names[kind, a], names[kind, b]])
                    for (c = 1; c <= count[kind]; c++)
                        if (use[kind, names[kind, b], names[kind, c]] &&
                            !use[kind, names[kind, a], names[kind, c]]) {
                            use[kind, names[kind, a], names[kind, c]] = 1
                            changed = 1
                        }
    } while (changed)
}
function may(kind, a, b) { return a == b || all[kind, a] || use[kind, a, b] }
# The sim part of a file name: the longest matching prefix wins.
function part(f,   b, i, best, len) {
    b = base(f); best = ""; len = 0
    for (i = 1; i <= npats; i++)
        if (index(b, pat[i]) == 1 && length(pat[i]) > len) {
            best = patpart[i]; len = length(pat[i])
        }
    return best
}
function bad(f, ln, text, why) {
    if (ln) f = f ":" ln
    printf "%s: %s: %s\n", f, text, why > "/dev/stderr"
    nbad++
}
BEGIN {
    table(layers, "mod")
    table(parts, "sim")
    for (i = 1; i <= count["mod"]; i++) ismod[names["mod", i]] = 1
    nf = 0
    while ((getline f < "/dev/stdin") > 0) {
        file[++nf] = f
        split(f, a, "/")
        if (f ~ /\.h$/ && ismod[a[1]]) {
            b = base(f)
            if ((b in hmod) && hmod[b] != a[1])
                bad(f, 1, "header name", "also in " hmod[b] "/: names must be unique")
            hmod[b] = a[1]
            hint[b] = (f ~ /\/internal\//)
        }
    }
    for (i = 1; i <= nf; i++) {
        f = file[i]
        split(f, a, "/")
        who = a[1]; tested = ""
        if (who == "tests") { tested = a[2]; who = ismod[a[2]] ? a[2] : "bench" }
        ln = 0
        while ((getline line < f) > 0) {
            ln++
            if (line !~ /^[ \t]*#[ \t]*include[ \t]*"/) continue
            inc = line; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
            b = base(inc)
            if (!(b in hmod)) continue
            to = hmod[b]
            text = trim(line)
            if (who != "bench") {
                if (!may("mod", who, to))
                    bad(f, ln, text, "upward edge " who " -> " to " (" who " uses: " direct["mod", who] ")")
                else if (hint[b] && to != who)
                    bad(f, ln, text, "private header of " to "/ (" to "/internal/)")
            }
            src = (tested != "") ? "tests/" tested : who
            if (src != to) edges[src " -> " to]++
            if (to == "sim" && a[1] == "sim") {
                p = part(f); q = part(b)
                if (p != "" && q != "" && p != q) {
                    sedges["sim: " p " -> " q]++
                    if (!may("sim", p, q))
                        bad(f, ln, text, "sim/ " p " may not use " q " (" p " uses: " direct["sim", p] ")")
                }
            }
        }
        close(f)
    }
    # Calls inside sim/: who defines each symbol, then who uses it.
    while ((getline line < syms) > 0) {
        split(line, w, " ")
        if (w[3] != "U") def[w[2]] = w[1]
        else { nuse++; ufile[nuse] = w[1]; usym[nuse] = w[2] }
    }
    for (i = 1; i <= nuse; i++) {
        if (!(usym[i] in def)) continue
        p = part(ufile[i]); q = part(def[usym[i]])
        if (p == "" || q == "" || p == q) continue
        cedges["sim calls: " p " -> " q]++
        if (!may("sim", p, q) && !seen[ufile[i], usym[i]]++)
            bad("sim/" ufile[i], 0, "calls " usym[i] "() of sim/" def[usym[i]],
                "sim/ " p " may not use " q " (" p " uses: " direct["sim", p] ")")
    }
    for (e in cedges) printf "%s (%d)\n", e, cedges[e] > graph
    for (e in edges) printf "%s (%d)\n", e, edges[e] > graph
    for (e in sedges) printf "%s (%d)\n", e, sedges[e] > graph
    close(graph)
    exit (nbad > 0)
}' < "$tmp.files"
status=$?
[ -f "$tmp.graph" ] || : > "$tmp.graph"
echo "include graph (includer -> included, #include lines):"
sort "$tmp.graph" | sed 's/^/  /'
if [ "$status" -ne 0 ]; then
    echo "check_layers: the edges listed above break the layering (tools/check_layers.sh)" >&2
fi
exit "$status"
