"""The blog's collections: posts (author stamped by a hook, a comment counter), comments, and
the digests the nightly job writes."""

from satchel.migrations import new_collection

USERS = "_pb_users_auth_"
SIGNED_IN = "@request.auth.id != ''"


def up(app):
    app.save(new_collection({
        "name": "posts",
        "type": "base",
        "listRule": "",
        "viewRule": "",
        "createRule": SIGNED_IN,
        "updateRule": "author = @request.auth.id",
        "deleteRule": "author = @request.auth.id",
        "fields": [
            {"name": "title", "type": "text", "required": True, "max": 200},
            {"name": "body", "type": "text"},
            {"name": "author", "type": "relation", "collectionId": USERS, "maxSelect": 1},
            {"name": "comments_count", "type": "number", "onlyInt": True, "min": 0},
            {"name": "created", "type": "autodate", "onCreate": True},
            {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
        ],
    }))
    posts = app.find_collection_by_name_or_id("posts")
    app.save(new_collection({
        "name": "comments",
        "type": "base",
        "listRule": "",
        "viewRule": "",
        "createRule": SIGNED_IN,
        "deleteRule": "author = @request.auth.id",
        "fields": [
            {"name": "post", "type": "relation", "collectionId": posts.id, "maxSelect": 1, "required": True,
             "cascadeDelete": True},
            {"name": "text", "type": "text", "required": True},
            {"name": "author", "type": "relation", "collectionId": USERS, "maxSelect": 1},
            {"name": "created", "type": "autodate", "onCreate": True},
        ],
    }))
    app.save(new_collection({
        "name": "digests",
        "type": "base",  # no rules: superusers only
        "fields": [
            {"name": "summary", "type": "text"},
            {"name": "created", "type": "autodate", "onCreate": True},
        ],
    }))


def down(app):
    for name in ("digests", "comments", "posts"):
        app.delete(app.find_collection_by_name_or_id(name))
