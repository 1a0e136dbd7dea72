"""Session-17 probe of the results store and ``plbench compare``: file names a Windows disk refuses, a lock of a
machine whose clock is off, a new loss all of whose runs failed, costs of runs taken from the store."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("name", ["con", "aux", "nul", "prn", "com1", "lpt9", "aux.v2", "nul.x.y", "l1."])
def test_a_name_windows_refuses_as_a_file_is_hashed(name):
    """A loss named ``aux`` (an auxiliary loss) compared: ``compare/aux.md`` cannot be created, opened or copied on
    Windows (nor on a store on an SMB share or a FAT USB disk): CON, PRN, AUX, NUL, COM0-9 and LPT0-9 are devices there,
    with any extension; a name ending in a dot loses it. Such a name is written with its hash, as a name of other
    characters is."""
    from benchmark.compare import _stem
    from benchmark.results import file_name

    got = file_name(name, "loss")
    assert got != name and got.startswith(name.rstrip(".")[:3]) and len(got) <= 80
    assert got.split(".")[0].lower() not in {"con", "prn", "aux", "nul", "com1", "lpt9"} and not got.endswith(".")
    assert _stem([name]) == got and file_name(name, "loss") == got  # one name, every time
    assert file_name("auxiliary", "loss") == "auxiliary" and file_name("com10", "loss") == "com10"  # not devices
