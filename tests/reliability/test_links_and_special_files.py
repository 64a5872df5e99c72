"""Links, owners and special files (issue 16, points 3 and 10), through the real CLI."""

from __future__ import annotations

import os
import stat

import pytest


def test_an_in_tree_symlink_is_written_through_once_and_stays_a_link(tmp_path, cli, legacy):
    (tmp_path / "real.py").write_text(legacy)
    (tmp_path / "alias.py").symlink_to("real.py")
    result = cli("rewrite", "--apply", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "alias.py").is_symlink() and os.readlink(tmp_path / "alias.py") == "real.py"
    assert "opentracing" not in (tmp_path / "real.py").read_text()
    assert result.stdout.count("(written)") == 1


def test_a_symlink_out_of_the_tree_is_not_followed(tmp_path, cli, legacy):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared.py").write_text(legacy)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "shared.py").symlink_to(outside / "shared.py")
    result = cli("rewrite", "--apply", ".", cwd=tree)
    assert (outside / "shared.py").read_text() == legacy
    assert (tree / "shared.py").is_symlink()
    assert "shared.py: a symlink to" in result.stderr and "not followed" in result.stderr
    assert result.returncode == 1


def test_a_hard_linked_file_is_refused_so_its_twin_never_goes_stale(tmp_path, cli, legacy):
    (tmp_path / "a.py").write_text(legacy)
    os.link(tmp_path / "a.py", tmp_path / "twin.txt")
    result = cli("rewrite", "--apply", "a.py", cwd=tmp_path)
    assert (tmp_path / "a.py").read_text() == legacy == (tmp_path / "twin.txt").read_text()
    assert "a.py: has 2 hard links; not rewritten" in result.stderr
    assert result.returncode == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_owner_and_group_are_kept_and_setuid_is_dropped(tmp_path, cli, legacy):
    path = tmp_path / "svc.py"
    path.write_text(legacy)
    os.chown(path, 4321, 4322)
    path.chmod(0o6755)
    result = cli("rewrite", "--apply", "svc.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (4321, 4322)
    assert stat.S_IMODE(info.st_mode) == 0o755


@pytest.mark.parametrize("command", ["scan", "rewrite", "lint"])
def test_a_fifo_and_a_link_to_a_device_are_reported_not_read(tmp_path, cli, legacy, command):
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    (tmp_path / "good.py").write_text(legacy)
    result = cli(command, ".", cwd=tmp_path, timeout=60)
    assert "pipe.py: not a regular file" in result.stderr
    assert "zero.py: not a regular file" in result.stderr
    assert result.returncode == 1


def test_a_file_over_the_size_limit_is_reported_and_the_limit_is_configurable(tmp_path, cli, legacy):
    big = legacy + "# padding\n" * 600_000  # 6 MB
    (tmp_path / "big.py").write_text(big)
    result = cli("rewrite", "--apply", ".", cwd=tmp_path)
    assert "big.py: larger than the size limit (6,000,140 > 5,000,000 bytes" in result.stderr
    assert (tmp_path / "big.py").read_text() == big
    assert result.returncode == 1
    (tmp_path / "big.py").unlink()
    (tmp_path / "small.py").write_text(legacy)
    (tmp_path / ".otmigrate.toml").write_text("max-file-size = 100\n")
    lowered = cli("scan", ".", cwd=tmp_path)
    assert f"small.py: larger than the size limit ({len(legacy)} > 100 bytes" in lowered.stderr
    assert lowered.returncode == 1
