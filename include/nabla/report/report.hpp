// Run reports: the pictures and the page a person looks at after training. Everything is
// written by nabla itself (no plotting library): SVG for charts, PNG (zlib) for images, and one
// self-contained report.html that embeds them all, so the file can be mailed or opened offline.
//
//   report::RunReport r{.title = "mlp on fashion-mnist", .history = history, ...};
//   report::write_run_report(r, "runs/fashion-mlp");  // curves.svg, confusion_matrix.svg, report.html
#pragma once

#include <nabla/nn/module.hpp>
#include <nabla/tensor.hpp>
#include <nabla/train/history.hpp>
#include <nabla/train/metrics.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nabla::report {

/// One test example the model got wrong (or any example to show with its labels).
struct LabelledImage {
  Tensor image;           // (C, H, W) or (H, W); uint8 in [0, 255] or floating in [0, 1]
  int64_t target = 0;     // true class
  int64_t predicted = 0;  // the model's class
  int64_t index = 0;      // position in the test set
};

/// Everything a run report shows. Fields left empty/undefined are left out of the page.
struct RunReport {
  std::string title{};                                               // e.g. the run name
  std::vector<std::pair<std::string, std::string>> configuration{};  // key, value (model spec, optimiser, ...)
  std::vector<std::pair<std::string, std::string>> environment{};    // nabla version, compiler, CPU, threads, date
  train::History history{};
  std::vector<std::string> class_names{};  // empty: names are the class indices
  train::Evaluation test{};                // the final test evaluation (classification or regression)
  std::vector<LabelledImage> misclassified{};  // shown as a grid with true / predicted labels
  std::shared_ptr<nn::Module> model{};     // first-layer weights; the decision boundary for 2-D inputs
  Shape input_shape{};                     // per example, batch dimension excluded
  Tensor points{};                         // 2-D data only: (N, 2) inputs drawn over the decision boundary
  Tensor point_labels{};                   //   and their (N) int64 classes
  std::string weights_hash{};              // train::weights_hash of the final model
  std::vector<std::pair<std::string, std::string>> files{};  // other files of the run dir: name, description
};

// ---- building blocks (each returns a complete document) -----------------------------------------

/// Loss (train and validation) and accuracy (train and validation) per epoch, two panels side by
/// side; a regression run shows the loss and, when measured, val_r2. Unmeasured (NaN) series are
/// left out. An empty history gives a chart that says so.
std::string curves_svg(const train::History& history);
/// A C×C confusion matrix (rows true, columns predicted) as a heat map with counts in the cells
/// and class names on both axes. The colour is the cell's share of its row, so a small class's
/// errors show as clearly as a large one's. Names missing from class_names are the indices.
std::string confusion_matrix_svg(const Tensor& confusion, const std::vector<std::string>& class_names);
/// A PNG file (8-bit grey for channels == 1, grey + alpha for 2, RGB for 3, RGBA for 4) of
/// `pixels`, row-major (height, width, channels): IHDR, one zlib-compressed IDAT, IEND.
std::string encode_png(const std::vector<uint8_t>& pixels, int64_t height, int64_t width, int64_t channels);
/// `data:image/png;base64,...` for embedding.
std::string png_data_uri(const std::string& png);
/// Standard base64 (RFC 4648, alphabet A-Z a-z 0-9 + /, '=' padding).
std::string base64_encode(std::string_view bytes);
/// The inverse of base64_encode; a malformed text (bad length, character or padding) is a nabla::Error.
std::string base64_decode(std::string_view text);
/// The first layer with weights drawn as images: a Linear whose inputs form an image of
/// input_shape ((1, 28, 28): each unit's 784 weights as a 28×28 picture, blue negative, red
/// positive, each unit on its own symmetric scale) or a convolution's (out, in, kh, kw) filters
/// (RGB when in == 3, else the first input channel). Each picture is a PNG data URI upscaled to
/// about 56 pixels; at most max_units are drawn. Returns "" when the model's first 2-D or 4-D
/// weight is no such layer (e.g. a Linear on non-image inputs).
std::string first_layer_weights_html(nn::Module& model, const Shape& input_shape, int64_t max_units = 64);
/// For a model with 2 inputs: its predicted class over a resolution × resolution grid covering
/// `points` (N, 2) (their bounding box plus a 10 % margin), shaded by class, with the points
/// drawn on top in their true class's colour (point_labels (N) int64; may be undefined). The
/// model runs under NoGradGuard in eval mode (its training mode is restored). C outputs: the
/// argmax class; one output: a binary logit, class 1 where it is > 0. The legend names classes
/// by `class_names` (indices when empty).
std::string decision_boundary_svg(nn::Module& model, const Tensor& points, const Tensor& point_labels,
                                  int64_t resolution = 200, const std::vector<std::string>& class_names = {});

// ---- the whole run -------------------------------------------------------------------------------

/// The self-contained HTML page (inline CSS, images as data URIs, SVG inlined; no scripts, web
/// fonts or external links): headline numbers, curves, confusion matrix and per-class scores,
/// misclassified images, decision regions (points defined and a model), first-layer weights,
/// the per-epoch table, configuration, environment and the run's files. All text is escaped.
std::string report_html(const RunReport& report);
/// Writes `run_dir`/curves.svg, confusion_matrix.svg (classification only) and report.html, each
/// atomically (a temporary file in run_dir renamed over the target); the directory must exist.
/// A failure is a nabla::Error naming the directory or file. Returns the path of report.html.
std::string write_run_report(const RunReport& report, const std::string& run_dir);

}  // namespace nabla::report
