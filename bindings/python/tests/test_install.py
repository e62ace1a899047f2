"""pip installs the package offline (the system's setuptools, no index) into
a virtual environment, and the installed package finds the library through
CLQL_LIBRARY from outside the checkout."""

import os
import subprocess
import sys

from conftest import BUILD, DEVICES, PACKAGE, clean_env


def test_pip_install_offline(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    env = clean_env({"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    env.pop("PYTHONPATH", None)
    out = subprocess.run([py, "-m", "pip", "install", "-q", "--no-build-isolation", str(PACKAGE)],
                         env=env, capture_output=True, text=True, cwd=str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    env["CLQL_LIBRARY"] = str(BUILD / "lib" / "libclql.so")
    out = subprocess.run([py, "-c", "import clql; print(clql.__file__)"], env=env,
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert str(venv) in out.stdout, out.stdout
    out = subprocess.run([py, "-m", "clql", "--profile", str(DEVICES)], env=env,
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert out.returncode == 0 and '"profile_id": "gpu-4gib-synthetic"' in out.stdout, out.stderr
