// Size limits of the model-spec builder and the checkpoint metadata (docs/FORMATS.md, "Limits"):
// absurd sizes are refused with a nabla::Error before anything is allocated. Each case is a
// finding of the fuzz targets in fuzz/ or of the audit that came with them; the hostile files
// of tests/io/bad/expected.tsv are checked by spec_test.cpp and safetensors_test.cpp.
#include <nabla/io/checkpoint.hpp>
#include <nabla/io/safetensors.hpp>
#include <nabla/io/spec.hpp>
#include <nabla/train/history.hpp>

#include "../support/message_of.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

using nabla::testing::message_of;

namespace nabla::io {
namespace {

using ::testing::HasSubstr;

TEST(SpecLimits, AbsurdTextSpecsAreRefusedBeforeAllocating) {
  EXPECT_THAT(message_of([] { build_model("mlp:1000000000000", {1, 28, 28}, 10); }),
              HasSubstr("layer 1 (linear): needs 7.85e+14 parameters, more than the 2147483648 left of the model's "
                        "limit of 2147483648 (8 GiB of float32)"));
  EXPECT_THAT(message_of([] { parse_spec("resnet_small:blocks=1000000000"); }),
              HasSubstr("option 'blocks' 1000000000 is above the limit of 100000 layers"));
  // The limit counts the whole model: the second layer gets what the first one left.
  EXPECT_THAT(message_of([] { build_layers(parse_spec("mlp:100"), {1, 28, 28}, 10, nullptr, 79000); }),
              HasSubstr("layer 3 (linear): needs 1010 parameters, more than the 500 left"));
}

TEST(SpecLimits, TooManyLayers) {
  std::string spec = R"({"layers": [)";
  for (int i = 0; i <= kMaxSpecLayers; ++i) spec += R"({"type": "relu"},)";
  spec.back() = ']';
  EXPECT_THAT(message_of([&] { build_model(spec + "}", {4}, 0); }),
              HasSubstr("100001 layers, more than the limit of 100000"));
}

TEST(SpecLimits, ReceptiveFieldsOfHugeStridesSaturateInsteadOfOverflowing) {
  // Each conv keeps one pixel, so the model is valid; its strides multiply past 2^63.
  const std::string conv = R"({"type": "conv1d", "out": 1, "kernel": 1, "stride": 2147483648})";
  const BuiltModel built = build_sequential(R"({"layers": [)" + conv + "," + conv + "," + conv + "]}", {1, 1}, 0);
  EXPECT_EQ(built.layers.back().jump, std::vector<int64_t>{std::numeric_limits<int64_t>::max()});
  const Window wide{{2147483648}, {1}, {2147483648}};
  EXPECT_EQ(grow_receptive_field({{std::numeric_limits<int64_t>::max()}, {4}}, wide)->size[0],
            std::numeric_limits<int64_t>::max());
}

TEST(SpecLimits, CheckpointMetadataWithAnAbsurdInputShape) {
  const ModelInfo info = model_info({{kSpecKey, "logreg"},
                                     {kInputShapeKey, "[1000000, 1000000, 1000000]"},
                                     {kNumOutputsKey, "10"}},
                                    "m.safetensors");
  EXPECT_THAT(message_of([&] { build_model(info.spec, info.input_shape, info.num_outputs); }),
              HasSubstr("the input per example [1000000, 1000000, 1000000] holds 1e+18 values, more than the limit "
                        "of 2147483648"));
  EXPECT_THAT(message_of([] { build_model("logreg", {4}, int64_t{1} << 40); }),
              HasSubstr("num_outputs must be in [0, 2147483648], got 1099511627776"));
}

TEST(JsonLimits, DeepNestingIsRefusedBeforeAnErrorMessageQuotesIt) {
  // Quoting a value 100,000 levels deep in a message (nlohmann's dump) overflowed the stack.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THAT(message_of([&] { build_model(R"({"layers": [{"type": "linear", "out": )" + deep + "}]}", {4}, 2); }),
              HasSubstr("the JSON nests 100003 levels deep; a model spec needs at most 4"));
  EXPECT_THAT(message_of([&] { train::History::from_json(deep); }),
              HasSubstr("History::from_json: the JSON nests 100000 levels deep; a history needs at most 3"));
}

TEST(SafetensorsLimits, ZeroSizedTensorWhoseStridesOverflow) {
  // The overflow idx_fuzz found in IDX headers: no data, but the strides of [0, 2^62, 4] overflow.
  const std::string header = R"({"a":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}})";
  std::string bytes(8, '\0');
  bytes[0] = static_cast<char>(header.size());
  EXPECT_THAT(message_of([&] { parse_safetensors(bytes + header, "z.safetensors"); }),
              HasSubstr("read_safetensors: 'z.safetensors': tensor 'a': shape [0,4611686018427387904,4] overflows"));
}

}  // namespace
}  // namespace nabla::io
