"""`python -m build` makes an sdist and a wheel (built from the sdist) that install into a fresh
venv and run `horizon demo`: the package carries its data files (taxonomy, templates, demo
snapshots). The build runs offline: no isolated build environment, nothing downloaded."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
def test_sdist_and_wheel_install_and_run_the_demo(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert not [n for n in names if "/.venv/" in n or n.endswith(".db")]
    with zipfile.ZipFile(wheel) as zf:
        files = set(zf.namelist())
    for needed in (
        "horizon/data/taxonomy.yaml",
        "horizon/data/templates/digest.html.j2",
        "horizon/data/demo/daringfireball.xml",
        "horizon/data/demo/README.md",
        "horizon/fastfeed/__init__.py",
        "horizon/default_plugins/rss.py",
    ):
        assert needed in files, needed

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    # Dependencies come from this test run's environment (no network); horizon itself only
    # from the wheel, which the fresh venv's own site-packages puts first.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    Path(site.strip(), "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "HORIZON_DB", "HORIZON_CONFIG", "VIRTUAL_ENV")
    }
    where = subprocess.run(
        [str(python), "-c", "import horizon; print(horizon.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert where.stdout.startswith(str(venv)), where.stdout
    demo = subprocess.run(
        [str(venv / "bin" / "horizon"), "demo", "--out", "try"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    assert '<section id="theme-legislation">' in (tmp_path / "try" / "digest.html").read_text()
    assert (tmp_path / "try" / "digest.md").read_text().startswith("# horizon demo digest")
