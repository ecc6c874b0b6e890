// Input transforms: scaling, normalisation, standardisation, noise, masking and random
// crop/flip of image batches. Random draws are made in a fixed order (image by image, element
// by element), so a seed gives the same result whatever the thread count.
#include <nabla/data/transforms.hpp>

#include "kernels/dispatch.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace nabla::data {
namespace {

void check_images(const char* op, const Tensor& images) {
  NABLA_CHECK(images.defined(), op, ": the input is undefined");
  NABLA_CHECK(images.ndim() == 4, op, ": expected an (N, C, H, W) image batch, got shape ", images.shape());
}

Tensor as_float(const Tensor& x) { return is_floating(x.dtype()) ? x : x.to(float32); }

template <typename F>
Batch on_input(Batch batch, const F& f) {
  NABLA_CHECK(batch.input.defined(), "transform: the batch has no input");
  batch.input = f(batch.input);
  return batch;
}

}  // namespace

// ---- scaling and reshaping -------------------------------------------------------------------

Tensor ScaleToUnit::operator()(const Tensor& x) const {
  NABLA_CHECK(x.defined(), "scale_to_unit: the input is undefined");
  if (is_floating(x.dtype())) return x;
  NABLA_CHECK(x.dtype() == uint8, "scale_to_unit: expected uint8 (0..255) or floating-point input, got ", x.dtype(),
              " of shape ", x.shape());
  // One pass instead of to(float32) then div: the same float division, so the same values.
  const Tensor in = x.contiguous();
  Tensor out = empty(x.shape(), float32);
  const uint8_t* src = in.data_ptr<uint8_t>();
  float* dst = out.data_ptr<float>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]) / 255.0f;
  return out;
}
Batch ScaleToUnit::operator()(Batch batch) const { return on_input(std::move(batch), *this); }

Tensor Flatten::operator()(const Tensor& x) const {
  NABLA_CHECK(x.defined(), "flatten: the input is undefined");
  NABLA_CHECK(x.ndim() >= 1, "flatten: expected a batch with a dim 0, got a 0-d tensor");
  return x.ndim() == 1 ? x.reshape({x.size(0), 1}) : x.flatten(1);
}
Batch Flatten::operator()(Batch batch) const { return on_input(std::move(batch), *this); }

Tensor normalize(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& std) {
  NABLA_CHECK(x.defined(), "normalize: the input is undefined");
  NABLA_CHECK(x.ndim() >= 2, "normalize: expected an (N, C, ...) batch, got shape ", x.shape());
  const int64_t channels = x.size(1);
  NABLA_CHECK(static_cast<int64_t>(mean.size()) == channels && static_cast<int64_t>(std.size()) == channels,
              "normalize: expected one mean and one std per channel (", channels, " for input of shape ", x.shape(),
              "), got ", mean.size(), " means and ", std.size(), " stds");
  for (double s : std) NABLA_CHECK(s > 0.0, "normalize: every std must be positive, got ", std);
  const Tensor xf = as_float(x);
  Shape per_channel(static_cast<size_t>(x.ndim()), 1);
  per_channel[1] = channels;
  const Tensor m = tensor(mean, per_channel, xf.dtype());
  const Tensor s = tensor(std, per_channel, xf.dtype());
  return (xf - m) / s;
}
Batch Normalize::operator()(Batch batch) const { return on_input(std::move(batch), *this); }

// ---- Standardize -----------------------------------------------------------------------------

Standardize::Standardize(double min_std) : min_std_(min_std) {
  NABLA_CHECK(min_std > 0.0, "Standardize: min_std must be positive, got ", min_std);
}

Standardize& Standardize::fit(const Tensor& train_inputs) {
  NABLA_CHECK(train_inputs.defined(), "Standardize::fit: the training inputs are undefined");
  NABLA_CHECK(train_inputs.ndim() >= 1 && train_inputs.size(0) >= 1,
              "Standardize::fit: expected at least one training example along dim 0, got shape ", train_inputs.shape());
  const Tensor x = train_inputs.detach().to(float64);
  mean_ = x.mean(0);
  std_ = x.var({0}, /*correction=*/0).sqrt().clamp_min(min_std_);
  return *this;
}

Tensor Standardize::operator()(const Tensor& x) const {
  NABLA_CHECK(fitted(), "Standardize: call fit(train_inputs) before applying it");
  NABLA_CHECK(x.defined() && x.ndim() >= 1, "Standardize: expected a batch with a dim 0");
  Shape example(x.shape().begin() + 1, x.shape().end());
  NABLA_CHECK(example == mean_.shape(), "Standardize: fitted on examples of shape ", mean_.shape(),
              ", got a batch of shape ", x.shape());
  const Tensor xf = as_float(x);
  return (xf - mean_.to(xf.dtype())) / std_.to(xf.dtype());
}
Batch Standardize::operator()(Batch batch) const { return on_input(std::move(batch), *this); }

// ---- noise and masking -----------------------------------------------------------------------

Tensor add_gaussian_noise(const Tensor& x, double std, Generator& generator) {
  NABLA_CHECK(x.defined(), "add_gaussian_noise: the input is undefined");
  NABLA_CHECK(is_floating(x.dtype()), "add_gaussian_noise: expected a floating-point input, got ", x.dtype(),
              " (scale uint8 images with scale_to_unit first)");
  NABLA_CHECK(std >= 0.0, "add_gaussian_noise: std must be non-negative, got ", std);
  return x + randn(x.shape(), generator, x.dtype()) * std;
}
Batch GaussianNoise::operator()(Batch batch) const { return on_input(std::move(batch), *this); }

Tensor random_mask(const Tensor& x, double fraction, Generator& generator) {
  NABLA_CHECK(x.defined(), "random_mask: the input is undefined");
  NABLA_CHECK(fraction >= 0.0 && fraction <= 1.0, "random_mask: fraction must be in [0, 1], got ", fraction);
  const Tensor keep = bernoulli(x.shape(), 1.0 - fraction, generator, x.dtype());
  return x * keep;
}
Batch RandomMask::operator()(Batch batch) const { return on_input(std::move(batch), *this); }

// ---- image augmentation ----------------------------------------------------------------------

Tensor random_crop(const Tensor& images, int64_t padding, Generator& generator, int64_t height, int64_t width) {
  check_images("random_crop", images);
  NABLA_CHECK(padding >= 0, "random_crop: padding must be non-negative, got ", padding);
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const int64_t oh = height == 0 ? h : height, ow = width == 0 ? w : width;
  const int64_t ph = h + 2 * padding, pw = w + 2 * padding;
  NABLA_CHECK(oh >= 1 && ow >= 1 && oh <= ph && ow <= pw, "random_crop: a ", oh, "x", ow,
              " crop does not fit images of shape ", images.shape(), " padded by ", padding, " (", ph, "x", pw, ")");
  const Tensor src = images.contiguous();
  Tensor out = zeros({n, c, oh, ow}, images.dtype());
  kernels::dispatch(images.dtype(), [&]<typename T>() {
    const T* in = src.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for (int64_t i = 0; i < n; ++i) {
      // The window's top-left corner in padded coordinates; rows/columns outside the image stay 0.
      const int64_t top = generator.randint(0, ph - oh + 1) - padding;
      const int64_t left = generator.randint(0, pw - ow + 1) - padding;
      const int64_t x0 = std::max<int64_t>(0, -left), x1 = std::min(ow, w - left);
      for (int64_t ch = 0; ch < c; ++ch) {
        const T* plane = in + (i * c + ch) * h * w;
        T* dst = o + (i * c + ch) * oh * ow;
        for (int64_t y = 0; y < oh; ++y) {
          const int64_t sy = top + y;
          if (sy < 0 || sy >= h || x1 <= x0) continue;
          std::memcpy(dst + y * ow + x0, plane + sy * w + left + x0, static_cast<size_t>(x1 - x0) * sizeof(T));
        }
      }
    }
  });
  return out;
}
Batch RandomCrop::operator()(Batch batch) const { return on_input(std::move(batch), *this); }

Tensor random_horizontal_flip(const Tensor& images, Generator& generator, double p) {
  check_images("random_horizontal_flip", images);
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "random_horizontal_flip: p must be in [0, 1], got ", p);
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  Tensor out = images.contiguous().clone();
  kernels::dispatch(images.dtype(), [&]<typename T>() {
    T* o = out.data_ptr<T>();
    for (int64_t i = 0; i < n; ++i) {
      if (!(generator.uniform_double() < p)) continue;
      for (int64_t row = 0; row < c * h; ++row) {
        T* r = o + (i * c * h + row) * w;
        std::reverse(r, r + w);
      }
    }
  });
  return out;
}
Batch RandomHorizontalFlip::operator()(Batch batch) const { return on_input(std::move(batch), *this); }

// ---- combinators -----------------------------------------------------------------------------

BatchTransform compose(std::vector<BatchTransform> transforms) {
  for (size_t i = 0; i < transforms.size(); ++i)
    NABLA_CHECK(static_cast<bool>(transforms[i]), "compose: transform ", i, " is empty");
  return [transforms = std::move(transforms)](Batch batch) {
    for (const BatchTransform& t : transforms) batch = t(std::move(batch));
    return batch;
  };
}

BatchTransform denoising(BatchTransform corrupt) {
  NABLA_CHECK(static_cast<bool>(corrupt), "denoising: the corrupting transform is empty");
  return [corrupt = std::move(corrupt)](Batch batch) {
    Batch noisy = corrupt(Batch{batch.input, Tensor()});
    return Batch{noisy.input, batch.input};
  };
}

}  // namespace nabla::data
