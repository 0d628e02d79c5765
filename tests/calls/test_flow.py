"""Flow validation: every target, prompt, language, action, crisis key and reachability."""
import shutil
from pathlib import Path

import pytest

from ivr.flow_actions import ACTIONS
from ivr.config import ROOT
from ivr.calls.flow import FlowError, load_flows, validate
from ivr.calls.prompts import Prompts


@pytest.fixture
def tree(tmp_path):
    """A copy of the real flows and prompts to break."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "audio", tmp_path / "audio", ignore=shutil.ignore_patterns("*.wav", "*.mp3"))
    return tmp_path


def check(tree: Path):
    """Load and validate the flows in a tree."""
    validate(load_flows(tree / "flows", Prompts(tree / "audio")), set(ACTIONS))


def edit(path: Path, old: str, new: str):
    """Replace text in a file, insisting it was there."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_shipped_flows_are_valid(tree):
    check(tree)


@pytest.mark.parametrize("old,new,message", [
    ('"1" = "stories"', '"1" = "nowhere"', "missing step 'nowhere'"),
    ('"0" = "crisis" }\nback = "main_menu"\nspeech = { en = { story', '"8" = "crisis" }\nback = "main_menu"\nspeech = { en = { story',
     "does not offer the crisis key"),
    ('prompt = "main_menu"', 'prompt = "no_such_prompt"', "prompt 'no_such_prompt' does not exist"),
    ('action = "welcome"', 'action = "not_registered"', "action 'not_registered' is not registered"),
    ('[steps.goodbye]\n', '[steps.orphan]\nkind = "say"\nprompts = ["goodbye"]\nhangup = true\n\n[steps.goodbye]\n',
     "step 'orphan' is unreachable"),
    ('kind = "say"\nprompts = ["goodbye"]', 'kind = "shout"\nprompts = ["goodbye"]', "unknown kind 'shout'"),
    ('"9" = "options", "0" = "crisis" }\nback = "main_menu"\nspeech = { en = { story',
     '"9" = "options", "0" = "crisis" }\nspeech = { en = { story', "menu has no `back` step"),
    ('"3" = "my_shares", "5"', '"3" = "my_shares", "9" = "language", "5"', "9 means options and nothing else"),
    ('"1" = "lang_en", "2" = "lang_es"', '"1" = "lang_en", "#" = "lang_es"', "# is reserved for going back"),
])
def test_broken_flows_are_rejected(tree, old, new, message):
    edit(tree / "flows" / "main.toml", old, new)
    with pytest.raises(FlowError) as err:
        check(tree)
    assert message in str(err.value)


def test_prompt_missing_a_language_is_rejected(tree):
    edit(tree / "audio" / "prompts.toml", 'es = "Gracias por llamar a Peerline. Cuídese mucho. Adiós."\n', "")
    with pytest.raises(FlowError, match="prompt 'goodbye' has no 'es' text"):
        check(tree)


def test_flows_show_prints_each_step_and_key(runner):
    result = runner.invoke(args=["flows", "show", "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert "main_menu  [menu]" in result.output
    assert "1 -> stories" in result.output and "0 -> crisis" in result.output
    assert "historias" in result.output


def test_flows_show_rejects_unknown_language(runner):
    result = runner.invoke(args=["flows", "show", "--lang", "xx"])
    assert result.exit_code != 0 and "unknown language" in result.output
