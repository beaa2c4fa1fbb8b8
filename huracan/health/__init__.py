"""System health: the checks of ``huracan doctor`` (:mod:`~huracan.health.doctor`), the one notifier
(:mod:`~huracan.health.alerts`), the per-tick health table (:mod:`~huracan.health.health_store`) and the model
watch (:mod:`~huracan.health.watch`, against :mod:`~huracan.health.model_reference`)."""
