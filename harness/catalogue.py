"""The requirement catalogue (catalogue.yaml): loading, lookup and rendering to Markdown.

The catalogue is data so that docs/requirements.md and the reports are rendered from one source.
Run `python -m harness.catalogue > docs/requirements.md` after editing catalogue.yaml.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

CATALOGUE_PATH = Path(__file__).with_name("catalogue.yaml")
LEVELS = ("MUST", "SHOULD")


class CatalogueError(ValueError):
    """The catalogue file is inconsistent."""


@dataclass(frozen=True)
class Requirement:
    id: str
    profile: str
    level: str
    title: str
    seed: str
    phrase: str
    reading: str | None = None
    reading_level: str | None = None
    decision: str | None = None  # the review of the reading: which readings the MUST checks accept
    rests_on: tuple[str, ...] = ()  # requirements whose checks this one's checks take for granted


@dataclass(frozen=True)
class Catalogue:
    profiles: dict[str, str]
    requirements: dict[str, Requirement]
    sha256: str
    seeds: dict[str, str]  # seed file name -> the document's title and publisher

    def __getitem__(self, requirement_id: str) -> Requirement:
        return self.requirements[requirement_id]

    def __contains__(self, requirement_id: object) -> bool:
        return requirement_id in self.requirements

    def by_profile(self, profile: str) -> list[Requirement]:
        return [r for r in self.requirements.values() if r.profile == profile]

    def prerequisites(self, requirement_id: str) -> list[str]:
        """Every requirement `requirement_id` rests on, directly or through others, nearest first."""
        found: list[str] = []
        frontier = list(self.requirements[requirement_id].rests_on)
        while frontier:
            current = frontier.pop(0)
            if current not in found:
                found.append(current)
                frontier += self.requirements[current].rests_on
        return found


def load(path: Path = CATALOGUE_PATH) -> Catalogue:
    raw = path.read_bytes()
    data = yaml.safe_load(raw)
    profiles = dict(data["profiles"])
    requirements: dict[str, Requirement] = {}
    for entry in data["requirements"]:
        requirement = Requirement(**{**entry, "rests_on": tuple(entry.get("rests_on") or ())})
        if requirement.id in requirements:
            raise CatalogueError(f"{path}: duplicate requirement id {requirement.id}")
        if requirement.profile not in profiles:
            raise CatalogueError(f"{path}: {requirement.id}: unknown profile {requirement.profile!r}")
        for level in (requirement.level, requirement.reading_level):
            if level is not None and level not in LEVELS:
                raise CatalogueError(f"{path}: {requirement.id}: level must be MUST or SHOULD, not {level!r}")
        if not (requirement.reading is None) == (requirement.reading_level is None) == (requirement.decision is None):
            raise CatalogueError(f"{path}: {requirement.id}: reading, reading_level and decision go together")
        requirements[requirement.id] = requirement
    for requirement in requirements.values():
        unknown = [r for r in requirement.rests_on if r not in requirements]
        if unknown:
            raise CatalogueError(f"{path}: {requirement.id}: rests_on names unknown requirement {unknown[0]}")
    seeds = dict(data.get("seeds") or {})
    for requirement in requirements.values():
        if requirement.seed not in seeds:
            raise CatalogueError(f"{path}: {requirement.id}: seed {requirement.seed} is not listed under seeds")
    cat = Catalogue(profiles, requirements, hashlib.sha256(raw).hexdigest(), seeds)
    for requirement in requirements.values():
        if requirement.id in cat.prerequisites(requirement.id):
            raise CatalogueError(f"{path}: {requirement.id}: rests_on leads back to itself")
    return cat


@functools.cache
def default() -> Catalogue:
    return load()


def render_markdown(catalogue: Catalogue) -> str:
    """docs/requirements.md: one table per profile, then the readings of ambiguous rules."""
    lines = [
        "# Requirements",
        "",
        "Rendered from `harness/catalogue.yaml` by `python -m harness.catalogue > docs/requirements.md`;",
        "do not edit by hand (a test checks that this file is up to date).",
        "",
        "Levels: a failed MUST requirement fails the certification; a failed SHOULD requirement is",
        "reported but does not. Where a seed is ambiguous or silent, the *reading* says what is checked",
        "and at which level. Seeds are quoted by file name (`/work/shared/seeds/README.md`).",
        "",
    ]
    lines += ["## The seed documents", "", "The system is specified by five product documents; `seed` names them by file.", "",
              "| seed | document (publisher) |", "|---|---|"]
    lines += [f"| `{seed}` | {_cell(title)} |" for seed, title in catalogue.seeds.items()]
    lines.append("")
    for profile, description in catalogue.profiles.items():
        lines += [f"## `{profile}`: {description}", "",
                  "| id | level | requirement | seed | phrase | rests on |", "|---|---|---|---|---|---|"]
        for r in catalogue.by_profile(profile):
            rests = ", ".join(f"`{p}`" for p in r.rests_on)
            lines.append(f"| `{r.id}` | {r.level} | {_cell(r.title)} | `{r.seed}` | \"{_cell(r.phrase)}\" | {rests} |")
        lines.append("")
    lines += ["## Readings of ambiguous or silent seeds", "",
              "Where a seed allows more than one reading, the MUST checks accept every conforming reading",
              "and the stricter one is checked at SHOULD. Each reading below was reviewed for that; the",
              "decision says what the MUST checks accept.", ""]
    for r in catalogue.requirements.values():
        if r.reading:
            lines.append(f"- `{r.id}` (reading checked at {r.reading_level}): {r.reading}")
            lines.append(f"  Decision: {r.decision}")
    lines += ["", "## Root causes", "",
              "\"Rests on\" names the requirements whose behaviour a requirement's checks take for granted",
              "(the opt-out scenarios reply \"STOP\" to the keyword \"stop\", so they rest on `KW-CASE`). When a",
              "requirement fails together with one it rests on, the report lists it as \"probably caused by\"",
              "that one, below the root causes.", ""]
    lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    print(render_markdown(default()), end="")
