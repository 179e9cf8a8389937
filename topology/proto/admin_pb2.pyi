from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Topology(_message.Message):
    __slots__ = ("epoch", "json")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    JSON_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    json: str
    def __init__(self, epoch: _Optional[int] = ..., json: _Optional[str] = ...) -> None: ...

class PutReply(_message.Message):
    __slots__ = ("accepted", "epoch", "reason")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    epoch: int
    reason: str
    def __init__(self, accepted: _Optional[bool] = ..., epoch: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class PeerStatus(_message.Message):
    __slots__ = ("region", "state", "lag_records", "lag_ms")
    REGION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAG_RECORDS_FIELD_NUMBER: _ClassVar[int]
    LAG_MS_FIELD_NUMBER: _ClassVar[int]
    region: str
    state: str
    lag_records: int
    lag_ms: int
    def __init__(self, region: _Optional[str] = ..., state: _Optional[str] = ..., lag_records: _Optional[int] = ..., lag_ms: _Optional[int] = ...) -> None: ...

class RegionStatus(_message.Message):
    __slots__ = ("region", "cluster_id", "epoch", "role", "applied", "digest", "peers", "tombstones", "keys", "resp_address", "writes_held", "waiting_for")
    class AppliedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    REGION_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    PEERS_FIELD_NUMBER: _ClassVar[int]
    TOMBSTONES_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    RESP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    WRITES_HELD_FIELD_NUMBER: _ClassVar[int]
    WAITING_FOR_FIELD_NUMBER: _ClassVar[int]
    region: str
    cluster_id: str
    epoch: int
    role: str
    applied: _containers.ScalarMap[str, int]
    digest: str
    peers: _containers.RepeatedCompositeFieldContainer[PeerStatus]
    tombstones: int
    keys: int
    resp_address: str
    writes_held: bool
    waiting_for: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, region: _Optional[str] = ..., cluster_id: _Optional[str] = ..., epoch: _Optional[int] = ..., role: _Optional[str] = ..., applied: _Optional[_Mapping[str, int]] = ..., digest: _Optional[str] = ..., peers: _Optional[_Iterable[_Union[PeerStatus, _Mapping]]] = ..., tombstones: _Optional[int] = ..., keys: _Optional[int] = ..., resp_address: _Optional[str] = ..., writes_held: _Optional[bool] = ..., waiting_for: _Optional[_Iterable[str]] = ...) -> None: ...

class HealthReply(_message.Message):
    __slots__ = ("ok", "detail")
    OK_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    detail: str
    def __init__(self, ok: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...

class FlushReply(_message.Message):
    __slots__ = ("applied",)
    class AppliedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: _containers.ScalarMap[str, int]
    def __init__(self, applied: _Optional[_Mapping[str, int]] = ...) -> None: ...
