#include "exporters/remote_write/write_request_encoder.h"

#include <algorithm>
#include <bit>
#include <utility>
#include <vector>

#include <snappy.h>

#include "exporters/remote_write/remote_write.pb.h"

namespace synthprobe::remote_write {

namespace wire = synthprobe::remote_write::wire;

// Prometheus' value.StaleNaN: a signalling-free NaN with a payload no arithmetic produces.
constexpr std::uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

double stale_marker() { return std::bit_cast<double>(kStaleNaNBits); }
bool is_stale_marker(double value) { return std::bit_cast<std::uint64_t>(value) == kStaleNaNBits; }

struct WriteRequestEncoder::Request {
  wire::WriteRequest message;
  std::size_t samples = 0;
  std::int64_t oldest_ms = 0;
};

WriteRequestEncoder::WriteRequestEncoder(std::map<std::string, std::string> extra_labels, std::size_t max_samples)
    : extra_labels_(std::move(extra_labels)),
      max_samples_(std::max<std::size_t>(1, max_samples)),
      request_(std::make_unique<Request>()) {}

WriteRequestEncoder::~WriteRequestEncoder() = default;

std::optional<EncodedBatch> WriteRequestEncoder::add(const ExpositionSample& sample, std::int64_t timestamp_ms) {
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  labels.reserve(sample.labels.size() + extra_labels_.size() + 1);
  labels.emplace_back("__name__", sample.name);
  for (const auto& [name, value] : sample.labels)
    if (!value.empty()) labels.emplace_back(name, value);
  for (const auto& [name, value] : extra_labels_) {
    const bool own = std::any_of(sample.labels.begin(), sample.labels.end(),
                                 [&](const auto& l) { return l.first == name; });
    if (!own && !value.empty()) labels.emplace_back(name, value);
  }
  std::sort(labels.begin(), labels.end());

  wire::TimeSeries* series = request_->message.add_timeseries();
  for (const auto& [name, value] : labels) {
    wire::Label* label = series->add_labels();
    label->set_name(std::string(name));
    label->set_value(std::string(value));
  }
  wire::Sample* s = series->add_samples();
  s->set_value(sample.value);
  s->set_timestamp(timestamp_ms);
  if (request_->samples == 0 || timestamp_ms < request_->oldest_ms) request_->oldest_ms = timestamp_ms;
  if (++request_->samples < max_samples_) return std::nullopt;
  return finish();
}

std::optional<EncodedBatch> WriteRequestEncoder::finish() {
  if (request_->samples == 0) return std::nullopt;
  const std::string encoded = request_->message.SerializeAsString();
  EncodedBatch batch;
  snappy::Compress(encoded.data(), encoded.size(), &batch.body);
  batch.samples = request_->samples;
  batch.oldest_ms = request_->oldest_ms;
  request_ = std::make_unique<Request>();
  return batch;
}

std::optional<std::vector<DecodedSeries>> decode_write_request(const std::string& body) {
  std::string encoded;
  if (!snappy::Uncompress(body.data(), body.size(), &encoded)) return std::nullopt;
  wire::WriteRequest message;
  if (!message.ParseFromString(encoded)) return std::nullopt;
  std::vector<DecodedSeries> out;
  for (const auto& series : message.timeseries()) {
    DecodedSeries d;
    for (const auto& label : series.labels()) d.labels.emplace_back(label.name(), label.value());
    for (const auto& sample : series.samples()) d.samples.emplace_back(sample.timestamp(), sample.value());
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace synthprobe::remote_write
