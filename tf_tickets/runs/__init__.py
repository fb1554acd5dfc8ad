"""Runs as data: what a run trains, from where, with which masks and check (`RunSpec` and its parts)."""
from tf_tickets.runs.mask_sources import Combined, Composed, FromCriterion, FromFile, Gradual, MaskSource, NoMasks, Search
from tf_tickets.runs.refs import Ref
from tf_tickets.runs.spec import Outputs, RunSpec, Start

__all__ = ["Combined", "Composed", "FromCriterion", "FromFile", "Gradual", "MaskSource", "NoMasks", "Outputs", "Ref", "RunSpec",
           "Search", "Start"]
