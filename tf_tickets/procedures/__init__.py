"""Ticket procedures as stages of runs, and the sanity-check grid built from them.

A procedure turns (sparsity, seed, check) into the runs that make the ticket: a ticket found at
initialisation is one run; a partially-trained ticket (lottery tickets, learning-rate rewinding,
fine-tuning, OBD, hybrid tickets) first trains the dense network (a `pretrain` run, shared by every
procedure and sparsity of the same seed and data), then prunes and retrains. The checks themselves
are in `tf_tickets.checks`.
"""
from tf_tickets.procedures import after_training, gradual, jackpot  # noqa: F401  (register the procedures)
from tf_tickets.procedures.base import AT_INIT, PROCEDURES, Procedure, Stage, resolve
from tf_tickets.procedures.by_name import from_config, make
from tf_tickets.procedures.grid import Grid

__all__ = ["AT_INIT", "PROCEDURES", "Grid", "Procedure", "Stage", "from_config", "make", "resolve"]
