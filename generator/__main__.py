"""``python -m generator [--check] [--spec PATH] [--output DIR]``."""

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from generator.build import build
from generator.errors import GenerationError
from generator.settings import OUTPUT, SPEC
from generator.tree import differences, replace_tree


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if OUTPUT differs from a fresh generation")
    parser.add_argument("--spec", type=Path, default=SPEC, help="OpenAPI document (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="generated tree (default: %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (or check) the client; return the process exit code."""
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="useparagon-generator-") as scratch:
        try:
            fresh = build(args.spec, Path(scratch) / "generated_client")
        except GenerationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.check:
            report = differences(fresh, args.output)
            if report:
                print(f"{args.output} is out of date with {args.spec}; run `make generate`:", file=sys.stderr)
                print("\n".join(f"  {line}" for line in report), file=sys.stderr)
                return 1
            print(f"{args.output} is up to date ({time.perf_counter() - started:.2f}s)")
            return 0
        replace_tree(fresh, args.output)
    print(f"generated {args.output} from {args.spec} in {time.perf_counter() - started:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
