"""The catalogue covers the architecture's requirement ids, quotes the seeds verbatim, and is rendered."""

import os
import re
from pathlib import Path

import pytest

from harness import catalogue

ROOT = Path(__file__).resolve().parents[2]
SEEDS = os.environ.get("SMSPROOF_SEEDS")  # the seed documents are not in the repository (docs/seeds.md)


def _architecture_ids() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Requirement ids", 1)[1].split("\n## ", 1)[0]
    ids: dict[str, set[str]] = {}
    for profile, cell in re.findall(r"^\| `(\w+)` \| (.+) \|$", section, re.M):
        ids[profile] = set(re.findall(r"`([A-Z0-9-]+)`", cell))
    return ids


def test_every_architecture_id_is_in_the_catalogue_under_its_profile():
    cat = catalogue.default()
    for profile, ids in _architecture_ids().items():
        assert ids, profile
        assert {r.id for r in cat.by_profile(profile)} >= ids


def test_every_phrase_is_a_verbatim_quote_of_its_seed():
    if not SEEDS:
        pytest.skip("SMSPROOF_SEEDS is not set: the five seed documents are not part of the repository "
                    "(docs/seeds.md names them); point SMSPROOF_SEEDS at a directory holding them to check the quotes")
    seeds = Path(SEEDS)
    assert seeds.is_dir(), f"SMSPROOF_SEEDS={SEEDS} is not a directory"
    squash = lambda s: " ".join(s.split())  # noqa: E731
    for r in catalogue.default().requirements.values():
        assert (seeds / r.seed).is_file(), f"{r.id}: seed {r.seed} not in SMSPROOF_SEEDS={SEEDS}"
        assert squash(r.phrase) in squash((seeds / r.seed).read_text()), r.id


def test_every_cited_seed_is_named_in_docs_seeds_md():
    """The repository names each document it is specified by (title and publisher), not a path outside it."""
    named = (ROOT / "docs" / "seeds.md").read_text()
    assert {r.seed for r in catalogue.default().requirements.values()} <= set(re.findall(r"`(\d{3}_[0-9a-f]+\.txt)`", named))


def test_docs_requirements_md_is_rendered_from_the_catalogue():
    rendered = catalogue.render_markdown(catalogue.default())
    assert (ROOT / "docs" / "requirements.md").read_text() == rendered, (
        "docs/requirements.md is stale: python -m harness.catalogue > docs/requirements.md"
    )


def test_loader_refuses_duplicates_and_unknown_levels(tmp_path):
    base = "profiles: {p: P}\nrequirements:\n"
    entry = "  - {id: A, profile: p, level: %s, title: t, seed: s, phrase: x}\n"
    (tmp_path / "dup.yaml").write_text(base + entry % "MUST" + entry % "MUST")
    with pytest.raises(catalogue.CatalogueError, match="duplicate requirement id A"):
        catalogue.load(tmp_path / "dup.yaml")
    (tmp_path / "lvl.yaml").write_text(base + entry % "MAY")
    with pytest.raises(catalogue.CatalogueError, match="MUST or SHOULD"):
        catalogue.load(tmp_path / "lvl.yaml")
