"""Results of many runs, read from their directories: run discovery (`runs`), what each run is (`labels`),
runs pooled over seeds (`cells`), tables in the paper's layout (`tables`), per-layer densities (`densities`),
the sanity grids collected (`sanity`) and their pictures (`plots`).

    report = tf_tickets.results.build(["runs/embedded-sanity", "runs/compare"])
    print(report.markdown())
    report.write("results/tables")  # .md, .csv and .png

Sits on top of the package (it reads what runs leave, and imports nothing that runs them); every table it
writes goes through `tf_tickets.table_writer`, every picture through `tf_tickets.figures`.
"""
from tf_tickets.results.densities import DEFAULT_METHODS, layer_densities, run_densities
from tf_tickets.results.plots import accuracy_plot, density_plot
from tf_tickets.results.runs import Run, find_runs
from tf_tickets.results.tables import Report, Table, build, tabulate

__all__ = ["DEFAULT_METHODS", "Report", "Run", "Table", "accuracy_plot", "build", "density_plot", "find_runs",
           "layer_densities", "run_densities", "tabulate"]
