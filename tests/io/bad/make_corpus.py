#!/usr/bin/env python3
"""Writes the corpus of malformed safetensors files and model spec files that
tests/io/safetensors_test.cpp and tests/io/spec_test.cpp read, and expected.tsv, which gives for
each file a substring its error message must contain.

The files are committed; this script documents how each was made (run it in this directory to
remake them). Each file holds exactly one defect, named by its file name.
"""
import json
import struct

expected = []


def write(name, content, message):
    with open(name, "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())
    expected.append((name, message))


def st(header, data=b"", pad=True, length=None):
    """A safetensors file from a header (dict or raw text) and data bytes."""
    text = header if isinstance(header, (str, bytes)) else json.dumps(header, separators=(",", ":"))
    raw = text if isinstance(text, bytes) else text.encode()
    if pad:
        raw += b" " * ((8 - len(raw) % 8) % 8)
    n = len(raw) if length is None else length
    return struct.pack("<Q", n) + raw + data


def info(dtype="F32", shape=(2,), offsets=(0, 8)):
    as_list = lambda v: list(v) if isinstance(v, (list, tuple)) else v  # noqa: E731
    return {"dtype": dtype, "shape": as_list(shape), "data_offsets": as_list(offsets)}


f32x2 = struct.pack("<2f", 1.0, 2.0)

# ---- safetensors: the length prefix ----
write("st_empty.safetensors", b"", "too short for the 8-byte header length")
write("st_short.safetensors", b"\x10\x00\x00", "too short for the 8-byte header length")
write("st_header_past_end.safetensors", st({"a": info()}, f32x2, length=1000), "runs past the end of the file")
write("st_header_absurd.safetensors", struct.pack("<Q", 2**62) + b"{}      ", "exceeds the 100000000-byte limit")
write("st_header_max_u64.safetensors", b"\xff" * 8 + b"{}      ", "exceeds the 100000000-byte limit")
write("st_zero_header.safetensors", struct.pack("<Q", 0), "must start with '{'")

# ---- safetensors: the JSON header ----
write("st_invalid_json.safetensors", st('{"a": {"dtype": "F32", '), "not valid JSON")
write("st_not_object.safetensors", st("[1, 2, 3]"), "must start with '{'")
write("st_bad_utf8.safetensors", st(b'{"\xff\xfe": 1}'), "not valid JSON")
write("st_deep_nesting.safetensors", st('{"a": ' + "[" * 50 + "]" * 50 + "}"), "nests deeper")
write("st_duplicate_tensor.safetensors",
      st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
         f32x2), "key 'a' twice")
write("st_duplicate_field.safetensors",
      st('{"a":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}}', f32x2), "key 'dtype' twice")
write("st_info_not_object.safetensors", st({"a": 3}), "expected an object with dtype, shape and data_offsets")
write("st_missing_dtype.safetensors", st({"a": {"shape": [2], "data_offsets": [0, 8]}}, f32x2), "missing key 'dtype'")
write("st_missing_shape.safetensors", st({"a": {"dtype": "F32", "data_offsets": [0, 8]}}, f32x2), "missing key 'shape'")
write("st_missing_offsets.safetensors", st({"a": {"dtype": "F32", "shape": [2]}}, f32x2),
      "missing key 'data_offsets'")
write("st_extra_field.safetensors", st({"a": dict(info(), offsets=[0, 8])}, f32x2), "unexpected key 'offsets'")

# ---- safetensors: dtypes and shapes ----
write("st_dtype_not_string.safetensors", st({"a": info(dtype=4)}, f32x2), "dtype must be a string")
write("st_unsupported_bf16.safetensors", st({"a": info(dtype="BF16", offsets=(0, 4))}, f32x2[:4]),
      "unsupported dtype BF16")
write("st_unsupported_f16.safetensors", st({"a": info(dtype="F16", offsets=(0, 4))}, f32x2[:4]),
      "unsupported dtype F16")
write("st_unsupported_i32.safetensors", st({"a": info(dtype="I32")}, f32x2), "unsupported dtype I32")
write("st_unsupported_bool.safetensors", st({"a": info(dtype="BOOL", offsets=(0, 2))}, b"\x00\x01"),
      "unsupported dtype BOOL")
write("st_unknown_dtype.safetensors", st({"a": info(dtype="Q7")}, f32x2), "unknown dtype 'Q7'")
write("st_negative_shape.safetensors", st({"a": info(shape=(-2,))}, f32x2), "must hold non-negative integers")
write("st_float_shape.safetensors", st({"a": info(shape=(2.0,))}, f32x2), "must hold non-negative integers")
write("st_shape_not_array.safetensors", st({"a": info(shape=2)}, f32x2), "shape must be an array")
write("st_shape_overflow.safetensors", st({"a": info(shape=(2**32, 2**32, 16))}, f32x2), "overflows")
write("st_shape_huge.safetensors", st({"a": info(shape=(2**63 + 5,))}, f32x2), "overflows")
write("st_zero_dim_overflow.safetensors", st({"a": info(shape=(0, 2**62, 4), offsets=(0, 0))}), "overflows")
write("st_size_mismatch.safetensors", st({"a": info(shape=(2, 2))}, f32x2), "needs 16")

# ---- safetensors: byte ranges ----
write("st_offsets_one_number.safetensors", st({"a": info(offsets=(0,))}, f32x2), "data_offsets must be [begin, end]")
write("st_offsets_negative.safetensors", st({"a": info(offsets=(-8, 0))}, f32x2), "data_offsets must be [begin, end]")
write("st_offsets_reversed.safetensors", st({"a": info(offsets=(8, 0))}, f32x2), "end before they begin")
write("st_offsets_past_end.safetensors", st({"a": info(shape=(4,), offsets=(0, 16))}, f32x2),
      "run past the end of the data section")
write("st_offsets_huge.safetensors", st({"a": info(shape=(0,), offsets=(2**64 - 1, 2**64 - 1))}, b""),
      "gap in the data")
write("st_truncated_data.safetensors", st({"a": info(), "b": info(offsets=(8, 16))}, f32x2 + b"\x00"),
      "run past the end of the data section")
write("st_overlap.safetensors", st({"a": info(), "b": info(offsets=(4, 12))}, f32x2 + f32x2[:4]), "overlap")
write("st_gap.safetensors", st({"a": info(), "b": info(offsets=(12, 20))}, f32x2 * 2 + f32x2[:4]), "gap in the data")
write("st_not_at_zero.safetensors", st({"a": info(offsets=(4, 12))}, f32x2 + f32x2[:4]), "gap in the data")
write("st_trailing_bytes.safetensors", st({"a": info()}, f32x2 + b"junk"), "trailing bytes")

# ---- safetensors: metadata ----
write("st_metadata_not_object.safetensors", st({"__metadata__": "x", "a": info()}, f32x2),
      "__metadata__ must be an object of strings")
write("st_metadata_not_strings.safetensors", st({"__metadata__": {"epochs": 3}, "a": info()}, f32x2),
      "__metadata__ value of 'epochs' must be a string")

# ---- model specs (built for input (1, 28, 28) and 10 outputs) ----
write("spec_invalid_json.json", '{"layers": [{"type": "flatten"},]}', "not valid JSON")
write("spec_not_object.json", '[{"type": "flatten"}]', "expected an object {\"layers\": [...]}")
write("spec_no_layers.json", '{"description": "nothing"}', "expected a non-empty array \"layers\"")
write("spec_empty_layers.json", '{"layers": []}', "expected a non-empty array \"layers\"")
write("spec_unknown_key.json", '{"layer": []}', "unknown key 'layer' (allowed: layers, description)")
write("spec_layer_not_object.json", '{"layers": ["flatten"]}', "layer 0: expected an object")
write("spec_missing_type.json", '{"layers": [{"out": 3}]}', "needs a string \"type\"; known types: adaptive_avgpool1d, adaptive_avgpool2d,")
write("spec_unknown_type.json", '{"layers": [{"type": "flatten"}, {"type": "conv9"}]}',
      "layer 1 (conv9): unknown layer type 'conv9'; known types: adaptive_avgpool1d, adaptive_avgpool2d,")
write("spec_unknown_option.json", '{"layers": [{"type": "flatten"}, {"type": "linear", "outs": 3}]}',
      "unknown option 'outs' for layer type 'linear'; allowed: out, bias")
write("spec_nested_option.json", '{"layers": [{"type": "flatten"}, {"type": "linear", "out": {"n": 3}}]}',
      "option 'out' must be a boolean, number, string or list of integers")
write("spec_bad_option_type.json", '{"layers": [{"type": "flatten"}, {"type": "linear", "out": "ten"}]}',
      "layer 1 (linear): option 'out' must be an integer, got 'ten'")
write("spec_bad_bool.json", '{"layers": [{"type": "flatten"}, {"type": "linear", "bias": 1}]}',
      "option 'bias' must be true or false, got 1")
write("spec_negative_out.json", '{"layers": [{"type": "flatten"}, {"type": "linear", "out": -3}]}',
      "out must be positive, got -3")
write("spec_dropout_range.json", '{"layers": [{"type": "flatten"}, {"type": "dropout", "p": 1.5}, {"type": "linear"}]}',
      "p must be in [0, 1], got 1.5")
write("spec_flatten_batch.json", '{"layers": [{"type": "flatten", "start_dim": 0}, {"type": "linear"}]}',
      "start_dim 0 is the batch dimension")
write("spec_gelu_approximate.json",
      '{"layers": [{"type": "flatten"}, {"type": "gelu", "approximate": "fast"}, {"type": "linear"}]}',
      "approximate must be 'none' or 'tanh', got 'fast'")
write("spec_wrong_output.json", '{"layers": [{"type": "flatten"}, {"type": "linear", "out": 5}]}',
      "output per example is [5] but the data needs [10]")
write("spec_no_flatten.json", '{"layers": [{"type": "linear"}]}', "output per example is [1, 28, 10]")

write("spec_deep_nesting.json", '{"layers": [{"type": "linear", "out": ' + "[" * 1000 + "]" * 1000 + "}]}",
      "the JSON nests 1003 levels deep; a model spec needs at most 4")

# ---- model specs: absurd sizes, refused before anything is allocated ----
write("spec_linear_huge.json", '{"layers": [{"type": "flatten"}, {"type": "linear", "out": 1000000000000}]}',
      "layer 1 (linear): needs 7.85e+14 parameters, more than the 2147483648 left of the model's limit")
write("spec_conv_huge_kernel.json", '{"layers": [{"type": "conv2d", "out": 1, "kernel": 1099511627776}]}',
      "option 'kernel' [1099511627776] is above the limit of 2147483648")
write("spec_conv_huge_channels.json", '{"layers": [{"type": "conv2d", "out": 4294967296, "kernel": 3}]}',
      "layer 0 (conv2d): needs 4.29497e+10 parameters")
write("spec_upsample_huge.json", '{"layers": [{"type": "upsample", "scale": 1e300}]}',
      "scale 1e+300 makes 2.8e+301 pixels")
write("spec_output_huge.json", '{"layers": [{"type": "upsample", "scale": 40000}]}',
      "the output per example [1, 1120000, 1120000] holds 1.2544e+12 values, more than the limit of 2147483648")
write("spec_unflatten_overflow.json",
      '{"layers": [{"type": "flatten"}, {"type": "unflatten", "sizes": [4294967296, 4294967296, 4294967296]}]}',
      "has 784 values but sizes [4294967296, 4294967296, 4294967296] hold 7.92282e+28")

with open("expected.tsv", "w") as f:
    f.write("# file\tsubstring its error message must contain (written by make_corpus.py)\n")
    for name, message in expected:
        f.write(f"{name}\t{message}\n")
