"""Flows on one contact shared by the contact list and the contact card."""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from console.calls import run_flow, run_service
from console.widgets.confirm import ConfirmDialog
from core.i18n import _
from core.services import contacts as contact_service


def confirm_delete(screen: Screen, contact, *, on_deleted: Callable[[], None] | None = None
                   ) -> None:
    """Ask (No focused), then delete with the version that was shown. The list and the card
    refresh through EntityChanged; `on_deleted` runs after (e.g. the card closes)."""

    async def flow() -> None:
        yes = await screen.app.push_screen_wait(ConfirmDialog(
            _("Delete {name}?").format(name=contact.name),
            _("{email} — the audit trail keeps a record.").format(email=contact.email),
            yes=_("Delete")))
        if not yes:
            return

        def done(_result) -> None:
            screen.notify(_("Deleted {name}.").format(name=contact.name))
            if on_deleted is not None:
                on_deleted()

        run_service(screen, contact_service.delete_contact, screen.ctx, contact.id,
                    expected_version=contact.version, on_done=done)

    run_flow(screen, flow)
