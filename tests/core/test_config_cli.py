"""`peerline config`: every effective setting with its source; secrets set in the environment never shown."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ivr.cli.main import main
from ivr.config import ROOT, SETTINGS, env_example
from ivr.cli.config import MASK, masked

SECRETS = {
    "SECRET_KEY": "s3cret-key-from-env-4f1c",
    "TWILIO_AUTH_TOKEN": "twilio-token-from-env-9ab2",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-from-env-77de",
}
DB_PASSWORD = "db-pass-from-env-31aa"
REDIS_PASSWORD = "redis-pass-from-env-c0fe"


def run_config(tmp_path, args=("config",), **env):
    """`peerline config` through the real command group, in an environment holding only `env`."""
    clean = {s.env: None for s in SETTINGS}  # nothing leaks in from the environment running the tests
    clean.update({"PEERLINE_VAR_DIR": str(tmp_path), "FLASK_SKIP_DOTENV": "1", **env})
    return CliRunner().invoke(main, list(args), env=clean, catch_exceptions=False)


def rows(output: str) -> dict[str, tuple[str, str]]:
    """name -> (value, source) from the command's table."""
    table = {}
    for line in output.splitlines()[1:]:
        name, rest = line.split(None, 1)
        value, source = rest.rsplit(None, 1)
        table[name] = (value.strip(), source)
    return table


def test_prints_every_setting_with_its_value_and_source(tmp_path):
    result = run_config(tmp_path, GATHER_TIMEOUT="9", STORAGE_CHECK_AT_START="no")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split() == ["SETTING", "VALUE", "SOURCE"]
    table = rows(result.output)
    assert list(table) == [s.name for s in SETTINGS]
    assert table["GATHER_TIMEOUT"] == ("9", "env")
    assert table["STORAGE_CHECK_AT_START"] == ("0", "env")
    assert table["RQ_QUEUE"] == ("peerline", "default")
    assert table["PEERLINE_VAR_DIR"] == (str(tmp_path), "env")
    assert table["STORAGE_DIR"] == (str(tmp_path / "storage"), "default")
    assert table["REDIS_URL"] == ("(unset)", "default")
    assert table["CALLER_HASH_KEY"] == (MASK, "derived")


def test_secrets_set_in_the_environment_never_appear(tmp_path):
    result = run_config(
        tmp_path, **SECRETS, CALLER_HASH_KEY="caller-hash-from-env-5e5e",
        DATABASE_URL=f"postgresql://peer:{DB_PASSWORD}@127.0.0.1:1/peerline",
        REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0", STORAGE_CHECK_AT_START="0",
    )
    assert result.exit_code == 0, result.output
    for secret in [*SECRETS.values(), "caller-hash-from-env-5e5e", DB_PASSWORD, REDIS_PASSWORD]:
        assert secret not in result.output
    table = rows(result.output)
    for name in [*SECRETS, "CALLER_HASH_KEY"]:
        assert table[name] == (MASK, "env"), name
    assert table["DATABASE_URL"] == (f"postgresql://peer:{MASK}@127.0.0.1:1/peerline", "env")
    assert table["REDIS_URL"] == (f"redis://:{MASK}@127.0.0.1:1/0", "env")


def test_a_derived_caller_hash_key_is_masked_too(tmp_path):
    result = run_config(tmp_path, SECRET_KEY=SECRETS["SECRET_KEY"])
    derived = hashlib.sha256(b"peerline-caller-hash:" + SECRETS["SECRET_KEY"].encode()).hexdigest()
    assert result.exit_code == 0 and derived not in result.output and SECRETS["SECRET_KEY"] not in result.output


def test_a_bad_value_is_one_line_naming_the_variable(tmp_path):
    result = run_config(tmp_path, MAX_SHARE_SECONDS="three minutes")
    assert result.exit_code != 0
    assert result.stderr.strip() == "Error: MAX_SHARE_SECONDS='three minutes' is not a whole number"


def test_env_example_is_rendered_from_the_table(tmp_path):
    result = run_config(tmp_path, args=("config", "--env-example"))
    assert result.exit_code == 0
    assert result.output == env_example() == (ROOT / ".env.example").read_text()


@pytest.mark.parametrize("value, shown", [
    ("postgresql://peer:pw@db:5432/x", f"postgresql://peer:{MASK}@db:5432/x"),
    ("postgresql://peer:p@ss/w0rd@db/x", f"postgresql://peer:{MASK}@db/x"),
    ("redis://default:pw@cache:6379/0", f"redis://default:{MASK}@cache:6379/0"),
    ("redis://cache:6379/0?password=pw", f"redis://cache:6379/0?password={MASK}"),
    ("postgresql://postgres@127.0.0.1:5432/peerline", "postgresql://postgres@127.0.0.1:5432/peerline"),
    ("s3://bucket/prefix", "s3://bucket/prefix"),
    (None, "(unset)"),
])
def test_passwords_inside_urls_are_masked(value, shown):
    assert masked("ANY_URL", value) == shown


def test_the_worker_refuses_a_bad_value_in_one_line(tmp_path):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "PEERLINE_VAR_DIR": str(tmp_path), "HOME": str(tmp_path),
           "REDIS_URL": "redis://127.0.0.1:1/0", "SWEEP_INTERVAL_S": "5m"}
    proc = subprocess.run([sys.executable, "-m", "workers", "--burst"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "peerline worker: SWEEP_INTERVAL_S='5m' is not a whole number"
