"""Area 3 by keyboard: an admin creates a product with two lessons and an offer; bad input
stays in the form next to its field; an agent reads the catalogue but cannot change it."""

from __future__ import annotations

from console.screens.catalogue.lessons_editor import LessonForm
from console.screens.catalogue.offer_form import OfferForm
from console.screens.catalogue.product import ProductScreen
from console.screens.catalogue.product_form import ProductForm
from console.screens.catalogue.products import CatalogueScreen
from console.widgets.windowed_table import WindowedTable
from core.services import catalogue
from core.services.operators import add_operator, sign_in
from tests.console.conftest import SIZE, settle, type_text


async def _add_lesson(pilot, title: str, delay: str) -> None:
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, LessonForm)
    await type_text(pilot, title)
    await pilot.press("tab", "tab")  # module, delay
    await type_text(pilot, delay)
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ProductForm)


async def test_admin_creates_a_product_with_two_lessons_and_an_offer(admin_app, seeded):
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CatalogueScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductForm)
        await type_text(pilot, "prova")
        await pilot.press("tab")
        await type_text(pilot, "Corso di prova")
        await pilot.press("tab", "tab", "tab")  # kind, bundle of, the lessons
        await _add_lesson(pilot, "Ciao", "0")
        await _add_lesson(pilot, "Numeri", "2")
        await pilot.press("K")  # "Numeri" first
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OfferForm)
        await type_text(pilot, "prova-once")
        await pilot.press("tab")
        await type_text(pilot, "Una volta")
        await pilot.press("tab", "tab")  # payment (one-time), price
        await type_text(pilot, "49,50")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ProductScreen)
        assert screen.query_one("#offers", WindowedTable).total == 1
    ctx = sign_in(seeded, "alice")
    p = catalogue.get_product(ctx, "prova")
    # A new product's keys are the positions it was saved with.
    assert [(x.key, x.title, x.delay_days) for x in p.lessons] == [("1", "Numeri", 2),
                                                                 ("2", "Ciao", 0)]
    o = catalogue.get_offer(ctx, "prova-once")
    assert (o.name, o.price, o.payment, o.product) == ("Una volta", 4950, "one_time", "prova")


async def test_a_bad_offer_stays_open_with_the_error_next_to_the_field(admin_app, seeded):
    ctx = sign_in(seeded, "alice")
    catalogue.create_product(ctx, {"handle": "prova", "name": "Corso di prova"})
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductScreen)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "bad handle")
        await pilot.press("tab")
        await type_text(pilot, "X")
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, OfferForm)
        assert "handle" in str(form.query_one("#error-handle").render()).lower()
        assert "price" in str(form.query_one("#error-price").render()).lower()
    assert catalogue.count_offers(ctx) == 0


async def test_an_agent_reads_the_catalogue_but_cannot_change_it(seeded):
    from console.app import KontorApp

    admin = sign_in(seeded, "alice")
    add_operator(admin, {"login": "ann", "role": "agent"})
    catalogue.create_product(admin, {"handle": "prova", "name": "Corso di prova",
                                     "lessons": [{"title": "Ciao"}]})
    app = KontorApp(sign_in(seeded, "ann"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CatalogueScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductScreen)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductScreen)


async def test_an_edit_adds_a_lesson_and_keeps_the_keys(admin_app, seeded):
    ctx = sign_in(seeded, "alice")
    catalogue.create_product(ctx, {"handle": "prova", "name": "Corso di prova",
                                   "lessons": [{"title": "Uno"}, {"title": "Due"}]})
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductForm)
        await pilot.press("tab", "tab", "tab")  # kind, bundle of, lessons
        await _add_lesson(pilot, "Tre", "5")  # after the cursor: Uno, Tre, Due
        await pilot.press("up", "d")  # remove "Uno"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CatalogueScreen)
    p = catalogue.get_product(ctx, "prova")
    assert [(x.key, x.title) for x in p.lessons] == [("3", "Tre"), ("2", "Due")]


async def test_two_admins_editing_one_offer_get_a_conflict_banner(admin_app, seeded):
    ctx = sign_in(seeded, "alice")
    catalogue.create_product(ctx, {"handle": "prova", "name": "Corso di prova"})
    offer = catalogue.create_offer(ctx, {"handle": "prova-once", "product": "prova",
                                         "name": "Una volta", "price": 4900})
    async with admin_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, OfferForm)
        # A colleague saves first.
        catalogue.update_offer(ctx, "prova-once", {"price": 5900},
                               expected_version=offer.version)
        await type_text(pilot, " bis")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert "changed by alice" in str(form.query_one("#form-banner").render())
        await pilot.press("ctrl+r")  # their version
        await settle(pilot)
        assert form.row("price").raw in ("59.00", "59,00")
    o = catalogue.get_offer(ctx, "prova-once")
    assert (o.name, o.price) == ("Una volta", 5900)
