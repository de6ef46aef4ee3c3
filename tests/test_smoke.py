import pytest


@pytest.mark.django_db
def test_home_page_renders(client):
    response = client.get("/zh-hans/")
    assert response.status_code == 200
    assert "<main" in response.content.decode()
