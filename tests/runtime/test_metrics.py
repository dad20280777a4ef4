"""README's table of metrics is what `GET /metrics` exposes: the same series names and the same labels."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from bot.runtime.metrics import Metrics

README = Path(__file__).parents[2] / "README.md"


def readme_table() -> dict[str, tuple[str, ...]]:
    """Series name -> its labels, from the table under `### Metrics`."""
    section = README.read_text(encoding="utf-8").split("### Metrics", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(boltwatch_\w+)` \| \w+ \|([^|]*)\|", section, re.MULTILINE)
    return {name: tuple(sorted(re.findall(r"`(\w+)`", labels))) for name, labels in rows}


def exposed(metrics: Metrics) -> dict[str, tuple[str, ...]]:
    """Series name as scraped (counters end in `_total`) -> its labels."""
    series = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            name = sample.name if family.type == "counter" else family.name
            series[name] = tuple(sorted(label for label in sample.labels if label != "le"))
    return series


def test_the_readme_names_every_series_with_the_labels_it_has() -> None:
    documented = readme_table()
    metrics = Metrics()
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        [family] = metric.describe()
        # Give each series one sample, labelled as README says: prometheus_client refuses labels a metric lacks.
        name = family.name + "_total" if family.type == "counter" else family.name
        child = metric.labels(*("x" for _ in documented.get(name, ()))) if documented.get(name) else metric
        getattr(child, {"counter": "inc", "histogram": "observe", "gauge": "set"}[family.type])(1)
    assert exposed(metrics) == documented
