#pragma once
// Turns exposition samples into remote-write request bodies: a WriteRequest of at most
// `max_samples` series (one sample each), protobuf-encoded and snappy-compressed (block format), as the
// remote-write 1.0 specification asks. Every series gets `extra_labels` unless it has a label of that
// name already; labels are sorted by name and empty values dropped.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exporters/remote_write/exposition_reader.h"

namespace synthprobe::remote_write {

// One request body, ready to send (and to send again).
struct EncodedBatch {
  std::string body;  // snappy(protobuf WriteRequest)
  std::size_t samples = 0;
  std::int64_t oldest_ms = 0;  // the earliest sample's timestamp
};

// The NaN Prometheus writes when a series ends (its "stale marker"): not the NaN of a NaN value.
double stale_marker();
bool is_stale_marker(double value);

class WriteRequestEncoder {
 public:
  WriteRequestEncoder(std::map<std::string, std::string> extra_labels, std::size_t max_samples);
  ~WriteRequestEncoder();
  WriteRequestEncoder(const WriteRequestEncoder&) = delete;
  WriteRequestEncoder& operator=(const WriteRequestEncoder&) = delete;

  // Adds one sample taken at `timestamp_ms`; returns the finished batch when this one filled it.
  std::optional<EncodedBatch> add(const ExpositionSample& sample, std::int64_t timestamp_ms);
  // The samples added since the last batch, as one; nullopt when there are none.
  std::optional<EncodedBatch> finish();

 private:
  struct Request;
  std::map<std::string, std::string> extra_labels_;
  std::size_t max_samples_;
  std::unique_ptr<Request> request_;
};

// Decodes a body made by WriteRequestEncoder (for tests and diagnostics): per series its labels in wire
// order (__name__ included) and samples. nullopt when it is not snappy or not a WriteRequest.
struct DecodedSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::int64_t, double>> samples;  // timestamp ms, value
};
std::optional<std::vector<DecodedSeries>> decode_write_request(const std::string& body);

}  // namespace synthprobe::remote_write
