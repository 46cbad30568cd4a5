"""Every refusal the simulator can send, with its stable ``errorCode``.

A refusal is a :class:`Refusal` exception carrying the code, the HTTP status
and a message that names the field or the reason. The app turns it into the
failure envelope ``{"success": false, "errorCode", "errorMessage", "requestId"}``.

The public API has no error-code catalogue, so these codes are the
simulator's own; they are stable and tests may match on them.

======================  ======  ===============================================================
errorCode               HTTP    When
======================  ======  ===============================================================
InvalidJson             400     the restore body is not JSON (or not UTF-8)
InvalidBody             400     the restore body is JSON but not an object
MissingParameter        400     a required body field (or the ``requestId`` query) is absent
                                or null; the message names every missing field
InvalidParameterType    400     a field has the wrong JSON type (a string that is not a
                                string, ``fromRemote`` not a boolean, a resource not an
                                integer, ``restoreObjects`` not an array)
InvalidParameterValue   400     a value out of its domain: an empty identifier, a resource
                                that is not positive, an unknown ``restoreMode`` or
                                ``restoreObjectType``, a tenant name not matching the
                                name pattern, a bad ``pageNumber``/``pageSize``/filter
InvalidRestoreTime      400     ``restoreTime`` is not ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, seconds)
InstanceIdMismatch      400     the path ``instanceId`` is not the body's target (or source,
                                see ``path_instance``) instance
RestoreTimeOutOfRange   400     ``restoreTime`` is outside every restorable window of the
                                source tenant
InvalidPrimaryZone      400     ``targetTenantPrimaryZone`` is not a zone of the target instance
UnsupportedMediaType    415     the restore body is not sent as ``application/json``
RequestTooLarge         413     the body exceeds ``max_body_bytes``
MissingProjectId        400     the ``X-Ob-Project-Id`` header is absent or empty
ProjectNotFound         404     the ``X-Ob-Project-Id`` names no project (``projects`` set)
Unauthorized            401     no ``Authorization``, wrong credentials, unknown or forged
                                nonce, or a realm/opaque/uri/algorithm/qop that was not offered
MalformedAuthorization  401     the ``Authorization`` header cannot be parsed, or misses a
                                parameter the digest scheme requires
NonceExpired            401     a genuine nonce older than ``nonce_ttl`` with otherwise correct
                                credentials; the new challenge carries ``stale=true``
NonceCountReplay        401     an ``nc`` already used with this nonce (or too old to tell)
Forbidden               403     ``/_simulator/stats`` asked from a non-loopback peer
SourceInstanceNotFound  404     ``sourceInstanceId`` is not a known instance
SourceTenantNotFound    404     ``sourceTenantId`` is not a tenant of the source instance
TargetInstanceNotFound  404     ``targetInstanceId`` is not a known instance
InstanceNotFound        404     the path ``instanceId`` of a read or delete is unknown
TenantNotFound          404     the path ``tenantId`` is not a tenant of that instance
AddressNotFound         404     the ``addressId`` query is not an address of that tenant
NotFound                404     no such route
MethodNotAllowed        405     the route exists but not for this method
TenantNameConflict      409     ``targetTenantName`` is already used in the target instance
InsufficientCapacity    409     the target instance has not enough free CPU or memory left
                                (a state conflict: deleting tenants makes room)
Throttling              429     beyond ``rate_limit``, or a ``throttle`` fault; has
                                ``Retry-After``
InternalError           500     an ``http_500`` fault, or a simulator bug
ServiceUnavailable      503     an ``http_503`` fault
======================  ======  ===============================================================
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence


class ErrorCode(enum.StrEnum):
    """The ``errorCode`` values of the failure envelope (see the module table)."""

    INVALID_JSON = "InvalidJson"
    INVALID_BODY = "InvalidBody"
    MISSING_PARAMETER = "MissingParameter"
    INVALID_PARAMETER_TYPE = "InvalidParameterType"
    INVALID_PARAMETER_VALUE = "InvalidParameterValue"
    INVALID_RESTORE_TIME = "InvalidRestoreTime"
    INSTANCE_ID_MISMATCH = "InstanceIdMismatch"
    RESTORE_TIME_OUT_OF_RANGE = "RestoreTimeOutOfRange"
    INVALID_PRIMARY_ZONE = "InvalidPrimaryZone"
    UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"
    REQUEST_TOO_LARGE = "RequestTooLarge"
    MISSING_PROJECT_ID = "MissingProjectId"
    PROJECT_NOT_FOUND = "ProjectNotFound"
    UNAUTHORIZED = "Unauthorized"
    MALFORMED_AUTHORIZATION = "MalformedAuthorization"
    NONCE_EXPIRED = "NonceExpired"
    NONCE_COUNT_REPLAY = "NonceCountReplay"
    NONCE_COUNT_OUT_OF_ORDER = "NonceCountOutOfOrder"
    FORBIDDEN = "Forbidden"
    SOURCE_INSTANCE_NOT_FOUND = "SourceInstanceNotFound"
    SOURCE_TENANT_NOT_FOUND = "SourceTenantNotFound"
    TARGET_INSTANCE_NOT_FOUND = "TargetInstanceNotFound"
    INSTANCE_NOT_FOUND = "InstanceNotFound"
    TENANT_NOT_FOUND = "TenantNotFound"
    ADDRESS_NOT_FOUND = "AddressNotFound"
    NOT_FOUND = "NotFound"
    METHOD_NOT_ALLOWED = "MethodNotAllowed"
    TENANT_NAME_CONFLICT = "TenantNameConflict"
    INSUFFICIENT_CAPACITY = "InsufficientCapacity"
    THROTTLING = "Throttling"
    INTERNAL_ERROR = "InternalError"
    SERVICE_UNAVAILABLE = "ServiceUnavailable"


HTTP_STATUS: Mapping[ErrorCode, int] = {
    ErrorCode.INVALID_JSON: 400,
    ErrorCode.INVALID_BODY: 400,
    ErrorCode.MISSING_PARAMETER: 400,
    ErrorCode.INVALID_PARAMETER_TYPE: 400,
    ErrorCode.INVALID_PARAMETER_VALUE: 400,
    ErrorCode.INVALID_RESTORE_TIME: 400,
    ErrorCode.INSTANCE_ID_MISMATCH: 400,
    ErrorCode.RESTORE_TIME_OUT_OF_RANGE: 400,
    ErrorCode.INVALID_PRIMARY_ZONE: 400,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.REQUEST_TOO_LARGE: 413,
    ErrorCode.MISSING_PROJECT_ID: 400,
    ErrorCode.PROJECT_NOT_FOUND: 404,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.MALFORMED_AUTHORIZATION: 401,
    ErrorCode.NONCE_EXPIRED: 401,
    ErrorCode.NONCE_COUNT_REPLAY: 401,
    ErrorCode.NONCE_COUNT_OUT_OF_ORDER: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.SOURCE_INSTANCE_NOT_FOUND: 404,
    ErrorCode.SOURCE_TENANT_NOT_FOUND: 404,
    ErrorCode.TARGET_INSTANCE_NOT_FOUND: 404,
    ErrorCode.INSTANCE_NOT_FOUND: 404,
    ErrorCode.TENANT_NOT_FOUND: 404,
    ErrorCode.ADDRESS_NOT_FOUND: 404,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.TENANT_NAME_CONFLICT: 409,
    ErrorCode.INSUFFICIENT_CAPACITY: 409,
    ErrorCode.THROTTLING: 429,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}


class Refusal(Exception):
    """A request the simulator refuses; becomes a failure envelope."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = HTTP_STATUS[code]
        # Pairs, not a mapping: a 401 carries one WWW-Authenticate header per algorithm.
        self.headers = tuple(headers)


def clip(text: str, limit: int = 64) -> str:
    """Client text quoted in a message, cut short: a message must not echo a whole body."""
    return text if len(text) <= limit else text[:limit] + "..."
