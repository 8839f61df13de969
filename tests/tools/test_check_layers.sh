#!/bin/sh
# tools/check_layers.sh on tiny fake trees: a tree that keeps the layering
# passes, and each kind of wrong edge fails naming its file, line and include.
set -u
checker=$(cd "$(dirname "$0")/../../tools" && pwd)/check_layers.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_check_layers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0

# put PATH LINE...: a file of the fake tree, one argument a line.
put() {
    f=$tmp/tree/$1
    shift
    mkdir -p "$(dirname "$f")"
    printf '%s\n' "$@" > "$f"
}
# expect STATUS NAME [TEXT]: run the checker (on the fake build too once
# there is one); its exit status must be STATUS and, when given, TEXT must be
# in what it printed on stderr.
expect() {
    sh "$checker" "$tmp/tree" ${build:+"$build"} > "$tmp/out" 2> "$tmp/err"
    st=$?
    if [ "$st" -ne "$1" ] || { [ $# -gt 2 ] && ! grep -qF "$3" "$tmp/err"; }; then
        want=${3:+ and "$3" on stderr}
        echo "FAIL $2: exit $st, expected $1$want"
        sed 's/^/  out: /' "$tmp/out"
        sed 's/^/  err: /' "$tmp/err"
        fails=$((fails + 1))
    else
        echo "ok   $2"
    fi
}

put core/off.h '/* core */'
put models/mdl.h '#include "off.h"'
put models/internal/mdl_k.h '#include "mdl.h"'
put models/mdl_graph.c '#include "mdl.h"' '#include "mdl_k.h"'
put sim/sim.h '#include "mdl.h"'
put sim/internal/sim_task.h '#include "sim.h"'
put sim/internal/sim_server.h '#include "sim_engine.h"'
put sim/sim_engine.h '/* engine */'
put sim/sim_server.c '#include "sim_server.h"'
put tests/models/test_mdl_k.c '#include "mdl_k.h"'
put bench/bench_k.c '#include "mdl_k.h"' '#include "sim.h"'
put cli/main.c '#include "sim.h"'
expect 0 "a tree that keeps the layering passes"
grep -qF 'sim -> models (1)' "$tmp/out" || { echo "FAIL graph: no 'sim -> models (1)'"; fails=$((fails + 1)); }

put models/mdl_graph.c '#include "mdl.h"' '#include "mdl_k.h"' '#include "sim.h"'
expect 1 "a module including a module above it fails" \
    'models/mdl_graph.c:3: #include "sim.h": upward edge models -> sim'
put models/mdl_graph.c '#include "mdl.h"' '#include "mdl_k.h"'
expect 0 "back to the good tree"

put cli/main.c '#include "sim.h"' '#include "mdl_k.h"'
expect 1 "another module's private header fails" \
    'cli/main.c:2: #include "mdl_k.h": private header of models/'
put cli/main.c '#include "sim.h"'

put tests/sim/test_sim.c '#include "sim.h"' '#include "mdl_k.h"'
expect 1 "a test including another module's private header fails" \
    'tests/sim/test_sim.c:2: #include "mdl_k.h": private header of models/'
rm "$tmp/tree/tests/sim/test_sim.c"

put sim/sim_server.c '#include "sim_server.h"' '  #  include "sim_task.h"'
expect 1 "a sim resource including the task lifecycle fails" \
    'sim/sim_server.c:2: #  include "sim_task.h": sim/ resource may not use task'
put sim/sim_server.c '#include "sim_server.h"'
expect 0 "back to the good tree"

# Calls, from object files as CMake lays them out: a server calling a task
# function fails, a task calling a server function does not.
build=$tmp/build
obj=$build/CMakeFiles/off_sim.dir/sim
mkdir -p "$obj"
printf 'void sim_task_done(void) {}\nvoid sim_server_take(void);\nvoid t(void) { sim_server_take(); }\n' > "$tmp/sim_task.c"
printf 'void sim_server_take(void) {}\n' > "$tmp/sim_server.c"
cc -c "$tmp/sim_task.c" -o "$obj/sim_task.c.o" && cc -c "$tmp/sim_server.c" -o "$obj/sim_server.c.o" || exit 1
expect 0 "the task calling a resource passes"
grep -qF 'sim calls: task -> resource (1)' "$tmp/out" || { echo "FAIL graph: no task -> resource call"; fails=$((fails + 1)); }
printf 'void sim_task_done(void);\nvoid sim_server_take(void) { sim_task_done(); }\n' > "$tmp/sim_server.c"
cc -c "$tmp/sim_server.c" -o "$obj/sim_server.c.o" || exit 1
expect 1 "a resource calling the task lifecycle fails" \
    'sim/sim_server.c: calls sim_task_done() of sim/sim_task.c: sim/ resource may not use task'

[ "$fails" -eq 0 ] || { echo "$fails case(s) failed"; exit 1; }
echo "all cases passed"
