// Transforms for inputs: scaling, normalisation, flattening, noise and masking (denoising
// autoencoders), and random crop/flip for image batches. Each is a plain tensor function and a
// callable that a DataLoader takes as its BatchTransform (the batch form changes `input` only):
//
//   data::DataLoader loader(train, {.batch_size = 64, .transform = data::compose({
//       data::scale_to_unit, data::RandomHorizontalFlip{.generator = gen}, data::flatten})});
//   Tensor x = data::scale_to_unit(images_u8);   // the same transform on a tensor
//
// Random transforms draw from an explicit Generator (shared by copies of the transform, so the
// loader's copy advances the stream the caller holds and a checkpoint can save its state).
// Inputs never require grad here; nothing is recorded for autograd.
#pragma once

#include <nabla/data/dataset.hpp>

#include <memory>
#include <vector>

namespace nabla::data {

/// uint8 → float32 divided by 255 (torchvision's ToTensor scaling); float tensors pass
/// unchanged. Other dtypes are an error.
struct ScaleToUnit {
  Tensor operator()(const Tensor& x) const;
  Batch operator()(Batch batch) const;
};
inline constexpr ScaleToUnit scale_to_unit{};

/// (N, d1, d2, ...) → (N, d1 * d2 * ...), keeping dim 0 (torch.flatten(x, 1)).
struct Flatten {
  Tensor operator()(const Tensor& x) const;
  Batch operator()(Batch batch) const;
};
inline constexpr Flatten flatten{};

/// (x - mean[c]) / std[c] for channel c = dim 1 of an (N, C, ...) batch (torchvision's
/// Normalize). Integer inputs are converted to float32 first.
Tensor normalize(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& std);
struct Normalize {
  std::vector<double> mean{}, std{};
  Tensor operator()(const Tensor& x) const { return normalize(x, mean, std); }
  Batch operator()(Batch batch) const;
};

/// Per-feature standardisation, z = (x - mean) / max(std, min_std), with the statistics fitted
/// on training data only (like sklearn's StandardScaler): fit(train inputs), then apply to any
/// split. A feature is everything after dim 0. std is the population std (divisor N); the
/// floor keeps features that are constant in the training data finite (they map to 0 there).
/// Integer inputs give float32; float64 stays float64.
class Standardize {
public:
  explicit Standardize(double min_std = 1e-6);
  /// Fits mean and std over dim 0 of `train_inputs` (at least one example); returns *this.
  Standardize& fit(const Tensor& train_inputs);
  bool fitted() const { return mean_.defined(); }
  /// Per-feature statistics, shaped like one example (float64).
  const Tensor& mean() const { return mean_; }
  const Tensor& std() const { return std_; }
  Tensor operator()(const Tensor& x) const;
  Batch operator()(Batch batch) const;

private:
  double min_std_;
  Tensor mean_, std_;
};

/// x + std * N(0, 1) noise, elementwise (float inputs).
Tensor add_gaussian_noise(const Tensor& x, double std, Generator& generator);
struct GaussianNoise {
  double std = 0.1;
  std::shared_ptr<Generator> generator = std::make_shared<Generator>(0);
  Tensor operator()(const Tensor& x) const { return add_gaussian_noise(x, std, *generator); }
  Batch operator()(Batch batch) const;
};

/// Sets each element to zero with probability `fraction` (masking noise for denoising
/// autoencoders; unlike dropout the survivors are not rescaled). Any dtype.
Tensor random_mask(const Tensor& x, double fraction, Generator& generator);
struct RandomMask {
  double fraction = 0.25;
  std::shared_ptr<Generator> generator = std::make_shared<Generator>(0);
  Tensor operator()(const Tensor& x) const { return random_mask(x, fraction, *generator); }
  Batch operator()(Batch batch) const;
};

/// For (N, C, H, W) images: pads each side of H and W with `padding` zeros, then cuts a
/// height x width window at a random position, drawn per image (torchvision's RandomCrop with
/// padding). height/width 0 keep the input's size. Any dtype (uint8 images stay uint8).
Tensor random_crop(const Tensor& images, int64_t padding, Generator& generator, int64_t height = 0,
                   int64_t width = 0);
struct RandomCrop {
  int64_t padding = 0;
  int64_t height = 0, width = 0;
  std::shared_ptr<Generator> generator = std::make_shared<Generator>(0);
  Tensor operator()(const Tensor& x) const { return random_crop(x, padding, *generator, height, width); }
  Batch operator()(Batch batch) const;
};

/// For (N, C, H, W) images: mirrors each image left-right with probability p, drawn per image.
Tensor random_horizontal_flip(const Tensor& images, Generator& generator, double p = 0.5);
struct RandomHorizontalFlip {
  double p = 0.5;
  std::shared_ptr<Generator> generator = std::make_shared<Generator>(0);
  Tensor operator()(const Tensor& x) const { return random_horizontal_flip(x, *generator, p); }
  Batch operator()(Batch batch) const;
};

/// The transforms applied one after another.
BatchTransform compose(std::vector<BatchTransform> transforms);

/// For denoising autoencoders: the target becomes the clean input and the input is corrupted
/// by `corrupt` (e.g. GaussianNoise or RandomMask).
BatchTransform denoising(BatchTransform corrupt);

}  // namespace nabla::data
