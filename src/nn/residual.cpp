// BasicBlock, Residual, concat_channels and add_relu. All but add_relu are compositions of conv,
// batch norm, ReLU, addition and cat, whose gradients come from those ops' own backward
// functions; add_relu is one recorded op, relu(a + b) in one pass each way.
#include <nabla/nn/residual.hpp>

#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/parallel.hpp"
#include "tensor/internal.hpp"

namespace nabla::nn {

namespace functional {

Tensor add_relu(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.defined() && b.defined(), "add_relu: both inputs must be defined");
  // Broadcasting, mixed or integer dtypes: the two ops, which handle them.
  if (a.shape() != b.shape() || a.dtype() != b.dtype() || !is_floating(a.dtype())) return (a + b).relu();
  const Tensor ac = a.detach().contiguous(), bc = b.detach().contiguous();
  Tensor y = empty(a.shape(), a.dtype());
  constexpr int64_t kGrain = int64_t{1} << 15;
  kernels::dispatch_floating(a.dtype(), "add_relu", [&]<typename T>() {
    const T* __restrict pa = ac.data_ptr<T>();
    const T* __restrict pb = bc.data_ptr<T>();
    T* __restrict py = y.data_ptr<T>();
    kernels::parallel_for(0, y.numel(), kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const T v = pa[i] + pb[i];
        py[i] = v < T(0) ? T(0) : v;  // Tensor::relu's `v < 0 ? 0 : v`: keeps NaN and -0.0
      }
    });
  });
  if (!autograd::needs_grad({a, b})) return y;
  return autograd::record("AddReluBackward", y, {a, b},
                          [saved_y = autograd::SavedTensor(y), need_a = a.requires_grad(),
                           need_b = b.requires_grad()](const Tensor& g) -> autograd::TensorList {
                            const Tensor gc = g.contiguous();
                            const Tensor& ys = saved_y.get();
                            Tensor masked = empty(gc.shape(), gc.dtype());
                            kernels::dispatch_floating(gc.dtype(), "add_relu backward", [&]<typename T>() {
                              const T* __restrict pg = gc.data_ptr<T>();
                              const T* __restrict py = ys.data_ptr<T>();
                              T* __restrict pm = masked.data_ptr<T>();
                              kernels::parallel_for(0, masked.numel(), kGrain, [&](int64_t lo, int64_t hi) {
                                // ReLU's backward on its output: relu'(0) = 0.
                                for (int64_t i = lo; i < hi; ++i) pm[i] = py[i] <= T(0) ? T(0) : pg[i];
                              });
                            });
                            return {need_a ? masked : Tensor(), need_b ? masked : Tensor()};
                          });
}

Tensor concat_channels(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.defined() && b.defined(), "concat_channels: both inputs must be defined");
  NABLA_CHECK(a.ndim() >= 2 && a.ndim() == b.ndim(),
              "concat_channels: expected two batched feature maps (N, C, spatial...) of the same rank, got ",
              a.shape(), " and ", b.shape());
  for (int64_t d = 0; d < a.ndim(); ++d)
    NABLA_CHECK(d == 1 || a.size(d) == b.size(d), "concat_channels: (N, C, spatial...) inputs must agree in every dim "
                "but the channels (dim 1); got ", a.shape(), " and ", b.shape(), ", which differ in dim ", d);
  return cat({a, b}, 1);
}

}  // namespace functional

BasicBlock::BasicBlock(int64_t in_channels, int64_t out_channels, int64_t stride, Generator* generator)
    : in_channels(in_channels), out_channels(out_channels), stride(stride) {
  NABLA_CHECK(in_channels > 0 && out_channels > 0, "BasicBlock: in_channels and out_channels must be positive, got (",
              in_channels, ", ", out_channels, ")");
  NABLA_CHECK(stride > 0, "BasicBlock: stride must be positive, got ", stride);
  // torchvision's conv3x3 / conv1x1: padding 1 / 0, no bias.
  auto conv3x3 = [&](int64_t in, int64_t out, int64_t s) {
    return std::make_shared<Conv2d>(Conv2dOptions{.in_channels = in, .out_channels = out, .kernel_size = 3,
                                                  .stride = s, .padding = 1, .bias = false},
                                    generator);
  };
  conv1 = register_module("conv1", conv3x3(in_channels, out_channels, stride));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(out_channels));
  relu = register_module("relu", std::make_shared<ReLU>());
  conv2 = register_module("conv2", conv3x3(out_channels, out_channels, 1));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(out_channels));
  if (stride != 1 || in_channels != out_channels) {
    auto projection = std::make_shared<Conv2d>(
        Conv2dOptions{.in_channels = in_channels, .out_channels = out_channels, .kernel_size = 1, .stride = stride,
                      .bias = false},
        generator);
    downsample = register_module("downsample", std::make_shared<Sequential>());
    downsample->push_back(projection);
    downsample->push_back(std::make_shared<BatchNorm2d>(out_channels));
  }
}

Tensor BasicBlock::forward(const Tensor& input) {
  NABLA_CHECK(input.ndim() == 4 && input.size(1) == in_channels, "BasicBlock(", in_channels, ", ", out_channels,
              ", stride=", stride, "): expected input (N, ", in_channels, ", H, W), got ", input.shape());
  // relu(bn1(...)) and relu(out + identity) each as one fused op, bit-identical to the two.
  Tensor out = bn1->forward_relu(conv1->forward(input));
  out = bn2->forward(conv2->forward(out));
  const Tensor identity = downsample ? downsample->forward(input) : input;
  return functional::add_relu(out, identity);
}

Residual::Residual(std::shared_ptr<Module> body, std::shared_ptr<Module> shortcut)
    : body(std::move(body)), shortcut(std::move(shortcut)) {
  NABLA_CHECK(this->body != nullptr, "Residual: the body module must not be null");
  register_module("body", this->body);
  if (this->shortcut) register_module("shortcut", this->shortcut);
}

Tensor Residual::forward(const Tensor& input) {
  const Tensor y = body->forward(input);
  const Tensor s = shortcut ? shortcut->forward(input) : input;
  NABLA_CHECK(y.shape() == s.shape(), "Residual: the body gives ", y.shape(), " but the ",
              shortcut ? "shortcut gives " : "identity shortcut passes the input ", s.shape(),
              "; they must match (give a projection shortcut when the body changes the shape)");
  return y + s;
}

}  // namespace nabla::nn
