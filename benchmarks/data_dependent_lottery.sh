#!/usr/bin/env bash
# Lévai & Zombori's claim, measured: lottery tickets (3 levels of iterative magnitude pruning, rewound to
# initialisation) ranked by magnitude vs by magnitude + SNIP's gradient term (magnitude_gradient, weight
# 0.5), plain and with random labels in what the pruning step sees; LeNet-300-100 on the full
# Fashion-MNIST (60k/10k), three seeds, 80%, 90% and 96% sparsity. About 20 minutes on 2 CPU cores;
# resumable (finished runs are reused). DATA_DIR: the four Fashion-MNIST IDX files.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${DATA_DIR:-/usr/share/datasets/fashion-mnist}
ROOT=${ROOT:-runs/data-dependent-lottery}
for sparsity in 0.8 0.9 0.96; do
  python -m tf_tickets.sanity --model=mnist_lenet_300_100 --dataset=fashion_mnist --data_dir="$DATA_DIR" \
    --training_steps=3ep --batch_size=128 --lr=0.05 --lr_schedule=constant --milestones= --weight_decay=1e-4 \
    --validate_every_epoch=false --methods=lottery,lottery:magnitude_gradient --levels=3 --rewind_to=0it \
    --checks=random_labels --seeds=0,1,2 --sparsity=$sparsity --run_dir="$ROOT"
done
python tools/collect_sanity.py "$ROOT" benchmarks/results/data_dependent_lottery
