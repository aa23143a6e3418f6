"""What one server.json import did, entry by entry: counts, the reasons grouped for the summary
line, and each entry a person has to look at (rejected or kept as a draft) named by its name, or by
its position in the file when it has no usable name."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pylee_tui.server_json import Problem

# the outcomes a person has to act on, in the order they are listed
TO_REVIEW = ("rejected", "draft", "replaced-draft")
OUTCOME_LABELS = {"draft": "draft", "replaced-draft": "draft (replaced)", "rejected": "rejected"}


@dataclass
class ImportOutcome:
    """`name` is the entry's server name, or `#position` when it has none (`named` is False).
    `reasons` are grouped (no item indexes) for the summary; `details` say exactly where."""

    name: str
    outcome: str  # imported, draft, replaced, replaced-draft, skipped, rejected
    reasons: list[str] = field(default_factory=list)
    position: int = 0  # 1-based, within its file
    file: str = ""
    named: bool = True
    details: list[str] = field(default_factory=list)

    def label(self, with_file: bool = False) -> str:
        """The name; an unnamed entry by its position, with its file when there were several."""
        if self.named or not with_file or not self.file:
            return self.name
        return f"{self.file} {self.name}"

    def why(self) -> list[str]:
        return self.details or self.reasons

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "file": self.file,
            "name": self.name if self.named else None,
            "outcome": self.outcome,
            "reasons": self.why(),
        }


@dataclass
class ImportReport:
    """What one import did, entry by entry, with the reasons grouped for the summary line."""

    outcomes: list[ImportOutcome] = field(default_factory=list)

    def count(self, *outcomes: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome in outcomes)

    @property
    def imported(self) -> int:
        """Stored valid (new or replacing)."""
        return self.count("imported", "replaced")

    @property
    def drafts(self) -> int:
        return self.count("draft", "replaced-draft")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    def reasons(self, *outcomes: str) -> Counter[str]:
        # each reason once per entry, in the order met, so ties in the summary keep one order
        return Counter(
            reason
            for o in self.outcomes
            if o.outcome in outcomes
            for reason in dict.fromkeys(o.reasons)
        )

    def counts_line(self) -> str:
        return (
            f"imported {self.imported}, drafts {self.drafts}, skipped {self.skipped}, "
            f"rejected {self.rejected}"
        )

    def summary(self) -> str:
        """The counts, then one line per outcome with its reasons grouped and counted."""
        groups = []
        for label, outcomes in (
            ("drafts", ("draft", "replaced-draft")),
            ("skipped", ("skipped",)),
            ("rejected", ("rejected",)),
        ):
            reasons = self.reasons(*outcomes)
            if reasons:
                parts = "; ".join(f"{n}× {reason}" for reason, n in reasons.most_common())
                groups.append(f"{label}: {parts}")
        return self.counts_line() + ("\n" + "\n".join(groups) if groups else "")

    def to_review(self) -> list[ImportOutcome]:
        """The rejected entries, then the drafts, each in file order."""
        return [o for outcome in TO_REVIEW for o in self.outcomes if o.outcome == outcome]

    def entry_lines(self) -> list[str]:
        """One line per entry to look at: `rejected  #3: no usable name`, outcomes aligned."""
        several_files = len({o.file for o in self.outcomes}) > 1
        entries = self.to_review()
        width = max((len(OUTCOME_LABELS[o.outcome]) for o in entries), default=0)
        return [
            f"{OUTCOME_LABELS[o.outcome]:<{width}}  {o.label(several_files)}: " + "; ".join(o.why())
            for o in entries
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "drafts": self.drafts,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "entries": [o.as_json() for o in self.outcomes],
        }


def problem_group(problem: Problem) -> str:
    """A problem without item indexes and sizes, so the same fault counts once across entries."""
    reason = problem.reason.split(" (got")[0]
    return f"{_strip_indexes(problem.path)} {reason}"


def _strip_indexes(path: str) -> str:
    out, skipping = [], False
    for ch in path:
        if ch == "[":
            skipping = True
            out.append("[]")
        elif ch == "]":
            skipping = False
        elif not skipping:
            out.append(ch)
    return "".join(out)
