"""Benchmarks against peers: ``python bench/run.py`` (see bench/README.md).

Runs, in one process, this project and its peers (micrograd, PyTorch scalar
tensors, pure Python and NumPy written by hand) on the same workloads,
checks that their gradients agree before timing anything, then times them
in interleaved rounds and reports per-round ratios with their spread, the
floors the engine must meet, a rich table and one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the bench's own modules
sys.path.insert(1, str(HERE.parent))  # the project it sits in, before any installed copy

import batch_bench  # noqa: E402
import compat  # noqa: E402
import engines  # noqa: E402
import sections  # noqa: E402
from measure import FROZEN, LIVE  # noqa: E402
from results import Report, Settings, print_report  # noqa: E402

SECTIONS: dict[str, Callable[[Report], None]] = {
    "neuron": sections.neuron,
    "random": sections.random_circuits,
    "mlp": lambda report: sections.mlp(report, "relu"),
    "tanh": lambda report: sections.mlp(report, "tanh"),
    "replay": sections.replay,
    "batched": batch_bench.batched,
    "chain": sections.chain,
    "memory": sections.memory,
}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 rounds, smaller sizes, no frozen rounds (~45 s): a smoke test, too few "
        "rounds to judge a floor by",
    )
    parser.add_argument("--rounds", type=int, help="interleaved rounds per workload (default 7)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated sections, of: {','.join(SECTIONS)}"
    )
    parser.add_argument(
        "--no-frozen",
        action="store_true",
        help="skip the rounds with the imports' objects frozen (gc.freeze())",
    )
    parser.add_argument("--json", type=Path, help="write the JSON record to this file too")
    args = parser.parse_args(argv)
    wanted = [name for name in args.only.split(",") if name] or list(SECTIONS)
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {list(SECTIONS)}")
    args.sections = [name for name in SECTIONS if name in wanted]
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    modes = (LIVE,) if args.no_frozen or args.quick else (LIVE, FROZEN)
    if args.quick:
        settings = Settings.quick(args.rounds or 3, modes)
    else:
        settings = Settings.full(args.rounds or 7, modes)
    found, unavailable = engines.available()
    import numpy  # noqa: F401  (imported, like every peer, before anything is timed)

    gc.collect()
    gc.freeze()
    import_objects = gc.get_freeze_count()  # what FROZEN mode hides, near enough
    gc.unfreeze()

    load_before = os.getloadavg()
    report = Report(settings, found, unavailable=unavailable)
    started = time.perf_counter()
    section_seconds: dict[str, float] = {}
    not_run: dict[str, str] = {}
    for name in args.sections:
        begun = time.perf_counter()
        try:
            SECTIONS[name](report)
        except ImportError as exc:  # an engine mid-rewrite: report it, run the rest
            not_run[name] = f"{type(exc).__name__}: {exc}"
            report.notes[f"section {name}"] = f"not run ({not_run[name]})"
        section_seconds[name] = round(time.perf_counter() - begun, 1)
    seconds = time.perf_counter() - started

    print_report(report)
    import gates

    record = {
        "bench": "backprop-circuits",
        "project": str(Path(gates.__file__).resolve().parent.parent),
        "python": platform.python_version(),
        "gc_enabled": gc.isenabled(),
        "objects_alive_after_imports": import_objects,
        # other work on the machine skews every figure (ratios least): 1-minute load
        "load_average": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "op_count": compat.op_counter()[0],
        "sections": args.sections,
        "sections_not_run": not_run,
        "seconds": round(seconds, 1),
        "section_seconds": section_seconds,
        **report.as_json(),
    }
    line = json.dumps(record, separators=(",", ":"))
    if args.json is not None:
        args.json.write_text(line + "\n")
    print(line)
    return 0 if record["all_floors_passed"] and not not_run else 1


if __name__ == "__main__":
    sys.exit(main())
