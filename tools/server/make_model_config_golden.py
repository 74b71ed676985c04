#!/usr/bin/env python3
"""Writes Triton's own encodings of the model configs that model_config_golden_test.cc checks.

For each tests/data/model_config/<name>.pbtxt, parses it with protobuf's text_format into
Triton's real inference.ModelConfig (tritonclient.grpc.model_config_pb2, generated from
triton-inference-server/common's model_config.proto) and writes into OUT_DIR:
  <name>.bin   SerializeToString(deterministic=True): the bytes our proto must produce
  <name>.json  the JSON Triton's GET .../config returns: MessageToJson with proto field names
               and every primitive field, then int64/uint64 values as JSON numbers (Triton's
               core/src/model_config_utils.cc ModelConfigToJson does the same rewrite)

Runs protobuf's pure-Python implementation: its deterministic encoding writes map entries in
ascending key order, as C++'s does. The default upb back end (protobuf 4.25) writes them in
another order, which is just as valid but not comparable byte for byte.

Usage: make_model_config_golden.py OUT_DIR [--configs tests/data/model_config]
Needs tritonclient[grpc] and protobuf (tools/requirements-test.txt).
"""
import argparse
import json
import os
import pathlib

os.environ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"  # before protobuf loads
# pylint: disable=wrong-import-position
from google.protobuf.internal import api_implementation  # noqa: E402
from google.protobuf import descriptor, json_format, text_format  # noqa: E402
from tritonclient.grpc import model_config_pb2  # noqa: E402

assert api_implementation.Type() == "python", api_implementation.Type()

INT64_TYPES = {descriptor.FieldDescriptor.CPPTYPE_INT64, descriptor.FieldDescriptor.CPPTYPE_UINT64}


def is_map(field):
    return (field.type == descriptor.FieldDescriptor.TYPE_MESSAGE and
            field.message_type.GetOptions().map_entry)


def rewrite_value(field, value, js):
    """The JSON for one value of `field`: int64s as numbers, messages rewritten inside."""
    if field.cpp_type in INT64_TYPES:
        assert js == str(value), (field.full_name, js, value)
        return value
    if field.cpp_type == descriptor.FieldDescriptor.CPPTYPE_MESSAGE:
        rewrite_int64s(value, js)
    return js


def map_key_text(key):
    return ("true" if key else "false") if isinstance(key, bool) else str(key)


def rewrite_int64s(message, js):
    """Walks `message` with its JSON object (field names as keys) and rewrites in place."""
    for field in message.DESCRIPTOR.fields:
        if field.name not in js:
            continue
        value = getattr(message, field.name)
        if is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                text = map_key_text(key)
                js[field.name][text] = rewrite_value(value_field, item, js[field.name][text])
        elif field.label == descriptor.FieldDescriptor.LABEL_REPEATED:
            js[field.name] = [rewrite_value(field, v, j) for v, j in zip(value, js[field.name])]
        else:
            js[field.name] = rewrite_value(field, value, js[field.name])


def triton_json(config):
    text = json_format.MessageToJson(config, preserving_proto_field_name=True,
                                     including_default_value_fields=True)
    js = json.loads(text)
    rewrite_int64s(config, js)
    return json.dumps(js, ensure_ascii=False, separators=(",", ":"))


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--configs", type=pathlib.Path, default=root / "tests/data/model_config")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    paths = sorted(args.configs.glob("*.pbtxt"))
    if not paths:
        raise SystemExit(f"no .pbtxt files in {args.configs}")
    for path in paths:
        config = model_config_pb2.ModelConfig()
        text_format.Parse(path.read_text(encoding="utf-8"), config)
        (args.out_dir / f"{path.stem}.bin").write_bytes(config.SerializeToString(deterministic=True))
        (args.out_dir / f"{path.stem}.json").write_text(triton_json(config) + "\n", encoding="utf-8")
    print(f"model config goldens: {len(paths)} configs -> {args.out_dir}")


if __name__ == "__main__":
    main()
