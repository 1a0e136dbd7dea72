"""A new user's first hour, probed: config-file and api.run() messages made where the mistake is found, one check
of the remote executors' settings, and the flags, keys and README commands a first try meets."""

import pytest

from benchmark.config import GridSpec
from benchmark.errors import UserError
from benchmark.params import check_kwargs


def test_check_kwargs_names_a_setting_and_its_value_as_the_source_wrote_them():
    """A config file's `executor: {gpus: two}` fills slurm_gpus and `seeds: 0.5` is read as [0.5]: the message is
    made so at its source (check_kwargs), not reworded afterwards by parsing its text."""
    with pytest.raises(UserError, match=r"^grid\.yaml: setting executor\.gpus expects a whole number, got 'two' "
                                        r"\(text\)$"):
        check_kwargs(GridSpec, {"slurm_gpus": "two"}, "grid.yaml: setting", words=True,
                     names={"slurm_gpus": "executor.gpus"})
    with pytest.raises(UserError, match=r"^grid\.yaml: setting seeds expects a list of whole numbers, got 0\.5 "
                                        r"\(a number\)$"):
        check_kwargs(GridSpec, {"seeds": [0.5]}, "grid.yaml: setting", words=True, written={"seeds": 0.5})
    with pytest.raises(UserError, match=r"; 0\.5 in \[0, 0\.5\] is a number$"):
        check_kwargs(GridSpec, {"seeds": [0, 0.5]}, "grid.yaml: setting", words=True, written={"seeds": (0, 0.5)})
    with pytest.raises(UserError, match=r"; None in \['psnr', None\] is nothing$"):
        GridSpec.from_mapping({"metrics": ["psnr", None]}, "grid.yaml")
    with pytest.raises(UserError, match=r"^api\.run\(\): setting executor\.mem expects text, got \[1\] \(a list\)$"):
        GridSpec.from_mapping({"executor": {"name": "slurm", "mem": [1]}}, "api.run()")
