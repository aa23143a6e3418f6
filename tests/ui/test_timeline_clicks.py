"""A click on an onboarding step goes to the step under the pointer, focused or not, at any size."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from pylee_tui.app import PyleeApp
from pylee_tui.services import Services
from pylee_tui.store import Store
from pylee_tui.widgets.onboarding_timeline import OnboardingTimeline
from tests.ui.pilot import settle

ANN = "ann@example.com"
STEPS = ("describe", "registry", "members", "variables")


@pytest.fixture
def seeded(db_path):
    store = Store(db_path)
    Services(store).orgs.create(ANN, "Acme")
    store.close()
    return db_path


def steps_list(app) -> OptionList:
    return app.screen.query_one(OnboardingTimeline).query_one("#timeline-steps", OptionList)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
@pytest.mark.parametrize("focused", [False, True])
@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("line", [0, 1])
async def test_a_click_opens_the_step_under_the_pointer(seeded, size, focused, index, line):
    chosen: dict[int, str] = {}

    def hook(message) -> None:
        # the hook sees a bubbling message at each node it reaches: keep it once
        if isinstance(message, OnboardingTimeline.StepSelected):
            chosen[id(message)] = message.step.key

    app = PyleeApp(db_path=seeded, user=ANN, watch_interval=3600)
    async with app.run_test(size=size, message_hook=hook) as pilot:
        await settle(pilot)
        options = steps_list(app)
        assert [options.get_option_at_index(i).id for i in range(4)] == list(STEPS)
        if focused:
            options.focus()
        else:
            app.screen.set_focus(None)
        await pilot.pause()
        assert options.has_focus == focused
        # where the person sees the step: each step is a title line and a hint line
        # (option index, line within the option) of each rendered line
        y = list(options._lines).index((index, line)) - round(options.scroll_y)
        region = options.content_region
        assert 0 <= y < region.height, "the step is on screen"
        await pilot.click(offset=(region.x + 4, region.y + y))
        await settle(pilot)
        assert list(chosen.values()) == [STEPS[index]]
