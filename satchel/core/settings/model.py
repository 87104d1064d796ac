"""Application settings: model, defaults, PATCH merge, validation and storage.

Pure logic (no I/O).  Mirrors PocketBase v0.40 ``core/settings_model.go``:

* the model is a tree of dataclasses whose fields carry their JSON names;
* :func:`merge_patch` reproduces Go's ``json.Unmarshal`` into a copy of the
  current settings (objects merge key by key, ``null`` leaves scalars/objects
  unchanged and resets arrays, arrays replace - but array *elements* that are
  objects merge into the element at the same index, like Go does; keys match
  exactly first, then case-insensitively; unknown keys are ignored; a value of
  the wrong JSON type raises :class:`SettingsDecodeError`);
* :func:`validate_settings` returns PocketBase's (ozzo-validation) error tree;
* :func:`settings_to_api_dict` is the ``GET /api/settings`` body (secrets omitted);
* :func:`settings_to_storage_json` / :func:`settings_from_storage_json` are the
  ``_params.value`` payload for id ``settings`` (secrets included) and
  :func:`encode_param_value` / :func:`decode_param_value` add the optional
  ``--encryptionEnv`` AES-GCM layer.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from satchel.errors import ErrorTree, ValidationError, sentenize
from satchel.tools.lazy_re import LazyPattern
from satchel.tools.security.crypto import decrypt, encrypt

__all__ = [
    "PARAMS_KEY_SETTINGS",
    "PARAMS_TABLE",
    "RATE_LIMIT_AUDIENCE_ALL",
    "RATE_LIMIT_AUDIENCE_AUTH",
    "RATE_LIMIT_AUDIENCE_GUEST",
    "BackupsConfig",
    "BatchConfig",
    "LogsConfig",
    "MetaConfig",
    "PbConfigError",
    "RateLimitRule",
    "RateLimitsConfig",
    "S3Config",
    "SMTPConfig",
    "Settings",
    "SettingsDecodeError",
    "TrustedProxyConfig",
    "apply_pb_config_filesystem",
    "check_cron_expression",
    "clone_settings",
    "decode_param_value",
    "default_settings",
    "encode_param_value",
    "load_settings_param",
    "dump_settings_param",
    "merge_patch",
    "settings_from_storage_json",
    "settings_to_api_dict",
    "settings_to_storage_dict",
    "settings_to_storage_json",
    "validate_settings",
]

PARAMS_TABLE = "_params"
PARAMS_KEY_SETTINGS = "settings"

RATE_LIMIT_AUDIENCE_ALL = ""
RATE_LIMIT_AUDIENCE_GUEST = "@guest"
RATE_LIMIT_AUDIENCE_AUTH = "@auth"

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


class SettingsDecodeError(ValueError):
    """A settings JSON value has the wrong type (Go's ``json.UnmarshalTypeError``).

    The PATCH endpoint answers it with 400 "An error occurred while loading the
    submitted data.".
    """


class PbConfigError(ValueError):
    """``pb_config.yaml`` holds an unknown key or an invalid value."""


def _jf(name: str, default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING,
        secret: bool = False, omitempty: bool = False) -> Any:
    """A dataclass field carrying its JSON name (and secret/omitempty flags)."""
    meta = {"json": name, "secret": secret, "omitempty": omitempty}
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


# ---------------------------------------------------------------------------------------
# Model.  Field defaults are Go's zero values; PocketBase's defaults live in
# default_settings().  Field order = JSON key order.


@dataclass
class SMTPConfig:
    """``settings.smtp``: the mail server."""
    enabled: bool = _jf("enabled", False)
    port: int = _jf("port", 0)
    host: str = _jf("host", "")
    username: str = _jf("username", "")
    password: str = _jf("password", "", secret=True)
    #: "" (falls back to PLAIN), "PLAIN" or "LOGIN".
    auth_method: str = _jf("authMethod", "")
    #: True = implicit TLS; False = STARTTLS when the server offers it.
    tls: bool = _jf("tls", False)
    #: EHLO/HELO name ("" = "localhost").
    local_name: str = _jf("localName", "")


@dataclass
class S3Config:
    """``settings.s3`` (and ``settings.backups.s3``): an S3-compatible bucket."""
    enabled: bool = _jf("enabled", False)
    bucket: str = _jf("bucket", "")
    region: str = _jf("region", "")
    endpoint: str = _jf("endpoint", "")
    access_key: str = _jf("accessKey", "")
    secret: str = _jf("secret", "", secret=True, omitempty=True)
    force_path_style: bool = _jf("forcePathStyle", False)


@dataclass
class BackupsConfig:
    """``settings.backups``: automatic backups and where they go."""
    #: 5-field cron expression or macro; "" disables auto backups.
    cron: str = _jf("cron", "")
    cron_max_keep: int = _jf("cronMaxKeep", 0)
    s3: S3Config = _jf("s3", factory=S3Config)


@dataclass
class MetaConfig:
    """``settings.meta``: the application's name, URL and mail sender."""
    accent_color: str = _jf("accentColor", "")
    app_name: str = _jf("appName", "")
    app_url: str = _jf("appURL", "")
    sender_name: str = _jf("senderName", "")
    sender_address: str = _jf("senderAddress", "")
    hide_controls: bool = _jf("hideControls", False)


@dataclass
class RateLimitRule:
    """One rate-limit rule: which requests, for whom, how many per interval."""
    #: tag, "<collection>:<tag>", "*:<tag>", "/path", "/path/" (prefix) or "METHOD /path".
    label: str = _jf("label", "")
    #: "" (everyone), "@guest" or "@auth".
    audience: str = _jf("audience", "")
    #: window in seconds.
    duration: int = _jf("duration", 0)
    max_requests: int = _jf("maxRequests", 0)


@dataclass
class RateLimitsConfig:
    """``settings.rateLimits``: the rules and whether they apply."""
    rules: list[RateLimitRule] = _jf("rules", factory=list)
    excluded_ips: list[str] = _jf("excludedIPs", factory=list)
    enabled: bool = _jf("enabled", False)

    def find_rule(self, search_labels: Sequence[str],
                  only_audience: Iterable[str] = ()) -> RateLimitRule | None:
        """The first rule matching ``search_labels`` (in order), like Go's FindRateLimitRule.

        Exact label matches win for each search label; rules whose label ends with
        ``/`` also match as path prefixes (collected while scanning the first search
        label only).  ``only_audience`` (if given) restricts the rule audiences.
        """
        audiences = tuple(only_audience)

        def ok(rule: RateLimitRule) -> bool:
            return not audiences or rule.audience in audiences

        prefix_rules: list[RateLimitRule] = []
        for i, label in enumerate(search_labels):
            for rule in self.rules:
                if label == rule.label and ok(rule):
                    return rule
                if i == 0 and rule.label.endswith("/"):
                    prefix_rules.append(rule)
            for rule in prefix_rules:
                if (label + "/").startswith(rule.label) and ok(rule):
                    return rule
        return None


@dataclass
class TrustedProxyConfig:
    """``settings.trustedProxy``: the headers that carry the client's address."""
    headers: list[str] = _jf("headers", factory=list)
    use_leftmost_ip: bool = _jf("useLeftmostIP", False)


@dataclass
class BatchConfig:
    """``settings.batch``: the batch endpoint's limits."""
    enabled: bool = _jf("enabled", False)
    max_requests: int = _jf("maxRequests", 0)
    #: seconds.
    timeout: int = _jf("timeout", 0)
    #: bytes; 0 = ~128 MB.
    max_body_size: int = _jf("maxBodySize", 0)


@dataclass
class LogsConfig:
    """``settings.logs``: request logs kept, for how long, and at which level."""
    #: bytes of a log's ``data`` JSON kept (0 = 16384).
    max_data_size: int = _jf("maxDataSize", 0)
    #: 0 disables request logs.
    max_days: int = _jf("maxDays", 0)
    #: slog level: -4 DEBUG, 0 INFO, 4 WARN, 8 ERROR.
    min_level: int = _jf("minLevel", 0)
    log_ip: bool = _jf("logIP", False)
    log_auth_id: bool = _jf("logAuthId", False)


@dataclass
class Settings:
    """The application settings (PocketBase's ``core.Settings``)."""
    superuser_ips: list[str] = _jf("superuserIPs", factory=list)
    smtp: SMTPConfig = _jf("smtp", factory=SMTPConfig)
    backups: BackupsConfig = _jf("backups", factory=BackupsConfig)
    s3: S3Config = _jf("s3", factory=S3Config)
    meta: MetaConfig = _jf("meta", factory=MetaConfig)
    rate_limits: RateLimitsConfig = _jf("rateLimits", factory=RateLimitsConfig)
    trusted_proxy: TrustedProxyConfig = _jf("trustedProxy", factory=TrustedProxyConfig)
    batch: BatchConfig = _jf("batch", factory=BatchConfig)
    logs: LogsConfig = _jf("logs", factory=LogsConfig)


def default_settings() -> Settings:
    """The settings of a fresh PocketBase instance."""
    return Settings(
        meta=MetaConfig(
            accent_color="#1055c9",
            app_name="Acme",
            app_url="http://localhost:8090",
            sender_name="Support",
            sender_address="support@example.com",
        ),
        logs=LogsConfig(max_days=5, log_ip=True),
        smtp=SMTPConfig(host="smtp.example.com", port=587),
        backups=BackupsConfig(cron_max_keep=3),
        batch=BatchConfig(max_requests=50, timeout=3),
        rate_limits=RateLimitsConfig(
            enabled=False,
            rules=[
                RateLimitRule(label="*:auth", max_requests=2, duration=3),
                RateLimitRule(label="*:create", max_requests=20, duration=5),
                RateLimitRule(label="/api/batch", max_requests=3, duration=1),
                RateLimitRule(label="/api/", max_requests=300, duration=10),
            ],
        ),
    )


def clone_settings(s: Settings) -> Settings:
    """A deep copy."""
    return copy.deepcopy(s)


# ---------------------------------------------------------------------------------------
# Reflection helpers (field name <-> JSON key, kinds).


@dataclass(frozen=True)
class _FieldSpec:
    """How one settings attribute maps to its JSON key and kind."""
    attr: str
    json: str
    kind: str  # "bool" | "int" | "str" | "list" | "struct"
    item: Any  # list item type (str or a dataclass) / struct type
    secret: bool
    omitempty: bool


_SPECS_CACHE: dict[type, tuple[_FieldSpec, ...]] = {}


_SCALARS: dict[str, type] = {"bool": bool, "int": int, "str": str}


def _hint(annotation: Any) -> Any:
    """A field's annotation as a type: what ``typing.get_type_hints`` gives for the forms this
    module uses (``bool``, ``int``, ``str``, ``list[X]``, a settings class), without compiling
    each annotation's text (51 compiles when the App loads its settings at start-up)."""
    if not isinstance(annotation, str):
        return annotation
    if annotation.startswith("list[") and annotation.endswith("]"):
        return list[_hint(annotation[5:-1])]  # type: ignore[misc]
    return _SCALARS.get(annotation) or globals()[annotation]


def _specs(cls: type) -> tuple[_FieldSpec, ...]:
    cached = _SPECS_CACHE.get(cls)
    if cached is not None:
        return cached
    out: list[_FieldSpec] = []
    for f in dataclasses.fields(cls):
        hint = _hint(f.type)
        item: Any = None
        if hint is bool:
            kind = "bool"
        elif hint is int:
            kind = "int"
        elif hint is str:
            kind = "str"
        elif get_origin(hint) is list:
            kind, item = "list", get_args(hint)[0]
        elif dataclasses.is_dataclass(hint):
            kind, item = "struct", hint
        else:  # pragma: no cover - programming error
            raise TypeError(f"unsupported settings field type {hint!r}")
        out.append(_FieldSpec(f.name, f.metadata["json"], kind, item,
                              bool(f.metadata.get("secret")), bool(f.metadata.get("omitempty"))))
    _SPECS_CACHE[cls] = result = tuple(out)
    return result


def _lookup(cls: type, key: str) -> _FieldSpec | None:
    specs = _specs(cls)
    for spec in specs:
        if spec.json == key:
            return spec
    folded = key.casefold()
    for spec in specs:
        if spec.json.casefold() == folded:
            return spec
    return None


# ---------------------------------------------------------------------------------------
# Serialization.


def _encode(obj: Any, *, mask: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in _specs(type(obj)):
        value = getattr(obj, spec.attr)
        if spec.secret and mask:
            continue  # masked to "" and dropped by omitempty in PocketBase
        if spec.omitempty and value == "":
            continue
        if spec.kind == "struct":
            out[spec.json] = _encode(value, mask=mask)
        elif spec.kind == "list":
            if spec.item is str:
                out[spec.json] = list(value)
            else:
                out[spec.json] = [_encode(v, mask=mask) for v in value]
        else:
            out[spec.json] = value
    return out


def settings_to_api_dict(s: Settings) -> dict[str, Any]:
    """The ``GET``/``PATCH /api/settings`` body: PocketBase's key order, no secrets.

    ``smtp.password``, ``s3.secret`` and ``backups.s3.secret`` are omitted (absent keys).
    """
    return _encode(s, mask=True)


def settings_to_storage_dict(s: Settings) -> dict[str, Any]:
    """The full settings (secrets included) in PocketBase's storage key order.

    ``smtp.password`` is always present; the S3 ``secret`` keys only when non-empty.
    """
    return _encode(s, mask=False)


_GO_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                    "\u2028": "\\u2028", "\u2029": "\\u2029"}
_GO_HTML_RE = LazyPattern("[<>&\u2028\u2029]")


def _go_json_dumps(value: Any) -> str:
    """Compact JSON escaped like Go's ``json.Marshal`` (HTML-safe)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _GO_HTML_RE.sub(lambda m: _GO_HTML_ESCAPES[m.group(0)], text)


def settings_to_storage_json(s: Settings) -> str:
    """The plain ``_params.value`` JSON for id ``settings`` (what Go's DBExport marshals)."""
    return _go_json_dumps(settings_to_storage_dict(s))


# ---------------------------------------------------------------------------------------
# Decoding / PATCH merge (Go json.Unmarshal semantics).

_SURROGATE_RE = LazyPattern("[\ud800-\udfff]")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _type_error(value: Any, path: str, want: str) -> SettingsDecodeError:
    return SettingsDecodeError(f"json: cannot unmarshal {_json_type(value)} into settings field {path} "
                               f"of type {want}")


def _decode_scalar(kind: str, current: Any, value: Any, path: str) -> Any:
    if value is None:
        return current
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise _type_error(value, path, "bool")
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            if not _INT64_MIN <= value <= _INT64_MAX:
                raise SettingsDecodeError(f"json: number {value} overflows settings field {path}")
            return value
        raise _type_error(value, path, "int")
    if isinstance(value, str):
        # ASCII holds no surrogate: the common case skips the regex (and its compile at start-up)
        return value if value.isascii() else _SURROGATE_RE.sub("\ufffd", value)
    raise _type_error(value, path, "string")


def _decode_struct(obj: Any, data: Any, path: str) -> None:
    """Merge the JSON object ``data`` into ``obj`` in place."""
    if data is None:
        return
    if not isinstance(data, Mapping):
        raise _type_error(data, path or "settings", "object")
    cls = type(obj)
    for key, value in data.items():
        spec = _lookup(cls, str(key))
        if spec is None:
            continue  # unknown keys are ignored
        sub = f"{path}.{spec.json}" if path else spec.json
        current = getattr(obj, spec.attr)
        if spec.kind == "struct":
            _decode_struct(current, value, sub)
        elif spec.kind == "list":
            setattr(obj, spec.attr, _decode_list(spec.item, current, value, sub))
        else:
            setattr(obj, spec.attr, _decode_scalar(spec.kind, current, value, sub))


def _decode_list(item: Any, current: list[Any], value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise _type_error(value, path, "array")
    out: list[Any] = []
    for i, raw in enumerate(value):
        sub = f"{path}.{i}"
        if item is str:
            base = current[i] if i < len(current) else ""
            out.append(_decode_scalar("str", base, raw, sub))
        else:
            # Go decodes into the existing element at the same index (merge), or a zero one.
            elem = copy.deepcopy(current[i]) if i < len(current) else item()
            _decode_struct(elem, raw, sub)
            out.append(elem)
    return out


def merge_patch(current: Settings, patch: Mapping[str, Any] | None) -> Settings:
    """Apply a ``PATCH /api/settings`` body to a copy of ``current`` (no validation).

    Keys that are not sent keep their value, so an omitted ``smtp.password`` /
    ``s3.secret`` keeps the stored secret (an explicit ``""`` clears it, as in
    PocketBase).  Raises :class:`SettingsDecodeError` on a wrong JSON type.
    """
    out = clone_settings(current)
    _decode_struct(out, patch, "")
    return out


def settings_from_storage_json(raw: str | bytes) -> Settings:
    """Parse a (plain) stored ``_params.value``; missing keys keep PocketBase's defaults.

    Raises :class:`SettingsDecodeError` when ``raw`` is not a JSON object or a value
    has the wrong type.
    """
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SettingsDecodeError(f"invalid settings JSON: {exc}") from None
    if data is not None and not isinstance(data, Mapping):
        raise _type_error(data, "settings", "object")
    out = default_settings()  # a new object: merged in place, no copy (merge_patch's)
    _decode_struct(out, data, "")
    return out


# ---------------------------------------------------------------------------------------
# _params.value encoding (--encryptionEnv).


def encode_param_value(json_text: str, key: str | None) -> str:
    """The ``_params.value`` to store: the JSON itself, or ``encrypt(json, key)`` when a key is set.

    The encrypted form is std base64 of ``nonce12 || AES-GCM(json) || tag16`` (see
    :func:`satchel.tools.security.encrypt`).  An empty/None key means no encryption,
    exactly like PocketBase (``os.Getenv(encryptionEnv) == ""``).
    """
    if not key:
        return json_text
    return encrypt(json_text.encode("utf-8"), key)


def _is_plain_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), Mapping)
    except ValueError:
        return False


def _unquote_json_string(text: str) -> str:
    """Tolerate a cipher text that was stored JSON-quoted (``"Ay28..."``)."""
    stripped = text.strip()
    if stripped.startswith('"'):
        try:
            value = json.loads(stripped)
        except ValueError:
            return stripped
        if isinstance(value, str):
            return value
    return stripped


def decode_param_value(raw: str | bytes | memoryview, key: str | None, *, env_name: str = "") -> str:
    """Turn a stored ``_params.value`` back into settings JSON text.

    Like PocketBase, the value is first tried as plain JSON; only if that fails is it
    decrypted with ``key``.  Without a key that is an error with PocketBase's message
    ``invalid settings db data or missing encryption key "<env_name>"``.  Decryption
    failures raise :class:`satchel.tools.security.DecryptError` / ``InvalidKeyError``.
    """
    text = bytes(raw).decode("utf-8", "replace") if isinstance(raw, (bytes, memoryview)) else raw
    if _is_plain_json_object(text):
        return text
    if not key:
        raise SettingsDecodeError(
            f"invalid settings db data or missing encryption key {json.dumps(env_name)}")
    return decrypt(_unquote_json_string(text), key).decode("utf-8", "replace")


def dump_settings_param(s: Settings, key: str | None) -> str:
    """``settings_to_storage_json`` + ``encode_param_value`` in one call."""
    return encode_param_value(settings_to_storage_json(s), key)


def load_settings_param(raw: str | bytes | memoryview, key: str | None, *, env_name: str = "") -> Settings:
    """``decode_param_value`` + ``settings_from_storage_json`` in one call."""
    return settings_from_storage_json(decode_param_value(raw, key, env_name=env_name))


# ---------------------------------------------------------------------------------------
# Value checks (approximations of the Go validators PocketBase uses).


_DNS_NAME_RE = LazyPattern(
    r"([a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})(\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*[._]?", re.ASCII)
_HEX_COLOR_RE = LazyPattern(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_RATE_LIMIT_LABEL_RE = LazyPattern(r"(\w+ /[\w/-]*|/[\w/-]*|\w+:\w+|\*:\w+|\w+)", re.ASCII)
_URL_SCHEME_RE = LazyPattern(r"(ftp|tcp|udp|wss?|https?)://")
_URL_TAIL_RE = LazyPattern(r"(:\d{1,5})?([/?#]\S*)?")
_U = "a-zA-Z0-9\u00a1-\uffff"
_URL_HOST_RE = LazyPattern(rf"[{_U}](?:[{_U}_-]*[{_U}])?(?:\.[{_U}](?:[{_U}_-]*[{_U}])?)*")
_URL_IPV4_RE = LazyPattern(
    r"([1-9]\d?|1\d\d|2[01]\d|22[0-3]|24\d|25[0-5])(\.(\d{1,2}|1\d\d|2[0-4]\d|25[0-5])){2}"
    r"\.([0-9]\d?|1\d\d|2[0-4]\d|25[0-5])")
_EMAIL_ATEXT = r"a-zA-Z0-9!#$%&'*+\-/=?^_`{|}~\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
_EMAIL_LOCAL_RE = LazyPattern(
    rf"[{_EMAIL_ATEXT}]+(?:\.[{_EMAIL_ATEXT}]+)*"
    r'|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x21\x23-\x5b\x5d-\x7e\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef ]'
    r'|\\[\x01-\x09\x0b\x0c\x0d-\x7f\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef])*"')
_EU = "a-zA-Z0-9\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
_EL = "a-zA-Z\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
_EMAIL_PRE_TLD_RE = LazyPattern(rf"[{_EU}]|[{_EU}][{_EU}\-._~]*[{_EU}]")
_EMAIL_TLD_RE = LazyPattern(rf"[{_EL}]|[{_EL}][{_EU}\-_~]*[{_EL}]")


def _is_ip(value: str) -> bool:
    """Go ``net.ParseIP``: plain IPv4/IPv6, no zone, no brackets."""
    if "%" in value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_host(value: str) -> bool:
    """govalidator ``IsHost``: an IP or a DNS name."""
    if _is_ip(value):
        return True
    if len(value.replace(".", "")) > 255:
        return False
    return _DNS_NAME_RE.fullmatch(value) is not None


def _is_ip_or_subnet(value: str) -> bool:
    """Go ``netip.ParsePrefix`` or ``netip.ParseAddr``."""
    if "/" in value:
        addr, _, bits = value.partition("/")
        if "%" in addr or not re.fullmatch(r"0|[1-9][0-9]{0,2}", bits, re.ASCII):
            return False
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return int(bits) <= ip.max_prefixlen
    try:
        ipaddress.ip_address(value)  # IPv6 zones ("fe80::1%eth0") are accepted, like netip
    except ValueError:
        return False
    return True


def _is_url(value: str) -> bool:
    """Approximation of govalidator ``IsURL`` (the ozzo ``is.URL`` rule)."""
    if not value or len(value) >= 2083 or len(value.encode("utf-8")) <= 3 or value.startswith("."):
        return False
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return False  # url.Parse: invalid control character
    temp = value
    if ":" in value and "://" not in value:
        temp = "http://" + value
    try:
        parts = urllib.parse.urlsplit(temp)
    except ValueError:
        return False
    hostport = parts.netloc.rpartition("@")[2]
    if hostport.startswith("["):
        port = hostport.partition("]")[2]
        if port and not re.fullmatch(r":\d*", port, re.ASCII):
            return False
    elif ":" in hostport and not re.fullmatch(r"\d*", hostport.rpartition(":")[2], re.ASCII):
        return False  # url.Parse: invalid port
    if hostport.startswith("."):
        return False
    if not parts.netloc and parts.path and "." not in parts.path:
        return False

    rest = value
    m = _URL_SCHEME_RE.match(rest)
    if m:
        rest = rest[m.end():]
    # optional "user[:pass]@" - try every "@" (the regex backtracks)
    if _url_authority_ok(rest):
        return True
    for i, c in enumerate(rest):
        if c.isspace():
            break  # the user-info part is \S+
        if c == "@" and i > 0 and _url_authority_ok(rest[i + 1:]):
            return True
    return False


def _url_authority_ok(rest: str) -> bool:
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            return False
        try:
            ipaddress.IPv6Address(rest[1:end])
        except ValueError:
            return False
        tail = rest[end + 1:]
    else:
        end = len(rest)
        for i, c in enumerate(rest):
            if c in ":/?#" or c.isspace():
                end = i
                break
        host, tail = rest[:end], rest[end:]
        if host.endswith("."):
            host = host[:-1]
        if not host:
            return False
        if re.fullmatch(r"[0-9.]+", host):
            if not _URL_IPV4_RE.fullmatch(host):
                return False
        elif not _URL_HOST_RE.fullmatch(host):
            return False
    return _URL_TAIL_RE.fullmatch(tail) is not None


def _is_email(value: str) -> bool:
    """Approximation of govalidator ``IsEmail`` (the ozzo ``is.EmailFormat`` rule)."""
    if "=?" in value and "?=" in value:
        return False
    local, at, domain = value.rpartition("@")
    if not at or not local or not _EMAIL_LOCAL_RE.fullmatch(local):
        return False
    if domain.endswith("."):
        domain = domain[:-1]
    pre, dot, tld = domain.rpartition(".")
    if not dot:
        return False
    return _EMAIL_PRE_TLD_RE.fullmatch(pre) is not None and _EMAIL_TLD_RE.fullmatch(tld) is not None


_CRON_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class _CronError(Exception):
    pass


def _atoi(text: str) -> int:
    """Go ``strconv.Atoi`` (with its error messages)."""
    if not re.fullmatch(r"[+-]?[0-9]+", text, re.ASCII):
        raise _CronError(f"strconv.Atoi: parsing {json.dumps(text, ensure_ascii=False)}: invalid syntax")
    n = int(text)
    if not _INT64_MIN <= n <= _INT64_MAX:
        raise _CronError(f"strconv.Atoi: parsing {json.dumps(text, ensure_ascii=False)}: value out of range")
    return n


def _check_cron_segment(segment: str, lo: int, hi: int) -> None:
    for part in segment.split(","):
        step_parts = part.split("/")
        if len(step_parts) == 1:
            step = 1
        elif len(step_parts) == 2:
            step = _atoi(step_parts[1])
            if step < 1 or step > hi:
                raise _CronError(f"invalid segment step boundary - the step must be between 1 and the {hi}")
        else:
            raise _CronError("invalid segment step format - must be in the format */n or 1-30/n")
        if step_parts[0] == "*":
            continue
        range_parts = step_parts[0].split("-")
        if len(range_parts) == 1:
            if step != 1:
                raise _CronError("invalid segment step - step > 1 could be used only with the wildcard "
                                 "or range format")
            value = _atoi(range_parts[0])
            if value < lo or value > hi:
                raise _CronError("invalid segment value - must be between the min and max of the segment")
        elif len(range_parts) == 2:
            rmin = _atoi(range_parts[0])
            if rmin < lo or rmin > hi:
                raise _CronError(f"invalid segment range minimum - must be between {lo} and {hi}")
            rmax = _atoi(range_parts[1])
            if rmax < rmin or rmax > hi:
                raise _CronError(f"invalid segment range maximum - must be between {rmin} and {hi}")
        else:
            raise _CronError("invalid segment range format - the range must have 1 or 2 parts")


def check_cron_expression(expr: str) -> str | None:
    """``None`` if ``expr`` is a valid PocketBase cron expression (or macro), else Go's error text."""
    expr = _CRON_MACROS.get(expr, expr)
    segments = expr.split(" ")
    if len(segments) != 5:
        return "invalid cron expression - must be a valid macro or to have exactly 5 space separated segments"
    try:
        for segment, (lo, hi) in zip(segments, ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6)), strict=True):
            _check_cron_segment(segment, lo, hi)
    except _CronError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------------------
# Validation (ozzo-validation codes and messages, sentenized like PocketBase's API).


def _err(code: str, message: str, params: Mapping[str, Any] | None = None) -> ValidationError:
    return ValidationError(code, sentenize(message), dict(params) if params else None)


_REQUIRED = _err("validation_required", "cannot be blank")
_IS_URL = _err("validation_is_url", "must be a valid URL")
_IS_HOST = _err("validation_is_host", "must be a valid IP address or DNS name")
_IS_EMAIL = _err("validation_is_email", "must be a valid email address")
_IS_HEX_COLOR = _err("validation_is_hex_color", "must be a valid hexadecimal color code")
_IN_INVALID = _err("validation_in_invalid", "must be a valid value")
_MATCH_INVALID = _err("validation_match_invalid", "must be in a valid format")
_IP_OR_SUBNET = _err("validation_invlaid_ip_or_subnet", "invalid IP or CIDR subnet")


def _length(value: str, lo: int, hi: int) -> ValidationError | None:
    """ozzo ``Length(lo, hi)`` (byte length; empty values are skipped)."""
    n = len(value.encode("utf-8"))
    if not value or (lo <= n <= hi):
        return None
    params = {"max": hi, "min": lo}
    if lo == hi:
        return _err("validation_length_invalid", f"the length must be exactly {lo}", params)
    return _err("validation_length_out_of_range", f"the length must be between {lo} and {hi}", params)


def _min(value: int, threshold: int) -> ValidationError | None:
    """ozzo ``Min(threshold)`` (zero values are skipped)."""
    if value == 0 or value >= threshold:
        return None
    return _err("validation_min_greater_equal_than_required", f"must be no less than {threshold}",
                {"threshold": threshold})


def _put(tree: ErrorTree, key: str, err: ValidationError | ErrorTree | None) -> None:
    if err:
        tree[key] = err


def _ip_list_errors(values: Sequence[str]) -> ErrorTree:
    tree: ErrorTree = {}
    for i, ip in enumerate(values):
        if not ip:
            tree[str(i)] = _REQUIRED
        elif not _is_ip_or_subnet(ip):
            tree[str(i)] = _IP_OR_SUBNET
    return tree


def _validate_meta(c: MetaConfig) -> ErrorTree:
    tree: ErrorTree = {}
    if c.accent_color:
        _put(tree, "accentColor",
             _length(c.accent_color, 7, 7)
             or (None if _HEX_COLOR_RE.fullmatch(c.accent_color) else _IS_HEX_COLOR))
    _put(tree, "appName", _REQUIRED if not c.app_name else _length(c.app_name, 1, 255))
    _put(tree, "appURL", _REQUIRED if not c.app_url else (None if _is_url(c.app_url) else _IS_URL))
    _put(tree, "senderName", _REQUIRED if not c.sender_name else _length(c.sender_name, 1, 255))
    if not c.sender_address:
        tree["senderAddress"] = _REQUIRED
    elif not _is_email(c.sender_address):
        tree["senderAddress"] = _IS_EMAIL
    return tree


def _validate_logs(c: LogsConfig) -> ErrorTree:
    tree: ErrorTree = {}
    _put(tree, "maxDataSize", _min(c.max_data_size, 0))
    _put(tree, "maxDays", _min(c.max_days, 0))
    return tree


def _validate_smtp(c: SMTPConfig) -> ErrorTree:
    tree: ErrorTree = {}
    if c.enabled and not c.host:
        tree["host"] = _REQUIRED
    elif c.host and not _is_host(c.host):
        tree["host"] = _IS_HOST
    if c.enabled and c.port == 0:
        tree["port"] = _REQUIRED
    else:
        _put(tree, "port", _min(c.port, 0))
    if c.auth_method and c.auth_method not in ("LOGIN", "PLAIN"):
        tree["authMethod"] = _IN_INVALID
    if c.local_name and not _is_host(c.local_name):
        tree["localName"] = _IS_HOST
    return tree


def _validate_s3(c: S3Config) -> ErrorTree:
    tree: ErrorTree = {}
    if c.endpoint and not _is_url(c.endpoint):
        tree["endpoint"] = _IS_URL
    elif c.enabled and not c.endpoint:
        tree["endpoint"] = _REQUIRED
    for key, value in (("bucket", c.bucket), ("region", c.region),
                       ("accessKey", c.access_key), ("secret", c.secret)):
        if c.enabled and not value:
            tree[key] = _REQUIRED
    return tree


def _validate_backups(c: BackupsConfig) -> ErrorTree:
    tree: ErrorTree = {}
    _put(tree, "s3", _validate_s3(c.s3))
    if c.cron:
        cron_err = check_cron_expression(c.cron)
        if cron_err is not None:
            tree["cron"] = _err("validation_invalid_cron", cron_err)
    if c.cron and c.cron_max_keep == 0:
        tree["cronMaxKeep"] = _REQUIRED
    else:
        _put(tree, "cronMaxKeep", _min(c.cron_max_keep, 1))
    return tree


def _validate_batch(c: BatchConfig) -> ErrorTree:
    tree: ErrorTree = {}
    for key, value in (("maxRequests", c.max_requests), ("timeout", c.timeout)):
        if c.enabled and value == 0:
            tree[key] = _REQUIRED
        else:
            _put(tree, key, _min(value, 0))
    _put(tree, "maxBodySize", _min(c.max_body_size, 0))
    return tree


def _validate_rule(rule: RateLimitRule) -> ErrorTree:
    tree: ErrorTree = {}
    if not rule.label:
        tree["label"] = _REQUIRED
    elif not _RATE_LIMIT_LABEL_RE.fullmatch(rule.label):
        tree["label"] = _MATCH_INVALID
    for key, value in (("maxRequests", rule.max_requests), ("duration", rule.duration)):
        tree_err = _REQUIRED if value == 0 else _min(value, 1)
        _put(tree, key, tree_err)
    if rule.audience not in (RATE_LIMIT_AUDIENCE_ALL, RATE_LIMIT_AUDIENCE_GUEST, RATE_LIMIT_AUDIENCE_AUTH):
        tree["audience"] = _IN_INVALID
    return tree


def _rules_conflict(rules: Sequence[RateLimitRule]) -> ErrorTree:
    existing: list[str] = []
    for i, rule in enumerate(rules):
        full = f"{rule.label}@@{rule.audience}"
        if any(key.startswith(full) or full.startswith(key) for key in existing):
            return {str(i): {"label": _err(
                "validation_conflicting_rate_limit_rule",
                f"Rate limit rule configuration with label {rule.label} already exists or conflicts "
                "with another rule.",
                {"label": rule.label})}}
        existing.append(full)
    return {}


def _validate_rate_limits(c: RateLimitsConfig) -> ErrorTree:
    tree: ErrorTree = {}
    if c.enabled and not c.rules:
        tree["rules"] = _REQUIRED
    else:
        conflict = _rules_conflict(c.rules)
        if conflict:
            tree["rules"] = conflict
        else:
            items: ErrorTree = {}
            for i, rule in enumerate(c.rules):
                _put(items, str(i), _validate_rule(rule))
            _put(tree, "rules", items)
    _put(tree, "excludedIPs", _ip_list_errors(c.excluded_ips))
    return tree


def _sorted_tree(tree: ErrorTree) -> ErrorTree:
    out: ErrorTree = {}
    for key in sorted(tree):
        value = tree[key]
        out[key] = value if isinstance(value, ValidationError) else _sorted_tree(value)
    return out


def validate_settings(s: Settings) -> ErrorTree:
    """PocketBase's settings validation; ``{}`` when valid.

    Keys are sorted like Go's JSON maps.  ``trustedProxy`` has no rules in PocketBase.
    """
    tree: ErrorTree = {}
    _put(tree, "superuserIPs", _ip_list_errors(s.superuser_ips))
    _put(tree, "meta", _validate_meta(s.meta))
    _put(tree, "logs", _validate_logs(s.logs))
    _put(tree, "smtp", _validate_smtp(s.smtp))
    _put(tree, "s3", _validate_s3(s.s3))
    _put(tree, "backups", _validate_backups(s.backups))
    _put(tree, "batch", _validate_batch(s.batch))
    _put(tree, "rateLimits", _validate_rate_limits(s.rate_limits))
    return _sorted_tree(tree)


# ---------------------------------------------------------------------------------------
# pb_config.yaml "filesystem:" section (Satchel extension, spec 14 §6).

_PB_CONFIG_FS_KEYS: dict[str, tuple[str, type]] = {
    "enabled": ("enabled", bool),
    "endpoint": ("endpoint", str),
    "bucket": ("bucket", str),
    "region": ("region", str),
    "accessKey": ("accessKey", str),
    "secretKey": ("secret", str),
    "forcePathStyle": ("forcePathStyle", bool),
}


def _error_lines(tree: Mapping[str, Any], prefix: str) -> list[str]:
    lines: list[str] = []
    for key, value in tree.items():
        path = f"{prefix}.{key}"
        if isinstance(value, ValidationError):
            lines.append(f"{path}: {value.message}")
        else:
            lines.extend(_error_lines(value, path))
    return lines


def apply_pb_config_filesystem(s: Settings, config: Mapping[str, Any] | None,
                               *, target: Literal["s3", "backups.s3"] = "s3") -> Settings:
    """Apply ``pb_config.yaml``'s ``filesystem:`` section to a copy of ``s``.

    ``config`` is either the whole parsed YAML document (its ``filesystem`` key is
    used; absent/empty -> ``s`` unchanged) or the section itself.  Keys:
    ``endpoint``, ``bucket``, ``region``, ``accessKey``, ``secretKey`` (-> ``secret``),
    ``forcePathStyle`` and optionally ``enabled`` (default ``true``).  Keys not given
    keep the stored values.  The result is validated like a settings PATCH;
    unknown keys, wrong types or validation errors raise :class:`PbConfigError`.
    """
    if config is None:
        return clone_settings(s)
    if not isinstance(config, Mapping):
        raise PbConfigError("pb_config.yaml: expected a mapping at the top level")
    section: Any = config.get("filesystem") if "filesystem" in config else config
    if section is None or (isinstance(section, Mapping) and not section):
        return clone_settings(s)
    if not isinstance(section, Mapping):
        raise PbConfigError("pb_config.yaml: 'filesystem' must be a mapping")

    patch: dict[str, Any] = {"enabled": True}
    for key, value in section.items():
        if key not in _PB_CONFIG_FS_KEYS:
            allowed = ", ".join(_PB_CONFIG_FS_KEYS)
            raise PbConfigError(f"pb_config.yaml: unknown key 'filesystem.{key}' (allowed: {allowed})")
        json_key, want = _PB_CONFIG_FS_KEYS[key]
        if value is None:
            continue
        if want is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # e.g. a numeric bucket name parsed by YAML as a number
        if not isinstance(value, want):
            kind = "a boolean" if want is bool else "a string"
            raise PbConfigError(f"pb_config.yaml: 'filesystem.{key}' must be {kind}, "
                                f"got {type(value).__name__}")
        patch[json_key] = value

    if target == "s3":
        full_patch: dict[str, Any] = {"s3": patch}
    else:
        full_patch = {"backups": {"s3": patch}}
    out = merge_patch(s, full_patch)

    errors: Any = validate_settings(out)
    for part in target.split("."):
        errors = errors.get(part, {}) if isinstance(errors, Mapping) else {}
    if errors:
        details = "; ".join(_error_lines(errors, target))
        raise PbConfigError(f"pb_config.yaml: invalid filesystem settings: {details}")
    return out
