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


@dataclass(frozen=True)
class Catalogue:
    profiles: dict[str, str]
    requirements: dict[str, Requirement]
    sha256: str

    def __getitem__(self, requirement_id: str) -> Requirement:
        return self.requirements[requirement_id]

    def __contains__(self, requirement_id: object) -> bool:
        return requirement_id in self.requirements

    def by_profile(self, profile: str) -> list[Requirement]:
        return [r for r in self.requirements.values() if r.profile == profile]


def load(path: Path = CATALOGUE_PATH) -> Catalogue:
    raw = path.read_bytes()
    data = yaml.safe_load(raw)
    profiles = dict(data["profiles"])
    requirements: dict[str, Requirement] = {}
    for entry in data["requirements"]:
        requirement = Requirement(**entry)
        if requirement.id in requirements:
            raise CatalogueError(f"{path}: duplicate requirement id {requirement.id}")
        if requirement.profile not in profiles:
            raise CatalogueError(f"{path}: {requirement.id}: unknown profile {requirement.profile!r}")
        for level in (requirement.level, requirement.reading_level):
            if level is not None and level not in LEVELS:
                raise CatalogueError(f"{path}: {requirement.id}: level must be MUST or SHOULD, not {level!r}")
        if (requirement.reading is None) != (requirement.reading_level is None):
            raise CatalogueError(f"{path}: {requirement.id}: reading and reading_level go together")
        requirements[requirement.id] = requirement
    return Catalogue(profiles, requirements, hashlib.sha256(raw).hexdigest())


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
        "and at which level. Seeds are quoted by file name; `docs/seeds.md` names each document by title",
        "and publisher.",
        "",
    ]
    for profile, description in catalogue.profiles.items():
        lines += [f"## `{profile}`: {description}", "", "| id | level | requirement | seed | phrase |", "|---|---|---|---|---|"]
        for r in catalogue.by_profile(profile):
            lines.append(f"| `{r.id}` | {r.level} | {_cell(r.title)} | `{r.seed}` | \"{_cell(r.phrase)}\" |")
        lines.append("")
    lines += ["## Readings of ambiguous or silent seeds", ""]
    for r in catalogue.requirements.values():
        if r.reading:
            lines.append(f"- `{r.id}` (reading checked at {r.reading_level}): {r.reading}")
    lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    print(render_markdown(default()), end="")
