// The parts of report.html, each an HTML fragment with its text escaped: the headline numbers,
// the tables (key/value, per epoch, per class, files) and the grid of misclassified images.
// Internal to src/report/; report_html assembles them into the page.
#pragma once

#include <nabla/report/report.hpp>

#include <string>
#include <utility>
#include <vector>

namespace nabla::report::detail {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

/// True when the run's test evaluation is a classification (a confusion matrix was measured).
bool is_classification(const train::Evaluation& test);
/// The headline cards: test accuracy (or R² and MSE), test loss, epochs, training time.
std::string headline_stats(const RunReport& report);
/// A two-column table of keys and values.
std::string key_value_table(const KeyValues& rows);
/// One row per epoch; columns that were never measured are left out (and top-k accuracies
/// with k >= classes, which are always 100 %); the best validation epoch is highlighted.
std::string epoch_table(const train::History& history, int64_t classes = 0);
/// Precision, recall, F1 and support per class, then the macro averages.
std::string class_table(const train::ClassReport& report, const std::vector<std::string>& class_names);
/// The misclassified images, upscaled (nearest), captioned "true → predicted" (at most 48).
std::string misclassified_grid(const RunReport& report);
/// The run directory's files: report.html and the charts first, then `files` (names deduplicated).
std::string files_table(const RunReport& report);

}  // namespace nabla::report::detail
