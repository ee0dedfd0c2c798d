// MetricsRegistry: the counters and latency histograms of one node (or one simulated run),
// each identified by a metric name and a set of labels, rendered as Prometheus text or as a
// JSON snapshot for report.json.
//
// Ordering is deterministic everywhere: series are kept in std::maps keyed by (name, labels),
// labels are a std::map, so two registries that saw the same events render the same bytes.
//
// Names and labels are fixed in code, so a bad one is a programming error and fails an
// assertion (kept on in optimized builds): metric names match [a-zA-Z_:][a-zA-Z0-9_:]*,
// label names [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__"; histograms may not use the
// label "le"; one name is either a counter or a histogram, never both.
//
// Prometheus text format (version 0.0.4), families sorted by name, series by labels:
//   # HELP orbit_calls_total Calls made.           (only when describe() gave help text)
//   # TYPE orbit_calls_total counter
//   orbit_calls_total{kind="counter"} 3
//   # TYPE orbit_call_seconds histogram
//   orbit_call_seconds_bucket{kind="counter",le="0.000001"} 0     (cumulative, every bound)
//   ...
//   orbit_call_seconds_bucket{kind="counter",le="+Inf"} 3
//   orbit_call_seconds_sum{kind="counter"} 0.0035
//   orbit_call_seconds_count{kind="counter"} 3
// Histograms are rendered in seconds (Prometheus' base unit; name them "..._seconds"), as
// exact decimals of the integer nanoseconds, so no float formatting is involved.
//
// JSON snapshot:
//   {"counters":   [{"name": ..., "labels": {...}, "value": 3}, ...],
//    "histograms": [{"name": ..., "labels": {...}, "count": 3, "sum_ns": ..., "min_ns": ...,
//                    "max_ns": ..., "p50_ns": ..., "p90_ns": ..., "p99_ns": ...,
//                    "buckets": [{"le_ns": 2000, "count": 1}, ..., {"le_ns": null, ...}]}]}
// where "buckets" lists only non-empty buckets, non-cumulative, "le_ns": null being the
// overflow bucket (+Inf).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/metrics/counter.h"
#include "runtime/metrics/latency_histogram.h"
#include "runtime/persistence/provider.h"

namespace orbit::metrics {

using Labels = std::map<std::string, std::string>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The series (name, labels), created at zero on first use. The reference stays valid for
  // the registry's lifetime, so hot paths look a series up once and keep it.
  Counter& counter(std::string_view name, const Labels& labels = {});
  LatencyHistogram& histogram(std::string_view name, const Labels& labels = {});

  // Help text for the family `name` (the "# HELP" line). Optional.
  void describe(std::string_view name, std::string_view help);

  // The series if it exists, else nullptr (never creates one).
  const Counter* find_counter(std::string_view name, const Labels& labels = {}) const;
  const LatencyHistogram* find_histogram(std::string_view name, const Labels& labels = {}) const;

  std::string to_prometheus() const;
  nlohmann::json to_json() const;

  static bool valid_metric_name(std::string_view name);
  static bool valid_label_name(std::string_view name);

 private:
  enum class Kind { kCounter, kHistogram };
  struct SeriesKey {
    std::string name;
    Labels labels;
    friend auto operator<=>(const SeriesKey&, const SeriesKey&) = default;
    friend bool operator==(const SeriesKey&, const SeriesKey&) = default;
  };

  void register_family(std::string_view name, Kind kind, const Labels& labels);

  std::map<std::string, Kind> families_;
  std::map<std::string, std::string> help_;
  std::map<SeriesKey, Counter> counters_;
  std::map<SeriesKey, LatencyHistogram> histograms_;
};

// Mirrors a provider's counters into `registry` as orbit_provider_<field>_total{labels}
// (lease_acquires, lease_renewals, lease_conflicts, lease_releases, snapshot_writes,
// snapshot_reads, fencing_rejections, version_conflicts, bytes_written, bytes_read, errors,
// corrupt_records), with help text. Call it whenever a fresh reading is wanted.
void export_provider_metrics(const persistence::ProviderMetrics& provider_metrics, const Labels& labels,
                             MetricsRegistry& registry);

}  // namespace orbit::metrics
