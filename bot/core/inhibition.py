"""Inhibition, with Alertmanager's semantics: while a firing alert matches a rule's source side, alerts matching its
target side that share its `equal` labels are not notified.

As Alertmanager's `inhibit/inhibit.go` (`Inhibitor.Mutes`, `InhibitRule.hasEqual`) decides it:
- a matcher holds on a label the alert lacks when its value is empty (a missing label equals an empty one), and a
  `*_match_re` pattern is anchored at both ends;
- the `equal` labels compare the same way: two alerts that both lack a label agree on it;
- only firing alerts inhibit (one silenced or inhibited itself still does);
- when the target also matches the rule's source side, sources that match its target side are disregarded, so that
  an alert matching both sides inhibits neither itself nor the others like it.

Unlike Alertmanager's, an inhibited alert is visible: it records the fingerprint of the alert that inhibits it.

A check's health alert is kept under the check `health:NAME` (its `check` label), so `check: "health:alarms"` names
the alarms check's, and `check: check_health` (the prefix of every health fingerprint) names every check's health alert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.validators import regular_expressions


class InhibitRuleSettings(BaseModel):
    """One `inhibit_rules[]` entry, in Alertmanager's words."""

    model_config = ConfigDict(extra="forbid")

    source_match: dict[str, str] = Field(default_factory=dict)
    source_match_re: dict[str, str] = Field(default_factory=dict)
    target_match: dict[str, str] = Field(default_factory=dict)
    target_match_re: dict[str, str] = Field(default_factory=dict)
    equal: list[str] = Field(default_factory=list)

    @field_validator("source_match_re", "target_match_re")
    @classmethod
    def _valid_patterns(cls, patterns: dict[str, str]) -> dict[str, str]:
        return regular_expressions(patterns)


HEALTH_ALERTS = "check_health"
"""`check: check_health` in a matcher: any check's health alert (whose `check` is `health:NAME`)."""
_HEALTH_CHECK = re.compile(rf"{HEALTH_ALERTS}|health:.+")


@dataclass(frozen=True)
class Matchers:
    """Equality and anchored-regex matchers on labels, a missing label read as empty."""

    equal: tuple[tuple[str, str], ...] = ()
    regex: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @classmethod
    def of(cls, equal: Mapping[str, str], regex: Mapping[str, str]) -> Matchers:
        health = [("check", _HEALTH_CHECK)] if equal.get("check") == HEALTH_ALERTS else []
        equal = {k: v for k, v in equal.items() if (k, v) != ("check", HEALTH_ALERTS)}
        patterns = [(k, re.compile(v)) for k, v in sorted(regex.items())]
        return cls(tuple(sorted(equal.items())), tuple(health + patterns))

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k, "") == v for k, v in self.equal) and all(
            p.fullmatch(labels.get(k, "")) for k, p in self.regex
        )


@dataclass(frozen=True)
class InhibitRule:
    source: Matchers
    target: Matchers
    equal: tuple[str, ...]

    @classmethod
    def of(cls, settings: InhibitRuleSettings) -> InhibitRule:
        return cls(
            source=Matchers.of(settings.source_match, settings.source_match_re),
            target=Matchers.of(settings.target_match, settings.target_match_re),
            equal=tuple(sorted(set(settings.equal))),
        )

    def key(self, labels: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(labels.get(label, "") for label in self.equal)


def build_inhibit_rules(settings: Iterable[InhibitRuleSettings]) -> list[InhibitRule]:
    return [InhibitRule.of(s) for s in settings]


@dataclass(frozen=True)
class SourceAlert:
    """A firing alert that may inhibit others: its fingerprint and labels."""

    fingerprint: str
    labels: Mapping[str, str]


@dataclass
class Inhibitor:
    """The firing source alerts of each rule, indexed by their `equal` labels: one lookup per rule and alert."""

    rules: list[InhibitRule]
    _index: list[dict[tuple[str, ...], list[tuple[str, bool]]]] = field(default_factory=list)

    @classmethod
    def of(cls, rules: list[InhibitRule], firing: Iterable[SourceAlert]) -> Inhibitor:
        inhibitor = cls(rules, [{} for _ in rules])
        for alert in firing:
            for rule, index in zip(rules, inhibitor._index, strict=True):
                if rule.source.matches(alert.labels):
                    index.setdefault(rule.key(alert.labels), []).append(
                        (alert.fingerprint, rule.target.matches(alert.labels))
                    )
        return inhibitor

    def inhibiting(self, labels: Mapping[str, str]) -> str | None:
        """The fingerprint of a firing alert that inhibits an alert of these labels, or None."""
        for rule, index in zip(self.rules, self._index, strict=True):
            if not rule.target.matches(labels):
                continue
            two_sided = rule.source.matches(labels)
            for fingerprint, source_is_target in index.get(rule.key(labels), ()):
                if two_sided and source_is_target:
                    continue
                return fingerprint
        return None
