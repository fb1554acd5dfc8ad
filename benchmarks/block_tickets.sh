#!/usr/bin/env bash
# Block-structured vs unstructured tickets, LeNet-300-100 on the shipped subset (the default job's training):
# bash benchmarks/block_tickets.sh (about 3.5 min on 2 CPU cores); results in benchmarks/results/block_tickets.md.
set -euo pipefail
ROOT=${ROOT:-runs/block-tickets}
COMMON="--model=mnist_lenet_300_100 --dataset=embedded --training_steps=6ep --batch_size=64 --lr=0.1 --lr_schedule=step --milestones=4ep --gamma=0.1 --weight_decay=1e-4 --validate_every_epoch=false"
for sparsity in 0.9 0.98; do
  for criterion in snip magnitude; do
    for block in 0 4; do
      for seed in 0 1 2; do
        extra=""
        [ "$criterion" = magnitude ] && extra="--prune_at=2ep"
        python -m tf_tickets.train $COMMON --criterion=$criterion $extra --sparsity=$sparsity --block=$block --seed=$seed \
          --run_dir=$ROOT/$criterion-block$block/sparsity$sparsity/seed$seed > /dev/null
      done
    done
  done
done
python tools/tables.py "$ROOT" --out="$ROOT/table"
