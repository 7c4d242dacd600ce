"""Functional tests of the web front end, plus a DAST scan inside a test.

`devsecops_http` is a requests.Session aimed at the app under test (configured in
pyproject.toml); every response it receives is checked by the passive DAST rules, and what they
find is reported at the end of the session as `devsecops/dast-traffic::...` results.
"""

import pytest


def test_home_page_loads(devsecops_http):
    response = devsecops_http.get("/")
    assert response.status_code == 200
    assert "Welcome to the shop" in response.text


def test_search_shows_the_query(devsecops_http):
    assert "boots" in devsecops_http.get("/safe-search", params={"q": "boots"}).text


@pytest.mark.dast(active=True, max_duration=60)
def test_web_front_end_passes_a_dast_scan(devsecops_dast):
    # Each finding is reported as a subtest of this test (run with -v to see accepted ones).
    devsecops_dast.check()
