#!/usr/bin/env bash
# Lévai & Zombori's claim in its own setting: lottery tickets by iterative magnitude pruning, 20% of the
# remaining weights per level (--level_rate=0.2) to 93.1% (12 levels), rewound to initialisation, LeNet-300-100
# on the full Fashion-MNIST and the full MNIST, three seeds. The trained weights of each level are ranked by
# |w| (lottery), by |w g| (lottery:snip: SNIP's score on the trained weights, the plainest form of "the
# training-loss gradient as in SNIP"), and by the blend (1-λ)|w|/mean + λ|wg|/mean at λ = 0.5 and 0.2
# (lottery:magnitude_gradient); the gradient is summed over ten class-balanced batches of 100 (--score_batches).
# Under random labels every level trains and is scored on the random labels; only each final ticket retrains
# on clean data. Tickets at 48.8%, 73.8%, 86.6% and 93.1% (levels 3, 6, 9, 12); the earlier levels are shared.
# Resumable (finished runs are reused). DATA: a directory holding fashion-mnist/ and mnist/ (IDX files).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
ROOT=${ROOT:-runs/data-dependent-lottery}
COMMON=(--model=mnist_lenet_300_100 --training_steps=4ep --batch_size=60 --optimizer=adam --lr=0.0012
        --lr_schedule=constant --milestones= --weight_decay=0 --validate_every_epoch=false --level_rate=0.2
        --rewind_to=0it --checks=random_labels --seeds=0,1,2 --score_batches=10)
for dataset in fashion_mnist mnist; do
  dir="$DATA/${dataset//_/-}"
  for sparsity in 0.488 0.7379 0.8658 0.9313; do
    python -m tf_tickets.sanity "${COMMON[@]}" --dataset=$dataset --data_dir="$dir" --sparsity=$sparsity \
      --methods=lottery,lottery:snip --run_dir="$ROOT/$dataset"
    for weight in 0.5 0.2; do
      python -m tf_tickets.sanity "${COMMON[@]}" --dataset=$dataset --data_dir="$dir" --sparsity=$sparsity \
        --methods=lottery:magnitude_gradient --method_options=gradient_weight=$weight \
        --run_dir="$ROOT/$dataset-blend$weight"
    done
  done
done
python benchmarks/data_dependent_report.py "$ROOT" benchmarks/results/data_dependent_lottery
