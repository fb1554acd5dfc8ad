"""Collects the sanity tables of a grid root into one Markdown report and one summary plot.

    python tools/collect_sanity.py RUNS_ROOT OUT_PREFIX

writes OUT_PREFIX.md (every method's table, per sparsity, with verdicts) and OUT_PREFIX.png (each
method's accuracy, plain and under each check, per sparsity), with `tf_tickets.results.sanity`.
"""
import sys

from tf_tickets.errors import TicketsError
from tf_tickets.results import sanity


def main(root, prefix):
    try:
        text = sanity.write(root, prefix)
    except TicketsError as error:
        sys.exit(f"collect_sanity: {error}")
    print(text)


if __name__ == "__main__":
    main(*sys.argv[1:3])
