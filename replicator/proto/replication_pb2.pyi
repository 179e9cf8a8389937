from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VersionVector(_message.Message):
    __slots__ = ("seqs",)
    class SeqsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SEQS_FIELD_NUMBER: _ClassVar[int]
    seqs: _containers.ScalarMap[str, int]
    def __init__(self, seqs: _Optional[_Mapping[str, int]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("cluster_id", "region_id", "applied", "direct")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_ID_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    DIRECT_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    region_id: str
    applied: VersionVector
    direct: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster_id: _Optional[str] = ..., region_id: _Optional[str] = ..., applied: _Optional[_Union[VersionVector, _Mapping]] = ..., direct: _Optional[_Iterable[str]] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("applied", "direct")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    DIRECT_FIELD_NUMBER: _ClassVar[int]
    applied: VersionVector
    direct: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, applied: _Optional[_Union[VersionVector, _Mapping]] = ..., direct: _Optional[_Iterable[str]] = ...) -> None: ...

class FromSubscriber(_message.Message):
    __slots__ = ("hello", "ack")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    ack: Ack
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., ack: _Optional[_Union[Ack, _Mapping]] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("region_id", "sync", "yours", "yours_applied", "yours_stamp")
    REGION_ID_FIELD_NUMBER: _ClassVar[int]
    SYNC_FIELD_NUMBER: _ClassVar[int]
    YOURS_FIELD_NUMBER: _ClassVar[int]
    YOURS_APPLIED_FIELD_NUMBER: _ClassVar[int]
    YOURS_STAMP_FIELD_NUMBER: _ClassVar[int]
    region_id: str
    sync: str
    yours: int
    yours_applied: int
    yours_stamp: int
    def __init__(self, region_id: _Optional[str] = ..., sync: _Optional[str] = ..., yours: _Optional[int] = ..., yours_applied: _Optional[int] = ..., yours_stamp: _Optional[int] = ...) -> None: ...

class SnapshotChunk(_message.Message):
    __slots__ = ("data", "last", "applied")
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    last: bool
    applied: VersionVector
    def __init__(self, data: _Optional[bytes] = ..., last: _Optional[bool] = ..., applied: _Optional[_Union[VersionVector, _Mapping]] = ...) -> None: ...

class Batch(_message.Message):
    __slots__ = ("peer_vv", "frames")
    PEER_VV_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    peer_vv: VersionVector
    frames: bytes
    def __init__(self, peer_vv: _Optional[_Union[VersionVector, _Mapping]] = ..., frames: _Optional[bytes] = ...) -> None: ...

class FromPeer(_message.Message):
    __slots__ = ("welcome", "batch", "snapshot")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    batch: Batch
    snapshot: SnapshotChunk
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., batch: _Optional[_Union[Batch, _Mapping]] = ..., snapshot: _Optional[_Union[SnapshotChunk, _Mapping]] = ...) -> None: ...
