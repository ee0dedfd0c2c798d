#include "runtime/metrics/metrics_registry.h"

#include <gtest/gtest.h>

namespace orbit::metrics {
namespace {

TEST(MetricsRegistryTest, SeriesAreCreatedOnceAndFoundByNameAndLabels) {
  MetricsRegistry r;
  Counter& a = r.counter("orbit_calls_total", {{"node", "1"}, {"kind", "counter"}});
  a.inc();
  a.add(2);
  Counter& again = r.counter("orbit_calls_total", {{"kind", "counter"}, {"node", "1"}});
  EXPECT_EQ(&a, &again);
  EXPECT_EQ(again.value(), 3u);
  ASSERT_NE(r.find_counter("orbit_calls_total", {{"kind", "counter"}, {"node", "1"}}), nullptr);
  EXPECT_EQ(r.find_counter("orbit_calls_total", {{"kind", "counter"}, {"node", "1"}})->value(), 3u);
  EXPECT_EQ(r.find_counter("orbit_calls_total"), nullptr);
  EXPECT_EQ(r.find_counter("orbit_other_total"), nullptr);
  EXPECT_EQ(r.find_histogram("orbit_calls_total", {{"kind", "counter"}, {"node", "1"}}), nullptr);

  LatencyHistogram& h = r.histogram("orbit_call_seconds");
  h.record(1ms);
  EXPECT_EQ(r.find_histogram("orbit_call_seconds")->count(), 1u);
}

// A small registry: two counter series (one family, with help), a label-less counter and a
// histogram of three samples.
void fill(MetricsRegistry& r) {
  r.describe("orbit_calls_total", "Calls made, by actor kind.");
  r.counter("orbit_calls_total", {{"kind", "counter"}, {"node", "1"}}).add(3);
  r.counter("orbit_calls_total", {{"kind", "bank"}, {"node", "1"}}).add(2);
  r.counter("orbit_restarts_total").inc();
  LatencyHistogram& h = r.histogram("orbit_call_seconds", {{"kind", "counter"}});
  h.record(1500us);
  h.record(2ms);
  h.record(3s);
}

TEST(MetricsRegistryTest, RendersThePrometheusTextFormat) {
  MetricsRegistry r;
  fill(r);
  EXPECT_EQ(r.to_prometheus(),
            "# TYPE orbit_call_seconds histogram\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.000001\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.000002\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.000005\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.00001\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.00002\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.00005\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.0001\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.0002\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.0005\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.001\"} 0\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.002\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.005\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.01\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.02\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.05\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.1\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.2\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"0.5\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"1\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"2\"} 2\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"5\"} 3\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"10\"} 3\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"20\"} 3\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"50\"} 3\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"100\"} 3\n"
            "orbit_call_seconds_bucket{kind=\"counter\",le=\"+Inf\"} 3\n"
            "orbit_call_seconds_sum{kind=\"counter\"} 3.0035\n"
            "orbit_call_seconds_count{kind=\"counter\"} 3\n"
            "# HELP orbit_calls_total Calls made, by actor kind.\n"
            "# TYPE orbit_calls_total counter\n"
            "orbit_calls_total{kind=\"bank\",node=\"1\"} 2\n"
            "orbit_calls_total{kind=\"counter\",node=\"1\"} 3\n"
            "# TYPE orbit_restarts_total counter\n"
            "orbit_restarts_total 1\n");
}

TEST(MetricsRegistryTest, RendersAnUnlabelledHistogram) {
  MetricsRegistry r;
  r.histogram("rpc_seconds").record(100s + 1ns);
  const std::string text = r.to_prometheus();
  EXPECT_NE(text.find("rpc_seconds_bucket{le=\"100\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rpc_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rpc_seconds_sum 100.000000001\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rpc_seconds_count 1\n"), std::string::npos) << text;
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry r;
  r.describe("x_total", "a \\ b\nc \"d\"");
  r.counter("x_total", {{"path", "C:\\dir \"q\"\nnext"}}).inc();
  EXPECT_EQ(r.to_prometheus(),
            "# HELP x_total a \\\\ b\\nc \"d\"\n"
            "# TYPE x_total counter\n"
            "x_total{path=\"C:\\\\dir \\\"q\\\"\\nnext\"} 1\n");
}

TEST(MetricsRegistryTest, EmptyRegistryRendersNothing) {
  MetricsRegistry r;
  EXPECT_EQ(r.to_prometheus(), "");
  EXPECT_EQ(r.to_json(), nlohmann::json::parse(R"({"counters": [], "histograms": []})"));
}

TEST(MetricsRegistryTest, RendersAJsonSnapshot) {
  MetricsRegistry r;
  fill(r);
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "counters": [
      {"name": "orbit_calls_total", "labels": {"kind": "bank", "node": "1"}, "value": 2},
      {"name": "orbit_calls_total", "labels": {"kind": "counter", "node": "1"}, "value": 3},
      {"name": "orbit_restarts_total", "labels": {}, "value": 1}
    ],
    "histograms": [
      {"name": "orbit_call_seconds", "labels": {"kind": "counter"},
       "count": 3, "sum_ns": 3003500000, "min_ns": 1500000, "max_ns": 3000000000,
       "p50_ns": 2000000, "p90_ns": 3000000000, "p99_ns": 3000000000,
       "buckets": [{"le_ns": 2000000, "count": 2}, {"le_ns": 5000000000, "count": 1}]}
    ]
  })");
  EXPECT_EQ(r.to_json(), expected) << r.to_json().dump(2);

  MetricsRegistry overflow;
  overflow.histogram("h_seconds").record(200s);
  EXPECT_EQ(overflow.to_json()["histograms"][0]["buckets"],
            nlohmann::json::parse(R"([{"le_ns": null, "count": 1}])"));
}

TEST(MetricsRegistryTest, ValidatesNames) {
  EXPECT_TRUE(MetricsRegistry::valid_metric_name("orbit_calls_total"));
  EXPECT_TRUE(MetricsRegistry::valid_metric_name("ns:sub_1"));
  EXPECT_FALSE(MetricsRegistry::valid_metric_name(""));
  EXPECT_FALSE(MetricsRegistry::valid_metric_name("1abc"));
  EXPECT_FALSE(MetricsRegistry::valid_metric_name("a-b"));
  EXPECT_TRUE(MetricsRegistry::valid_label_name("node"));
  EXPECT_TRUE(MetricsRegistry::valid_label_name("_x1"));
  EXPECT_FALSE(MetricsRegistry::valid_label_name("__name__"));
  EXPECT_FALSE(MetricsRegistry::valid_label_name("a:b"));
  EXPECT_FALSE(MetricsRegistry::valid_label_name("9"));
}

TEST(MetricsRegistryDeathTest, MisuseIsAProgrammingError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        MetricsRegistry r;
        r.counter("x_total");
        r.histogram("x_total");
      },
      "either a counter or a histogram");
  EXPECT_DEATH(
      {
        MetricsRegistry r;
        r.histogram("x_seconds", {{"le", "1"}});
      },
      "reserve the label le");
  EXPECT_DEATH(
      {
        MetricsRegistry r;
        r.counter("bad name");
      },
      "metric name");
}

TEST(MetricsRegistryTest, ExportsProviderMetrics) {
  persistence::ProviderMetrics m;
  m.lease_acquires = 4;
  m.fencing_rejections = 2;
  m.corrupt_records = 1;
  MetricsRegistry r;
  export_provider_metrics(m, {{"provider", "log"}}, r);
  EXPECT_EQ(r.find_counter("orbit_provider_lease_acquires_total", {{"provider", "log"}})->value(), 4u);
  EXPECT_EQ(r.find_counter("orbit_provider_fencing_rejections_total", {{"provider", "log"}})->value(), 2u);
  EXPECT_EQ(r.find_counter("orbit_provider_corrupt_records_total", {{"provider", "log"}})->value(), 1u);
  EXPECT_EQ(r.find_counter("orbit_provider_errors_total", {{"provider", "log"}})->value(), 0u);
  EXPECT_EQ(r.to_json()["counters"].size(), 12u);

  m.lease_acquires = 9;  // a fresh reading replaces the old one
  export_provider_metrics(m, {{"provider", "log"}}, r);
  EXPECT_EQ(r.find_counter("orbit_provider_lease_acquires_total", {{"provider", "log"}})->value(), 9u);
  const std::string text = r.to_prometheus();
  EXPECT_NE(text.find("# HELP orbit_provider_fencing_rejections_total Snapshot writes refused for a stale fencing "
                      "token.\n# TYPE orbit_provider_fencing_rejections_total counter\n"
                      "orbit_provider_fencing_rejections_total{provider=\"log\"} 2\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace orbit::metrics
