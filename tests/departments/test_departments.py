import pytest
from sqlalchemy import func, select

from app.departments.models import Department
from tests.factories.customers import create_customer
from tests.factories.departments import create_department


class TestDepartmentCrud:
    async def test_admin_creates_reads_updates_deletes(self, client, admin):
        created = await client.post("/api/v1/departments", headers=admin, json={
            "id": "east", "name": "华东销售部", "head_id": "head.wang", "deputy_gm_id": "vp.li"})
        assert created.status_code == 201
        assert created.headers["location"] == "/api/v1/departments/east"
        body = created.json()
        assert body["head_id"] == "head.wang" and body["active"] is True and body["version"] == 1

        got = await client.get("/api/v1/departments/east", headers=admin)
        assert got.json() == body

        patched = await client.patch("/api/v1/departments/east", headers=admin,
                                     json={"head_id": "head.zhou", "active": False})
        assert patched.json()["head_id"] == "head.zhou" and patched.json()["version"] == 2

        listed = await client.get("/api/v1/departments", headers=admin, params={"active": False})
        assert [d["id"] for d in listed.json()["items"]] == ["east"]

        assert (await client.delete("/api/v1/departments/east", headers=admin)).status_code == 204
        assert (await client.get("/api/v1/departments/east", headers=admin)).status_code == 404

    @pytest.mark.parametrize("role", ["sales_rep", "dept_head", "gm", "finance", "auditor"])
    async def test_only_admins_write(self, client, session, headers_for, role):
        headers = headers_for(role, dept="east")
        response = await client.post("/api/v1/departments", headers=headers,
                                     json={"id": "x", "name": "X"})
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert await session.scalar(select(func.count()).select_from(Department)) == 0

    async def test_everyone_reads(self, client, session, headers_for):
        await create_department(session, id="east")
        response = await client.get("/api/v1/departments/east",
                                    headers=headers_for("sales_rep", dept="east"))
        assert response.status_code == 200

    @pytest.mark.parametrize("clash", [{"id": "east", "name": "Other"},
                                       {"id": "other", "name": "East"}])
    async def test_duplicate_id_or_name(self, client, session, admin, clash):
        await create_department(session, id="east", name="East")
        response = await client.post("/api/v1/departments", headers=admin, json=clash)
        assert response.status_code == 409 and response.json()["code"] == "department.duplicate"

    @pytest.mark.parametrize("bad_id", ["", "has space", "-leading", "x" * 33, "中文"])
    async def test_id_must_be_a_code(self, client, admin, bad_id):
        response = await client.post("/api/v1/departments", headers=admin,
                                     json={"id": bad_id, "name": "N"})
        assert response.status_code == 422

    async def test_department_with_customers_cannot_be_deleted(self, client, session, admin):
        department = await create_department(session, id="east")
        await create_customer(session, department=department)
        response = await client.delete("/api/v1/departments/east", headers=admin)
        assert response.status_code == 409 and response.json()["code"] == "department.in_use"
        assert (await client.get("/api/v1/departments/east", headers=admin)).status_code == 200

    async def test_unknown_department(self, client, admin):
        response = await client.patch("/api/v1/departments/nope", headers=admin, json={"name": "N"})
        assert response.status_code == 404 and response.json()["code"] == "department.not_found"
