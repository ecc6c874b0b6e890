// Indexing and joining: index_select, gather, scatter_add, cat, stack and one_hot against
// hand-written loops over multi-indices, gradients by finite differences, and every error path
// (bad dims, bad index values, mismatched shapes and dtypes) with the offending values named.
#include <nabla/nabla.hpp>

#include "../../support/message_of.hpp"

#include <gtest/gtest.h>

#include <functional>

using nabla::testing::message_of;

using namespace nabla;

namespace {

Tensor i64(const std::vector<int64_t>& values, const Shape& shape) { return tensor(values, shape); }

// Expects f to throw a nabla::Error whose message contains every one of `parts`.
void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  const std::string message = message_of(f);
  for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

Shape unravel(int64_t flat, const Shape& shape) {
  Shape index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

int64_t ravel(const Shape& index, const Shape& shape) {
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + index[d];
  return flat;
}

// A float64 tensor whose value at each position is its flat index (easy to trace by eye).
Tensor iota(const Shape& shape) { return arange(static_cast<double>(shape_numel(shape)), float64).reshape(shape); }

}  // namespace

// ---- index_select ------------------------------------------------------------------------------

TEST(IndexSelect, MatchesHandLoopsAlongEveryDim) {
  manual_seed(1);
  const Tensor x = randn({3, 4, 5}, float64);
  const std::vector<double> xv = x.to_vector<double>();
  const Tensor index = i64({2, 0, 2, 1}, {4});
  for (int64_t dim : {0, 1, 2, -1}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const size_t d = static_cast<size_t>(dim < 0 ? dim + 3 : dim);
    const Tensor out = x.index_select(dim, index);
    Shape want_shape = x.shape();
    want_shape[d] = 4;
    ASSERT_EQ(out.shape(), want_shape);
    const std::vector<double> got = out.to_vector<double>();
    for (int64_t flat = 0; flat < out.numel(); ++flat) {
      Shape pos = unravel(flat, want_shape);
      pos[d] = index.to_vector<int64_t>()[static_cast<size_t>(pos[d])];
      EXPECT_EQ(got[static_cast<size_t>(flat)], xv[static_cast<size_t>(ravel(pos, x.shape()))]);
    }
  }
  // Strided self, 0-d index, empty index, integer data.
  const Tensor t = iota({4, 3}).t();  // (3, 4), not contiguous
  EXPECT_EQ(t.index_select(1, i64({3, 1}, {2})).to_vector<double>(), (std::vector<double>{9, 3, 10, 4, 11, 5}));
  EXPECT_EQ(t.index_select(0, tensor(std::vector<int64_t>{2}, {})).shape(), (Shape{1, 4}));
  EXPECT_EQ(t.index_select(0, i64({}, {0})).shape(), (Shape{0, 4}));
  EXPECT_EQ(i64({5, 6, 7}, {3}).index_select(0, i64({2, 2}, {2})).to_vector<int64_t>(), (std::vector<int64_t>{7, 7}));
  EXPECT_EQ(scalar_tensor(5.0).index_select(0, i64({0}, {1})).shape(), Shape{});
}

TEST(IndexSelect, GradientAccumulatesRepeatedIndices) {
  manual_seed(2);
  const Tensor x = randn({3, 4}, float64);
  const Tensor index = i64({1, 1, 0, 1}, {4});
  for (int64_t dim : {0, 1, -1}) {
    EXPECT_TRUE(gradcheck([&](const auto& in) { return in[0].index_select(dim, index); }, {x}).ok);
  }
  Tensor w = ones({3, 2}).requires_grad_();
  w.index_select(0, i64({2, 0, 2, 2}, {4})).sum().backward();
  EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{1, 1, 0, 0, 3, 3}));
}

TEST(IndexSelect, BadArgumentsThrowNamingTheValues) {
  const Tensor x = ones({3, 2});
  expect_error(
      [&] {
        x.index_select(0, i64({0, 3}, {2}));
      },
      {"index_select: index 3 is out of range", "size 3", "[3, 2]"});
  expect_error([&] { x.index_select(1, i64({-1}, {1})); }, {"index -1", "dimension 1 with size 2"});
  expect_error([&] { x.index_select(2, i64({0}, {1})); }, {"index_select: dimension 2 is out of range", "[3, 2]"});
  expect_error([&] { x.index_select(0, ones({1})); }, {"index must be an int64 tensor, got float32"});
  expect_error([&] { x.index_select(0, i64({0, 0}, {1, 2})); }, {"0-D or 1-D, got shape [1, 2]"});
  expect_error([&] { x.index_select(0, Tensor()); }, {"index_select"});
}

// ---- gather ------------------------------------------------------------------------------------

TEST(Gather, MatchesHandLoops) {
  manual_seed(3);
  const Tensor x = randn({3, 4, 5}, float64);
  const std::vector<double> xv = x.to_vector<double>();
  for (int64_t dim : {0, 1, 2, -2}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const size_t d = static_cast<size_t>(dim < 0 ? dim + 3 : dim);
    // Smaller than x in the other dims, larger along dim: both allowed.
    Shape index_shape = {2, 3, 4};
    index_shape[d] = 6;
    const Tensor index = randint(0, x.shape()[d], index_shape);
    const Tensor out = x.gather(dim, index);
    ASSERT_EQ(out.shape(), index_shape);
    const std::vector<int64_t> iv = index.to_vector<int64_t>();
    const std::vector<double> got = out.to_vector<double>();
    for (int64_t flat = 0; flat < out.numel(); ++flat) {
      Shape pos = unravel(flat, index_shape);
      pos[d] = iv[static_cast<size_t>(flat)];
      EXPECT_EQ(got[static_cast<size_t>(flat)], xv[static_cast<size_t>(ravel(pos, x.shape()))]);
    }
  }
  // The doc example: out[i][j] = self[index[i][j]][j], on a transposed (strided) self.
  const Tensor t = iota({3, 2}).t();  // [[0, 2, 4], [1, 3, 5]]
  EXPECT_EQ(t.gather(0, i64({1, 0, 1}, {1, 3})).to_vector<double>(), (std::vector<double>{1, 2, 5}));
  EXPECT_EQ(t.gather(1, i64({2, 2, 0, 1}, {2, 2})).to_vector<double>(), (std::vector<double>{4, 4, 1, 3}));
  EXPECT_EQ(scalar_tensor(7.0).gather(0, tensor(std::vector<int64_t>{0}, {})).item(), 7.0);
}

TEST(Gather, GradientScattersBackAndAccumulates) {
  manual_seed(4);
  const Tensor x = randn({3, 4}, float64);
  const Tensor index = i64({0, 0, 2, 1, 2, 2, 0, 3}, {2, 4});
  EXPECT_TRUE(gradcheck(
                  [&](const auto& in) {
                    return in[0].gather(0, i64({0, 0, 2, 1, 2, 2, 0, 0}, {2, 4}));
                  },
                  {x})
                  .ok);
  EXPECT_TRUE(gradcheck([&](const auto& in) { return in[0].gather(1, index); }, {x}).ok);
  EXPECT_TRUE(gradcheck([&](const auto& in) { return in[0].gather(-1, index.narrow(1, 0, 2)); }, {x}).ok);
}

TEST(Gather, BadArgumentsThrowNamingTheValues) {
  const Tensor x = ones({2, 3});
  expect_error(
      [&] {
        x.gather(1, i64({0, 5}, {1, 2}));
      },
      {"gather: index 5 is out of range", "dimension 1 with size 3"});
  expect_error([&] { x.gather(0, i64({-2}, {1, 1})); }, {"index -2"});
  expect_error(
      [&] {
        x.gather(1, i64({0, 0, 0}, {3, 1}));
      },
      {"gather: index of shape [3, 1] does not fit in dimension 0 of self of shape [2, 3]"});
  expect_error([&] { x.gather(1, i64({0, 1}, {2})); }, {"as many dimensions", "[2]", "[2, 3]"});
  expect_error([&] { x.gather(-3, i64({0}, {1, 1})); }, {"gather: dimension -3"});
  expect_error([&] { x.gather(0, ones({1, 1}, uint8)); }, {"int64", "uint8"});
}

// ---- scatter_add ---------------------------------------------------------------------------------

TEST(ScatterAdd, MatchesHandLoops) {
  manual_seed(5);
  const Tensor self = randn({4, 3, 5}, float64);
  const Tensor src = randn({3, 3, 6}, float64);
  for (int64_t dim : {0, 2, -2}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const size_t d = static_cast<size_t>(dim < 0 ? dim + 3 : dim);
    const Shape index_shape = {2, 3, 4};  // <= src everywhere, <= self except along dim
    const Tensor index = randint(0, self.shape()[d], index_shape);
    std::vector<double> want = self.to_vector<double>();
    const std::vector<double> sv = src.to_vector<double>();
    const std::vector<int64_t> iv = index.to_vector<int64_t>();
    for (int64_t flat = 0; flat < index.numel(); ++flat) {
      const Shape pos = unravel(flat, index_shape);
      Shape to = pos;
      to[d] = iv[static_cast<size_t>(flat)];
      want[static_cast<size_t>(ravel(to, self.shape()))] += sv[static_cast<size_t>(ravel(pos, src.shape()))];
    }
    const Tensor out = self.scatter_add(dim, index, src);
    const std::vector<double> got = out.to_vector<double>();
    for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-12) << "element " << k;
  }
  // Out of place: self is untouched. Integer data works too.
  const Tensor z = zeros({2, 3}, int64);
  const Tensor r = z.scatter_add(0, i64({1, 0, 1}, {1, 3}), i64({5, 6, 7}, {1, 3}));
  EXPECT_EQ(r.to_vector<int64_t>(), (std::vector<int64_t>{0, 6, 0, 5, 0, 7}));
  EXPECT_EQ(z.to_vector<int64_t>(), std::vector<int64_t>(6, 0));
}

TEST(ScatterAdd, GradientsWithRespectToSelfAndSrc) {
  manual_seed(6);
  const Tensor self = randn({3, 4}, float64);
  const Tensor src_same = randn({2, 4}, float64);
  const Tensor src_large = randn({3, 5}, float64);  // only its [0:2, 0:4] corner is used
  const Tensor index = i64({0, 2, 2, 1, 2, 0, 2, 2}, {2, 4});
  auto scatter0 = [&](const std::vector<Tensor>& in) { return in[0].scatter_add(0, index, in[1]); };
  EXPECT_TRUE(gradcheck(scatter0, {self, src_same}).ok);
  EXPECT_TRUE(gradcheck(scatter0, {self, src_large}).ok);
  EXPECT_TRUE(gradcheck([&](const auto& in) { return in[0].scatter_add(1, index, in[1]); }, {self, src_large}).ok);
  // Only src requiring grad (a zeros base is the usual pattern).
  EXPECT_TRUE(gradcheck(
                  [&](const auto& in) {
                    return zeros({3, 4}, float64).scatter_add(0, index, in[0]);
                  },
                  {src_same})
                  .ok);
  Tensor s = src_large.detach().requires_grad_();
  zeros({3, 4}, float64).scatter_add(0, index, s).sum().backward();
  EXPECT_EQ(s.grad().to_vector<double>(), (std::vector<double>{1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}));
}

TEST(ScatterAdd, BadArgumentsThrowNamingTheValues) {
  const Tensor x = zeros({2, 3});
  const Tensor src = ones({2, 3});
  expect_error(
      [&] {
        x.scatter_add(0, i64({0, 2, 0}, {1, 3}), src);
      },
      {"scatter_add: index 2 is out of range", "dimension 0 with size 2"});
  expect_error([&] { x.scatter_add(1, i64({-1}, {1, 1}), src); }, {"index -1"});
  expect_error(
      [&] {
        x.scatter_add(0, i64({0, 1, 0, 1}, {1, 4}), ones({2, 4}));
      },
      {"index of shape [1, 4] does not fit in dimension 1 of self of shape [2, 3]", "src of shape [2, 4]"});
  expect_error([&] { x.scatter_add(0, i64({0, 1}, {1, 2}), ones({1, 1})); }, {"[1, 2]", "src of shape [1, 1]"});
  expect_error(
      [&] {
        x.scatter_add(0, i64({0}, {1, 1}), ones({1, 1}, float64));
      },
      {"dtype mismatch", "float32", "float64"});
  expect_error([&] { x.scatter_add(0, i64({0}, {1}), src); }, {"as many dimensions as self", "index of shape [1]"});
  expect_error([&] { x.scatter_add(2, i64({0}, {1, 1}), src); }, {"scatter_add: dimension 2"});
}

// ---- cat / stack ---------------------------------------------------------------------------------

TEST(Cat, JoinsAlongAnyDim) {
  const Tensor a = iota({2, 3});
  const Tensor b = iota({1, 3}) + 10.0;
  EXPECT_EQ(cat({a, b}, 0).to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 4, 5, 10, 11, 12}));
  const Tensor c = iota({2, 1}) + 20.0;
  const Tensor joined = cat({a, c, a}, -1);
  EXPECT_EQ(joined.shape(), (Shape{2, 7}));
  EXPECT_EQ(joined.to_vector<double>(), (std::vector<double>{0, 1, 2, 20, 0, 1, 2, 3, 4, 5, 21, 3, 4, 5}));
  // Strided inputs, a single input, size-0 pieces, the legacy 1-D empty tensor, integers.
  EXPECT_EQ(cat({a.t(), iota({3, 1})}, 1).to_vector<double>(), (std::vector<double>{0, 3, 0, 1, 4, 1, 2, 5, 2}));
  EXPECT_EQ(cat({a}, 1).to_vector<double>(), a.to_vector<double>());
  EXPECT_EQ(cat({a, zeros({0, 3}, float64)}, 0).shape(), (Shape{2, 3}));
  EXPECT_EQ(cat({zeros({0}, float64), a, zeros({0}, float64)}, 1).shape(), (Shape{2, 3}));
  EXPECT_EQ(cat({zeros({0}), zeros({0})}).shape(), Shape{0});
  EXPECT_EQ(cat({i64({1, 2}, {2}), i64({3}, {1})}).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3}));
}

TEST(Cat, GradientSlicesBackToEachInput) {
  manual_seed(7);
  const Tensor a = randn({2, 3, 2}, float64), b = randn({2, 1, 2}, float64), c = randn({2, 2, 2}, float64);
  EXPECT_TRUE(gradcheck([](const auto& in) { return cat({in[0], in[1], in[2]}, 1); }, {a, b, c}).ok);
  EXPECT_TRUE(gradcheck([](const auto& in) { return cat({in[0], in[0].exp()}, 0); }, {a}).ok);
  EXPECT_TRUE(gradcheck([](const auto& in) { return cat({in[0], in[1]}, -1); }, {a, a}).ok);
  // Inputs that do not require grad get none; the legacy empty tensor is skipped.
  Tensor x = ones({2, 2}).requires_grad_();
  Tensor e = zeros({0}).requires_grad_();
  (cat({ones({1, 2}), x, e}, 0) * 3.0).sum().backward();
  EXPECT_EQ(x.grad().to_vector(), std::vector<float>(4, 3.0f));
  EXPECT_FALSE(e.grad().defined());
}

TEST(Cat, BadArgumentsThrowNamingPositionsAndShapes) {
  const Tensor a = ones({2, 3});
  expect_error(
      [&] {
        cat({a, ones({2, 3}), ones({2, 4})}, 0);
      },
      {"sizes must match except in dimension 0", "position 2 has shape [2, 4]", "position 0 has shape [2, 3]"});
  expect_error([&] { cat({a, ones({2})}, 0); }, {"position 1 has shape [2]"});
  expect_error([&] { cat({a, ones({2, 3}, float64)}, 0); }, {"dtype float32", "got float64", "position 1"});
  expect_error([&] { cat({scalar_tensor(1.0), scalar_tensor(2.0)}); }, {"zero-dimensional tensor (at position 0)"});
  expect_error([&] { cat({a, scalar_tensor(2.0)}); }, {"zero-dimensional tensor (at position 1)"});
  expect_error([&] { cat({}, 0); }, {"cat: expected a non-empty list"});
  expect_error([&] { cat({a, a}, 2); }, {"cat: dimension 2 is out of range", "[2, 3]"});
  expect_error([&] { cat({a, Tensor()}, 0); }, {"cat"});
}

TEST(Stack, JoinsAlongANewDim) {
  const Tensor a = iota({2, 3}), b = iota({2, 3}) + 10.0;
  EXPECT_EQ(stack({a, b}).shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(stack({a, b}, 0).to_vector<double>(), cat({a, b}, 0).to_vector<double>());
  const Tensor last = stack({a, b}, -1);
  EXPECT_EQ(last.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(last.to_vector<double>(), (std::vector<double>{0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}));
  EXPECT_EQ(stack({a, b}, 1).shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(stack({scalar_tensor(1.0), scalar_tensor(2.0)}).to_vector(), (std::vector<float>{1, 2}));
  manual_seed(8);
  const Tensor x = randn({2, 3}, float64), y = randn({2, 3}, float64);
  for (int64_t dim : {0, 1, 2, -1}) {
    EXPECT_TRUE(gradcheck([&](const auto& in) { return stack({in[0], in[1], in[0]}, dim); }, {x, y}).ok);
  }
}

TEST(Stack, BadArgumentsThrowNamingPositionsAndShapes) {
  expect_error(
      [&] {
        stack({ones({2, 3}), ones({2, 3}), ones({2, 4})});
      },
      {"stack: expects each tensor to be equal size", "[2, 3] at position 0", "[2, 4] at position 2"});
  expect_error([&] { stack({ones({2, 3})}, 3); }, {"stack: dimension 3 is out of range"});
  expect_error([&] { stack({}); }, {"stack: expected a non-empty list"});
  expect_error([&] { stack({ones({2}), ones({2}, float64)}); }, {"float64"});
}

// ---- one_hot -------------------------------------------------------------------------------------

TEST(OneHot, RowsOfIndicesBecomeOneHotRows) {
  const Tensor idx = i64({0, 2, 1, 1}, {2, 2});
  const Tensor out = one_hot(idx, 3);
  EXPECT_EQ(out.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(out.dtype(), float32);
  EXPECT_EQ(out.to_vector(), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0}));
  // num_classes = -1 infers max + 1, as PyTorch.
  EXPECT_EQ(one_hot(i64({0, 3}, {2}), -1, int64).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(one_hot(tensor(std::vector<int64_t>{2}, {}), 4, float64).to_vector<double>(),
            (std::vector<double>{0, 0, 1, 0}));
  EXPECT_EQ(one_hot(i64({}, {0}), 5).shape(), (Shape{0, 5}));
  const Tensor strided = one_hot(i64({4, 0, 2, 1}, {2, 2}).t(), 5);  // [[4, 2], [0, 1]]
  EXPECT_EQ(strided.select(0, 0).to_vector(), (std::vector<float>{0, 0, 0, 0, 1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(strided.select(0, 1).to_vector(), (std::vector<float>{1, 0, 0, 0, 0, 0, 1, 0, 0, 0}));
}

TEST(OneHot, BadIndicesThrowNamingThem) {
  expect_error(
      [] {
        one_hot(i64({0, 3}, {2}), 3);
      },
      {"one_hot: class index 3 (element 1) is out of range for num_classes = 3"});
  expect_error([] { one_hot(i64({0, -1}, {2}), 3); }, {"class index -1 (element 1) is negative"});
  expect_error([] { one_hot(i64({-2}, {1}), -1); }, {"class index -2"});
  expect_error([] { one_hot(i64({}, {0}), -1); }, {"cannot infer num_classes from an empty tensor"});
  expect_error([] { one_hot(ones({2}), 3); }, {"one_hot: index must be an int64 tensor, got float32"});
  expect_error([] { one_hot(i64({0}, {1}), -2); }, {"num_classes", "-2"});
}
