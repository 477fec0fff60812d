"""The traffic simulator: contract-conformant synthetic API traffic with distillation campaigns.

``run_simulation(store, SimulationConfig(start, days))`` writes per day the raw
request files and account snapshot of CONTRACT sections 1-3 (markers last),
then labels an operator would hold (section 4) and the ground truth under
``sim/truth/`` (``truth.load_truth`` / ``truth.load_manifest``). The traffic
mixes legitimate populations, several of them hard negatives, with three
campaigns modelled on real 2026 distillation attacks. Output is byte-identical
for a seed and generated a day at a time, so memory does not grow with days.
"""

from simulate import truth
from simulate.config import BAD_LINE_KINDS, CAMPAIGNS, SimulationConfig
from simulate.runner import SimulationSummary, run_simulation
from simulate.truth import load_manifest, load_truth
from simulate.writer import DaySummary

__all__ = [
    "BAD_LINE_KINDS",
    "CAMPAIGNS",
    "DaySummary",
    "SimulationConfig",
    "SimulationSummary",
    "load_manifest",
    "load_truth",
    "run_simulation",
    "truth",
]
