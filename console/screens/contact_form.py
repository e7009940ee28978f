"""Create or edit a contact: inline errors per field, and no silent overwrite of a colleague."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.calls import run_service, show_error
from console.widgets.form import Field, FormField
from core.errors import Conflict, ValidationFailed
from core.i18n import _
from core.schemas.contacts import Contact
from core.services import contacts as contact_service
from core.services.context import ServiceContext


def contact_fields() -> list[Field]:
    return [
        Field("name", _("Name"), _("First and last name"), max_length=200),
        Field("email", _("Email"), "name@example.com", max_length=254),
        Field("phone", _("Phone"), "+49 30 1234567", max_length=40),
        Field("language", _("Language"), "de, it, en", max_length=8),
        Field("tags", _("Tags"), _("comma-separated")),
        Field("notes", _("Notes"), multiline=True),
    ]


class ContactForm(ModalScreen[Contact | None]):
    """`ctrl+s` saves, `esc` cancels; on a conflict `ctrl+r` loads the saved version."""

    BINDINGS = [
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+r", "reload", _("Reload"), show=False),
    ]

    def __init__(self, ctx: ServiceContext, contact: Contact | None):
        super().__init__()
        self.ctx, self.contact = ctx, contact
        self.saving = False

    def compose(self) -> ComposeResult:
        c = self.contact
        values = {"name": c.name, "email": c.email, "phone": c.phone, "language": c.language,
                  "tags": ", ".join(c.tags), "notes": c.notes} if c else {}
        with Vertical(id="form"):
            title = (_("Edit contact #{id}").format(id=c.id) if c else _("New contact"))
            yield Static(f"[b]{title}[/b]", id="form-title")
            yield Static("", id="form-banner", classes="-empty")
            for field in contact_fields():
                yield FormField(field, values.get(field.name, ""))
            with Horizontal(id="form-buttons"):
                yield Button(_("Save") + " \\[ctrl+s]", id="save", variant="primary")
                yield Button(_("Cancel") + " \\[esc]", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#input-name").focus()

    def data(self) -> dict:
        return {f.field.name: f.value for f in self.query(FormField)}

    def show_errors(self, errors: dict[str, str]) -> None:
        first = None
        for f in self.query(FormField):
            message = errors.get(f.field.name)
            f.set_error(message)
            if message and first is None:
                first = f
        general = errors.get("_")
        self._banner(general)
        if first is not None:
            first.control.focus()

    def _banner(self, text: str | None) -> None:
        banner = self.query_one("#form-banner", Static)
        banner.update(text or "")
        banner.set_class(not text, "-empty")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        if self.saving:
            return
        data = self.data()
        try:  # same validation as the service, before any round trip
            contact_service.validate_contact(data)
        except ValidationFailed as exc:
            self.show_errors(exc.fields)
            return
        self.show_errors({})
        self.saving = True
        if self.contact is None:
            run_service(self, contact_service.create_contact, self.ctx, data,
                        on_done=self._saved, on_error=self._failed)
        else:
            run_service(self, contact_service.update_contact, self.ctx, self.contact.id, data,
                        expected_version=self.contact.version,
                        on_done=self._saved, on_error=self._failed)

    def _saved(self, contact: Contact) -> None:
        self.saving = False
        self.notify(_("Saved {name}.").format(name=contact.name))
        self.dismiss(contact)

    def _failed(self, exc: Exception) -> None:
        self.saving = False
        if isinstance(exc, ValidationFailed):
            self.show_errors(exc.fields)
        elif isinstance(exc, Conflict):
            self._banner("⚠ " + str(exc) + "\n" + _(
                "ctrl+r loads the saved version (your typing is discarded); esc cancels."))
        else:
            show_error(self, exc)

    def action_reload(self) -> None:
        if self.contact is None:
            return

        def loaded(contact: Contact) -> None:
            self.contact = contact
            values = {"name": contact.name, "email": contact.email, "phone": contact.phone,
                      "language": contact.language, "tags": ", ".join(contact.tags),
                      "notes": contact.notes}
            for f in self.query(FormField):
                f.value = values[f.field.name]
            self.show_errors({})
            self.notify(_("Loaded the saved version {v}.").format(v=contact.version))

        run_service(self, contact_service.get_contact, self.ctx, self.contact.id,
                    on_done=loaded)

    def action_cancel(self) -> None:
        self.dismiss(None)
