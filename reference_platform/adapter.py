"""The entry point the harness loads (`smsproof.platforms` group, name `reference`)."""

from .app import create_app
from .mutants import MUTANTS
from .variants import VARIANTS


class ReferencePlatform:
    name = "reference"

    def mutants(self) -> list:
        return list(MUTANTS)

    def variants(self) -> list:
        """Conforming other readings of ambiguous seeds: each must certify."""
        return list(VARIANTS)

    def create_app(self, mutant: str | None = None, base_url: str | None = None):
        return create_app(mutant=mutant, base_url=base_url)


platform = ReferencePlatform()
