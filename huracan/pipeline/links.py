"""The link to a validation's GX Data Docs page, for task logs. (The MLflow UI's links are
:mod:`huracan.registry.links`, shared with the dashboard.)

The Data Docs page is the ``data_docs.html`` the quality gate writes into the validation's report folder,
so its link is a ``file://`` URL on the machine that ran the task.
"""

from __future__ import annotations

from pathlib import Path


def data_docs_url(report_dir: str | Path | None) -> str | None:
    """The ``file://`` URL of the Data Docs page in ``report_dir``; None without a folder or a page."""
    from huracan.quality.gate import DATA_DOCS_FILE

    if not report_dir:
        return None
    page = Path(report_dir).resolve() / DATA_DOCS_FILE
    return page.as_uri() if page.is_file() else None
