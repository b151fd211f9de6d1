"""data/ is read with libyaml's safe loader where PyYAML has it (bot/content/catalog.py,
safe_yaml: the catalog, the web texts and the Latin typing tables): for every file in data/ it
must give exactly what PyYAML's own yaml.safe_load gives."""

from __future__ import annotations

import yaml

from bot.content.catalog import SAFE_LOADER, safe_yaml
from tests.auxil.environment import ROOT


def test_the_fast_loader_reads_every_data_file_as_the_pure_python_one() -> None:
    files = sorted((ROOT / "data").rglob("*.yml"))
    assert len(files) > 50
    # PyYAML's wheels carry libyaml: then the fast loader is the one data/ is read with.
    assert SAFE_LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert safe_yaml(text) == yaml.safe_load(text), path
