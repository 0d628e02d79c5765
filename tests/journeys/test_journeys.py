"""Golden journeys (tests/journeys/journeys.toml) through the phone simulator, compared with the
committed transcripts: a change in wording shows up here as a diff a reviewer can read."""
import pytest

from tests.journeys import runner

JOURNEYS = runner.load()


@pytest.fixture
def app_config(journey):
    """Each journey may set its own configuration (e.g. no crisis number)."""
    return dict(journey.get("config", {}))


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j["name"] for j in JOURNEYS])
def test_journey(journey, app, sim):
    transcript = runner.run(app, sim, journey)
    problem = runner.check(journey["name"], transcript)
    assert problem is None, problem


def test_every_journey_has_a_transcript_and_no_stray_ones():
    names = {j["name"] for j in JOURNEYS}
    files = {p.stem for p in runner.HERE.glob("*.txt")}
    assert len(names) == len(JOURNEYS), "journey names must be unique"
    assert files == names or runner.UPDATE, f"missing: {names - files}, stray: {files - names}"
    assert {"en", "es"} <= {n.split("_")[0] for n in names}
