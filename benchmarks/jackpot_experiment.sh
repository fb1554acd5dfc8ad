#!/usr/bin/env bash
# Lottery jackpots on CPU: a mask searched over a trained ResNet20 (Fashion-MNIST subset shipped with the
# package, 4 epochs of dense training), no weight trained, at 90% and 98% sparsity, three seeds; against
# the dense network, magnitude pruning of the same weights without retraining, and magnitude pruning
# retrained (learning-rate rewinding); with the overlap of the jackpot's mask to magnitude, SNIP and random
# masks. About 20 minutes on 2 CPU cores; resumable.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${ROOT:-runs/jackpot-fashion-mnist-resnet20}
for sparsity in 0.9 0.98; do
  python -m tf_tickets.sanity --flagfile=configs/fashion_mnist_sanity.cfg --methods=jackpot,lr_rewinding \
    --checks= --seeds=0,1,2 --sparsity=$sparsity --search_steps=4ep --lr=0.1 --run_dir="$ROOT"
done
python benchmarks/jackpot_analysis.py "$ROOT" benchmarks/results/jackpot_fashion_mnist
