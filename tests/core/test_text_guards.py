"""Every text column is written from guarded input (no NUL, no control characters), so a new
field cannot forget it: each String column of every model is either mapped to the input schema
field that writes it — which must use SafeLine, SafeName or SafeText — or listed, with the
reason, as a column that no user text reaches (or that plan import validates)."""

from __future__ import annotations

import typing

import pytest
from pydantic import AfterValidator, BaseModel
from sqlalchemy import JSON, String

from core.models import Base
from core.schemas.common import SafeLine, SafeName, SafeText
from core.schemas.catalogue import LessonInput, OfferInput, ProductInput
from core.schemas.contacts import ContactInput
from core.schemas.groups import GroupInput
from core.schemas.operators import OperatorInput
from core.schemas.orders import OrderInput
from core.schemas.plans import PlanInput
from core.schemas.views import SavedViewInput

GUARDS = {typing.get_args(t)[1] for t in (SafeLine, SafeName, SafeText)}

# (table, column) -> (input schema, field) that writes it from user input.
GUARDED: dict[tuple[str, str], tuple[type[BaseModel], str]] = {
    ("contacts", "name"): (ContactInput, "name"),
    ("contacts", "email"): (ContactInput, "email"),
    ("contacts", "phone"): (ContactInput, "phone"),
    ("contacts", "language"): (ContactInput, "language"),
    ("contacts", "notes"): (ContactInput, "notes"),
    ("contacts", "tags"): (ContactInput, "tags"),              # JSON list of tags
    ("operators", "login"): (OperatorInput, "login"),
    ("operators", "name"): (OperatorInput, "name"),
    ("saved_views", "name"): (SavedViewInput, "name"),
    ("saved_views", "query"): (SavedViewInput, "query"),
    ("saved_views", "sort"): (SavedViewInput, "sort"),
    ("saved_views", "list_name"): (SavedViewInput, "list_name"),
    ("saved_views", "columns"): (SavedViewInput, "columns"),   # JSON list of column names
    ("plans", "handle"): (PlanInput, "handle"),
    ("plans", "name"): (PlanInput, "name"),
    ("plans", "description"): (PlanInput, "description"),
    ("plans", "currency"): (PlanInput, "currency"),
    ("plans", "dunning_plan"): (PlanInput, "dunning_plan"),
    ("plans", "setup_fee_text"): (PlanInput, "setup_fee_text"),
    ("plans", "tax_policy"): (PlanInput, "tax_policy"),
    ("plans", "entitlements"): (PlanInput, "entitlements"),    # JSON list of handles
    ("groups", "name"): (GroupInput, "name"),
    ("products", "handle"): (ProductInput, "handle"),
    ("products", "name"): (ProductInput, "name"),
    ("products", "description"): (ProductInput, "description"),
    ("lessons", "key"): (LessonInput, "key"),
    ("lessons", "title"): (LessonInput, "title"),
    ("lessons", "module"): (LessonInput, "module"),
    ("offers", "handle"): (OfferInput, "handle"),
    ("offers", "name"): (OfferInput, "name"),
    ("offers", "currency"): (OfferInput, "currency"),
    ("offers", "plan_handle"): (OfferInput, "plan"),
    ("orders", "comment"): (OrderInput, "comment"),
}

_PLAN_IMPORT = "guarded by plan import validation (h2)"
_DERIVED = "derived in core from a guarded column"
_OPERATOR = "the signed-in operator's login (OperatorInput.login)"
ALLOWED: dict[tuple[str, str], str] = {
    # Catalogue, orders, accesses (issues 10-11).
    ("products", "kind"): "a Literal of ProductInput.kind",
    ("products", "sort_key"): _DERIVED + " (name)",
    ("products", "updated_by"): _OPERATOR,
    ("offers", "payment"): "a Literal of OfferInput.payment",
    ("offers", "sort_key"): _DERIVED + " (name)",
    ("offers", "updated_by"): _OPERATOR,
    ("orders", "currency"): "copied from the offer (OfferInput.currency)",
    ("orders", "payment"): "copied from the offer's payment type",
    ("orders", "status"): "a constant of the orders service (core/rules/orders.py)",
    ("orders", "updated_by"): _OPERATOR,
    ("order_counts", "status"): "copied from orders.status by the triggers of migration 0013",
    ("order_payments", "kind"): "a constant of the orders service",
    ("accesses", "status"): "a constant of core/rules/accesses.py",
    ("accesses", "end_reason"): "a constant of the service ending the access",
    ("accesses", "updated_by"): _OPERATOR,
    ("contacts", "locked_by"): _OPERATOR,
    # Written by Kontor itself, never from typed text.
    ("audit_records", "operator"): _OPERATOR,
    ("audit_records", "entity"): "a constant of the service writing the record",
    ("audit_records", "entity_id"): "the id of the record (an integer or a handle)",
    ("audit_records", "action"): "a constant of the service writing the record",
    ("contacts", "sort_key"): _DERIVED + " (name)",
    ("contacts", "email_key"): _DERIVED + " (email)",
    ("contacts", "search_doc"): _DERIVED + " (name, email, phone)",
    ("contacts", "updated_by"): _OPERATOR,
    ("operators", "role"): "a Literal of OperatorInput.role",
    ("operators", "updated_by"): _OPERATOR,
    ("operator_preferences", "login"): _OPERATOR,
    ("operator_preferences", "key"): "checked against KEY_RE (a-z 0-9 _ . : -)",
    ("saved_views", "owner"): _OPERATOR,
    ("settings", "key"): "a constant of the service writing the setting",
    ("invoices", "number"): "generated by the billing run",
    ("invoices", "kind"): "a constant of the billing engine",
    ("invoices", "currency"): "copied from the plan (plan import validation, h2)",
    ("invoices", "state"): "a constant of the billing engine",
    ("invoices", "updated_by"): _OPERATOR,
    ("subscriptions", "state"): "a constant of the billing engine",
    ("subscriptions", "timezone"): "a zoneinfo key the account setting validated",
    ("subscriptions", "expire_reason"): "a constant of the billing engine",
    ("subscriptions", "updated_by"): _OPERATOR,
    ("dunning_plans", "handle"): _PLAN_IMPORT,
    ("dunning_plans", "name"): _PLAN_IMPORT,
    ("dunning_plans", "updated_by"): _OPERATOR,
    ("plans", "name_fold"): _DERIVED + " (name)",
    ("plans", "description_words"): _DERIVED + " (description)",
    ("plans", "setup_fee_words"): _DERIVED + " (setup_fee_text)",
    ("plans", "updated_by"): _OPERATOR,
    ("groups", "name_key"): _DERIVED + " (name)",
    ("groups", "updated_by"): _OPERATOR,
    ("group_members", "status"): "a constant of the groups service (core/rules/groups.py)",
    ("group_members", "updated_by"): _OPERATOR,
    ("group_purchases", "payment"): "copied from the offer's payment type",
    **{("plans", c): _PLAN_IMPORT for c in (
        "state", "vat", "schedule_type", "partial_period_handling", "setup_fee_handling",
        "fixed_life_time_unit", "trial_interval_unit", "contract_period_unit",
        "renewal_contract_period_unit", "minimum_contract_period_unit", "notice_period_unit",
        "subscription_duration")},
}


def _text_columns() -> list[tuple[str, str]]:
    return sorted((t.name, c.name) for t in Base.metadata.tables.values()
                  for c in t.columns if isinstance(c.type, String))


def _guarded(annotation, metadata) -> bool:
    if any(isinstance(m, AfterValidator) and m in GUARDS for m in metadata):
        return True
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return _guarded(args[0], annotation.__metadata__)
    return bool(args) and all(_guarded(a, ()) for a in args if a is not type(None))


def test_every_text_column_is_guarded_or_listed_with_a_reason():
    missing = [col for col in _text_columns() if col not in GUARDED and col not in ALLOWED]
    assert missing == [], "map each to its input field (SafeLine/SafeName/SafeText) or " \
                          "list it in ALLOWED with the reason"


def test_the_lists_name_only_existing_columns():
    tables = Base.metadata.tables
    for table, column in [*GUARDED, *ALLOWED]:
        assert column in tables[table].columns, (table, column)
        kind = tables[table].columns[column].type
        assert isinstance(kind, (String, JSON)), (table, column)


@pytest.mark.parametrize(("column", "field"), sorted(GUARDED.items()), ids=str)
def test_the_input_field_uses_a_guarded_type(column, field):
    schema, name = field
    info = schema.model_fields[name]
    assert _guarded(info.annotation, info.metadata), f"{schema.__name__}.{name} for {column}"


@pytest.mark.parametrize("schema", [ContactInput, OperatorInput, SavedViewInput])
def test_every_text_field_of_an_input_schema_is_guarded(schema):
    for name, info in schema.model_fields.items():
        texty = info.annotation is str or str in typing.get_args(info.annotation)
        if texty and not _guarded(info.annotation, info.metadata):
            pytest.fail(f"{schema.__name__}.{name} is a bare str")
