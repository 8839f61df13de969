#!/bin/sh
# Train the two agents of the SAC/PPO co-inference experiment, before its
# sweep compares them (the experiment's points load these checkpoints):
#
#   sh scenarios/papers/sac-coinference/train.sh [--quick] [OFFSIM]
#
# from the directory the sweep runs in (the repository root for `make
# papers`): the checkpoints go to results/sac-coinference/{sac,ppo}-K.ckpt,
# K = 1..3 training seeds, and every learning curve to the `training` table
# of results/sac-coinference/training.db, drawn as learning-curves.png (per
# agent: the mean over its training seeds with a 95 % t-interval band,
# `offsim plot DB --learning --band`) and learning-curves-runs.png (one
# curve per training run, `offsim plot DB --learning`).
# Full: SAC 30,000 decisions, PPO 300,000 (lr 5e-4 annealed over them,
# ent_coef 0.03, a held-out evaluation every 30,000: with 100,000 PPO does
# not beat the best constant action across training seeds; docs/rl.md),
# three training seeds, two trainings at a time: ~4 minutes on 2 quiet cores
# (SAC 3 x 90 s, PPO 3 x 40 s of one core).
# --quick (CI): one seed, SAC 1,000 and PPO 3,000 decisions, ~20 s: agents
# that load and run, not trained ones (the claims about them are
# `quick: false`).
set -e
quick=0
if [ "$1" = "--quick" ]; then quick=1; shift; fi
offsim=${1:-build/offsim}
here=$(dirname "$0")
out=results/sac-coinference
mkdir -p "$out"
if [ $quick = 1 ]; then seeds=1; sac=1000; ppo=3000; else seeds="1 2 3"; sac=30000; ppo=300000; fi
db=$out/training.db
rm -f "$db" "$db-wal" "$db-shm"
# one training, into its own database (one writer each; merged after)
train() { # $1 agent (sac|ppo), $2 training seed
    if [ "$1" = sac ]; then
        "$offsim" train "$here/scenario.yaml" --quiet --seed "$2" --steps $sac \
            --out "$out/sac-$2.ckpt" --db "$out/train-sac-$2.db"
    else
        "$offsim" train "$here/scenario.yaml" --quiet --seed "$2" --steps $ppo \
            --set policy.type=ppo --set policy.lr=0.0005 --set policy.ent_coef=0.03 \
            --set policy.eval_every=30000 \
            --out "$out/ppo-$2.ckpt" --db "$out/train-ppo-$2.db"
    fi
}
# two lanes, the longest trainings first (SAC ~90 s a seed, PPO ~40 s on a
# quiet core): lane 1 the odd SAC seeds, lane 2 the others and every PPO
lane1=""; lane2=""; n=0
for k in $seeds; do
    n=$((n + 1))
    if [ $((n % 2)) = 1 ]; then lane1="$lane1 sac:$k"; else lane2="$lane2 sac:$k"; fi
done
for k in $seeds; do lane2="$lane2 ppo:$k"; done
run_lane() { for j in "$@"; do train "${j%%:*}" "${j#*:}" || return 1; done; }
run_lane $lane1 &
pid=$!
run_lane $lane2
wait $pid   # its failure stops the script (set -e)
"$offsim" merge "$db" "$out"/train-sac-*.db "$out"/train-ppo-*.db >/dev/null
rm -f "$out"/train-sac-*.db* "$out"/train-ppo-*.db*
echo "train.sh: checkpoints in $out, learning curves in $db"
"$offsim" plot "$db" --learning --band --out "$out/learning-curves.png" >/dev/null &&
    "$offsim" plot "$db" --learning --out "$out/learning-curves-runs.png" >/dev/null &&
    echo "train.sh: learning curves drawn in $out/learning-curves.png (over seeds)" \
        "and $out/learning-curves-runs.png (per run)"
