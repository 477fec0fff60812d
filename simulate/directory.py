"""``build_directory``: the whole account directory of a run, legitimate populations first.

The builder (``simulate.accounts``) and the campaigns (``simulate.campaigns``)
each know their own accounts; this module puts them together so that neither
imports the other back.
"""

from __future__ import annotations

from simulate import campaigns, text
from simulate.accounts import Directory, DirectoryBuilder
from simulate.config import SimulationConfig


def build_directory(config: SimulationConfig) -> Directory:
    builder = DirectoryBuilder(config, text.load_bank(config.corpus_dir))
    builder.legitimate_populations()
    builder.campaigns = campaigns.build_campaigns(builder)
    return builder.directory()
