"""Create or edit an offer (tariff) of a product: payment type with its price or plan, VAT,
the access template (open lessons, release, checkpoints, review, duration) and group seats.
A field shows only where it applies: the price for one-time, the plan for recurring offers,
"first N" for open lessons = first …; errors of the service land on their field."""

from __future__ import annotations

from typing import Any

from console.forms import FieldSpec, FormScreen
from console.screens.catalogue.lessons_editor import yes_no
from console.screens.plan.picker_source import PlanSource
from core.i18n import _
from core.schemas.catalogue import Offer, Product
from core.services import catalogue
from core.services.context import ServiceContext

# Service error keys (document paths) → the row that shows them.
ERROR_ROWS = {"template.open_lessons": "open_lessons", "template.release": "release",
              "template.checkpoints": "checkpoints", "template.review": "review",
              "template.duration": "duration_length", "group.min_seats": "min_seats",
              "group.max_seats": "max_seats", "group": "min_seats", "template": "open_lessons"}


def payment_options() -> list[tuple[str, str]]:
    return [(_("one-time"), "one_time"), (_("subscription"), "subscription"),
            (_("instalments"), "instalments")]


def open_options() -> list[tuple[str, str]]:
    return [(_("all"), "all"), (_("first N"), "first"), (_("chosen"), "only")]


def release_options() -> list[tuple[str, str]]:
    return [(_("all at start"), "none"), (_("delays"), "delays"), (_("dates"), "dates")]


def review_options() -> list[tuple[str, str]]:
    return [(_("none"), "none"), (_("automatic"), "automatic"), (_("curator"), "curator")]


def duration_options() -> list[tuple[str, str]]:
    return [(_("unlimited"), "unlimited"), (_("days"), "days"), (_("months"), "months")]


def _whole(what: str):
    def parse(raw: Any) -> int | None:
        text = str(raw or "").strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise ValueError(_("A whole number ({what}).").format(what=what)) from None
    return parse


def _positions(raw: Any) -> list[int]:
    out = []
    for part in str(raw or "").replace(";", ",").replace(" ", ",").split(","):
        if part.strip():
            try:
                out.append(int(part))
            except ValueError:
                raise ValueError(_("Lesson positions such as 1, 3, 5.")) from None
    return out


def _recurring(raw: dict[str, Any]) -> bool:
    return raw.get("payment") in ("subscription", "instalments")


class OfferForm(FormScreen):

    def __init__(self, ctx: ServiceContext, product: Product, offer: Offer | None):
        super().__init__(ctx)
        self.product, self.offer = product, offer
        self.read_only = (offer.allowed_actions.get("edit") if offer is not None
                          else product.allowed_actions.get("edit"))

    def title_text(self) -> str:
        if self.offer is None:
            return _("New offer of {product}").format(product=self.product.name)
        return _("Offer {handle} of {product}").format(handle=self.offer.handle,
                                                       product=self.product.name)

    def fields(self) -> list[FieldSpec]:
        handle = [FieldSpec("handle", _("Handle"), placeholder=_("e.g. italiano-once"),
                            max_length=255)]
        return [
            *(handle if self.offer is None else []),
            FieldSpec("name", _("Name"), max_length=200),
            FieldSpec("payment", _("Payment"), "select", radio=True, choices=payment_options),
            FieldSpec("price", _("Price"), placeholder="49,00",
                      visible_when=lambda r: r.get("payment") == "one_time"),
            FieldSpec("currency", _("Currency"), placeholder=_("EUR (blank: the account's)"),
                      max_length=3, visible_when=lambda r: r.get("payment") == "one_time"),
            FieldSpec("plan", _("Plan"), "picker", source=PlanSource(self.ctx),
                      placeholder=_("type a plan name or handle"), visible_when=_recurring,
                      help=_("instalments: a plan with a fixed number of payments")),
            FieldSpec("vat", _("VAT"), placeholder=_("0.19 (blank: the account's default)")),
            FieldSpec("open_lessons", _("Lessons"), "select", radio=True,
                      choices=open_options),
            FieldSpec("first", _("First N"), parse=_whole(_("lessons")),
                      visible_when=lambda r: r.get("open_lessons") == "first"),
            FieldSpec("only", _("Chosen"), placeholder="1, 3, 5", parse=_positions,
                      format=lambda v: ", ".join(map(str, v or ())),
                      visible_when=lambda r: r.get("open_lessons") == "only"),
            FieldSpec("release", _("Release"), "select", radio=True, choices=release_options),
            FieldSpec("checkpoints", _("Checkpoints"), "select", radio=True, choices=yes_no),
            FieldSpec("review", _("Review"), "select", radio=True, choices=review_options),
            FieldSpec("duration", _("Duration"), "select", radio=True,
                      choices=duration_options),
            FieldSpec("duration_length", _("Length"), parse=_whole(_("days or months")),
                      visible_when=lambda r: r.get("duration") in ("days", "months")),
            FieldSpec("group", _("Group"), "select", radio=True, choices=yes_no),
            FieldSpec("min_seats", _("Min seats"), parse=_whole(_("seats")),
                      visible_when=lambda r: r.get("group") == "yes"),
            FieldSpec("max_seats", _("Max seats"), parse=_whole(_("seats")),
                      visible_when=lambda r: r.get("group") == "yes"),
        ]

    def values(self) -> dict[str, Any]:
        o = self.offer
        if o is None:
            return {"payment": "one_time", "open_lessons": "all", "release": "none",
                    "checkpoints": "no", "review": "none", "duration": "unlimited",
                    "group": "no"}
        return self._values_of(o)

    @staticmethod
    def _values_of(o: Offer) -> dict[str, Any]:
        from core.money import format_minor

        t = o.template
        ol = t.get("open_lessons", "all")
        duration = t.get("duration") or {}
        return {
            "name": o.name, "payment": o.payment,
            "price": (format_minor(o.price, o.currency, with_symbol=False)
                      if o.price is not None else ""),
            "currency": o.currency if o.payment == "one_time" else "",
            "plan": o.plan or "", "vat": o.vat or "",
            "open_lessons": ol if isinstance(ol, str) else next(iter(ol)),
            "first": str(ol["first"]) if isinstance(ol, dict) and "first" in ol else "",
            "only": ol.get("only", []) if isinstance(ol, dict) else [],
            "release": t.get("release", "none"),
            "checkpoints": "yes" if t.get("checkpoints") else "no",
            "review": t.get("review", "none"),
            "duration": duration.get("unit", "unlimited"),
            "duration_length": str(duration.get("length", "")),
            "group": "yes" if o.group else "no",
            "min_seats": str(o.group.min_seats) if o.group else "",
            "max_seats": str(o.group.max_seats) if o.group else "",
        }

    def on_mount(self) -> None:
        super().on_mount()
        if self.read_only:
            self.banner(self.read_only)
            for r in self.rows():
                r.control.disabled = True
            self.query_one("#cancel").focus()

    def error_field(self, key: str) -> str:
        if key in ERROR_ROWS:
            key = ERROR_ROWS[key]
            raw = self.raw()
            if key == "open_lessons" and raw.get("open_lessons") in ("first", "only"):
                return raw["open_lessons"]
        return key

    def data(self) -> tuple[dict[str, Any], dict[str, str]]:
        values, errors = super().data()
        payment = values.get("payment") or "one_time"
        doc: dict[str, Any] = {"product": self.product.handle, "name": values.get("name", ""),
                               "payment": payment, "vat": values.get("vat") or None}
        if self.offer is None:
            doc["handle"] = values.get("handle", "")
        if payment == "one_time":
            currency = (values.get("currency") or "").upper() or None
            doc["currency"] = currency
            doc["price"], doc["plan"] = None, None
            text = values.get("price") or ""
            if text:
                from core.money import parse_major

                try:
                    doc["price"] = parse_major(text, currency or (
                        self.offer.currency if self.offer else "EUR"))
                except ValueError as exc:
                    errors["price"] = str(exc)
        else:
            doc["price"], doc["currency"] = None, None
            doc["plan"] = values.get("plan") or None
        choice = values.get("open_lessons") or "all"
        open_lessons: Any = "all"
        if choice == "first":
            if values.get("first") is None and "first" not in errors:
                errors["first"] = _("How many lessons are open?")
            open_lessons = {"first": values.get("first") or 0}
        elif choice == "only":
            open_lessons = {"only": values.get("only") or []}
        duration = None
        if values.get("duration") in ("days", "months"):
            if values.get("duration_length") is None and "duration_length" not in errors:
                errors["duration_length"] = _("How many days or months?")
            duration = {"length": values.get("duration_length") or 0,
                        "unit": values["duration"]}
        doc["template"] = {"open_lessons": open_lessons,
                           "release": values.get("release") or "none",
                           "checkpoints": values.get("checkpoints") == "yes",
                           "review": values.get("review") or "none", "duration": duration}
        doc["group"] = None
        if values.get("group") == "yes":
            for name in ("min_seats", "max_seats"):
                if values.get(name) is None and name not in errors:
                    errors[name] = _("How many seats?")
            doc["group"] = {"min_seats": values.get("min_seats") or 0,
                            "max_seats": values.get("max_seats") or 0}
        return doc, errors

    def check(self, data: dict[str, Any]) -> None:
        # The service's own rules, before the round trip (an edit keeps its handle).
        catalogue.parse_offer({"handle": self.offer.handle, **data} if self.offer else data)

    def action_save(self) -> None:
        if self.read_only:
            self.notify(self.read_only, severity="warning")
            return
        super().action_save()

    def submit(self, data: dict[str, Any]):
        if self.offer is None:
            return catalogue.create_offer, (self.ctx, data), {}
        return (catalogue.update_offer, (self.ctx, self.offer.handle, data),
                {"expected_version": self.offer.version})

    def reload_call(self):
        if self.offer is None:
            return None
        return catalogue.get_offer, (self.ctx, self.offer.handle)

    def loaded(self, record: Offer) -> dict[str, Any]:
        self.offer = record
        return self._values_of(record)
