// ProgressBar: a redrawn bar on a terminal, one plain line per epoch elsewhere.
#include <nabla/train/progress.hpp>

#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>

#include <unistd.h>

namespace nabla::train {
namespace {

constexpr int kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

template <typename... Args>
std::string format(const char* fmt, Args... args) {
  char buf[128];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
  return s >= 3600 ? format("%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60) : format("%lld:%02lld", s / 60, s % 60);
}

std::string bar(int64_t done, int64_t total) {
  const int filled = total > 0 ? static_cast<int>(kBarWidth * done / total) : kBarWidth;
  std::string out(static_cast<size_t>(filled), '=');
  if (filled < kBarWidth) out += '>';
  out.resize(kBarWidth, ' ');
  return "[" + out + "]";
}

}  // namespace

bool stdout_is_terminal() { return ::isatty(::fileno(stdout)) == 1; }

ProgressBar::ProgressBar(std::ostream& out, bool interactive) : out_(out), interactive_(interactive) {}

std::string ProgressBar::summary(const EpochRecord& r, int64_t epochs) {
  std::string line = format("epoch %lld/%lld", static_cast<long long>(r.epoch), static_cast<long long>(epochs));
  auto add = [&](const char* name, double v, const char* fmt) {
    if (!std::isnan(v)) line += format(fmt, name, v);
  };
  add("train_loss", r.train_loss, "  %s %.4f");
  add("train_acc", r.train_acc, "  %s %.4f");
  add("val_loss", r.val_loss, "  %s %.4f");
  add("val_acc", r.val_acc, "  %s %.4f");
  for (const auto& [name, v] : r.extra) add(name.c_str(), v, "  %s %.4f");
  add("lr", r.lr, "  %s %.3g");
  line += format("  %.1fs  %.0f samples/s", r.seconds, r.samples_per_second);
  return line;
}

void ProgressBar::on_epoch_begin(FitContext&) { last_draw_ = {}; }

void ProgressBar::on_batch_end(FitContext& ctx, const BatchStats& s) {
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = s.batch == ctx.num_batches;
  if (s.batch != 1 && !last && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  const double eta = s.seconds / static_cast<double>(s.batch) * static_cast<double>(ctx.num_batches - s.batch);
  std::string line = format("epoch %lld/%lld ", static_cast<long long>(ctx.epoch), static_cast<long long>(ctx.epochs));
  line += bar(s.batch, ctx.num_batches);
  line += format(" %lld/%lld  eta %s  loss %.4f", static_cast<long long>(s.batch),
                 static_cast<long long>(ctx.num_batches), duration(eta).c_str(), s.running_loss);
  if (!std::isnan(s.running_acc)) line += format("  acc %.4f", s.running_acc);
  if (s.seconds > 0) line += format("  %.0f samples/s", static_cast<double>(s.samples) / s.seconds);
  out_ << '\r' << line << "\033[K" << std::flush;
}

void ProgressBar::on_epoch_end(FitContext& ctx, const EpochRecord& record) {
  if (interactive_) out_ << '\r';
  out_ << summary(record, ctx.epochs);
  if (interactive_) out_ << "\033[K";
  out_ << '\n' << std::flush;
}

void ProgressBar::on_train_end(FitContext& ctx) {
  if (!ctx.stop_reason.empty()) out_ << ctx.stop_reason << '\n' << std::flush;
}

}  // namespace nabla::train
