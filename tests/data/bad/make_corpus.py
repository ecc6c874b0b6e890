#!/usr/bin/env python3
"""Writes the corpus of malformed IDX and CSV files that tests/data/{idx,csv}_test.cpp read.

The files are committed; this script documents how each was made (run it here to remake them).
Each file holds exactly one defect, named by its file name.
"""
import gzip
import struct
import zlib


def idx(type_byte, dims, data=b"", ndim=None):
    ndim = len(dims) if ndim is None else ndim
    return bytes([0, 0, type_byte, ndim]) + b"".join(struct.pack(">I", d) for d in dims) + data


def write(name, content):
    with open(name, "wb") as f:
        f.write(content)


def gz(content):
    return gzip.compress(content, mtime=0)


good = idx(0x08, [2, 3], bytes(range(6)))

# IDX
write("idx_empty.idx", b"")
write("idx_short_magic.idx", b"\x00\x00")
write("idx_wrong_magic.idx", b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\x00")
write("idx_text.idx", b"hello, this is not an IDX file\n")
write("idx_bad_type.idx", idx(0x07, [2], b"\x00\x01"))
write("idx_zero_ndim.idx", idx(0x08, [], b""))
write("idx_huge_ndim.idx", idx(0x08, [1], b"\x00", ndim=200))
write("idx_truncated_header.idx", idx(0x08, [2, 3])[:10])
write("idx_truncated_data.idx", good[:-1])
write("idx_trailing_bytes.idx", good + b"\xde\xad")
write("idx_dims_mismatch.idx", idx(0x0B, [3], b"\x00\x01\x00\x02\x00"))  # int16 x3 needs 6 bytes, has 5
write("idx_negative_dim.idx", idx(0x0C, [0xFFFFFFFF], b"\x00\x00\x00\x01"))
write("idx_absurd_dims.idx", idx(0x0E, [0x7FFFFFFF] * 3, b"\x00" * 8))
write("idx_zero_dim_overflow.idx", idx(0x08, [0] + [0x7FFFFFFF] * 3))  # no data, but strides overflow
write("idx_big_claim.idx", idx(0x08, [100000, 100000], b"\x00" * 10))  # claims 10 GB, holds 10 bytes
write("idx_truncated.idx.gz", gz(idx(0x08, [64, 64], bytes(range(256)) * 16))[:40])
corrupt = bytearray(gz(idx(0x08, [64], bytes(range(64)))))
corrupt[12:20] = b"\xff" * 8  # inside the deflate data
write("idx_corrupt.idx.gz", bytes(corrupt))
write("idx_trailing_bytes.idx.gz", gz(good + b"\x00\x00\x00"))
write("idx_truncated_data.idx.gz", gz(good[:-2]))

# CSV
write("csv_empty.csv", b"")
write("csv_blank_lines.csv", b"\n  \n\r\n")
write("csv_header_only.csv", b"x1,x2,label\n")
write("csv_ragged.csv", b"x1,x2,label\n1,2,a\n3,4,b\n5,b\n6,7,a\n")
write("csv_non_numeric.csv", b"x1,x2,label\n1,2,a\n3,abc,b\n")
write("csv_missing_value.csv", b"x1,x2,label\n1,2,a\n\n3,,b\n")
write("csv_unterminated_quote.csv", b"x1,x2,label\n1,2,a\n3,4,\"b\n5,6,c\n")
write("csv_after_quote.csv", b"x1,x2,label\n1,\"2\"x,a\n")
write("csv_infinite.csv", b"x1,x2,label\n1,2,a\n1e999,4,b\n")
write("csv_huge_class_index.csv", b"x,label\n1,0\n2,9000000000000000\n")  # one name per class below it
write("csv_multiline_then_bad.csv", b"x1,x2,label\n1,2,\"two-line\nlabel\"\n3,oops,b\n")  # error on line 4
