"""The onboarding timeline: Pylee's four setup steps as a vertical timeline, computed state in."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pylee_tui.services.onboarding import OnboardingState, OnboardingStep

COMPLETE_ID = "complete"
COLLAPSE_ID = "collapse"


class OnboardingTimeline(Widget):
    """Draws an `OnboardingState`; selecting a step posts `StepSelected` so the screen can go there.

    When every step is done it collapses to one "Setup complete" line that expands again on enter.
    """

    DEFAULT_CSS = """
    OnboardingTimeline {
        height: auto;
        padding: 0 1;
    }
    OnboardingTimeline > #timeline-title {
        text-style: bold;
        padding: 0 1;
    }
    OnboardingTimeline > #timeline-progress {
        color: $text-muted;
        padding: 0 1 1 1;
    }
    /* no border, focused or not: OptionList's own focus border would move every step down a
       row between the mouse press (which focuses) and the click, opening the step above */
    OnboardingTimeline > OptionList, OnboardingTimeline > OptionList:focus {
        height: auto;
        max-height: 20;
        border: none;
        padding: 0;
        background: transparent;
    }
    """

    state: reactive[OnboardingState | None] = reactive(None, always_update=True)
    expanded: reactive[bool] = reactive(False)

    class StepSelected(Message):
        """A step was chosen: go where it is done."""

        def __init__(self, timeline: OnboardingTimeline, step: OnboardingStep) -> None:
            super().__init__()
            self.timeline = timeline
            self.step = step

        @property
        def control(self) -> OnboardingTimeline:
            return self.timeline

    def compose(self) -> ComposeResult:
        yield Static("Get started", id="timeline-title")
        yield Static("", id="timeline-progress")
        yield OptionList(id="timeline-steps")

    def on_mount(self) -> None:
        self._render_state()

    def watch_state(self) -> None:
        self._render_state()

    def watch_expanded(self) -> None:
        self._render_state()

    @property
    def collapsed(self) -> bool:
        return bool(self.state and self.state.complete and not self.expanded)

    def _render_state(self) -> None:
        if not self.is_mounted:
            return
        options = self.query_one("#timeline-steps", OptionList)
        progress = self.query_one("#timeline-progress", Static)
        state = self.state
        highlighted = options.highlighted
        options.clear_options()
        if state is None:
            progress.update("Loading…")
            return
        progress.update(state.progress)
        # collapsed, the timeline is one line: its column narrows and the overview takes the room
        if self.parent is not None:
            self.parent.set_class(self.collapsed, "-timeline-collapsed")
        if self.collapsed:
            line = Text.assemble(("✔ ", "bold green"), ("Setup complete", "bold"))
            line.append("\n  enter to show the steps", style="dim")
            options.add_option(Option(line, id=COMPLETE_ID))
            options.highlighted = 0
            return
        current = state.current
        last = len(state.steps) - 1
        for index, step in enumerate(state.steps):
            options.add_option(
                Option(_step_text(step, step is current, index == last), id=step.key)
            )
        if state.complete:
            options.add_option(Option(Text("▴ Collapse", style="dim"), id=COLLAPSE_ID))
        if highlighted is not None and highlighted < options.option_count:
            options.highlighted = highlighted
        elif current is not None:
            options.highlighted = state.steps.index(current)

    @on(OptionList.OptionSelected, "#timeline-steps")
    def _step_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id
        if option_id == COMPLETE_ID:
            self.expanded = True
            return
        if option_id == COLLAPSE_ID:
            self.expanded = False
            return
        if self.state is None:
            return
        step = next(s for s in self.state.steps if s.key == option_id)
        self.post_message(self.StepSelected(self, step))


def _step_text(step: OnboardingStep, is_current: bool, is_last: bool) -> Text:
    if step.done:
        marker, marker_style, title_style = "✔", "bold green", ""
    elif is_current:
        marker, marker_style, title_style = "●", "bold cyan", "bold"
    else:
        marker, marker_style, title_style = "○", "dim", "dim"
    text = Text.assemble((f"{marker} ", marker_style), (step.title, title_style))
    if is_current:
        text.append("  ← next", style="bold cyan")
    rail = "  " if is_last else "│ "
    text.append(f"\n{rail}", style="dim")
    text.append(step.hint, style="dim" if not is_current else "italic")
    return text
