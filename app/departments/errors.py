from app.core.errors import Conflict, NotFound


class DepartmentNotFound(NotFound):
    code = "department.not_found"
    title = "Department not found"


class DepartmentExists(Conflict):
    code = "department.duplicate"
    title = "A department with this id or name already exists"


class DepartmentInUse(Conflict):
    code = "department.in_use"
    title = "The department still has records; deactivate it instead"
