#!/usr/bin/env bash
# The sanity-check experiment of benchmarks/results/sanity_fashion_mnist.md: six tickets at 90% and 98%
# sparsity, their sanity checks, two seeds, ResNet20 on the shipped Fashion-MNIST subset (CPU, about an
# hour on 2 cores). Resumable: run it again after an interruption and finished runs are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { python -m tf_tickets.sanity --flagfile=configs/fashion_mnist_sanity.cfg "$@"; }
for sparsity in 0.9 0.98; do
  run --criterion=snip --sparsity=$sparsity --checks=random_labels,rearrange
  run --criterion=grasp --sparsity=$sparsity --checks=random_labels,rearrange
  run --criterion=random --budget=smart_ratio --sparsity=$sparsity --checks=
  run --procedure=lottery_one_shot --sparsity=$sparsity --checks=random_labels,shuffle
  run --procedure=lr_rewinding --sparsity=$sparsity --checks=random_labels,rearrange
  run --procedure=hybrid --sparsity=$sparsity --checks=rearrange
done
python tools/collect_sanity.py runs/sanity-fashion-mnist-resnet20 benchmarks/results/sanity_fashion_mnist
