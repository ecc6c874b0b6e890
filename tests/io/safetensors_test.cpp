// safetensors: round trips of every dtype and odd shapes, the exact bytes of small files
// (checked against the reference implementation's own test vectors), the committed corpus of
// malformed files, atomic writes, and nabla::save / nabla::load of modules.
#include <nabla/io/safetensors.hpp>
#include <nabla/nn/container.hpp>
#include <nabla/nn/models.hpp>

#include <gmock/gmock.h>
#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace nabla::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string corpus = std::string(NABLA_SOURCE_DIR) + "/tests/io/bad/";

class Safetensors : public nabla::testing::TempDirTest {};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string u64le(uint64_t n) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

std::string bytes_of(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s += static_cast<char>(v);
  return s;
}

void expect_same(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.contiguous().to_vector<double>(), b.contiguous().to_vector<double>());
}

TEST_F(Safetensors, RoundTripsEveryDtypeAndShape) {
  Generator gen(7);
  std::vector<std::pair<std::string, Tensor>> tensors;
  const std::vector<Shape> shapes = {{}, {0}, {1}, {5}, {2, 0, 3}, {2, 3, 4}};
  for (DType dtype : {float32, float64, int64, uint8}) {
    for (size_t i = 0; i < shapes.size(); ++i) {
      Tensor t = randint(0, 250, shapes[i], gen, int64).to(dtype);
      if (is_floating(dtype)) t = randn(shapes[i], gen, dtype);
      tensors.emplace_back(std::string(dtype_name(dtype)) + "." + std::to_string(i), t);
    }
  }
  // A non-contiguous view is written in row-major order.
  Tensor base = arange(6.0, float32).reshape({2, 3});
  tensors.emplace_back("transposed", base.t());
  tensors.emplace_back("extremes", tensor(std::vector<double>{1e300, -0.0, 5e-324}, {3}, float64));
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "ünïcode \"quoted\"\n"}};
  write_safetensors(path("all.safetensors"), tensors, metadata);

  const SafetensorsFile file = read_safetensors(path("all.safetensors"));
  EXPECT_EQ(file.metadata, metadata);
  ASSERT_EQ(file.tensors.size(), tensors.size());
  for (const auto& [name, expected] : tensors) {
    const auto it = std::find_if(file.tensors.begin(), file.tensors.end(),
                                 [&name = name](const auto& p) { return p.first == name; });
    ASSERT_NE(it, file.tensors.end()) << name;
    SCOPED_TRACE(name);
    expect_same(it->second, expected);
  }
  EXPECT_EQ(file.tensors.back().first, "uint8.5");  // file order: I64, F64, F32, U8 blocks
  EXPECT_EQ(file.tensors.front().first, "int64.0");
  EXPECT_EQ(read_safetensors(path("all.safetensors")).tensors.size(), tensors.size());
}

TEST_F(Safetensors, BytesMatchTheReferenceImplementation) {
  // The test vectors of huggingface/safetensors (tensor.rs: test_serialization, test_empty).
  write_safetensors(path("a.safetensors"), {{"attn.0", arange(6.0, float32).reshape({1, 2, 3})}});
  EXPECT_EQ(read_bytes(path("a.safetensors")),
            bytes_of({64,  0,   0,   0,   0,   0,   0,   0,   123, 34,  97,  116, 116, 110, 46,  48,  34,  58,  123, 34,
                      100, 116, 121, 112, 101, 34,  58,  34,  70,  51,  50,  34,  44,  34,  115, 104, 97,  112, 101, 34,
                      58,  91,  49,  44,  50,  44,  51,  93,  44,  34,  100, 97,  116, 97,  95,  111, 102, 102, 115, 101,
                      116, 115, 34,  58,  91,  48,  44,  50,  52,  93,  125, 125, 0,   0,   0,   0,   0,   0,   128, 63,
                      0,   0,   0,   64,  0,   0,   64,  64,  0,   0,   128, 64,  0,   0,   160, 64}));
  write_safetensors(path("empty.safetensors"), {});
  EXPECT_EQ(read_bytes(path("empty.safetensors")),
            bytes_of({8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32}));
  write_safetensors(path("meta.safetensors"), {}, {{"framework", "pt"}});
  EXPECT_EQ(read_bytes(path("meta.safetensors")), u64le(40) + "{\"__metadata__\":{\"framework\":\"pt\"}}     ");
}

TEST_F(Safetensors, WritesSortedByDtypeThenNameWithPaddedHeader) {
  const Tensor b = tensor({1.0f, 2.0f});
  const Tensor a = tensor(std::vector<int64_t>{7}, {}, int64);
  const Tensor c = tensor(std::vector<int64_t>{3, 4}, {2}, int64).to(uint8);
  write_safetensors(path("t.safetensors"), {{"b", b}, {"c", c}, {"a", a}, {"B", b.mul(2.0)}}, {{"k", "v"}});
  const std::string header =
      "{\"__metadata__\":{\"k\":\"v\"},"
      "\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
      "\"B\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]},"
      "\"c\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[24,26]}}";
  const std::string padded = header + std::string((8 - header.size() % 8) % 8, ' ');
  const std::string expected = u64le(padded.size()) + padded + raw(std::vector<int64_t>{7}) +
                               raw(std::vector<float>{2, 4}) + raw(std::vector<float>{1, 2}) + "\x03\x04";
  EXPECT_EQ(read_bytes(path("t.safetensors")), expected);
  EXPECT_EQ(padded.size() % 8, 0u);
}

TEST_F(Safetensors, ReadsFilesWrittenByOthers) {
  // Unpadded header, keys out of data order, whitespace, metadata last: all valid safetensors.
  const std::string header =
      "{ \"w\": {\"data_offsets\": [8, 16], \"shape\": [1, 2], \"dtype\": \"F32\"},\n"
      "  \"n\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [0, 8]},"
      "  \"e\": {\"dtype\": \"F64\", \"shape\": [0, 4], \"data_offsets\": [16, 16]},"
      "  \"__metadata__\": {\"format\": \"pt\"}}";
  write_bytes(path("x.safetensors"), u64le(header.size()) + header + raw(std::vector<int64_t>{-3}) +
                                         raw(std::vector<float>{0.5f, -1.5f}));
  const SafetensorsFile file = read_safetensors(path("x.safetensors"));
  ASSERT_EQ(file.tensors.size(), 3u);
  EXPECT_EQ(file.tensors[0].first, "n");
  EXPECT_EQ(file.tensors[0].second.shape(), Shape{});
  EXPECT_EQ(file.tensors[0].second.item(), -3.0);
  EXPECT_EQ(file.tensors[1].first, "w");
  EXPECT_EQ(file.tensors[1].second.to_vector<float>(), (std::vector<float>{0.5f, -1.5f}));
  EXPECT_EQ(file.tensors[2].second.shape(), (Shape{0, 4}));
  EXPECT_EQ(file.tensors[2].second.dtype(), float64);
  EXPECT_EQ(file.metadata.at("format"), "pt");
}

TEST_F(Safetensors, CorpusOfBadFilesGivesClearErrors) {
  std::ifstream manifest(corpus + "expected.tsv");
  ASSERT_TRUE(manifest.good()) << "missing " << corpus << "expected.tsv";
  std::string line;
  int checked = 0;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#' || !line.starts_with("st_")) continue;
    const auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string file = corpus + line.substr(0, tab), message = line.substr(tab + 1);
    SCOPED_TRACE(file);
    try {
      read_safetensors(file);
      ADD_FAILURE() << "no error for " << file;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(message));
      EXPECT_THAT(e.what(), HasSubstr(file));
    }
    ++checked;
  }
  EXPECT_GE(checked, 40);
}

// Every truncation and many random byte changes of a valid file either read cleanly or raise
// nabla::Error: never a crash or another exception (run under ASan/UBSan to see stray reads).
// In memory, through parse_safetensors, which shares all of read_safetensors' checks.
TEST_F(Safetensors, DamagedFilesNeverCrash) {
  write_safetensors(path("good.safetensors"),
                    {{"w", randn({3, 2})}, {"i", tensor(std::vector<int64_t>{1, 2}, {2}, int64)}, {"s", zeros({})}},
                    {{"k", "v"}});
  const std::string good = read_bytes(path("good.safetensors"));
  const SafetensorsFile parsed = parse_safetensors(good, "good");
  ASSERT_EQ(parsed.tensors.size(), 3u);
  expect_same(parsed.tensors[0].second, read_safetensors(path("good.safetensors")).tensors[0].second);

  int errors = 0, reads = 0;
  auto attempt = [&](const std::string& bytes) {
    try {
      parse_safetensors(bytes, "damaged");
      ++reads;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("read_safetensors: 'damaged': "));
      ++errors;
    }
  };
  for (size_t n = 0; n < good.size(); ++n) attempt(good.substr(0, n));
  EXPECT_EQ(reads, 0);  // every truncation is detected
  Generator gen(5);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = good;
    const int changes = 1 + static_cast<int>(gen.randint(0, 3));
    for (int c = 0; c < changes; ++c) {
      const auto at = static_cast<size_t>(gen.randint(0, static_cast<int64_t>(bytes.size())));
      bytes[at] = static_cast<char>(gen.randint(0, 256));
    }
    attempt(bytes);
  }
  EXPECT_GT(errors, 2000);
  EXPECT_GT(reads, 0);  // changes inside the data section are not detectable, and need not be
}

TEST_F(Safetensors, MissingOrNonRegularFilesAreErrors) {
  try {
    read_safetensors(path("absent.safetensors"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot open: No such file or directory"));
    EXPECT_THAT(e.what(), HasSubstr("absent.safetensors"));
  }
  EXPECT_THROW(
      {
        try {
          read_safetensors(dir_.string());
        } catch (const Error& e) {
          EXPECT_THAT(e.what(), HasSubstr("not a regular file"));
          throw;
        }
      },
      Error);
}

TEST_F(Safetensors, WriterRefusesBadInput) {
  const Tensor t = ones({2});
  auto message = [&](const std::vector<std::pair<std::string, Tensor>>& tensors) {
    try {
      write_safetensors(path("w.safetensors"), tensors);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message({{"a", t}, {"a", t}}), HasSubstr("tensor name 'a' appears twice"));
  EXPECT_THAT(message({{"a", Tensor()}}), HasSubstr("tensor 'a' is undefined"));
  EXPECT_THAT(message({{"__metadata__", t}}), HasSubstr("'__metadata__' is reserved"));
  EXPECT_THAT(message({{"bad\xff", t}}), HasSubstr("not valid UTF-8"));
  EXPECT_TRUE(listing().empty());  // nothing was created
}

TEST_F(Safetensors, WriteReplacesAnExistingFile) {
  write_safetensors(path("m.safetensors"), {{"a", ones({3})}});
  write_safetensors(path("m.safetensors"), {{"b", zeros({2})}});
  const SafetensorsFile file = read_safetensors(path("m.safetensors"));
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors[0].first, "b");
  EXPECT_EQ(listing(), std::vector<std::string>{"m.safetensors"});
}

// A write that fails halfway (the file-size limit is hit, as on a full disk) leaves the old
// checkpoint intact and no temporary file behind.
TEST_F(Safetensors, FailedWriteKeepsTheOldFile) {
  write_safetensors(path("ckpt.safetensors"), {{"w", full({4}, 1.5f)}}, {{"epoch", "1"}});
  const std::string before = read_bytes(path("ckpt.safetensors"));

  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  try {
    write_safetensors(path("ckpt.safetensors"), {{"w", zeros({100000})}}, {{"epoch", "2"}});
  } catch (const Error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_THAT(message, HasSubstr("writing failed"));
  EXPECT_THAT(message, HasSubstr("ckpt.safetensors"));
  EXPECT_EQ(read_bytes(path("ckpt.safetensors")), before);
  EXPECT_EQ(listing(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST_F(Safetensors, FailedRenameRemovesTheTemporaryFile) {
  fs::create_directories(dir_ / "target.safetensors" / "inside");
  try {
    write_safetensors(path("target.safetensors"), {{"w", ones({2})}});
    ADD_FAILURE() << "writing over a non-empty directory succeeded";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot replace it"));
  }
  EXPECT_EQ(listing(), std::vector<std::string>{"target.safetensors"});
  EXPECT_TRUE(fs::is_directory(dir_ / "target.safetensors" / "inside"));
}

TEST_F(Safetensors, UnwritableLocationsAreErrors) {
  try {
    write_safetensors(path("no/such/dir/m.safetensors"), {{"w", ones({2})}});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot create the temporary file"));
    EXPECT_THAT(e.what(), HasSubstr("no/such/dir/m.safetensors"));
  }
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  write_safetensors(path("m.safetensors"), {{"w", ones({2})}});
  const std::string before = read_bytes(path("m.safetensors"));
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(write_safetensors(path("m.safetensors"), {{"w", zeros({2})}}), Error);
  fs::permissions(dir_, fs::perms::owner_all);
  EXPECT_EQ(read_bytes(path("m.safetensors")), before);
}

// ---- nabla::save / nabla::load ----------------------------------------------------------

std::shared_ptr<nn::Sequential> small_mlp(uint64_t seed) {
  Generator gen(seed);
  return nn::mlp({.sizes = {4, 8, 3}}, &gen);
}

TEST_F(Safetensors, SaveAndLoadAnMlp) {
  auto saved = small_mlp(1);
  save(*saved, path("mlp.safetensors"), {{"note", "hi"}});
  const SafetensorsFile file = read_safetensors(path("mlp.safetensors"));
  std::vector<std::string> names;
  for (const auto& [name, t] : file.tensors) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.bias", "0.weight", "2.bias", "2.weight"}));

  auto loaded = small_mlp(2);
  const Tensor x = randn({5, 4});
  ASSERT_FALSE(allclose(loaded->forward(x), saved->forward(x)));
  const auto metadata = load(*loaded, path("mlp.safetensors"));
  EXPECT_EQ(metadata.at("note"), "hi");
  for (const auto& [name, t] : saved->state_dict()) expect_same(loaded->state_dict().at(name), t);
  EXPECT_EQ(loaded->forward(x).to_vector(), saved->forward(x).to_vector());
  EXPECT_TRUE(loaded->state_dict().at("0.weight").requires_grad());
}

TEST_F(Safetensors, StrictLoadNamesTheFileAndTheKeys) {
  Generator gen(3);
  auto wide = nn::mlp({.sizes = {4, 9, 3}}, &gen);
  save(*wide, path("wide.safetensors"));
  auto model = small_mlp(1);
  const Tensor before = model->state_dict().at("0.weight").clone();
  try {
    load(*model, path("wide.safetensors"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("wide.safetensors"));
    EXPECT_THAT(e.what(), HasSubstr("0.weight: checkpoint [9, 4] vs model [8, 4]"));
  }
  expect_same(model->state_dict().at("0.weight"), before);  // untouched

  write_safetensors(path("partial.safetensors"), {{"0.weight", ones({8, 4})}, {"extra", ones({1})}});
  try {
    load(*model, path("partial.safetensors"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing keys [0.bias, 2.weight, 2.bias]"));
    EXPECT_THAT(e.what(), HasSubstr("unexpected keys [extra]"));
  }
  load(*model, path("partial.safetensors"), /*strict=*/false);
  EXPECT_EQ(model->state_dict().at("0.weight").to_vector(), std::vector<float>(32, 1.0f));
}

}  // namespace
}  // namespace nabla::io
