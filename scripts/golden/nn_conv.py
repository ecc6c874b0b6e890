"""Golden values for nabla's convolution and pooling (tests/nn/conv_test.cpp, pooling_test.cpp):
float64 forward outputs and gradients w.r.t. input, weight and bias for a fixed upstream gradient,
over 1-D/2-D/3-D cases with odd sizes, strides 1-3, padding 0-2/"same"/"valid", dilation 1-2,
groups 1/2/depthwise, with and without bias; transposed convolutions with output_padding; max and
average pooling with ceil_mode/padding/count_include_pad/divisor_override (and ties); adaptive
average pooling with non-divisible sizes; and each case's module as PyTorch prints it.
Arguments are recorded in the form given (int or list), since pooling layers print that form.
Run: /usr/bin/python3 scripts/golden/nn_conv.py"""
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import t2j, write

warnings.filterwarnings("ignore", message="Using padding='same'")  # PyTorch pads a copy; nabla doesn't
torch.manual_seed(0)
D = torch.float64

CONV = {1: (nn.Conv1d, F.conv1d), 2: (nn.Conv2d, F.conv2d), 3: (nn.Conv3d, F.conv3d)}
CONV_T = {1: (nn.ConvTranspose1d, F.conv_transpose1d), 2: (nn.ConvTranspose2d, F.conv_transpose2d),
          3: (nn.ConvTranspose3d, F.conv_transpose3d)}
MAX = {1: (nn.MaxPool1d, F.max_pool1d), 2: (nn.MaxPool2d, F.max_pool2d), 3: (nn.MaxPool3d, F.max_pool3d)}
AVG = {1: (nn.AvgPool1d, F.avg_pool1d), 2: (nn.AvgPool2d, F.avg_pool2d), 3: (nn.AvgPool3d, F.avg_pool3d)}
ADAPTIVE = {1: (nn.AdaptiveAvgPool1d, F.adaptive_avg_pool1d), 2: (nn.AdaptiveAvgPool2d, F.adaptive_avg_pool2d),
            3: (nn.AdaptiveAvgPool3d, F.adaptive_avg_pool3d)}


def tup(v):
    """Lists as tuples, as PyTorch users write sizes (and as its modules then print them)."""
    return tuple(v) if isinstance(v, list) else v


def backward(y, leaves):
    """Backpropagates a fixed random upstream gradient; returns it and the leaves' gradients."""
    g = torch.randn(y.shape, dtype=D)
    y.backward(g)
    return g, [leaf.grad for leaf in leaves]


# (name, dims, input shape, out_channels, kernel_size, stride, padding, dilation, groups, bias)
CONV_CASES = [
    ("plain", 2, (2, 3, 7, 6), 4, 3, 1, 0, 1, 1, True),
    ("stride2_pad1", 2, (2, 3, 7, 7), 4, 3, 2, 1, 1, 1, True),
    ("stride3_rect", 2, (1, 2, 8, 9), 3, [2, 3], [3, 2], [2, 1], 1, 1, True),
    ("dilation2", 2, (2, 2, 7, 8), 3, 3, 1, 2, 2, 1, False),
    ("groups2", 2, (2, 4, 6, 5), 6, 3, 1, 1, 1, 2, False),
    ("depthwise_x2", 2, (2, 3, 5, 6), 6, 3, 1, 1, 1, 3, True),
    ("depthwise", 2, (1, 4, 6, 7), 4, [3, 1], [1, 2], [1, 0], 1, 4, True),
    ("same_even_kernel", 2, (2, 2, 5, 6), 3, 4, 1, "same", 1, 1, True),
    ("same_dilated", 2, (1, 3, 6, 5), 2, 3, 1, "same", 2, 1, True),
    ("valid_stride2", 2, (2, 2, 7, 6), 3, 3, 2, "valid", 1, 1, True),
    ("pointwise", 2, (2, 5, 4, 3), 3, 1, 1, 0, 1, 1, True),
    ("kernel_fills_input", 2, (2, 2, 5, 5), 3, 5, 1, 0, 1, 1, True),
    ("stride_over_kernel", 2, (1, 2, 9, 8), 2, 2, 3, 1, 1, 1, True),
    ("unbatched", 2, (3, 6, 5), 2, 3, 2, 1, 1, 1, True),
    ("plain", 1, (2, 3, 9), 4, 3, 1, 1, 1, 1, True),
    ("strided_dilated_groups", 1, (2, 4, 11), 6, 4, 2, 2, 2, 2, True),
    ("same_dilated", 1, (2, 2, 8), 3, 5, 1, "same", 2, 1, False),
    ("depthwise", 1, (2, 3, 7), 3, 3, 3, 0, 1, 3, True),
    ("unbatched", 1, (2, 7), 3, 2, 1, 0, 1, 1, True),
    ("rect", 3, (2, 2, 4, 5, 4), 3, [2, 3, 2], [1, 2, 1], [1, 0, 1], 1, 1, True),
    ("groups_dilated", 3, (1, 4, 5, 5, 5), 2, 2, 1, 1, 2, 2, False),
    ("same", 3, (1, 2, 3, 4, 5), 2, 3, 1, "same", 1, 1, True),
]

# (name, dims, input shape, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation)
CONV_T_CASES = [
    ("stride2_outpad1", 2, (2, 4, 3, 4), 2, 3, 2, 1, 1, 1, True, 1),
    ("rect", 2, (1, 3, 3, 2), 2, [3, 2], [2, 3], [0, 1], [1, 2], 1, False, 1),
    ("groups_dilated", 2, (2, 4, 4, 3), 6, 3, 1, 1, 1, 2, True, 2),
    ("plain", 2, (2, 2, 3, 3), 3, 4, 1, 0, 0, 1, True, 1),
    ("unbatched", 2, (2, 3, 3), 3, 2, 2, 0, 0, 1, True, 1),
    ("strided_groups", 1, (2, 4, 5), 2, 3, 3, 1, 2, 2, True, 1),
    ("plain", 1, (1, 2, 6), 3, 2, 1, 0, 0, 1, False, 1),
    ("stride2", 3, (1, 2, 2, 3, 2), 2, 2, 2, 0, [1, 0, 1], 1, True, 1),
]

# (name, dims, input shape, kernel_size, stride, padding, dilation, ceil_mode, integer inputs for ties)
MAX_CASES = [
    ("k2", 2, (2, 3, 6, 6), 2, None, 0, 1, False, False),
    ("k3_s2_p1", 2, (2, 2, 7, 7), 3, 2, 1, 1, False, False),
    ("rect_dilated_ceil", 2, (1, 2, 7, 8), [2, 3], [1, 2], [1, 1], 2, True, False),
    ("k3_s2_ceil", 2, (1, 2, 8, 8), 3, 2, 0, 1, True, False),
    ("ties", 2, (2, 2, 5, 5), 3, 1, 1, 1, False, True),
    ("ties_ceil", 2, (1, 3, 6, 7), [2, 2], [2, 2], 0, 1, True, True),
    ("unbatched", 2, (3, 5, 6), 2, 1, 1, 1, False, False),
    ("k3_s2_p1_ceil", 1, (2, 3, 10), 3, 2, 1, 1, True, False),
    ("dilated", 1, (2, 2, 9), 2, 1, 0, 2, False, True),
    ("k2", 3, (1, 2, 4, 4, 5), 2, None, 0, 1, False, False),
    ("rect_ceil", 3, (1, 2, 5, 6, 5), [2, 3, 2], [1, 2, 1], [1, 1, 0], 1, True, False),
]

# (name, dims, input shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_CASES = [
    ("k2", 2, (2, 3, 6, 6), 2, None, 0, False, True, None),
    ("k3_s2_p1", 2, (2, 2, 7, 7), 3, 2, 1, False, True, None),
    ("k3_s2_p1_exclude_pad", 2, (2, 2, 7, 7), 3, 2, 1, False, False, None),
    ("ceil_include_pad", 2, (1, 2, 6, 6), 3, 2, 1, True, True, None),
    ("ceil_exclude_pad", 2, (1, 2, 6, 6), 3, 2, 1, True, False, None),
    ("rect_ceil", 2, (1, 2, 7, 8), [2, 3], [1, 2], [1, 1], True, True, None),
    ("divisor_override", 2, (2, 2, 5, 5), 2, 1, 1, False, True, 3),
    ("unbatched", 2, (2, 5, 4), 2, 2, 1, True, False, None),
    ("k3_s2_p1_ceil", 1, (2, 3, 10), 3, 2, 1, True, True, None),
    ("exclude_pad", 1, (1, 2, 7), 4, 3, 2, False, False, None),
    ("rect_ceil_exclude_pad", 3, (1, 2, 5, 6, 5), [2, 3, 2], 2, 1, True, False, None),
    ("k2", 3, (2, 1, 4, 4, 4), 2, None, 0, False, True, None),
]

# (name, dims, input shape, output_size)
ADAPTIVE_CASES = [
    ("non_divisible", 2, (2, 3, 7, 5), [3, 2]),
    ("scalar", 2, (1, 2, 6, 6), 4),
    ("keep_height", 2, (2, 2, 5, 7), [None, 3]),
    ("upsample", 2, (1, 2, 3, 3), [5, 4]),
    ("global", 2, (2, 3, 5, 4), 1),
    ("unbatched", 2, (3, 5, 5), 2),
    ("non_divisible", 1, (2, 3, 10), 4),
    ("non_divisible", 3, (1, 2, 5, 4, 3), [2, 3, 2]),
]


def conv_cases():
    cases = []
    for name, dims, shape, out_ch, k, s, p, d, g, bias in CONV_CASES:
        module_cls, fn = CONV[dims]
        in_ch = shape[-dims - 1]
        module = module_cls(in_ch, out_ch, tup(k), stride=tup(s), padding=tup(p), dilation=tup(d), groups=g, bias=bias)
        x = torch.randn(shape, dtype=D).requires_grad_()
        w = torch.randn(module.weight.shape, dtype=D).requires_grad_()
        b = torch.randn(out_ch, dtype=D).requires_grad_() if bias else None
        y = fn(x, w, b, stride=s, padding=p, dilation=d, groups=g)
        grad, grads = backward(y, [x, w] + ([b] if bias else []))
        case = {"name": f"conv{dims}d_{name}", "dims": dims, "in_channels": in_ch, "out_channels": out_ch,
                "kernel_size": k, "stride": s, "padding": p, "dilation": d, "groups": g, "bias": bias,
                "repr": str(module), "x": t2j(x), "weight": t2j(w), "g": t2j(grad), "y": t2j(y),
                "grad_x": t2j(grads[0]), "grad_weight": t2j(grads[1])}
        if bias:
            case.update({"b": t2j(b), "grad_bias": t2j(grads[2])})
        cases.append(case)
    return cases


def conv_transpose_cases():
    cases = []
    for name, dims, shape, out_ch, k, s, p, op, g, bias, d in CONV_T_CASES:
        module_cls, fn = CONV_T[dims]
        in_ch = shape[-dims - 1]
        module = module_cls(in_ch, out_ch, tup(k), stride=tup(s), padding=tup(p), output_padding=tup(op), groups=g,
                            bias=bias, dilation=tup(d))
        x = torch.randn(shape, dtype=D).requires_grad_()
        w = torch.randn(module.weight.shape, dtype=D).requires_grad_()
        b = torch.randn(out_ch, dtype=D).requires_grad_() if bias else None
        y = fn(x, w, b, stride=s, padding=p, output_padding=op, groups=g, dilation=d)
        grad, grads = backward(y, [x, w] + ([b] if bias else []))
        case = {"name": f"conv_transpose{dims}d_{name}", "dims": dims, "in_channels": in_ch, "out_channels": out_ch,
                "kernel_size": k, "stride": s, "padding": p, "output_padding": op, "groups": g, "bias": bias,
                "dilation": d, "repr": str(module), "x": t2j(x), "weight": t2j(w), "g": t2j(grad), "y": t2j(y),
                "grad_x": t2j(grads[0]), "grad_weight": t2j(grads[1])}
        if bias:
            case.update({"b": t2j(b), "grad_bias": t2j(grads[2])})
        cases.append(case)
    return cases


def pool_input(shape, integers):
    if integers:  # few distinct values: many ties inside each window
        return torch.randint(0, 3, shape).to(D).requires_grad_()
    return torch.randn(shape, dtype=D).requires_grad_()


def max_pool_cases():
    cases = []
    for name, dims, shape, k, s, p, d, ceil, ties in MAX_CASES:
        module_cls, fn = MAX[dims]
        module = module_cls(tup(k), stride=tup(s), padding=tup(p), dilation=tup(d), ceil_mode=ceil)
        x = pool_input(shape, ties)
        y, indices = fn(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil, return_indices=True)
        grad, grads = backward(y, [x])
        cases.append({"name": f"max_pool{dims}d_{name}", "dims": dims, "kernel_size": k, "stride": s, "padding": p,
                      "dilation": d, "ceil_mode": ceil, "repr": str(module), "x": t2j(x), "g": t2j(grad),
                      "y": t2j(y), "indices": t2j(indices), "grad_x": t2j(grads[0])})
    return cases


def avg_pool_cases():
    cases = []
    for name, dims, shape, k, s, p, ceil, include_pad, divisor in AVG_CASES:
        module_cls, fn = AVG[dims]
        extra = {} if dims == 1 else {"divisor_override": divisor}
        module = module_cls(tup(k), stride=tup(s), padding=tup(p), ceil_mode=ceil, count_include_pad=include_pad,
                            **extra)
        x = pool_input(shape, False)
        y = fn(x, k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=include_pad, **extra)
        grad, grads = backward(y, [x])
        cases.append({"name": f"avg_pool{dims}d_{name}", "dims": dims, "kernel_size": k, "stride": s, "padding": p,
                      "ceil_mode": ceil, "count_include_pad": include_pad, "divisor_override": divisor,
                      "repr": str(module), "x": t2j(x), "g": t2j(grad), "y": t2j(y), "grad_x": t2j(grads[0])})
    return cases


def adaptive_cases():
    cases = []
    for name, dims, shape, size in ADAPTIVE_CASES:
        module_cls, fn = ADAPTIVE[dims]
        module = module_cls(tup(size))
        x = pool_input(shape, False)
        y = fn(x, size)
        grad, grads = backward(y, [x])
        cases.append({"name": f"adaptive_avg_pool{dims}d_{name}", "dims": dims, "output_size": size,
                      "repr": str(module), "x": t2j(x), "g": t2j(grad), "y": t2j(y), "grad_x": t2j(grads[0])})
    return cases


if __name__ == "__main__":
    write("nn_conv", {"conv": conv_cases(), "conv_transpose": conv_transpose_cases(), "max_pool": max_pool_cases(),
                      "avg_pool": avg_pool_cases(), "adaptive_avg_pool": adaptive_cases()})
