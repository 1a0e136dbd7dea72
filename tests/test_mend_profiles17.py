"""The standard and full profiles train the baselines the findings compare on a loss's own layers."""
import pytest

from benchmark.config import FINDING_BASELINES, PROFILES
from benchmark.registry import FINDINGS


def _same_tap_baselines() -> set[str]:
    from benchmark.findings import BeatsOnSameWeights

    found = set()
    for e in FINDINGS.entries():
        f = e.obj() if isinstance(e.obj, type) else e.obj
        if isinstance(f, BeatsOnSameWeights) and (same := f.same_taps(f.loss)):
            found.add(same)
    return found


def test_finding_baselines_are_the_findings_same_tap_baselines():
    """Tariq's and Mei's findings compare psycho/contrastive_select with vgg on relu1_2–relu3_3 where trained: the
    profiles' list of such baselines is exactly what the registered findings ask for (a new finding's is not
    forgotten, a retired one's not trained for nothing)."""
    assert set(FINDING_BASELINES) == _same_tap_baselines() != set()


@pytest.mark.parametrize("profile", ["standard", "full"])
def test_the_overnight_profiles_train_the_findings_same_tap_baselines(profile):
    """Before, both trained only ``all`` (vgg on relu2_2), so the psycho and contrastive findings always fell back to
    a baseline on other layers, mixing selection with layer choice."""
    assert set(FINDING_BASELINES) <= set(PROFILES[profile].losses)
    assert "all" in PROFILES[profile].losses
