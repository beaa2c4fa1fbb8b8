"""The MLflow side of Huracan: tracking setup, registered-model naming, registration and aliases
(``challenger``, ``champion``), backtest logging, the promotion gate and the comparison of versions.

Modules: ``naming`` (names, aliases, tag and param keys), ``tracking`` (tracking URI and experiments),
``models`` (registration and resolving a model to its run, window and policy), ``evaluation``
(backtest a model against the baselines, log it), ``gate`` (the pure promotion decision),
``promotion`` (apply the gate, rollback), ``compare`` (the table of versions). This package imports
nothing, so that loading it never loads mlflow.
"""
