"""The bridge between the engine and the shared analyses: a rule base that gets `FileFacts`."""

from __future__ import annotations

from functools import cached_property

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider, QualifiedNameProvider

from auditor.analyses.facts import FactsCollector, FileFacts
from auditor.analyses.regions import Region, find_regions
from auditor.engine import Analysis, FileContext, Rule


class Facts(Analysis):
    """Runs the facts collector in the engine's batched traversal, before any rule."""

    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider, ParentNodeProvider)

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.collector = FactsCollector()
        self._regions: list[Region] | None = None

    def get_visitors(self):
        return self.collector.get_visitors()

    def resolve(self, wrapper):
        return self.collector.resolve(wrapper)

    @property
    def facts(self) -> FileFacts:
        facts = self.collector.facts
        assert facts is not None, "facts are read after the module is visited"
        if facts.project is None:
            facts.project = self.ctx.modules
            facts.source = self.ctx.source
        return facts

    @property
    def regions(self) -> list[Region]:
        if self._regions is None:
            self._regions = find_regions(self.facts)
        return self._regions


class FactsRule(Rule):
    """A rule that reads the shared analyses. Whole-file rules report from `leave_Module`,
    after every analysis has seen the file."""

    ANALYSES = (Facts,)

    @cached_property
    def _facts_analysis(self) -> Facts:
        analysis: Facts = self.ctx.analysis(Facts)
        return analysis

    @property
    def facts(self) -> FileFacts:
        return self._facts_analysis.facts

    @property
    def regions(self) -> list[Region]:
        return self._facts_analysis.regions

    def leave_Module(self, original_node: cst.Module) -> None:
        self.check()

    def check(self) -> None:
        raise NotImplementedError
