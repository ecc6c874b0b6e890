// The DataLoader: per-epoch order from its own generator, collation through the dataset's
// get_batch, and the optional background producer that prepares the next batches in order.
#include <nabla/data/dataset.hpp>

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

namespace nabla::data {

// Produces batches first..last-1 of one epoch on its own thread, at most `depth` ahead of the
// consumer. Batches come out in order, so they are exactly those made without prefetching.
struct Prefetcher {
  Prefetcher(const DataLoader& loader, std::shared_ptr<const std::vector<int64_t>> order, int64_t first, int64_t last,
             int64_t depth)
      : loader_(loader), order_(std::move(order)), next_(first), last_(last), depth_(depth) {
    thread_ = std::thread([this] { produce(); });
  }
  ~Prefetcher() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    space_.notify_all();
    thread_.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The next batch in order; rethrows what the producer threw once the batches before it are out.
  Batch next() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty() || error_ || finished_; });
    if (queue_.empty()) {
      if (error_) std::rethrow_exception(error_);
      NABLA_FAIL("DataLoader: the prefetch thread finished early (internal error)");
    }
    Batch b = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    space_.notify_one();
    return b;
  }

private:
  void produce() {
    for (int64_t b = next_; b < last_; ++b) {
      {
        std::unique_lock lock(mutex_);
        space_.wait(lock, [&] { return stop_ || static_cast<int64_t>(queue_.size()) < depth_; });
        if (stop_) return;
      }
      try {
        Batch batch = loader_.make_batch(*order_, b);
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(batch));
      } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
        ready_.notify_one();
        return;
      }
      ready_.notify_one();
    }
    std::lock_guard lock(mutex_);
    finished_ = true;
    ready_.notify_one();
  }

  const DataLoader& loader_;
  std::shared_ptr<const std::vector<int64_t>> order_;
  int64_t next_, last_, depth_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<Batch> queue_;
  std::exception_ptr error_;
  bool stop_ = false, finished_ = false;
  std::thread thread_;  // last: started once everything above is initialised
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)), generator_(options_.seed),
      epoch_state_(generator_.get_state()) {
  NABLA_CHECK(dataset_ != nullptr, "DataLoader: the dataset is null");
  NABLA_CHECK(options_.batch_size >= 1, "DataLoader: batch_size must be at least 1, got ", options_.batch_size);
  NABLA_CHECK(options_.prefetch >= 0, "DataLoader: prefetch must be 0 (off) or a positive number of batches, got ",
              options_.prefetch);
}

DataLoader::DataLoader(const Dataset& dataset, DataLoaderOptions options)
    : DataLoader(std::shared_ptr<const Dataset>(&dataset, [](const Dataset*) {}), std::move(options)) {}

int64_t DataLoader::num_batches() const {
  const int64_t n = dataset_->size();
  return options_.drop_last ? n / options_.batch_size : (n + options_.batch_size - 1) / options_.batch_size;
}

DataLoader::Iterator DataLoader::begin() { return begin_at(0); }

DataLoader::Iterator DataLoader::begin_at(int64_t first_batch) {
  NABLA_CHECK(first_batch >= 0 && first_batch <= num_batches(), "DataLoader::begin_at: batch ", first_batch,
              " is out of range for an epoch of ", num_batches(), " batches");
  epoch_state_ = generator_.get_state();
  const int64_t n = dataset_->size();
  std::vector<int64_t> order(static_cast<size_t>(n));
  if (options_.shuffle) {
    const Tensor perm = randperm(n, generator_);
    const int64_t* p = perm.data_ptr<int64_t>();
    order.assign(p, p + n);
  } else {
    std::iota(order.begin(), order.end(), int64_t{0});
  }
  return Iterator(this, std::make_shared<const std::vector<int64_t>>(std::move(order)), first_batch);
}

DataLoader::Iterator DataLoader::end() { return Iterator(this, nullptr, num_batches()); }

Batch DataLoader::make_batch(const std::vector<int64_t>& order, int64_t batch_index) const {
  const int64_t n = static_cast<int64_t>(order.size());
  const int64_t start = batch_index * options_.batch_size;
  const int64_t stop = std::min(n, start + options_.batch_size);
  const std::vector<int64_t> indices(order.begin() + start, order.begin() + stop);
  Batch batch = dataset_->get_batch(indices);
  return options_.transform ? options_.transform(std::move(batch)) : batch;
}

DataLoader::Iterator::Iterator(DataLoader* loader, std::shared_ptr<const std::vector<int64_t>> order,
                               int64_t position)
    : loader_(loader), order_(std::move(order)), position_(position) {
  if (!order_) return;  // end()
  const int64_t last = loader_->num_batches();
  if (loader_->options_.prefetch > 0 && position_ < last)
    prefetcher_ = std::make_shared<Prefetcher>(*loader_, order_, position_, last, loader_->options_.prefetch);
  load();
}

void DataLoader::Iterator::load() {
  if (position_ >= loader_->num_batches()) {
    current_ = Batch{};
    prefetcher_.reset();  // the epoch is over: join the producer now
    return;
  }
  current_ = prefetcher_ ? prefetcher_->next() : loader_->make_batch(*order_, position_);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  NABLA_CHECK(order_ != nullptr, "DataLoader::Iterator: cannot advance the end iterator");
  ++position_;
  load();
  return *this;
}

}  // namespace nabla::data
