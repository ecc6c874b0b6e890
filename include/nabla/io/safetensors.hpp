// Checkpoints in the safetensors format (an 8-byte little-endian header length, a JSON
// header mapping names to {dtype, shape, data_offsets}, then raw little-endian bytes), with
// PyTorch's state_dict names and layouts, so weights move between nabla and PyTorch unchanged:
//   torch: model.load_state_dict(safetensors.torch.load_file("model.safetensors"))
#pragma once

#include <nabla/nn/module.hpp>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nabla::io {

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in file order (sorted by offset)
  std::map<std::string, std::string> metadata;          // the "__metadata__" string map
};

/// Reads and strictly validates a safetensors file: header length within the file, valid JSON,
/// known dtypes (F32, F64, I64, U8; others are reported by name), shape × dtype size equal to
/// the byte range, ranges inside the data section, no overlaps or gaps. Any problem is a
/// nabla::Error naming the file and the problem.
SafetensorsFile read_safetensors(const std::string& path);
/// The same checks on a file's bytes already in memory; `name` stands for the path in errors.
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name = "<memory>");

/// Writes tensors (any of nabla's dtypes, made contiguous) and metadata atomically: a temporary
/// file in the same directory is written, flushed and renamed over `path`, so an interrupted
/// save never damages an existing checkpoint.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace nabla::io

namespace nabla {

/// Saves module.state_dict() (PyTorch's keys and layouts) with optional metadata.
void save(const nn::Module& module, const std::string& path, const std::map<std::string, std::string>& metadata = {});
/// Loads a state dict saved by nabla or by PyTorch (safetensors.torch.save_file) into module,
/// strict by default (see Module::load_state_dict). Returns the file's metadata.
std::map<std::string, std::string> load(nn::Module& module, const std::string& path, bool strict = true);

}  // namespace nabla
