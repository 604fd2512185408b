#!/usr/bin/env bash
# Create .bench-venv: this project (with numpy) plus the peers the benchmarks
# compare against. Peers are bench-only; they are not project dependencies.
#
#   bash bench/setup.sh && .bench-venv/bin/python bench/run.py
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .bench-venv
.bench-venv/bin/python -m pip install -q --upgrade pip
# Pinned so figures stay comparable between runs. torch==2.13.0 matches the
# CPU-only build (2.13.0+cpu) when a local wheel of it is on pip's find-links;
# otherwise pip fetches the default build, which also runs on the CPU.
.bench-venv/bin/python -m pip install -q \
    "micrograd==0.1.0" \
    "torch==2.13.0" \
    "numpy>=1.24" \
    "rich>=13"
.bench-venv/bin/python -m pip install -q -e '.[batch]'
echo "bench venv ready: .bench-venv/bin/python bench/run.py"
