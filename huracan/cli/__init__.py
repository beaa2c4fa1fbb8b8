"""The ``huracan`` command line: one entry point, a subcommand per job, calling the same functions as the DAGs."""
