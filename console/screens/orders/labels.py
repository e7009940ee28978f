"""How an order's stored values read on screen (translated); JSON keeps the stored ones."""

from __future__ import annotations

from core.i18n import N_, _

STATUS = {"pending": N_("pending"), "paid": N_("paid"), "cancelled": N_("cancelled"),
          "refunded": N_("refunded")}
PAYMENT_TYPE = {"one_time": N_("one-time"), "subscription": N_("subscription"),
                "instalments": N_("instalments")}
PAYMENT_KIND = {"payment": N_("payment"), "external": N_("external sale"),
                "invoice": N_("invoice"), "instalment": N_("instalment")}


def status_label(status: str) -> str:
    return _(STATUS[status]) if status in STATUS else status


def payment_type_label(payment: str) -> str:
    return _(PAYMENT_TYPE[payment]) if payment in PAYMENT_TYPE else payment


def payment_kind_label(kind: str) -> str:
    return _(PAYMENT_KIND[kind]) if kind in PAYMENT_KIND else kind
