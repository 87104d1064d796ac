from __future__ import annotations

import json
from typing import Any

import pytest

from satchel.core.settings.model import (
    PbConfigError,
    RateLimitRule,
    SettingsDecodeError,
    apply_pb_config_filesystem,
    check_cron_expression,
    decode_param_value,
    default_settings,
    dump_settings_param,
    encode_param_value,
    load_settings_param,
    merge_patch,
    settings_from_storage_json,
    settings_to_api_dict,
    settings_to_storage_dict,
    settings_to_storage_json,
    validate_settings,
)
from satchel.errors import error_tree_to_dict
from satchel.tools.security import DecryptError, decrypt

# GET /api/settings of a fresh PocketBase 0.40.6 (spec 12 §1), verbatim.
SPEC_DEFAULTS = """{"superuserIPs":[],
 "smtp":{"enabled":false,"port":587,"host":"smtp.example.com","username":"","authMethod":"","tls":false,"localName":""},
 "backups":{"cron":"","cronMaxKeep":3,"s3":{"enabled":false,"bucket":"","region":"","endpoint":"","accessKey":"","forcePathStyle":false}},
 "s3":{"enabled":false,"bucket":"","region":"","endpoint":"","accessKey":"","forcePathStyle":false},
 "meta":{"accentColor":"#1055c9","appName":"Acme","appURL":"http://localhost:8090","senderName":"Support","senderAddress":"support@example.com","hideControls":false},
 "rateLimits":{"rules":[{"label":"*:auth","audience":"","duration":3,"maxRequests":2},
                        {"label":"*:create","audience":"","duration":5,"maxRequests":20},
                        {"label":"/api/batch","audience":"","duration":1,"maxRequests":3},
                        {"label":"/api/","audience":"","duration":10,"maxRequests":300}],
               "excludedIPs":[],"enabled":false},
 "trustedProxy":{"headers":[],"useLeftmostIP":false},
 "batch":{"enabled":false,"maxRequests":50,"timeout":3,"maxBodySize":0},
 "logs":{"maxDataSize":0,"maxDays":5,"minLevel":0,"logIP":true,"logAuthId":false}}"""

KEY = "abcdabcdabcdabcdabcdabcdabcdabcd"


def key_tree(value: Any) -> Any:
    """Nested key lists (order-sensitive) of a JSON value."""
    if isinstance(value, dict):
        return [(k, key_tree(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [key_tree(v) for v in value]
    return None


def errors_of(s: Any) -> dict[str, Any]:
    return error_tree_to_dict(validate_settings(s))


# ---------------------------------------------------------------------------- defaults


def test_defaults_match_spec_exactly_including_key_order() -> None:
    expected = json.loads(SPEC_DEFAULTS)
    got = settings_to_api_dict(default_settings())
    assert got == expected
    assert key_tree(got) == key_tree(expected)
    assert json.dumps(got, separators=(",", ":")) == json.dumps(expected, separators=(",", ":"))


def test_defaults_are_valid() -> None:
    assert validate_settings(default_settings()) == {}


def test_defaults_are_fresh_objects() -> None:
    a = default_settings()
    a.rate_limits.rules.clear()
    assert len(default_settings().rate_limits.rules) == 4


# ---------------------------------------------------------------------------- masking


def with_secrets() -> Any:
    return merge_patch(default_settings(), {
        "smtp": {"password": "PW"},
        "s3": {"secret": "S1"},
        "backups": {"s3": {"secret": "S2"}},
    })


def test_api_dict_omits_secrets() -> None:
    api = settings_to_api_dict(with_secrets())
    assert "password" not in api["smtp"]
    assert "secret" not in api["s3"]
    assert "secret" not in api["backups"]["s3"]
    assert "PW" not in json.dumps(api)


def test_storage_keeps_secrets_in_go_key_order() -> None:
    stored = settings_to_storage_dict(with_secrets())
    assert list(stored["smtp"]) == ["enabled", "port", "host", "username", "password", "authMethod",
                                    "tls", "localName"]
    assert stored["smtp"]["password"] == "PW"
    assert list(stored["s3"]) == ["enabled", "bucket", "region", "endpoint", "accessKey", "secret",
                                  "forcePathStyle"]
    assert stored["s3"]["secret"] == "S1"
    assert stored["backups"]["s3"]["secret"] == "S2"
    # empty S3 secrets are omitted (Go omitempty), the smtp password is always present
    plain = settings_to_storage_dict(default_settings())
    assert "secret" not in plain["s3"]
    assert plain["smtp"]["password"] == ""


# ---------------------------------------------------------------------------- merge / PATCH


def test_patch_keeps_unsent_secrets() -> None:
    s = with_secrets()
    s2 = merge_patch(s, {"backups": {"s3": {"enabled": False}}, "smtp": {"host": "mail.example.com"}})
    assert s2.backups.s3.secret == "S2"
    assert s2.smtp.password == "PW"
    assert s2.smtp.host == "mail.example.com"
    assert s2.smtp.port == 587  # sibling keys untouched
    # an explicit value (even "") replaces it, like Go's json.Unmarshal
    assert merge_patch(s, {"smtp": {"password": ""}}).smtp.password == ""


def test_patch_does_not_mutate_input() -> None:
    s = default_settings()
    merge_patch(s, {"meta": {"appName": "X"}, "rateLimits": {"rules": []}})
    assert s.meta.app_name == "Acme"
    assert len(s.rate_limits.rules) == 4


def test_patch_arrays_replace() -> None:
    s = merge_patch(default_settings(), {"rateLimits": {"rules": [
        {"label": "users:list", "audience": "@guest", "duration": 10, "maxRequests": 2}]}})
    assert s.rate_limits.rules == [RateLimitRule("users:list", "@guest", 10, 2)]
    s = merge_patch(default_settings(), {"superuserIPs": ["127.0.0.1", "10.0.0.0/8"]})
    assert s.superuser_ips == ["127.0.0.1", "10.0.0.0/8"]
    s = merge_patch(s, {"superuserIPs": ["::1"]})
    assert s.superuser_ips == ["::1"]


def test_patch_array_object_elements_merge_by_index_like_go() -> None:
    s = merge_patch(default_settings(), {"rateLimits": {"rules": [{"label": "x"}, None]}})
    assert s.rate_limits.rules == [RateLimitRule("x", "", 3, 2), RateLimitRule("*:create", "", 5, 20)]
    # new elements beyond the current length start from zero values
    s = merge_patch(default_settings(), {"rateLimits": {"rules": [{}, {}, {}, {}, {"label": "y"}]}})
    assert s.rate_limits.rules[4] == RateLimitRule("y", "", 0, 0)


def test_patch_null_semantics() -> None:
    s = merge_patch(default_settings(), {"meta": None, "smtp": {"port": None}, "trustedProxy": {"headers": None}})
    assert s.meta.app_name == "Acme"
    assert s.smtp.port == 587
    assert s.trusted_proxy.headers == []
    assert settings_to_api_dict(merge_patch(s, {"rateLimits": {"rules": None}}))["rateLimits"]["rules"] == []
    assert merge_patch(s, None) == s


def test_patch_unknown_keys_ignored_and_case_insensitive_match() -> None:
    s = merge_patch(default_settings(), {"foo": 1, "meta": {"APPNAME": "Upper", "bar": True}})
    assert s.meta.app_name == "Upper"
    s = merge_patch(default_settings(), {"meta": {"APPNAME": "Folded", "appName": "Exact"}})
    assert s.meta.app_name == "Exact"


@pytest.mark.parametrize("patch", [
    {"meta": {"appName": 1}},
    {"meta": "x"},
    {"smtp": {"port": "587"}},
    {"smtp": {"port": 5.5}},
    {"smtp": {"port": 2**63}},
    {"smtp": {"enabled": 1}},
    {"batch": {"maxRequests": True}},
    {"superuserIPs": "127.0.0.1"},
    {"superuserIPs": [1]},
    {"rateLimits": {"rules": ["x"]}},
    {"rateLimits": {"rules": [{"duration": "3"}]}},
])
def test_patch_type_errors(patch: dict[str, Any]) -> None:
    with pytest.raises(SettingsDecodeError):
        merge_patch(default_settings(), patch)


def test_patch_top_level_must_be_object() -> None:
    with pytest.raises(SettingsDecodeError):
        merge_patch(default_settings(), [1, 2])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- validation


def test_validation_matches_spec_capture() -> None:
    s = merge_patch(default_settings(), {
        "batch": {"enabled": True, "maxRequests": 0, "timeout": 0},
        "logs": {"maxDays": -1},
        "meta": {"accentColor": "#fff"},
        "superuserIPs": ["nope"],
    })
    expected = json.loads("""{"batch":{"maxRequests":{"code":"validation_required","message":"Cannot be blank."},"timeout":{"code":"validation_required","message":"Cannot be blank."}},
 "logs":{"maxDays":{"code":"validation_min_greater_equal_than_required","message":"Must be no less than 0.","params":{"threshold":0}}},
 "meta":{"accentColor":{"code":"validation_length_invalid","message":"The length must be exactly 7.","params":{"max":7,"min":7}}},
 "superuserIPs":{"0":{"code":"validation_invlaid_ip_or_subnet","message":"Invalid IP or CIDR subnet."}}}""")
    got = errors_of(s)
    assert got == expected
    assert key_tree(got) == key_tree(expected)  # Go map order (alphabetical)


def code(errors: dict[str, Any], *path: str) -> str:
    node: Any = errors
    for p in path:
        node = node[p]
    return str(node["code"])


def test_meta_rules() -> None:
    e = errors_of(merge_patch(default_settings(), {"meta": {
        "appName": "", "appURL": "", "senderName": "", "senderAddress": "", "accentColor": "#zzzzzz"}}))
    assert e["meta"] == {
        "accentColor": {"code": "validation_is_hex_color", "message": "Must be a valid hexadecimal color code."},
        "appName": {"code": "validation_required", "message": "Cannot be blank."},
        "appURL": {"code": "validation_required", "message": "Cannot be blank."},
        "senderAddress": {"code": "validation_required", "message": "Cannot be blank."},
        "senderName": {"code": "validation_required", "message": "Cannot be blank."},
    }
    e = errors_of(merge_patch(default_settings(), {"meta": {
        "appName": "x" * 256, "appURL": "not a url", "senderAddress": "nope", "accentColor": ""}}))
    assert e["meta"]["appName"] == {"code": "validation_length_out_of_range",
                                    "message": "The length must be between 1 and 255.",
                                    "params": {"max": 255, "min": 1}}
    assert e["meta"]["appURL"] == {"code": "validation_is_url", "message": "Must be a valid URL."}
    assert e["meta"]["senderAddress"] == {"code": "validation_is_email",
                                          "message": "Must be a valid email address."}
    assert "accentColor" not in e["meta"]  # optional


@pytest.mark.parametrize("url", [
    "http://localhost:8090", "https://example.com", "https://sub.example.co.uk/path?x=1#y",
    "http://127.0.0.1:9000", "http://[::1]:8090/", "example.com", "localhost:8090",
    "https://user:pass@example.com/", "http://my-app.fly.dev",
])
def test_valid_urls(url: str) -> None:
    s = merge_patch(default_settings(), {"meta": {"appURL": url}})
    assert validate_settings(s) == {}


@pytest.mark.parametrize("url", [
    "not a url", "localhost", "http://", "abc", ".example.com", "http://exa mple.com",
    "http://example.com:port", "http://999.1.1.1", "ftp:/x y",
])
def test_invalid_urls(url: str) -> None:
    s = merge_patch(default_settings(), {"meta": {"appURL": url}})
    assert code(errors_of(s), "meta", "appURL") == "validation_is_url"


@pytest.mark.parametrize(("email", "ok"), [
    ("support@example.com", True), ("a.b+c@sub.example.org", True), ("x@localhost", False),
    ("nope", False), ("a@b.c1", False), ("@example.com", False), ("a@@example.com", False),
    ("=?utf-8?q?x?=@example.com", False),
])
def test_sender_address(email: str, ok: bool) -> None:
    s = merge_patch(default_settings(), {"meta": {"senderAddress": email}})
    assert (validate_settings(s) == {}) is ok


def test_smtp_rules() -> None:
    e = errors_of(merge_patch(default_settings(), {"smtp": {"enabled": True, "host": "", "port": 0}}))
    assert code(e, "smtp", "host") == "validation_required"
    assert code(e, "smtp", "port") == "validation_required"
    e = errors_of(merge_patch(default_settings(), {"smtp": {
        "host": "bad host!", "port": -1, "authMethod": "CRAM", "localName": "a b"}}))
    assert e["smtp"] == {
        "authMethod": {"code": "validation_in_invalid", "message": "Must be a valid value."},
        "host": {"code": "validation_is_host", "message": "Must be a valid IP address or DNS name."},
        "localName": {"code": "validation_is_host", "message": "Must be a valid IP address or DNS name."},
        "port": {"code": "validation_min_greater_equal_than_required", "message": "Must be no less than 0.",
                 "params": {"threshold": 0}},
    }
    ok = merge_patch(default_settings(), {"smtp": {
        "enabled": True, "host": "127.0.0.1", "port": 25, "authMethod": "LOGIN", "localName": "mx.local"}})
    assert validate_settings(ok) == {}


def test_s3_rules() -> None:
    e = errors_of(merge_patch(default_settings(), {"s3": {"enabled": True},
                                                   "backups": {"s3": {"enabled": True}}}))
    required = {"code": "validation_required", "message": "Cannot be blank."}
    expected = {k: required for k in ("accessKey", "bucket", "endpoint", "region", "secret")}
    assert e["s3"] == expected
    assert e["backups"]["s3"] == expected
    assert list(e["s3"]) == sorted(expected)
    e = errors_of(merge_patch(default_settings(), {"s3": {"endpoint": "::bad::"}}))
    assert e == {"s3": {"endpoint": {"code": "validation_is_url", "message": "Must be a valid URL."}}}
    ok = merge_patch(default_settings(), {"s3": {"enabled": True, "bucket": "b", "region": "us-east-1",
                                                 "endpoint": "http://127.0.0.1:9000", "accessKey": "AK",
                                                 "secret": "SK"}})
    assert validate_settings(ok) == {}


def test_backups_rules() -> None:
    e = errors_of(merge_patch(default_settings(), {"backups": {"cron": "* * *", "cronMaxKeep": 0}}))
    assert e["backups"] == {
        "cron": {"code": "validation_invalid_cron",
                 "message": "Invalid cron expression - must be a valid macro or to have exactly 5 space "
                            "separated segments."},
        "cronMaxKeep": {"code": "validation_required", "message": "Cannot be blank."},
    }
    e = errors_of(merge_patch(default_settings(), {"backups": {"cronMaxKeep": -2}}))
    assert e["backups"]["cronMaxKeep"]["params"] == {"threshold": 1}
    for cron in ("0 3 * * *", "@daily", "*/15 1-5 1,15 * 0-6", "@annually"):
        assert validate_settings(merge_patch(default_settings(), {"backups": {"cron": cron}})) == {}
    # no cron -> cronMaxKeep 0 is fine
    assert validate_settings(merge_patch(default_settings(), {"backups": {"cronMaxKeep": 0}})) == {}


@pytest.mark.parametrize(("expr", "message"), [
    ("", "invalid cron expression - must be a valid macro or to have exactly 5 space separated segments"),
    ("@every", "invalid cron expression - must be a valid macro or to have exactly 5 space separated segments"),
    ("60 * * * *", "invalid segment value - must be between the min and max of the segment"),
    ("x * * * *", 'strconv.Atoi: parsing "x": invalid syntax'),
    ("*/0 * * * *", "invalid segment step boundary - the step must be between 1 and the 59"),
    ("5/2 * * * *", "invalid segment step - step > 1 could be used only with the wildcard or range format"),
    ("* 5-2 * * *", "invalid segment range maximum - must be between 5 and 23"),
    ("* * 0-3 * *", "invalid segment range minimum - must be between 1 and 31"),
    ("* * * 1-2-3 *", "invalid segment range format - the range must have 1 or 2 parts"),
    ("* * * * 1/2/3", "invalid segment step format - must be in the format */n or 1-30/n"),
    ("0  * * *", 'strconv.Atoi: parsing "": invalid syntax'),
])
def test_cron_errors(expr: str, message: str) -> None:
    assert check_cron_expression(expr) == message


def test_batch_rules() -> None:
    e = errors_of(merge_patch(default_settings(), {"batch": {"maxRequests": -1, "timeout": -1,
                                                             "maxBodySize": -1}}))
    assert set(e["batch"]) == {"maxRequests", "timeout", "maxBodySize"}
    assert all(v["code"] == "validation_min_greater_equal_than_required" for v in e["batch"].values())
    # disabled -> zeros are fine
    assert validate_settings(merge_patch(default_settings(), {"batch": {"maxRequests": 0}})) == {}


def test_rate_limit_rules() -> None:
    e = errors_of(merge_patch(default_settings(), {"rateLimits": {"enabled": True, "rules": []}}))
    assert e == {"rateLimits": {"rules": {"code": "validation_required", "message": "Cannot be blank."}}}
    assert validate_settings(merge_patch(default_settings(), {"rateLimits": {"rules": []}})) == {}

    e = errors_of(merge_patch(default_settings(), {"rateLimits": {"rules": [
        {"label": "", "duration": 0, "maxRequests": 0, "audience": "@x"},
        {"label": "bad label!", "duration": -1, "maxRequests": -1},
    ]}}))
    assert e["rateLimits"]["rules"] == {
        "0": {"audience": {"code": "validation_in_invalid", "message": "Must be a valid value."},
              "duration": {"code": "validation_required", "message": "Cannot be blank."},
              "label": {"code": "validation_required", "message": "Cannot be blank."},
              "maxRequests": {"code": "validation_required", "message": "Cannot be blank."}},
        "1": {"duration": {"code": "validation_min_greater_equal_than_required",
                           "message": "Must be no less than 1.", "params": {"threshold": 1}},
              "label": {"code": "validation_match_invalid", "message": "Must be in a valid format."},
              "maxRequests": {"code": "validation_min_greater_equal_than_required",
                              "message": "Must be no less than 1.", "params": {"threshold": 1}}},
    }
    for label in ("users:create", "*:auth", "/api/", "POST /api/batch", "tag_1", "/"):
        rules = [{"label": label, "duration": 1, "maxRequests": 1}]
        assert validate_settings(merge_patch(default_settings(), {"rateLimits": {"rules": rules}})) == {}


def test_rate_limit_conflicts() -> None:
    e = errors_of(merge_patch(default_settings(), {"rateLimits": {"rules": [
        {"label": "*:auth", "duration": 1, "maxRequests": 1},
        {"label": "/api/", "duration": 1, "maxRequests": 1},
        {"label": "*:auth", "audience": "@guest", "duration": 1, "maxRequests": 1},
        {"label": "", "duration": 0, "maxRequests": 0},
    ]}}))
    # the conflict check runs first and reports only the first conflict
    assert e["rateLimits"]["rules"] == {"2": {"label": {
        "code": "validation_conflicting_rate_limit_rule",
        "message": "Rate limit rule configuration with label *:auth already exists or conflicts with "
                   "another rule.",
        "params": {"label": "*:auth"}}}}
    ok = [{"label": "*:auth", "audience": "@guest", "duration": 1, "maxRequests": 1},
          {"label": "*:create", "audience": "@auth", "duration": 1, "maxRequests": 1}]
    assert validate_settings(merge_patch(default_settings(), {"rateLimits": {"rules": ok}})) == {}


def test_ip_lists() -> None:
    s = merge_patch(default_settings(), {
        "superuserIPs": ["127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32", "fe80::1%eth0", "1.2.3.4/24"],
        "rateLimits": {"excludedIPs": ["", "1.2.3.4/33", "1.2.3", "01.2.3.4"]},
    })
    e = errors_of(s)
    assert "superuserIPs" not in e
    assert e["rateLimits"]["excludedIPs"] == {
        "0": {"code": "validation_required", "message": "Cannot be blank."},
        "1": {"code": "validation_invlaid_ip_or_subnet", "message": "Invalid IP or CIDR subnet."},
        "2": {"code": "validation_invlaid_ip_or_subnet", "message": "Invalid IP or CIDR subnet."},
        "3": {"code": "validation_invlaid_ip_or_subnet", "message": "Invalid IP or CIDR subnet."},
    }


def test_trusted_proxy_has_no_rules() -> None:
    s = merge_patch(default_settings(), {"trustedProxy": {"headers": ["X-Forwarded-For", ""],
                                                          "useLeftmostIP": True}})
    assert validate_settings(s) == {}
    assert settings_to_api_dict(s)["trustedProxy"] == {"headers": ["X-Forwarded-For", ""],
                                                       "useLeftmostIP": True}


def test_find_rate_limit_rule() -> None:
    rl = default_settings().rate_limits
    assert rl.find_rule(["users:auth", "*:auth", "POST /api/x", "/api/x"]) == rl.rules[0]
    assert rl.find_rule(["POST /api/batch", "/api/batch"]) == rl.rules[2]
    assert rl.find_rule(["/api/collections/x/records"]) == rl.rules[3]  # prefix rule
    assert rl.find_rule(["/other"]) is None
    assert rl.find_rule(["*:auth"], only_audience=["@guest"]) is None


# ---------------------------------------------------------------------------- storage


def test_storage_round_trip() -> None:
    s = with_secrets()
    s = merge_patch(s, {"meta": {"appName": "<Tom & Jerry>"}, "superuserIPs": ["::1"]})
    raw = settings_to_storage_json(s)
    assert "\\u003cTom \\u0026 Jerry\\u003e" in raw  # Go's HTML-safe escaping
    assert " " not in raw.replace("Tom ", "").replace("& ", "").replace(" Jerry", "")
    assert settings_from_storage_json(raw) == s
    assert settings_from_storage_json(raw.encode()) == s


def test_storage_fills_missing_keys_with_defaults() -> None:
    old = json.dumps({"meta": {"appName": "Old"}, "smtp": {"password": "PW"}, "googleAuth": {"enabled": True}})
    s = settings_from_storage_json(old)
    assert s.meta.app_name == "Old"
    assert s.meta.accent_color == "#1055c9"
    assert s.smtp.password == "PW"
    assert s.smtp.port == 587
    assert len(s.rate_limits.rules) == 4
    assert settings_from_storage_json("{}") == default_settings()


@pytest.mark.parametrize("raw", ["", "not json", "[1]", '{"smtp":{"port":"x"}}'])
def test_storage_bad_json(raw: str) -> None:
    with pytest.raises(SettingsDecodeError):
        settings_from_storage_json(raw)


def test_param_value_plain() -> None:
    text = settings_to_storage_json(default_settings())
    assert encode_param_value(text, None) == text
    assert encode_param_value(text, "") == text
    assert decode_param_value(text, None) == text
    assert decode_param_value(text.encode(), KEY) == text  # plain is tried first


def test_param_value_encrypted() -> None:
    s = with_secrets()
    raw = dump_settings_param(s, KEY)
    assert not raw.startswith("{")
    assert json.loads(decrypt(raw, KEY)) == settings_to_storage_dict(s)
    assert load_settings_param(raw, KEY) == s
    assert load_settings_param(json.dumps(raw), KEY) == s  # tolerate a JSON-quoted cipher text
    with pytest.raises(SettingsDecodeError) as exc:
        decode_param_value(raw, None)
    assert str(exc.value) == 'invalid settings db data or missing encryption key ""'
    with pytest.raises(SettingsDecodeError, match='missing encryption key "PB_KEY"'):
        decode_param_value(raw, "", env_name="PB_KEY")
    with pytest.raises(DecryptError):
        decode_param_value(raw, "z" * 32)


# ---------------------------------------------------------------------------- pb_config.yaml


FS = {
    "endpoint": "http://127.0.0.1:9000",
    "bucket": "mybucket",
    "region": "us-east-1",
    "accessKey": "AK",
    "secretKey": "SK",
    "forcePathStyle": True,
}


def test_pb_config_filesystem_maps_to_s3() -> None:
    s = apply_pb_config_filesystem(default_settings(), {"filesystem": FS})
    assert s.s3.enabled is True
    assert (s.s3.endpoint, s.s3.bucket, s.s3.region, s.s3.access_key, s.s3.secret, s.s3.force_path_style) == (
        "http://127.0.0.1:9000", "mybucket", "us-east-1", "AK", "SK", True)
    assert "secret" not in settings_to_api_dict(s)["s3"]
    assert s.backups.s3.enabled is False
    # the section itself is accepted too
    assert apply_pb_config_filesystem(default_settings(), FS) == s


def test_pb_config_targets_backups_s3() -> None:
    s = apply_pb_config_filesystem(default_settings(), {"filesystem": FS}, target="backups.s3")
    assert s.backups.s3.enabled and s.backups.s3.secret == "SK"
    assert not s.s3.enabled


def test_pb_config_absent_or_empty_is_noop() -> None:
    base = default_settings()
    assert apply_pb_config_filesystem(base, None) == base
    assert apply_pb_config_filesystem(base, {"filesystem": None}) == base
    assert apply_pb_config_filesystem(base, {"filesystem": {}}) == base


def test_pb_config_partial_keeps_stored_values_and_numeric_bucket() -> None:
    stored = apply_pb_config_filesystem(default_settings(), {"filesystem": FS})
    s = apply_pb_config_filesystem(stored, {"filesystem": {"bucket": 2024}})
    assert s.s3.bucket == "2024"
    assert s.s3.secret == "SK"


@pytest.mark.parametrize(("section", "match"), [
    ({**FS, "secret": "x"}, "unknown key 'filesystem.secret'"),
    ({**FS, "forcePathStyle": "yes please"}, "'filesystem.forcePathStyle' must be a boolean"),
    ({**FS, "endpoint": ["x"]}, "'filesystem.endpoint' must be a string"),
    ({**FS, "endpoint": "not a url"}, r"s3\.endpoint: Must be a valid URL\."),
    ({"endpoint": "http://127.0.0.1:9000"}, r"s3\.accessKey: Cannot be blank\."),
    ("oops", "'filesystem' must be a mapping"),
])
def test_pb_config_errors(section: Any, match: str) -> None:
    with pytest.raises(PbConfigError, match=match):
        apply_pb_config_filesystem(default_settings(), {"filesystem": section})


def test_field_types_read_from_annotations_are_what_typing_gives() -> None:
    """The settings codec reads each field's type from its annotation text without
    ``typing.get_type_hints`` (start-up, docs/performance.md): the same types."""
    import dataclasses
    import typing

    from satchel.core.settings import model

    classes = [c for c in vars(model).values()
               if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == model.__name__]
    assert model.Settings in classes and model.RateLimitsConfig in classes
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            assert model._hint(f.type) == hints[f.name], (cls, f.name)

