"""The MLflow side of Huracan: tracking setup, training runs, registered-model naming, registration and aliases
(``challenger``, ``champion``), backtest logging, the promotion gate and the comparison of versions.

Modules: ``keys`` (every tag, param and metric key: typed records to MLflow's strings and back),
``naming`` (registered model and experiment names, aliases), ``tracking`` (tracking URI and experiments),
``metrics`` (metric logging, the sinks training writes to), ``training`` (train the seeds in MLflow runs,
register the median), ``models`` (registration and resolving a model to its run, window and policy), ``evaluation``
(backtest a model against the baselines, log it), ``gate`` (the pure promotion decision),
``promotion`` (apply the gate, rollback), ``compare`` (the table of versions). This package imports
nothing, so that loading it never loads mlflow.
"""
