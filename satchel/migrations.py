"""What a ``pb_migrations/*.py`` file imports: helpers that change a collection.

    from satchel.migrations import add_field, new_collection, remove_field, unmarshal

    def up(app):
        collection = app.find_collection_by_name_or_id("posts")
        unmarshal({"listRule": ""}, collection)
        add_field(collection, 1, {"name": "title", "type": "text"})
        app.save(collection)
"""

from satchel.core.migrations import add_field, import_collections, new_collection, remove_field, unmarshal

__all__ = ["add_field", "import_collections", "new_collection", "remove_field", "unmarshal"]
