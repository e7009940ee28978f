"""SQLAlchemy 2.0 models, one module per aggregate."""

from core.models.audit import AuditRecord
from core.models.base import Base, UTCDateTime, utcnow
from core.models.contacts import Contact
from core.models.operators import ROLES, Operator
from core.models.settings import Setting

__all__ = ["AuditRecord", "Base", "Contact", "Operator", "ROLES", "Setting", "UTCDateTime",
           "utcnow"]

from core.models.invoices import Invoice  # noqa: E402
from core.models.plans import DunningPlan, Plan  # noqa: E402
from core.models.subscriptions import Subscription  # noqa: E402

__all__ += ["DunningPlan", "Invoice", "Plan", "Subscription"]

from core.models.views import OperatorPreference, SavedView  # noqa: E402

__all__ += ["OperatorPreference", "SavedView"]

from core.models.catalogue import BundleItem, Lesson, Offer, Product  # noqa: E402
from core.models.orders import Order, OrderCount, OrderLine, OrderPayment  # noqa: E402
from core.models.accesses import Access  # noqa: E402

__all__ += ["Access", "BundleItem", "Lesson", "Offer", "Order", "OrderCount", "OrderLine",
            "OrderPayment", "Product"]

from core.models.groups import Group, GroupMember, GroupPurchase  # noqa: E402

__all__ += ["Group", "GroupMember", "GroupPurchase"]
