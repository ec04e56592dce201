from fastapi.testclient import TestClient

from app import app, greeting


def test_greeting_names_who_it_greets():
    assert greeting("you") == "Hello, you!"


def test_health_answers_ok():
    response = TestClient(app).get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
