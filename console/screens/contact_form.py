"""Create or edit a contact: inline errors per field, and no silent overwrite of a colleague."""

from __future__ import annotations

from typing import Any

from console.forms import FieldSpec, FormScreen
from core.i18n import _
from core.schemas.contacts import Contact
from core.services import contacts as contact_service
from core.services.context import ServiceContext


def contact_fields() -> list[FieldSpec]:
    return [
        FieldSpec("name", _("Name"), placeholder=_("First and last name"), max_length=200),
        FieldSpec("email", _("Email"), placeholder="name@example.com", max_length=254),
        FieldSpec("phone", _("Phone"), placeholder="+49 30 1234567", max_length=40),
        FieldSpec("language", _("Language"), placeholder="de, it, en", max_length=8),
        FieldSpec("tags", _("Tags"), placeholder=_("comma-separated"),
                  format=lambda tags: ", ".join(tags or ())),
        FieldSpec("notes", _("Notes"), multiline=True),
    ]


def _values(c: Contact | None) -> dict[str, Any]:
    if c is None:
        return {}
    return {"name": c.name, "email": c.email, "phone": c.phone, "language": c.language,
            "tags": c.tags, "notes": c.notes}


class ContactForm(FormScreen):
    """`ctrl+s` saves, `esc` cancels; on a conflict `ctrl+r` loads the saved version."""

    FIRST = "name"

    def __init__(self, ctx: ServiceContext, contact: Contact | None):
        super().__init__(ctx)
        self.contact = contact

    def title_text(self) -> str:
        c = self.contact
        return _("Edit contact #{id}").format(id=c.id) if c else _("New contact")

    def fields(self) -> list[FieldSpec]:
        return contact_fields()

    def values(self) -> dict[str, Any]:
        return _values(self.contact)

    def check(self, data: dict[str, Any]) -> None:
        contact_service.validate_contact(data)  # the service's own rules, before the trip

    def submit(self, data: dict[str, Any]):
        if self.contact is None:
            return contact_service.create_contact, (self.ctx, data), {}
        return (contact_service.update_contact, (self.ctx, self.contact.id, data),
                {"expected_version": self.contact.version})

    def saved(self, contact: Contact) -> None:
        self.notify(_("Saved {name}.").format(name=contact.name))
        self.dismiss(contact)

    def reload_call(self):
        if self.contact is None:
            return None
        return contact_service.get_contact, (self.ctx, self.contact.id)

    def loaded(self, contact: Contact) -> dict[str, Any]:
        self.contact = contact
        return _values(contact)
