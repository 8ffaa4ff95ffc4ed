"""A tiny ONNX model (one ``Identity`` node) built in memory, to find out which execution providers
really run: serving has no ``onnx`` package, so the protobuf is written by hand."""

from __future__ import annotations

FLOAT = 1
IR_VERSION, OPSET = 8, 17


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _message(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _text(number: int, value: str) -> bytes:
    return _message(number, value.encode())


def _integer(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _float_vector(name: str, size: int) -> bytes:
    """ValueInfoProto: ``name``, a float tensor of shape ``(size,)``."""
    shape = _message(1, _integer(1, size))  # TensorShapeProto.dim[0].dim_value
    tensor_type = _integer(1, FLOAT) + _message(2, shape)
    return _text(1, name) + _message(2, _message(1, tensor_type))


def identity_model(size: int = 4) -> bytes:
    """A serialized ``ModelProto`` computing ``y = Identity(x)`` on float vectors of ``size``."""
    node = _text(1, "x") + _text(2, "y") + _text(3, "probe") + _text(4, "Identity")
    graph = _message(1, node) + _text(2, "probe") + _message(11, _float_vector("x", size))
    graph += _message(12, _float_vector("y", size))
    opset = _text(1, "") + _integer(2, OPSET)
    return _integer(1, IR_VERSION) + _text(2, "aigc") + _message(7, graph) + _message(8, opset)
