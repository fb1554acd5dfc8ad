#!/usr/bin/env bash
# Siblings on CPU (Movva, Frankle, Carbin): LeNet-300-100 on the Fashion-MNIST subset shipped with the
# package, K = 4 siblings per seed that differ only in data order, global magnitude at 95% sparsity;
# one-shot vs union vs intersection of k = 2..4 siblings, retrained from the shared start point, three
# seeds; without shared pre-training (0it) and with one epoch of it (1ep of 6). About 10 minutes on
# 2 CPU cores; resumable.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${ROOT:-runs/siblings-fashion-mnist-lenet}
OUT=${OUT:-benchmarks/results/siblings_fashion_mnist}
mkdir -p "$OUT"
for pretrain in 0it 1ep; do
  python -m tf_tickets.siblings --flagfile=configs/embedded_siblings.cfg --seeds=0,1,2 --pretrain=$pretrain \
    --run_dir="$ROOT" | tee "$OUT/pretrain$pretrain.txt"
  for f in siblings.md siblings.png overlap.md overlap.png layers.md; do
    cp "$ROOT/siblings/pretrain$pretrain/sparsity0.95/$f" "$OUT/pretrain$pretrain-$f"
  done
done
# The control: first siblings of different seeds (other initialisations, other data orders).
MASKS="$ROOT/siblings/pretrain0it/sparsity0.95/masks"
python -m tf_tickets.overlap "$MASKS/seed0-sibling1.npz" "$MASKS/seed1-sibling1.npz" "$MASKS/seed2-sibling1.npz" \
  --out="$OUT/control-other-initialisations"
