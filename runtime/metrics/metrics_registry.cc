#include "runtime/metrics/metrics_registry.h"

#include <cassert>
#include <utility>

namespace orbit::metrics {
namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Label values escape backslash, double quote and newline (text format 0.0.4).
std::string escape_label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// HELP text escapes only backslash and newline.
std::string escape_help(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} with an optional trailing `le`; empty when there are no labels at all.
std::string render_labels(const Labels& labels, const std::string* le = nullptr) {
  if (labels.empty() && le == nullptr) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name + "=\"" + escape_label_value(value) + "\"";
  }
  if (le != nullptr) {
    if (!first) out += ',';
    out += "le=\"" + *le + "\"";
  }
  out += '}';
  return out;
}

// Exact decimal seconds from integer nanoseconds: 1500000 -> "0.0015", 2000000000 -> "2".
std::string seconds_decimal(uint64_t ns) {
  std::string out = std::to_string(ns / 1'000'000'000);
  uint64_t frac = ns % 1'000'000'000;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, 9 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

}  // namespace

bool MetricsRegistry::valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = is_letter(c) || c == '_' || c == ':' || (i > 0 && is_digit(c));
    if (!ok) return false;
  }
  return true;
}

bool MetricsRegistry::valid_label_name(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = is_letter(c) || c == '_' || (i > 0 && is_digit(c));
    if (!ok) return false;
  }
  return true;
}

void MetricsRegistry::register_family(std::string_view name, Kind kind, const Labels& labels) {
  assert(valid_metric_name(name) && "metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  for (const auto& [label, value] : labels) {
    assert(valid_label_name(label) && "label name must match [a-zA-Z_][a-zA-Z0-9_]* without a leading __");
    assert(!(kind == Kind::kHistogram && label == "le") && "histograms reserve the label le");
    (void)label;
  }
  const auto [it, inserted] = families_.emplace(std::string(name), kind);
  assert(it->second == kind && "one metric name is either a counter or a histogram");
  (void)it;
  (void)inserted;
}

Counter& MetricsRegistry::counter(std::string_view name, const Labels& labels) {
  register_family(name, Kind::kCounter, labels);
  return counters_[SeriesKey{std::string(name), labels}];
}

LatencyHistogram& MetricsRegistry::histogram(std::string_view name, const Labels& labels) {
  register_family(name, Kind::kHistogram, labels);
  return histograms_[SeriesKey{std::string(name), labels}];
}

void MetricsRegistry::describe(std::string_view name, std::string_view help) {
  assert(valid_metric_name(name) && "metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  help_[std::string(name)] = std::string(help);
}

const Counter* MetricsRegistry::find_counter(std::string_view name, const Labels& labels) const {
  const auto it = counters_.find(SeriesKey{std::string(name), labels});
  return it == counters_.end() ? nullptr : &it->second;
}

const LatencyHistogram* MetricsRegistry::find_histogram(std::string_view name, const Labels& labels) const {
  const auto it = histograms_.find(SeriesKey{std::string(name), labels});
  return it == histograms_.end() ? nullptr : &it->second;
}

std::string MetricsRegistry::to_prometheus() const {
  std::string out;
  for (const auto& [name, kind] : families_) {
    if (const auto help = help_.find(name); help != help_.end()) {
      out += "# HELP " + name + " " + escape_help(help->second) + "\n";
    }
    const SeriesKey first{name, {}};
    if (kind == Kind::kCounter) {
      out += "# TYPE " + name + " counter\n";
      for (auto it = counters_.lower_bound(first); it != counters_.end() && it->first.name == name; ++it) {
        out += name + render_labels(it->first.labels) + " " + std::to_string(it->second.value()) + "\n";
      }
      continue;
    }
    out += "# TYPE " + name + " histogram\n";
    for (auto it = histograms_.lower_bound(first); it != histograms_.end() && it->first.name == name; ++it) {
      const Labels& labels = it->first.labels;
      const LatencyHistogram& h = it->second;
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.bucket_counts().size(); ++i) {
        cumulative += h.bucket_counts()[i];
        const std::string le = i < LatencyHistogram::kFiniteBuckets
                                   ? seconds_decimal(static_cast<uint64_t>(LatencyHistogram::kUpperBoundsNs[i]))
                                   : "+Inf";
        out += name + "_bucket" + render_labels(labels, &le) + " " + std::to_string(cumulative) + "\n";
      }
      out += name + "_sum" + render_labels(labels) + " " + seconds_decimal(h.sum_ns()) + "\n";
      out += name + "_count" + render_labels(labels) + " " + std::to_string(h.count()) + "\n";
    }
  }
  return out;
}

nlohmann::json MetricsRegistry::to_json() const {
  nlohmann::json counters = nlohmann::json::array();
  for (const auto& [key, c] : counters_) {
    counters.push_back({{"name", key.name}, {"labels", key.labels}, {"value", c.value()}});
  }
  nlohmann::json histograms = nlohmann::json::array();
  for (const auto& [key, h] : histograms_) {
    nlohmann::json buckets = nlohmann::json::array();
    for (size_t i = 0; i < h.bucket_counts().size(); ++i) {
      if (h.bucket_counts()[i] == 0) continue;
      nlohmann::json le = nullptr;
      if (i < LatencyHistogram::kFiniteBuckets) le = LatencyHistogram::kUpperBoundsNs[i];
      buckets.push_back({{"le_ns", le}, {"count", h.bucket_counts()[i]}});
    }
    histograms.push_back({
        {"name", key.name},
        {"labels", key.labels},
        {"count", h.count()},
        {"sum_ns", h.sum_ns()},
        {"min_ns", h.min().count()},
        {"max_ns", h.max().count()},
        {"p50_ns", h.quantile(0.5).count()},
        {"p90_ns", h.quantile(0.9).count()},
        {"p99_ns", h.quantile(0.99).count()},
        {"buckets", buckets},
    });
  }
  return {{"counters", counters}, {"histograms", histograms}};
}

void export_provider_metrics(const persistence::ProviderMetrics& m, const Labels& labels, MetricsRegistry& registry) {
  struct Field {
    const char* name;
    uint64_t value;
    const char* help;
  };
  const Field fields[] = {
      {"orbit_provider_lease_acquires_total", m.lease_acquires, "Leases granted by acquire."},
      {"orbit_provider_lease_renewals_total", m.lease_renewals, "Leases extended by renew."},
      {"orbit_provider_lease_conflicts_total", m.lease_conflicts, "Lease acquires, renewals and releases refused."},
      {"orbit_provider_lease_releases_total", m.lease_releases, "Leases released."},
      {"orbit_provider_snapshot_writes_total", m.snapshot_writes, "Snapshots written."},
      {"orbit_provider_snapshot_reads_total", m.snapshot_reads, "Snapshot reads."},
      {"orbit_provider_fencing_rejections_total", m.fencing_rejections,
       "Snapshot writes refused for a stale fencing token."},
      {"orbit_provider_version_conflicts_total", m.version_conflicts,
       "Snapshot writes refused for an unexpected version."},
      {"orbit_provider_bytes_written_total", m.bytes_written, "Bytes written."},
      {"orbit_provider_bytes_read_total", m.bytes_read, "Bytes read."},
      {"orbit_provider_errors_total", m.errors, "Calls that returned an I/O-class error."},
      {"orbit_provider_corrupt_records_total", m.corrupt_records,
       "Records dropped on recovery or read for a bad checksum."},
  };
  for (const Field& f : fields) {
    registry.describe(f.name, f.help);
    registry.counter(f.name, labels).set_total(f.value);
  }
}

}  // namespace orbit::metrics
