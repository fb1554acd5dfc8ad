"""`python -m tf_tickets.export`: see `tf_tickets.export.command`."""
from tf_tickets import cli
from tf_tickets.export.command import main

if __name__ == "__main__":
    cli.run(main, "tf_tickets.export")
