#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/: small valid files of
each format, plus copies of the hostile files of tests/io/bad and tests/data/bad. Standard
library only; run from anywhere: /usr/bin/python3 fuzz/make_corpus.py

The files are committed; fuzz/run.sh fuzzes a copy, so runs never grow this corpus.
"""
import gzip
import json
import pathlib
import shutil
import struct

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = HERE / "corpus"

# csv_fuzz reads two option bytes before the file: flags 0 (',' delimiter, a header row, a label
# column, labels Auto) and 0xF0 (label_index -1: the last column), read_csv's defaults.
CSV_DEFAULTS = b"\x00\xf0"


def write(target, name, content):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())


def copy_bad(target, folder, prefix, transform=lambda b: b):
    for path in sorted((ROOT / folder).glob(prefix + "*")):
        write(target, "bad_" + path.name, transform(path.read_bytes()))


# ---- safetensors --------------------------------------------------------------------------
def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes), laid out as safetensors.torch does."""
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


write("safetensors_fuzz", "f32.safetensors", safetensors([("w", "F32", [2, 2], struct.pack("<4f", 1, -2, 3.5, 0))]))
write("safetensors_fuzz", "all_dtypes.safetensors", safetensors([
    ("u8", "U8", [3], bytes([0, 7, 255])),
    ("f32", "F32", [1, 2], struct.pack("<2f", 0.5, -1)),
    ("f64", "F64", [2], struct.pack("<2d", 1e-300, 2)),
    ("i64", "I64", [2, 1], struct.pack("<2q", -5, 2**40))]))
write("safetensors_fuzz", "metadata.safetensors",
      safetensors([("fc.weight", "F32", [1, 3], struct.pack("<3f", 1, 2, 3)), ("fc.bias", "F32", [1], struct.pack("<f", 0))],
                  {"nabla.spec": "logreg", "nabla.input_shape": "[3]", "nabla.num_outputs": "1"}))
write("safetensors_fuzz", "scalar_and_empty.safetensors",
      safetensors([("s", "F64", [], struct.pack("<d", 3.25)), ("e", "F32", [0, 4], b"")]))
write("safetensors_fuzz", "empty_header.safetensors", safetensors([]))
copy_bad("safetensors_fuzz", "tests/io/bad", "st_")


# ---- IDX ----------------------------------------------------------------------------------
def idx(type_byte, dims, fmt, values):
    return bytes([0, 0, type_byte, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + \
        (struct.pack(">" + fmt * len(values), *values) if values else b"")


idx_files = {
    "u8_images.idx": idx(0x08, [2, 2, 3], "B", list(range(12))),
    "i8.idx": idx(0x09, [4], "b", [-128, -1, 0, 127]),
    "i16.idx": idx(0x0B, [2, 2], "h", [-300, 0, 1, 32767]),
    "i32_labels.idx": idx(0x0C, [3], "i", [-2**31, 0, 9]),
    "f32.idx": idx(0x0D, [1, 2], "f", [1.5, -0.25]),
    "f64.idx": idx(0x0E, [2], "d", [1e300, -0.0]),
    "empty_set.idx": idx(0x08, [0, 28, 28], "B", []),
}
for name, content in idx_files.items():
    write("idx_fuzz", name, content)
    write("idx_fuzz", name + ".gz", gzip.compress(content, mtime=0))
write("idx_fuzz", "two_members.idx.gz", gzip.compress(idx_files["i8.idx"][:6], mtime=0) +
      gzip.compress(idx_files["i8.idx"][6:], mtime=0))
copy_bad("idx_fuzz", "tests/data/bad", "idx_")

# ---- CSV ----------------------------------------------------------------------------------
csv_files = {
    "iris.csv": CSV_DEFAULTS + b"sepal_length,sepal_width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n",
    "numeric_classes.csv": CSV_DEFAULTS + b"x,y,label\n1,2,0\n3,4,2\n-1e-3,+5,1\n",
    "regression.csv": CSV_DEFAULTS + b"x,target\n0.5,1.25\n1.5,-3e2\n",
    "quoted.csv": CSV_DEFAULTS + b'"a, b",c\r\n"1",2\r\n"3","say ""hi"""\r\n',
    "multiline_label.csv": CSV_DEFAULTS + b'x,label\n1,"two\nlines"\n2,one\n',
    "bom_blank_lines.csv": CSV_DEFAULTS + b"\xef\xbb\xbfx,label\n\n1,a\n  \n2,b\n",
    # flags 1: ';' delimiter; 8: no header row; 16: no label column; 0x20: labels Classes;
    # 0x40: labels Values; 0x80: the label column by the first header name.
    "semicolon.csv": b"\x01\xf0" + b"x;y;label\n1;2;a\n3;4;b\n",
    "tabs_no_header.csv": b"\x0a\xf0" + b"1\t2\t0\n3\t4\t1\n",
    "no_label.csv": b"\x10\x00" + b"a,b\n1,2\n3,4\n",
    "classes_first_column.csv": b"\xa0\x00" + b"label,x\n10,1\n2.5,2\n10,3\n",
    "values.csv": b"\x40\xf0" + b"x,y\n1,0.5\n2,1e3\n",
}
for name, content in csv_files.items():
    write("csv_fuzz", name, content)
copy_bad("csv_fuzz", "tests/data/bad", "csv_", lambda b: CSV_DEFAULTS + b)

# ---- text model specs ---------------------------------------------------------------------
specs = ["logreg", "mlp:16", "mlp:32,16:act=tanh:dropout=0.2", "mlp:8:act=leaky_relu", "mlp:4,4,4:act=gelu",
         "lenet5", "lenet5:act=tanh:pool=avg", "lenet5:input=32", "vgg_small:widths=4,8:hidden=16:dropout=0.5",
         "resnet_small:widths=4,8:blocks=2", "unet:out=1:width=4:depth=2:batch_norm=false",
         "mlp:1000000000000", "resnet_small:blocks=0", "mlp:16:act=softmax"]
for i, spec in enumerate(specs):
    write("spec_fuzz", f"text_{i:02d}.txt", spec)
write("spec_fuzz", "inline_json.txt", '{"layers": [{"type": "flatten"}, {"type": "linear", "out": 8}, '
      '{"type": "relu"}, {"type": "linear"}]}')


# ---- JSON: model specs, checkpoint metadata, run configuration, history -------------------
def layers(*items):
    return json.dumps({"layers": list(items)})


json_specs = [
    layers({"type": "flatten"}, {"type": "linear", "out": 4, "bias": False}, {"type": "elu", "alpha": 0.5},
           {"type": "dropout", "p": 0.1}, {"type": "linear"}),
    layers({"type": "conv2d", "out": 4, "kernel": 3, "padding": "same"}, {"type": "batchnorm2d", "momentum": 0.2},
           {"type": "relu"}, {"type": "maxpool2d", "kernel": 2, "ceil_mode": True},
           {"type": "conv2d", "out": 4, "kernel": [3, 1], "stride": [1, 2], "dilation": 1, "groups": 2},
           {"type": "avgpool2d", "kernel": 2, "padding": 1, "count_include_pad": False},
           {"type": "global_avgpool"}, {"type": "linear"}),
    layers({"type": "conv_transpose2d", "out": 2, "kernel": 2, "stride": 2, "output_padding": 1, "dilation": 2},
           {"type": "upsample", "scale": 0.5, "mode": "bilinear"}, {"type": "dropout2d", "p": 0.5},
           {"type": "adaptive_avgpool2d", "size": [2, 3]}, {"type": "flatten", "start_dim": 1, "end_dim": -1},
           {"type": "layernorm", "dims": 1, "elementwise_affine": False}, {"type": "linear", "out": 3}),
    layers({"type": "flatten"}, {"type": "unflatten", "dim": 1, "sizes": [4, 16]},
           {"type": "conv1d", "out": 2, "kernel": 3}, {"type": "batchnorm1d"}, {"type": "maxpool1d", "kernel": 2},
           {"type": "avgpool1d", "kernel": 1}, {"type": "adaptive_avgpool1d", "size": 2}, {"type": "flatten"},
           {"type": "softplus", "beta": 2, "threshold": 10}, {"type": "linear", "out": 3}, {"type": "log_softmax"}),
    layers({"type": "unflatten", "dim": 2, "sizes": [2, 4]}, {"type": "conv3d", "out": 2, "kernel": 1},
           {"type": "maxpool3d", "kernel": 1}, {"type": "avgpool3d", "kernel": 1},
           {"type": "conv_transpose3d", "out": 1, "kernel": 1}, {"type": "adaptive_avgpool3d", "size": 1},
           {"type": "flatten"}, {"type": "linear", "out": 3}, {"type": "softmax", "dim": -1}),
    layers({"type": "basic_block", "out": 4, "stride": 2}, {"type": "basic_block"},
           {"type": "upsample", "size": [8, 8]}, {"type": "conv2d", "out": 1, "kernel": 1, "padding": "valid"},
           {"type": "flatten"}, {"type": "sigmoid"}, {"type": "tanh"}, {"type": "step"}, {"type": "identity"},
           {"type": "gelu", "approximate": "tanh"}, {"type": "leaky_relu", "negative_slope": 0.2},
           {"type": "linear", "in": 64}),
    json.dumps({"description": "U-Net", "layers": [{"type": "unet", "out": 3, "width": 2, "depth": 1}]}),
    layers({"type": "conv_transpose1d", "out": 1, "kernel": 2}),
    layers({"type": "linear", "out": 1000000000000}),
]
for i, spec in enumerate(json_specs):
    write("spec_json_fuzz", f"spec_{i:02d}.json", spec)
write("spec_json_fuzz", "metadata.json", json.dumps({
    "nabla.spec": "mlp:8", "nabla.input_shape": "[1,4,4]", "nabla.num_outputs": "3",
    "nabla.config": json.dumps({"model": "mlp:8", "data": {"name": "moons", "limit": 0}, "seed": 1}),
    "nabla.version": "0.1.0"}))
write("spec_json_fuzz", "metadata_json_spec.json", json.dumps({
    "nabla.spec": json_specs[1], "nabla.input_shape": "[1,8,8]", "nabla.num_outputs": "3"}))
write("spec_json_fuzz", "config.json", json.dumps({
    "model": "lenet5", "data": {"name": "csv", "data_dir": "", "csv": "d.csv", "label_column": "y", "limit": 10},
    "epochs": 3, "batch_size": 32, "optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True,
    "weight_decay": None, "betas": [0.9, 0.999], "schedule": "cosine", "augment": "crop:2,flip", "val_split": 0.1,
    "early_stopping": 2, "clip_grad_norm": 1.0, "seed": 7, "threads": 2, "out": "runs", "name": "a"}, indent=1))
write("spec_json_fuzz", "history.json", json.dumps([
    {"epoch": 1, "train_loss": 0.5, "val_loss": 0.6, "train_acc": 0.8, "lr": 0.001, "extra": {"top5": 0.9}},
    {"epoch": 2, "train_loss": 0.4, "seconds": 1.5, "samples_per_second": 1e4}]))
copy_bad("spec_json_fuzz", "tests/io/bad", "spec_")
