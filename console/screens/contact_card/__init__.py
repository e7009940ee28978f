"""The contact card screen; its tabs live in console/screens/card_tabs/."""

from console.screens.contact_card.screen import ContactCard

__all__ = ["ContactCard"]
