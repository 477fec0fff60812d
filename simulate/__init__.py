"""The traffic simulator: contract-conformant synthetic API traffic with distillation campaigns.

``run_simulation(store, SimulationConfig(start, days))`` writes per day the raw
request files and account snapshot of CONTRACT sections 1-3 (markers last),
then labels an operator would hold (section 4) and the ground truth under
``sim/truth/`` (``truth.load_truth`` / ``truth.load_manifest``). Prompt text is
real: the ``evaluation`` split of the ``corpora`` package (or of a full
corpora folder, ``SimulationConfig.corpus_dir``). The traffic mixes ordinary
users with legitimate look-alikes of campaign traits and one campaign per
tactic of ``TACTICS`` (``CampaignSpec`` configures others). Output is
byte-identical for a seed and generated a day at a time, so memory does not
grow with days.
"""

from simulate import truth
from simulate.config import BAD_LINE_KINDS, CAMPAIGNS, TACTICS, CampaignSpec, SimulationConfig
from simulate.runner import SimulationSummary, run_simulation
from simulate.truth import load_manifest, load_truth
from simulate.writer import DaySummary

__all__ = [
    "BAD_LINE_KINDS",
    "CAMPAIGNS",
    "TACTICS",
    "CampaignSpec",
    "DaySummary",
    "SimulationConfig",
    "SimulationSummary",
    "load_manifest",
    "load_truth",
    "run_simulation",
    "truth",
]
