// A fingerprint of a model's weights, printed at the end of every training run so that two runs
// (two machines, thread counts, a resumed run) can be compared at a glance.
#pragma once

#include <nabla/nn/module.hpp>

#include <cstdint>
#include <string>

namespace nabla::train {

/// 64-bit FNV-1a over the state dict, entry by entry in order: the name's bytes and a 0 byte,
/// the dtype's name (dtype_name) and a 0 byte, the number of dimensions and then each size as
/// 8-byte little-endian integers, then the values' raw little-endian bytes in row-major order.
/// Equal hashes mean equal names, shapes, dtypes and bit-identical values (up to the 2^-64
/// chance of a collision); it does not depend on strides or on how the model was built.
uint64_t state_dict_hash(const nn::StateDict& state);
/// state_dict_hash(module.state_dict()).
uint64_t weights_hash(const nn::Module& module);
/// The hash as 16 lowercase hex digits, as printed ("weights hash 0123456789abcdef").
std::string format_hash(uint64_t hash);

}  // namespace nabla::train
