#!/bin/sh
# A one-node Slurm cluster on this machine (slurmctld + slurmd on localhost),
# for testing offsim's Slurm job arrays against the real scheduler.
#
#   tools/slurm-local.sh start    install what is missing, start, wait until the
#                                 node is idle; prints `export SLURM_CONF=...`
#                                 on stdout (eval it), progress on stderr
#   tools/slurm-local.sh stop     stop the daemons this script started
#   tools/slurm-local.sh status   print the state of the cluster
#
# Everything lives in $OFFSIM_SLURM_DIR (default /tmp/offsim-slurm): the
# configuration, state, spool, logs and pid files.  An existing
# /etc/slurm/slurm.conf is never read nor written: daemons and clients are
# pointed at our file with SLURM_CONF.  A munged already answering is reused
# (and left running by `stop`); otherwise one is started and stopped by us.
#
# Environment:
#   OFFSIM_SLURM_DIR        working directory         (/tmp/offsim-slurm)
#   OFFSIM_SLURM_TIMEOUT    seconds to wait for idle  (60)
#   OFFSIM_SLURMCTLD_PORT   slurmctld's TCP port      (6817)
#   OFFSIM_SLURMD_PORT      slurmd's TCP port         (6818)
#
# Exit status:
#   0   done (start: the node is idle and takes jobs; status: running)
#   1   a real failure: the daemons run but the node did not become usable
#       within the timeout, or `stop` could not end a daemon
#   2   usage
#   3   status: not running
#   77  this machine cannot run a local Slurm (not root, the packages cannot
#       be installed, a daemon exits at start); the reason and log tail are
#       printed, so a test can skip with it
set -u

DIR=${OFFSIM_SLURM_DIR:-/tmp/offsim-slurm}
TIMEOUT=${OFFSIM_SLURM_TIMEOUT:-60}
CTLD_PORT=${OFFSIM_SLURMCTLD_PORT:-6817}
SLURMD_PORT=${OFFSIM_SLURMD_PORT:-6818}
CONF=$DIR/slurm.conf
RUN=$DIR/run
LOG=$DIR/log
NODE=$(hostname -s)
SLURM_CONF=$CONF
export SLURM_CONF

say() { echo "slurm-local: $*" >&2; }

# The machine cannot do it: say why, with the log that tells, stop what a
# failed start left running, and exit 77.
STARTING=0
cannot() {
    say "cannot run a local Slurm here: $1"
    if [ -n "${2:-}" ] && [ -s "$2" ]; then
        say "last lines of $2:"
        tail -n 20 "$2" >&2
    fi
    [ $STARTING = 1 ] && stop_daemons slurmd slurmctld munged
    exit 77
}

# pid_alive FILE NAME: the pid in FILE is a live process called NAME.  The
# name check keeps a stale pid file from naming a recycled pid.
pid_alive() {
    [ -s "$1" ] || return 1
    _pid=$(cat "$1" 2>/dev/null)
    [ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null || return 1
    [ "$(cat /proc/"$_pid"/comm 2>/dev/null)" = "$2" ]
}

munge_works() {
    command -v munge >/dev/null 2>&1 && command -v unmunge >/dev/null 2>&1 &&
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1
}

install_missing() {
    missing=""
    for p in slurm-wlm munge; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing="$missing $p"
        fi
    done
    [ -z "$missing" ] && return 0
    command -v apt-get >/dev/null 2>&1 || cannot "no apt-get to install$missing"
    say "installing$missing"
    mkdir -p "$LOG"
    # The lock timeout lets a concurrent apt run on a shared machine finish.
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # one word per package
    if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
           apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing; } \
           >"$LOG/apt.log" 2>&1; then
        cannot "apt-get could not install$missing" "$LOG/apt.log"
    fi
}

# Debian's munge package creates /etc/munge/munge.key; create it if absent.
ensure_munge_key() {
    key=/etc/munge/munge.key
    [ -s "$key" ] && return 0
    say "creating $key"
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile="$key" >/dev/null 2>&1 || return 1
    else
        dd if=/dev/urandom of="$key" bs=1024 count=1 2>/dev/null || return 1
    fi
    if id munge >/dev/null 2>&1; then chown munge:munge "$key"; fi
    chmod 0400 "$key"
}

start_munge() {
    if pid_alive "$RUN/munged.pid" munged && munge_works; then
        return 0
    fi
    if munge_works; then
        say "munged already answers; reusing it (stop leaves it running)"
        return 0
    fi
    say "starting munged"
    ensure_munge_key || cannot "could not create a munge key"
    # munged insists that its key belongs to the user it runs as: the
    # package's user where there is one.
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    if id munge >/dev/null 2>&1; then
        chown munge:munge /run/munge /var/lib/munge /var/log/munge /etc/munge
        chmod 0755 /run/munge
        runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid \
            >"$LOG/munged.out" 2>&1
    else
        /usr/sbin/munged --force --pid-file=/run/munge/munged.pid \
            >"$LOG/munged.out" 2>&1
    fi
    i=0
    while ! munge_works; do
        i=$((i + 1))
        if [ $i -gt 50 ]; then
            cat "$LOG/munged.out" >&2
            cannot "munged did not start" /var/log/munge/munged.log
        fi
        sleep 0.1
    done
    # Ours to stop: remember it apart from a munged someone else runs.
    cp /run/munge/munged.pid "$RUN/munged.pid"
}

write_conf() {
    cpus=$(nproc)
    # slurmd drains a node whose configured memory exceeds what it finds;
    # declare a little less than MemTotal (MiB) to stay clear of rounding.
    mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.95 }' /proc/meminfo)
    tmp=$CONF.new
    cat >"$tmp" <<EOF
# One-node test cluster written by tools/slurm-local.sh; do not edit, it is
# rewritten by the next start.
ClusterName=offsim
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups: plain process tracking works in containers and VMs alike.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Schedule a batch job at once, not up to 3 s later: tests wait on jobs.
SchedulerParameters=batch_sched_delay=0
MailProg=/bin/true
# A node that was down when stopped comes back when its slurmd registers.
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$NODE NodeHostname=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    if [ -f "$CONF" ] && cmp -s "$tmp" "$CONF"; then
        rm -f "$tmp"
        return 1
    fi
    mv "$tmp" "$CONF"
    return 0
}

# node_state: the node's state as sinfo prints it (idle, down*, drained...).
node_state() {
    sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n 1
}

ctld_up() { pid_alive "$RUN/slurmctld.pid" slurmctld; }
slurmd_up() { pid_alive "$RUN/slurmd.pid" slurmd; }

do_start() {
    [ "$(id -u)" = 0 ] || cannot "not root (slurmd must run as root)"
    STARTING=1
    mkdir -p "$DIR/state" "$DIR/spool" "$RUN" "$LOG"
    install_missing
    # The timeout bounds the cluster's start, not a first install's download.
    t0=$(date +%s)
    for b in slurmctld slurmd sinfo scontrol; do
        command -v "$b" >/dev/null 2>&1 || cannot "$b not found after installing slurm-wlm"
    done
    start_munge
    changed=0
    write_conf && changed=1
    if [ $changed = 1 ] && { ctld_up || slurmd_up; }; then
        say "configuration changed; restarting the daemons"
        stop_daemons slurmd slurmctld
    fi
    if ! ctld_up; then
        say "starting slurmctld"
        : >"$LOG/slurmctld.log"
        slurmctld -f "$CONF" >>"$LOG/slurmctld.log" 2>&1 ||
            cannot "slurmctld failed to start" "$LOG/slurmctld.log"
        # slurmctld writes its pid file only once it has daemonised and
        # read its state, which under load can come after the first pings:
        # it has died only when no slurmctld process is left at all.
        i=0
        until scontrol ping 2>/dev/null | grep -q UP; do
            i=$((i + 1))
            { [ $i -gt 150 ] || { ! ctld_up && ! pgrep -x slurmctld >/dev/null 2>&1; }; } &&
                cannot "slurmctld did not come up" "$LOG/slurmctld.log"
            sleep 0.2
        done
    fi
    if ! slurmd_up; then
        say "starting slurmd"
        : >"$LOG/slurmd.log"
        slurmd -f "$CONF" -N "$NODE" >>"$LOG/slurmd.log" 2>&1 ||
            cannot "slurmd failed to start" "$LOG/slurmd.log"
        sleep 0.5
        slurmd_up || cannot "slurmd exited at start" "$LOG/slurmd.log"
    fi
    # Wait for the node to take jobs; a node left down or drained by an
    # earlier run is resumed (at each look until it is).  On a timeout the
    # daemons are left running for inspection; `stop` ends them.
    deadline=$((t0 + TIMEOUT))
    while :; do
        st=$(node_state)
        case $st in
            idle | mixed | allocated | completing) break ;;
            down* | drain* | fail*)
                scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 ;;
        esac
        if ! slurmd_up; then cannot "slurmd exited" "$LOG/slurmd.log"; fi
        if ! ctld_up; then cannot "slurmctld exited" "$LOG/slurmctld.log"; fi
        if [ "$(date +%s)" -ge $deadline ]; then
            say "node $NODE is '${st:-unknown}' after ${TIMEOUT}s, not idle"
            scontrol show node "$NODE" >&2 2>/dev/null
            tail -n 20 "$LOG/slurmctld.log" "$LOG/slurmd.log" >&2
            exit 1
        fi
        sleep 0.5
    done
    say "node $NODE is $st ($(($(date +%s) - t0)) s); partition debug"
    echo "export SLURM_CONF=$CONF"
}

# stop_daemons NAME...: TERM the daemons whose pid files are ours, all at
# once (each takes a second or two to save its state), KILL after 10 s.
stop_daemons() {
    rc=0
    # Jobs first: their slurmstepd outlive slurmd otherwise.
    if ctld_up && slurmd_up; then
        jobs=$(squeue -h -o %A 2>/dev/null)
        if [ -n "$jobs" ]; then
            say "cancelling jobs: $(echo "$jobs" | tr "\n" " ")"
            # shellcheck disable=SC2086
            scancel $jobs 2>/dev/null
            i=0
            while [ -n "$(squeue -h -o %A 2>/dev/null)" ] && [ $i -lt 50 ]; do
                sleep 0.2
                i=$((i + 1))
            done
        fi
    fi
    pids=""
    for d in "$@"; do
        if pid_alive "$RUN/$d.pid" "$d"; then
            pid=$(cat "$RUN/$d.pid")
            say "stopping $d ($pid)"
            kill "$pid" 2>/dev/null
            pids="$pids $pid"
        fi
    done
    i=0
    for pid in $pids; do
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null
            sleep 0.2
        fi
        if kill -0 "$pid" 2>/dev/null; then
            say "could not stop pid $pid"
            rc=1
        fi
    done
    for d in "$@"; do
        pid_alive "$RUN/$d.pid" "$d" || rm -f "$RUN/$d.pid"
    done
    return $rc
}

do_stop() {
    if stop_daemons slurmd slurmctld munged; then
        say "stopped"
        exit 0
    fi
    exit 1
}

do_status() {
    echo "directory: $DIR"
    echo "SLURM_CONF=$CONF"
    for d in slurmctld slurmd munged; do
        if pid_alive "$RUN/$d.pid" "$d"; then
            echo "$d: running (pid $(cat "$RUN/$d.pid"))"
        elif [ $d = munged ] && munge_works; then
            echo "$d: running (not started by this script)"
        else
            echo "$d: stopped"
        fi
    done
    if ctld_up; then
        sinfo 2>/dev/null
        squeue 2>/dev/null
        exit 0
    fi
    exit 3
}

case ${1:-} in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2 ;;
esac
