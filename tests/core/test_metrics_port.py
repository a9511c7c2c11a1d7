"""Prometheus metrics stay off the public API port outside development and test."""

import asyncio
import socket

import httpx
import pytest

from app.main import create_app
from tests.conftest import make_settings


async def _get(app, path: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


@pytest.mark.parametrize("overrides", [
    {"environment": "production", "webhook_secrets_keys": ["k" * 40]},
    {"environment": "production", "webhook_secrets_keys": ["k" * 40], "metrics_port": 9000},
    {"metrics_port": 9000},
], ids=["production", "production-with-metrics-port", "test-with-metrics-port"])
async def test_the_api_port_does_not_serve_metrics(overrides):
    response = await _get(create_app(make_settings(**overrides)), "/metrics")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_metrics_port_serves_them(engine):
    port = _free_port()
    app = create_app(make_settings(metrics_port=port, metrics_host="127.0.0.1"))
    async with app.router.lifespan_context(app):
        assert (await _get(app, "/healthz")).status_code == 200
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scraper:
            for _ in range(100):
                text = (await scraper.get("/metrics")).text
                if 'salesflow_webhook_deliveries{status="pending"}' in text:
                    break
                await asyncio.sleep(0.05)
    assert 'salesflow_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'salesflow_webhook_deliveries{status="pending"}' in text
    with pytest.raises(httpx.ConnectError):  # the server went with the app
        async with httpx.AsyncClient() as scraper:
            await scraper.get(f"http://127.0.0.1:{port}/metrics")
