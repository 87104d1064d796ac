"""SDK 0.21.5 (the user's guide's generation) runs the guide's admin flow against a live
``satchel serve``: ``pb.admins.authWithPassword``, collections in the v0.22 ``schema`` shape,
records with a protected file, realtime, settings, auth refresh, then delete."""

from __future__ import annotations

from typing import Any

from tests.e2e.serve_support import EMAIL, LiveServer, run_node

TEXT = {"min": 2, "max": 50, "pattern": ""}


def test_guide_admin_flow_with_sdk_021(live_server: LiveServer) -> None:
    out: dict[str, Any] = run_node("legacy_admin_flow.mjs", live_server.base)
    assert out["auth"] == {"keys": ["admin", "token"], "isAdmin": True, "email": EMAIL}
    assert out["created"]["name"] == "notes"
    assert out["created"]["schema"][0] == ["title", "text", True, TEXT]
    assert [f[0] for f in out["created"]["schema"]] == ["title", "views", "doc"]
    assert out["created"]["schema"][2][3]["protected"] is True
    assert out["created"]["options"] == {}
    assert out["listed"] == {"total": 1, "schemaNames": ["title", "views", "doc"]}
    assert out["updated"] == ["title", "views", "doc", "tags"]
    assert out["badSchema"]["status"] == 400
    assert out["record"] == {"title": "hello", "views": 3, "tags": ["a"], "collectionName": "notes"}
    assert out["invalidRecord"]["status"] == 400
    assert out["invalidRecord"]["data"]["title"]["code"] == "validation_min_text_constraint"
    assert out["file"] == {"status": 200, "body": "secret text", "without": 404}
    assert out["records"] == ["hello"]
    assert out["events"] == [["create", "hello"]]  # the admin token is a superuser in realtime too
    assert out["viewed"] == 4
    assert out["settingsHasMeta"] is True
    assert out["refreshed"] is True
    assert out["deleted"] is True
    assert out["afterDelete"]["status"] == 404
    assert out["guest"]["status"] == 401
