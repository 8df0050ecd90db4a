"""Millions of rows in one INSERT … SELECT (PostgreSQL), for tests and benchmarks that need size.

Columns not given an SQL expression get their field's default (``now()`` for auto timestamps),
so a field added later with a default does not break the callers.
"""

from django.db import connection, models


def insert_select(model: type[models.Model], source: str, exprs: dict[str, str], params=()):
    """INSERT INTO model's table the rows of ``SELECT <exprs…> <source>``.

    ``exprs`` maps field names to SQL expressions (trusted code, never user input) over the
    tables of ``source``; ``params`` fill the ``%s`` of ``source`` and follow the defaults'.
    """
    columns, values, defaults = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in exprs:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in exprs:
            values.append(exprs[field.name])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        elif field.has_default() or (field.empty_strings_allowed and not field.null):
            values.append("%s")
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            values.append("NULL")
        else:
            raise ValueError(f"{model.__name__}.{field.name} needs an expression")
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*defaults, *params])
