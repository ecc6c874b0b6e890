// report_html: the self-contained page (inline CSS, images as data URIs, SVG inlined; no
// scripts, web fonts or external links) and write_run_report, which writes it with the charts.
#include "io/atomic_file.hpp"
#include "report/common.hpp"
#include "report/sections.hpp"

#include <nabla/error.hpp>
#include <nabla/report/report.hpp>

#include <filesystem>

namespace nabla::report {
namespace {

using namespace detail;

constexpr const char* kCss = R"css(
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f5f6f8;--card:#fff;--blue:#2563eb;--orange:#ea580c}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1100px;margin:0 auto;padding:32px 24px 40px}
.eyebrow{font-size:12px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;color:var(--blue)}
h1{font-size:28px;line-height:1.2;margin:6px 0 4px;letter-spacing:-.015em;overflow-wrap:anywhere}
.subtitle{color:var(--muted);margin:0}
h2{font-size:16px;margin:0 0 4px;letter-spacing:-.005em}
.lede{color:var(--muted);font-size:13px;margin:0 0 14px}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:22px 0 18px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px;min-width:0}
.stat .label{font-size:11px;font-weight:600;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
.stat .value{font-size:26px;font-weight:650;letter-spacing:-.02em;margin-top:2px;font-variant-numeric:tabular-nums;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.stat .note{font-size:12px;color:var(--muted)}
.stat.primary{border-color:#bfdbfe;background:linear-gradient(180deg,#eff6ff,#fff)}
.stat.primary .value{color:var(--blue)}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 22px;margin:0 0 16px;box-shadow:0 1px 2px rgba(16,24,40,.04);min-width:0}
.row{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px;margin-bottom:16px}
.row>.card{margin:0}
.split{display:flex;flex-wrap:wrap;gap:20px 24px;align-items:flex-start}
.split>div{min-width:0}
.split>.grow{flex:1 1 400px;overflow-x:auto}
.classes th,.classes td{padding:6px 8px}
.classes td:first-child,.classes tfoot th{white-space:nowrap}
svg{display:block;max-width:100%;height:auto}
.card>svg{width:100%}
.center{display:flex;justify-content:center}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{font-size:11px;font-weight:600;letter-spacing:.05em;text-transform:uppercase;color:var(--muted);border-bottom:1px solid #d1d5db;background:var(--card);position:sticky;top:0}
tfoot th,tfoot td{font-weight:600;border-top:1px solid #d1d5db;border-bottom:0}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:hover td{background:#f9fafb}
tr.best td{background:#fff7ed;font-weight:600}
.kv th{width:38%;font-weight:500;color:var(--muted)}
.kv td{overflow-wrap:anywhere}
.kv tr:last-child th,.kv tr:last-child td,.files tr:last-child td{border-bottom:0}
.files td:first-child{width:1%;white-space:nowrap;padding-right:28px}
.scroll{max-height:520px;overflow:auto;border:1px solid var(--line);border-radius:8px}
.scroll table tr:last-child td{border-bottom:0}
.bar{display:inline-block;width:36px;height:6px;margin-right:8px;border-radius:3px;background:#eef2f7;vertical-align:middle;overflow:hidden}
.bar>span{display:block;height:100%;background:var(--blue);border-radius:3px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;border-radius:4px;padding:1px 5px}
.image-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(112px,1fr));gap:14px 10px}
figure{margin:0}
.example{text-align:center;font-size:12px;line-height:1.35}
.example img,.unit img{display:block;margin:0 auto 5px;image-rendering:pixelated;image-rendering:crisp-edges;border-radius:6px;border:1px solid var(--line);background:#fff}
.example .truth{display:block;font-weight:600;overflow-wrap:anywhere}
.example .guess{display:block;color:#dc2626;overflow-wrap:anywhere}
.unit-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(64px,1fr));gap:10px 6px}
.unit{text-align:center;font-size:11px;color:var(--muted)}
.note{color:var(--muted);font-size:13px;margin:0 0 14px}
.ramp{display:inline-block;width:90px;height:10px;margin:0 6px;border-radius:3px;border:1px solid var(--line);vertical-align:-1px;background:linear-gradient(90deg,#2166ac,#92c5de,#f7f7f7,#f4a582,#b2182b)}
.scale{white-space:nowrap;margin-left:6px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:28px}
)css";

// An SVG document ready to sit inside HTML: the namespace declarations (URLs) are implied there.
std::string inline_svg(std::string svg) {
  for (const std::string decl : {" xmlns=\"http://www.w3.org/2000/svg\"", " xmlns:xlink=\"http://www.w3.org/1999/xlink\""})
    if (const size_t at = svg.find(decl); at != std::string::npos) svg.erase(at, decl.size());
  return svg;
}

std::string card(const std::string& title, const std::string& lede, const std::string& body,
                 const std::string& extra_class = "") {
  return "<section class=\"card" + (extra_class.empty() ? "" : " " + extra_class) + "\">\n<h2>" + escape(title) +
         "</h2>\n" + (lede.empty() ? "" : "<p class=\"lede\">" + lede + "</p>\n") + body + "</section>\n";
}

std::string subtitle(const RunReport& r) {
  std::vector<std::string> parts;
  if (is_classification(r.test)) {
    parts.push_back("classification");
    if (r.test.confusion.defined() && r.test.confusion.ndim() == 2)
      parts.push_back(std::to_string(r.test.confusion.size(0)) + " classes");
  } else if (r.test.task == train::Task::Regression) {
    parts.push_back("regression");
  }
  if (!r.input_shape.empty()) parts.push_back("input " + shape_text(r.input_shape));
  if (r.model) parts.push_back(grouped(r.model->num_parameters()) + " parameters");
  if (r.test.samples > 0) parts.push_back(grouped(r.test.samples) + " test examples");
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : " \xc2\xb7 ") + p;
  return s;
}

bool has_two_inputs(const RunReport& r) {
  return r.model && r.points.defined() && r.points.ndim() == 2 && r.points.size(1) == 2 && r.points.size(0) > 0;
}

std::string classification_sections(const RunReport& r) {
  std::string s;
  const train::Evaluation& t = r.test;
  if (t.confusion.defined() && t.confusion.ndim() == 2 && t.confusion.numel() > 0) {
    const std::string body = "<div class=\"split\"><div>" + inline_svg(confusion_matrix_svg(t.confusion, r.class_names)) +
                             "</div><div class=\"grow\">" + class_table(t.report, r.class_names) + "</div></div>\n";
    s += card("Test set: confusion matrix and per-class scores",
              "Each row is a true class; a cell counts its examples by predicted class, coloured by its share of the "
              "row, so the diagonal is each class's recall.",
              body);
  }
  if (!r.misclassified.empty()) {
    int64_t wrong = 0;
    if (t.confusion.defined() && t.confusion.ndim() == 2) {
      const std::vector<int64_t> counts = t.confusion.to(DType::Int64).to_vector<int64_t>();
      const int64_t c = t.confusion.size(0);
      for (int64_t i = 0; i < c * c; ++i)
        if (i / c != i % c) wrong += counts[static_cast<size_t>(i)];
    }
    const size_t shown = std::min<size_t>(r.misclassified.size(), 48);
    const std::string lede = std::to_string(shown) + (wrong > static_cast<int64_t>(shown) ? " of " + grouped(wrong) : "") +
                             " test images the model got wrong, captioned <b>true</b> \xe2\x86\x92 "
                             "<span style=\"color:#dc2626;font-weight:600\">predicted</span>.";
    s += card("Misclassified test images", lede, misclassified_grid(r));
  }
  return s;
}

}  // namespace

std::string report_html(const RunReport& r) {
  const std::string title = r.title.empty() ? "nabla run" : r.title;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"generator\" content=\"nabla " NABLA_VERSION "\">\n<title>" +
                  escape(title) + " \xc2\xb7 nabla report</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n<main>\n";
  h += "<header>\n<div class=\"eyebrow\">nabla run report</div>\n<h1>" + escape(title) + "</h1>\n";
  const std::string sub = subtitle(r);
  if (!sub.empty() || !r.weights_hash.empty()) {
    h += "<p class=\"subtitle\">" + escape(sub);
    if (!r.weights_hash.empty())
      h += std::string(sub.empty() ? "" : " \xc2\xb7 ") + "weights hash <code title=\"train::weights_hash of the final model\">" +
           escape(r.weights_hash) + "</code>";
    h += "</p>\n";
  }
  h += "</header>\n" + headline_stats(r);

  h += card("Training curves",
            "Per epoch: <span style=\"color:#2563eb;font-weight:600\">training</span> (mean over the epoch, while the "
            "weights changed) and <span style=\"color:#ea580c;font-weight:600\">validation</span> (after the epoch).",
            inline_svg(curves_svg(r.history)));
  if (is_classification(r.test)) h += classification_sections(r);
  if (has_two_inputs(r)) {
    const std::string svg = decision_boundary_svg(*r.model, r.points, r.point_labels, 200, r.class_names);
    h += card("Decision regions",
              "The model's predicted class over the input plane (background) with the data drawn in its true class's "
              "colour; a point on a background of another colour is misclassified.",
              "<div class=\"center\">" + inline_svg(svg) + "</div>\n");
  }
  if (r.model) {
    if (const std::string weights = first_layer_weights_html(*r.model, r.input_shape); !weights.empty())
      h += card("First-layer weights", "What the first layer looks for in its input.", weights);
  }
  if (!r.history.empty())
    h += card("Per-epoch history", "The highlighted row is the best validation epoch.",
              epoch_table(r.history, is_classification(r.test) && r.test.confusion.defined() && r.test.confusion.ndim() == 2
                                         ? r.test.confusion.size(0)
                                         : 0));
  if (!r.configuration.empty() || !r.environment.empty()) {
    h += "<div class=\"row\">\n";
    if (!r.configuration.empty()) h += card("Configuration", "", key_value_table(r.configuration));
    if (!r.environment.empty()) h += card("Environment", "", key_value_table(r.environment));
    h += "</div>\n";
  }
  h += card("Files in the run directory", "", files_table(r));
  h += "<footer>Written by nabla " NABLA_VERSION
       " \xc2\xb7 a single self-contained file: no scripts, no external resources.</footer>\n";
  return h + "</main>\n</body>\n</html>\n";
}

std::string write_run_report(const RunReport& report, const std::string& run_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  NABLA_CHECK(fs::is_directory(run_dir, ec), "write_run_report: the run directory '", run_dir,
              "' does not exist (or is not a directory)");
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (fs::path(run_dir) / name).string();
    io::detail::write_file_atomically("write_run_report", path,
                                      [&](io::detail::AtomicWriter& w) { w.write(text.data(), text.size()); });
    return path;
  };
  write("curves.svg", curves_svg(report.history));
  if (is_classification(report.test) && report.test.confusion.defined() && report.test.confusion.ndim() == 2)
    write("confusion_matrix.svg", confusion_matrix_svg(report.test.confusion, report.class_names));
  return write("report.html", report_html(report));
}

}  // namespace nabla::report
