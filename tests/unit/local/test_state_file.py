"""The local stack's state file holds seeded users' passwords: only its owner may read it
(issue 19 item 9), even when it or its folder existed with looser modes."""

from __future__ import annotations

import stat
from pathlib import Path

from alpr.local.stack import LocalState


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_state_file_is_0600_in_a_0700_folder_even_if_both_existed_open(tmp_path: Path) -> None:
    # Given ~/.alpr and a state file left readable by everyone (an earlier version, a umask)
    folder = tmp_path / ".alpr"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    path = folder / "local-8080.json"
    path.write_text("{}")
    path.chmod(0o644)
    # When the stack saves its state
    LocalState("http://api", "http://aws", "pool", "client", {"investigator": "secret"}).save(path)
    # Then only the owner can read either
    assert (_mode(folder), _mode(path)) == (0o700, 0o600)
    assert LocalState.load(path).passwords == {"investigator": "secret"}
