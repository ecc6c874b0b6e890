// The fragments of report.html: headline cards, tables and the misclassified-image grid.
#include "report/sections.hpp"

#include "report/common.hpp"

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <functional>
#include <set>

namespace nabla::report::detail {
namespace {

constexpr size_t kMaxImages = 48;

std::string stat_card(const std::string& label, const std::string& value, const std::string& note,
                      const std::string& extra_class = "") {
  return "<div class=\"stat" + (extra_class.empty() ? "" : " " + extra_class) + "\"><div class=\"label\">" +
         escape(label) + "</div><div class=\"value\">" + escape(value) + "</div>" +
         (note.empty() ? "" : "<div class=\"note\">" + escape(note) + "</div>") + "</div>\n";
}

// The epoch with the best validation accuracy, else the lowest validation loss; -1 when neither
// was measured.
int64_t best_epoch_index(const train::History& history) {
  int64_t best = -1;
  for (const char* metric : {"val_acc", "val_loss"}) {
    const std::vector<double> v = history.values(metric);
    const bool higher = std::string(metric) == "val_acc";
    for (size_t i = 0; i < v.size(); ++i)
      if (std::isfinite(v[i]) &&
          (best < 0 || (higher ? v[i] > v[static_cast<size_t>(best)] : v[i] < v[static_cast<size_t>(best)])))
        best = static_cast<int64_t>(i);
    if (best >= 0) return best;
  }
  return -1;
}

std::string pretty_metric(std::string name) {
  std::replace(name.begin(), name.end(), '_', ' ');
  if (name.starts_with("val ")) name = "val. " + name.substr(4);
  if (name.ends_with(" r2")) name.replace(name.size() - 2, 2, "R\xc2\xb2");
  return name;
}

// A cell with a small horizontal bar behind the number (fraction in [0, 1]).
std::string bar_cell(double fraction) {
  const double w = std::isfinite(fraction) ? std::clamp(fraction, 0.0, 1.0) * 100 : 0;
  return "<td class=\"num\"><span class=\"bar\"><span style=\"width:" + fixed(w, 1) + "%\"></span></span>" +
         fixed(fraction, 4) + "</td>";
}

}  // namespace

bool is_classification(const train::Evaluation& test) {
  return test.task == train::Task::Classification ||
         (test.confusion.defined() && test.confusion.ndim() == 2 && test.confusion.numel() > 0);
}

std::string headline_stats(const RunReport& r) {
  const train::Evaluation& t = r.test;
  std::string s = "<div class=\"stats\">\n";
  const std::string on = t.samples > 0 ? "on " + grouped(t.samples) + " test examples" : "";
  if (is_classification(t)) {
    if (std::isfinite(t.accuracy)) s += stat_card("Test accuracy", percent(t.accuracy), on, "primary");
    const int64_t classes = t.confusion.defined() && t.confusion.ndim() == 2 ? t.confusion.size(0) : 0;
    if (t.top_k > 1 && t.top_k < classes && std::isfinite(t.top_k_accuracy))
      s += stat_card("Top-" + std::to_string(t.top_k) + " accuracy", percent(t.top_k_accuracy), "");
    if (!t.report.f1.empty()) s += stat_card("Macro F1", fixed(t.report.macro_f1, 4), "unweighted mean over classes");
  } else {
    if (std::isfinite(t.r2)) s += stat_card("Test R\xc2\xb2", fixed(t.r2, 4), on, "primary");
    if (std::isfinite(t.mse)) s += stat_card("Test MSE", number(t.mse), std::isfinite(t.mae) ? "MAE " + number(t.mae) : "");
  }
  if (std::isfinite(t.loss)) s += stat_card("Test loss", number(t.loss), "");
  if (!r.history.empty()) {
    const int64_t best = best_epoch_index(r.history);
    s += stat_card("Epochs", std::to_string(r.history.size()),
                   best >= 0 ? "best validation at epoch " + std::to_string(r.history[static_cast<size_t>(best)].epoch) : "");
    double seconds = 0, rate = 0;
    for (const train::EpochRecord& e : r.history.records()) seconds += e.seconds, rate += e.samples_per_second;
    rate /= static_cast<double>(r.history.size());
    s += stat_card("Training time", duration(seconds), rate > 0 ? grouped(std::llround(rate)) + " samples/s" : "");
  }
  return s + "</div>\n";
}

std::string key_value_table(const KeyValues& rows) {
  std::string s = "<table class=\"kv\">\n";
  for (const auto& [key, value] : rows)
    s += "<tr><th scope=\"row\">" + escape(key) + "</th><td>" + escape(value) + "</td></tr>\n";
  return s + "</table>\n";
}

std::string epoch_table(const train::History& history, int64_t classes) {
  struct Column {
    std::string header;
    std::function<std::string(const train::EpochRecord&)> text;
    std::function<bool(const train::EpochRecord&)> measured;
  };
  auto finite = [](double train::EpochRecord::*field) {
    return [field](const train::EpochRecord& e) { return std::isfinite(e.*field); };
  };
  std::vector<Column> all = {
      {"epoch", [](const auto& e) { return std::to_string(e.epoch); }, [](const auto&) { return true; }},
      {"train loss", [](const auto& e) { return number(e.train_loss); }, finite(&train::EpochRecord::train_loss)},
      {"train acc.", [](const auto& e) { return percent(e.train_acc); }, finite(&train::EpochRecord::train_acc)},
      {"val. loss", [](const auto& e) { return number(e.val_loss); }, finite(&train::EpochRecord::val_loss)},
      {"val. acc.", [](const auto& e) { return percent(e.val_acc); }, finite(&train::EpochRecord::val_acc)},
  };
  std::set<std::string> extras;
  for (const train::EpochRecord& e : history.records())
    for (const auto& [name, value] : e.extra) extras.insert(name);
  for (const std::string& name : extras) {
    if (name.starts_with("val_top") && classes > 0 && std::atoll(name.c_str() + 7) >= classes) continue;  // always 100 %
    const bool is_fraction = name.find("acc") != std::string::npos;
    all.push_back({pretty_metric(name),
                   [name, is_fraction](const train::EpochRecord& e) {
                     const auto it = e.extra.find(name);
                     const double v = it == e.extra.end() ? NAN : it->second;
                     return is_fraction ? percent(v) : number(v);
                   },
                   [name](const train::EpochRecord& e) { return e.has(name); }});
  }
  all.push_back({"lr", [](const auto& e) { return std::isfinite(e.lr) ? tick_label(e.lr, e.lr) : number(e.lr); },
                 finite(&train::EpochRecord::lr)});
  all.push_back({"time", [](const auto& e) { return duration(e.seconds); }, [](const auto&) { return true; }});
  all.push_back({"samples/s", [](const auto& e) { return grouped(std::llround(e.samples_per_second)); },
                 [](const auto& e) { return e.samples_per_second > 0; }});

  std::vector<Column> columns;
  for (Column& c : all)
    if (std::any_of(history.records().begin(), history.records().end(), c.measured)) columns.push_back(std::move(c));
  const int64_t best = best_epoch_index(history);
  std::string s = "<div class=\"scroll\"><table class=\"epochs\">\n<thead><tr>";
  for (const Column& c : columns) s += "<th class=\"num\">" + escape(c.header) + "</th>";
  s += "</tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < history.size(); ++i) {
    s += static_cast<int64_t>(i) == best ? "<tr class=\"best\" title=\"best validation epoch\">" : "<tr>";
    for (const Column& c : columns) s += "<td class=\"num\">" + escape(c.text(history[i])) + "</td>";
    s += "</tr>\n";
  }
  return s + "</tbody>\n</table></div>\n";
}

std::string class_table(const train::ClassReport& report, const std::vector<std::string>& class_names) {
  std::string s =
      "<table class=\"classes\">\n<thead><tr><th>class</th><th class=\"num\">precision</th><th class=\"num\">recall</th>"
      "<th class=\"num\">F1</th><th class=\"num\">support</th></tr></thead>\n<tbody>\n";
  int64_t total = 0;
  for (size_t c = 0; c < report.f1.size(); ++c) {
    const int64_t support = c < report.support.size() ? report.support[c] : 0;
    total += support;
    s += "<tr><td>" + escape(class_name(class_names, static_cast<int64_t>(c))) + "</td><td class=\"num\">" +
         fixed(report.precision[c], 4) + "</td><td class=\"num\">" + fixed(report.recall[c], 4) + "</td>" +
         bar_cell(report.f1[c]) + "<td class=\"num\">" + grouped(support) + "</td></tr>\n";
  }
  s += "</tbody>\n<tfoot><tr><th title=\"unweighted mean over the classes\">macro avg.</th><td class=\"num\">" + fixed(report.macro_precision, 4) +
       "</td><td class=\"num\">" + fixed(report.macro_recall, 4) + "</td><td class=\"num\">" +
       fixed(report.macro_f1, 4) + "</td><td class=\"num\">" + grouped(total) + "</td></tr></tfoot>\n";
  return s + "</table>\n";
}

std::string misclassified_grid(const RunReport& r) {
  std::string s = "<div class=\"image-grid\">\n";
  for (size_t i = 0; i < r.misclassified.size() && i < kMaxImages; ++i) {
    const LabelledImage& m = r.misclassified[i];
    const Pixels small = image_pixels(m.image, 1);
    const auto longest = static_cast<double>(std::max<int64_t>({small.height, small.width, 1}));
    const Pixels p = upscale(small, std::clamp<int64_t>(std::lround(84.0 / longest), 1, 4));
    const std::string truth = class_name(r.class_names, m.target), guess = class_name(r.class_names, m.predicted);
    s += "<figure class=\"example\" title=\"" +
         escape("test example " + std::to_string(m.index) + ": true " + truth + ", predicted " + guess) +
         "\"><img src=\"" + png_data_uri(encode_png(p.bytes, p.height, p.width, p.channels)) + "\" width=\"" +
         std::to_string(p.width) + "\" height=\"" + std::to_string(p.height) + "\" alt=\"" +
         escape(truth + " \xe2\x86\x92 " + guess) + "\"><figcaption><span class=\"truth\">" + escape(truth) +
         "</span> <span class=\"guess\">\xe2\x86\x92 " + escape(guess) + "</span></figcaption></figure>\n";
  }
  return s + "</div>\n";
}

std::string files_table(const RunReport& r) {
  KeyValues files = {{"report.html", "this page"}, {"curves.svg", "training curves (loss, accuracy) per epoch"}};
  if (is_classification(r.test)) files.emplace_back("confusion_matrix.svg", "test-set confusion matrix");
  for (const auto& [name, what] : r.files) {
    auto same = [&name = name](const auto& f) { return f.first == name; };
    const auto it = std::find_if(files.begin(), files.end(), same);
    if (it == files.end())
      files.emplace_back(name, what);
    else if (!what.empty())
      it->second = what;  // the caller's description wins
  }
  std::string s = "<table class=\"files\">\n";
  for (const auto& [name, what] : files)
    s += "<tr><td><code>" + escape(name) + "</code></td><td>" + escape(what) + "</td></tr>\n";
  return s + "</table>\n";
}

}  // namespace nabla::report::detail
