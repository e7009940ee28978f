"""Column widths at 80x24 (issue 9, item 12): columns give way by priority, the identifying
and searched columns are never the ones cut, a cut value ends with "…", a row opens whole."""

from __future__ import annotations

from console.screens.contact_card import ContactCard
from console.widgets.windowed_table import Column, WindowedTable
from tests.console.conftest import SIZE, settle


def test_lower_priority_columns_give_way_before_the_identifying_ones():
    table = WindowedTable([Column("name", "Name", None, want=18),
                           Column("email", "Email", None, want=28, weight=2),
                           Column("phone", "Phone", 15),
                           Column("lang", "Lang", 4, priority=3),
                           Column("created", "Created", 10, priority=2)])
    assert table.widths(120)[3:] == [4, 10]           # room for all
    widths = table.widths(76)
    assert widths[3] == 0 and widths[4] == 10          # Lang gives way first
    widths = table.widths(60)
    assert widths[3] == widths[4] == 0 and widths[2] == 15  # then Created; phone stays
    assert sum(w for w in widths if w) + 2 <= 60


async def test_contact_list_at_80_columns_shows_emails_whole(admin_app):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(WindowedTable)
        width = table.content_width
        email_width = table.widths(width)[1]
        assert email_width >= 28
        header = table.header_text(width).plain
        assert "Email" in header and "Lang" not in header
        cut = 0
        for i in range(20):
            row = table.row_at(i)
            line = table._line(table.cells(row), width).plain
            if len(row.email) <= email_width:
                assert row.email in line  # whole
            else:
                cut += 1
                assert row.email[: email_width - 1] + "…" in line  # cut visibly
        # and a row opens to read it whole: the card's title holds the whole email
        row = table.current_row
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ContactCard)
        assert row.email in str(pilot.app.screen.query_one("#card-title").render())
