"""The flow lint: crisis key in every menu prompt and re-prompt, at most four choices, short prompts,
star and pound everywhere; the same checks as `peerline flows lint`."""
import shutil

import pytest

from ivr import create_app
from ivr.config import ROOT
from ivr.calls.flow import load_flows
from ivr.calls.flow_lint import choices, lint, menu_prompts, names_crisis_key, sample_text
from ivr.calls.prompts import Prompts
from tests.conftest import base_config, cli_runner
from tests.calls.test_flow import edit


@pytest.fixture
def tree(tmp_path):
    """A copy of the real flows and prompts to break."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "audio", tmp_path / "audio", ignore=shutil.ignore_patterns("*.wav", "*.mp3"))
    return tmp_path


def flows_of(tree):
    """The (unvalidated) flows of a tree."""
    return load_flows(tree / "flows", Prompts(tree / "audio"))


def test_shipped_flows_pass_the_lint(tree):
    assert lint(flows_of(tree)) == []


def test_the_lint_walks_every_menu_in_every_language(tree):
    flows = flows_of(tree)
    walked = {(s.name, p) for s in flows.steps.values() for p, _ in menu_prompts(s)}
    # engine menus, their re-prompts, digits steps and menus that actions speak
    for expected in [("main_menu", "main_menu_simple"), ("share_review", "share_review_simple"),
                     ("circle_name", "circle_name_simple"), ("circle_number", "circle_number"),
                     ("story_play", "story_keys_short"), ("story_play", "story_keys_all"),
                     ("my_shares_ref", "my_shares_ref"), ("crisis_after", "crisis_after_simple")]:
        assert expected in walked
    for step_name, prompt_id in walked:
        for lang in ("en", "es"):
            assert names_crisis_key(sample_text(flows, prompt_id, lang)), (step_name, prompt_id, lang)


def test_the_story_player_speaks_three_main_keys_and_star(tree):
    flows = flows_of(tree)
    for lang in ("en", "es"):
        assert choices(sample_text(flows, "story_keys", lang)) == {"6", "3", "#", "*"}
        # star's full list: also 7 (reply) and 8 (hear replies), issue 17
        assert choices(sample_text(flows, "story_keys_all", lang)) == {"6", "4", "5", "3", "7", "8", "#"}


@pytest.mark.parametrize("file,old,new,message", [
    ("shares.prompts.toml", 'Pound to go back. 0 for the crisis line."', 'Pound to go back."',
     "'share_consent_simple' does not name the crisis key 0"),
    ("prompts.toml", "For options, press 9. For the crisis line", "For options, press 9. For help, press 4. For the crisis line",
     "'main_menu' offers 5 choices"),
    ("prompts.toml", 'en = "Thank you for calling Peerline.', 'en = "' + "very " * 35 + 'Thank you for calling Peerline.',
     "prompt 'goodbye' [en]: 45 words"),
    ("circles.prompts.toml", "Oprima 1 para cerrar o abrir. 2 para sacar a quien habló. 3 para terminar. Numeral para volver. 0 para",
     "Oprima 1 para cerrar o abrir. 2 para sacar a quien habló. 3 para terminar. Numeral para volver. Nada para",
     "step 'circle_fac_more' [es]: 'circle_fac_more_simple' does not name the crisis key 0"),
])
def test_the_lint_finds_each_broken_rule(tree, file, old, new, message):
    edit(tree / "audio" / file, old, new)
    problems = lint(flows_of(tree))
    assert any(message in line for line in problems), problems


def test_an_action_menu_without_a_back_step_is_found(tree):
    edit(tree / "flows" / "stories.toml", 'back = "stories"\ntargets = ["stories", "crisis", "reply_consent"',
         'targets = ["stories", "crisis", "reply_consent"')
    assert any("'story_play': no `back` step" in line for line in lint(flows_of(tree)))


def test_cli_lint_passes_on_the_shipped_flows(runner):
    result = runner.invoke(args=["flows", "lint"])
    assert result.exit_code == 0, result.output
    assert "all clear" in result.output and "languages en, es" in result.output


def test_cli_lint_exits_1_and_names_the_problem(tree, tmp_path, migrated_database):
    edit(tree / "audio" / "prompts.toml", 'Pound to go back. 0 for the crisis line."', 'Pound to go back."')
    app = create_app(base_config(tmp_path, FLOWS_DIR=str(tree / "flows"), AUDIO_DIR=str(tree / "audio")))
    result = cli_runner(app).invoke(args=["flows", "lint"])
    assert result.exit_code == 1
    assert "'options_simple' does not name the crisis key 0" in result.output
    assert "1 problems" in result.output
