"""Issue 12: a sign-in page people get right the first time."""
import pytest
from django.test import Client

from .conftest import AGENT, Browser


@pytest.mark.django_db
def test_sign_in_with_cxone_is_the_primary_action_and_the_org_id_the_alternative(client, cxone):
    page = client.get("/login/").content.decode()
    primary = page.index('data-test="sign-in-with-cxone"')
    assert primary < page.index('data-test="org-form"')
    assert 'pattern="[A-Za-z0-9_\\-]+"' in page  # valid with the `v` flag current Chromium uses


@pytest.mark.django_db
def test_the_organization_id_ignores_case_and_stays_in_the_field_after_an_error(client, cxone):
    assert client.get("/oidc/authenticate/", {"tenant": "ACME"}).status_code == 302
    page = client.get("/oidc/authenticate/", {"tenant": "acme-typo"}).content.decode()
    assert 'value="acme-typo"' in page and "portal administrator" in page


@pytest.mark.django_db
def test_the_last_organization_is_remembered_and_offered_first(cxone):
    browser = Browser(Client(), cxone)
    browser.sign_in(tenant="globex", username="gus.agent@globex.example")
    assert browser.client.cookies["cxone_org"].value == "globex"  # the slug, nothing personal
    browser.client.post("/oidc/logout/")
    page = browser.client.get("/login/").content.decode()
    assert 'data-test="last-org"' in page and "Continue to Globex Care" in page
    assert page.index('data-test="last-org"') < page.index('data-test="sign-in-with-cxone"')


@pytest.mark.django_db
def test_a_cancel_reads_as_a_cancel(browser):
    url = browser.start(tenant="acme")
    page = browser.callback(browser.login_at_cxone(url, AGENT, action="cancel")).content.decode()
    assert "You cancelled the sign-in" in page and "couldn't sign you in" not in page


@pytest.mark.django_db
def test_signed_in_users_go_to_their_page_and_are_not_told_they_signed_out(browser):
    browser.sign_in()
    assert browser.client.get("/login/")["Location"] == "/dashboard/"
    page = browser.client.get("/signed-out/").content.decode()
    assert "You are still signed in" in page and "You are signed out" not in page


@pytest.mark.django_db
def test_get_on_logout_shows_a_sign_out_button(browser):
    browser.sign_in()
    page = browser.client.get("/oidc/logout/").content.decode()
    assert 'data-test="confirm-sign-out"' in page and 'method="post"' in page
