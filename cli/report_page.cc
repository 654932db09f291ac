#include "report_page.h"

#include <xxhash.h>

#include <chrono>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "chart_js.h"
#include "tarmac/cli/build_info.h"

namespace tarmac::cli {
namespace {

using json = nlohmann::json;

std::string Now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char text[32];
  std::tm utc{};
  gmtime_r(&t, &utc);
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

// JSON for a <script type='application/json'> element: "</" written as "<\/" so that no string
// in it can close the element.
std::string ScriptJson(const json& value) {
  return absl::StrReplaceAll(value.dump(), {{"</", "<\\/"}});
}

constexpr char kStyle[] =
    "body{font:14px sans-serif;margin:20px;max-width:1500px;color:#222}"
    "table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;padding:2px 8px;"
    "text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}"
    ".id{display:grid;grid-template-columns:max-content auto;gap:1px 12px;color:#444;"
    "background:#f6f6f6;padding:6px 10px;border-radius:4px;font-size:12px}.id b{color:#222}"
    ".tchart,.tscene{display:inline-block;margin:4px;border:1px solid #eee;vertical-align:top}"
    ".tscene input{width:100%}.tscene .caption{font-size:11px;color:#555;padding:0 4px}"
    ".bad{background:#fbd5d5}.ok{background:#d8f0d8}.better{background:#d8f0d8}"
    ".m{font-size:11px;color:#555}.case{border-top:1px solid #ddd;margin-top:8px}"
    ".note{color:#555;font-size:12px}";

// Our own Chart.js plugin (shaded x ranges and labelled vertical lines), the chart and scene
// renderers, and the page's render summary.
constexpr char kRenderScript[] = R"js(
Chart.register({id: 'tarmacMarks', beforeDatasetsDraw: function(chart, args, opts) {
  var x = chart.scales.x, area = chart.chartArea, g = chart.ctx;
  if (!x) return;
  g.save();
  (opts.ranges || []).forEach(function(r) {
    var a = x.getPixelForValue(r[0]), b = x.getPixelForValue(r[1]);
    g.fillStyle = 'rgba(253,174,97,0.3)';
    g.fillRect(a, area.top, Math.max(2, b - a), area.bottom - area.top);
  });
  (opts.lines || []).forEach(function(l) {
    var p = x.getPixelForValue(l.x);
    g.strokeStyle = l.colour || '#666'; g.setLineDash([4, 3]);
    g.beginPath(); g.moveTo(p, area.top); g.lineTo(p, area.bottom); g.stroke();
    g.setLineDash([]); g.fillStyle = l.colour || '#666'; g.font = '10px sans-serif';
    g.fillText(l.label || '', p + 3, area.top + 10);
  });
  g.restore();
}});
function tarmacBox(s, d, length, width) {
  return [{x: s - length / 2, y: d - width / 2}, {x: s + length / 2, y: d - width / 2},
          {x: s + length / 2, y: d + width / 2}, {x: s - length / 2, y: d + width / 2},
          {x: s - length / 2, y: d - width / 2}];
}
function tarmacSceneDatasets(scene, k) {
  var f = scene.frames[k], sets = [];
  scene.lanes.forEach(function(d, i) {
    sets.push({type: 'line', data: [{x: scene.s_range[0], y: d}, {x: scene.s_range[1], y: d}],
               borderColor: '#aaa', borderWidth: 1, pointRadius: 0,
               borderDash: (i == 0 || i == scene.lanes.length - 1) ? [] : [6, 6]});
  });
  f.others.forEach(function(v) {
    sets.push({type: 'line', data: tarmacBox(v[1], v[2], v[3], v[4]), fill: 'shape', pointRadius: 0,
               borderColor: v[0] == f.leader ? '#e6550d' : '#777', borderWidth: 1,
               backgroundColor: v[0] == f.leader ? 'rgba(253,141,60,0.7)' : 'rgba(150,150,150,0.6)',
               label: 'vehicle ' + v[0] + ' ' + v[5].toFixed(1) + ' m/s'});
  });
  f.ghosts.forEach(function(gh, i) {
    sets.push({type: 'line', data: tarmacBox(gh[0], gh[1], 4.8, 1.9), fill: false, pointRadius: 0,
               borderColor: scene.colours[i + 1], borderWidth: 2, borderDash: [3, 2],
               label: scene.names[i + 1] + ' ego'});
  });
  sets.push({type: 'line', data: tarmacBox(f.ego[0], f.ego[1], 4.8, 1.9), fill: 'shape',
             pointRadius: 0, borderColor: scene.colours[0], backgroundColor: scene.colours[0],
             label: scene.names[0] + ' ego ' + f.ego[2].toFixed(1) + ' m/s'});
  return sets;
}
var tarmacRendered = 0, tarmacErrors = 0;
function tarmacFail(box, e) {
  tarmacErrors++;
  console.error('tarmac: ' + box.id + ' was not drawn: ' + e);
}
document.querySelectorAll('.tchart').forEach(function(box) {
  try {
    var spec = JSON.parse(box.querySelector('script').textContent);
    spec.options = spec.options || {};
    spec.options.animation = false;
    spec.options.responsive = false;
    var legend = ((spec.options.plugins = spec.options.plugins || {}).legend =
                  spec.options.plugins.legend || {});
    (legend.labels = legend.labels || {}).filter = function(item) {
      return !/\(low\)$/.test(item.text);
    };
    new Chart(box.querySelector('canvas'), spec);
    box.setAttribute('data-rendered', '1');
    tarmacRendered++;
  } catch (e) { tarmacFail(box, e); }
});
document.querySelectorAll('.tscene').forEach(function(box) {
  try {
    var scene = JSON.parse(box.querySelector('script').textContent);
    var slider = box.querySelector('input'), caption = box.querySelector('.caption');
    var chart = new Chart(box.querySelector('canvas'), {type: 'line',
      data: {datasets: tarmacSceneDatasets(scene, scene.start)},
      options: {animation: false, responsive: false, parsing: false,
        plugins: {legend: {display: false}, title: {display: true, text: scene.title}},
        scales: {x: {type: 'linear', min: scene.s_range[0], max: scene.s_range[1],
                     title: {display: true, text: 'along the road, from the ego (m)'}},
                 y: {type: 'linear', min: scene.d_range[0], max: scene.d_range[1],
                     title: {display: true, text: 'across (m)'}}}}});
    var area = chart.chartArea, mid = 0.5 * (scene.d_range[0] + scene.d_range[1]);
    var half = 0.5 * (area.bottom - area.top) * (scene.s_range[1] - scene.s_range[0]) /
               (area.right - area.left);
    chart.options.scales.y.min = mid - half;
    chart.options.scales.y.max = mid + half;
    var show = function(k) {
      chart.data.datasets = tarmacSceneDatasets(scene, k);
      chart.update('none');
      var f = scene.frames[k];
      caption.textContent = 't = ' + f.t.toFixed(1) + ' s' + (f.note ? ' · ' + f.note : '');
    };
    slider.max = scene.frames.length - 1;
    slider.value = scene.start;
    slider.addEventListener('input', function() { show(+slider.value); });
    show(scene.start);
    box.setAttribute('data-rendered', '1');
    tarmacRendered++;
  } catch (e) { tarmacFail(box, e); }
});
document.body.setAttribute('data-charts-rendered', tarmacRendered);
document.body.setAttribute('data-chart-errors', tarmacErrors);
)js";

std::string IdentityHtml(const json& identity) {
  std::string html = "<div class='id'>";
  const auto row = [&html](const std::string& name, const std::string& value) {
    html += absl::StrCat("<b>", name, "</b><span>", EscapeHtml(value), "</span>");
  };
  if (identity.contains("run_dir")) row("run", identity["run_dir"].get<std::string>());
  if (identity.contains("command")) row("command", identity["command"].get<std::string>());
  if (identity.contains("policies")) {
    std::string policies;
    for (const json& p : identity["policies"]) {
      absl::StrAppend(
          &policies, policies.empty() ? "" : " · ", p["name"].get<std::string>(),
          p["version"].get<std::uint64_t>() > 0
              ? absl::StrCat(" (checkpoint step ", p["version"].get<std::uint64_t>(), ")")
              : "");
    }
    row("policies", policies);
  }
  if (identity.contains("suite")) row("suite", identity["suite"].get<std::string>());
  if (identity.contains("behaviours")) row("behaviours", identity["behaviours"].get<std::string>());
  if (identity.contains("config_digest")) {
    row("config", identity["config_digest"].get<std::string>());
  }
  row("commit", absl::StrCat(identity["commit"].get<std::string>(), " (tarmac ",
                             identity["version"].get<std::string>(), ")"));
  row("date", identity["date"].get<std::string>());
  return html + "</div>";
}

}  // namespace

std::string ConfigDigest(const Config& config) {
  std::string text;
  for (const auto& [key, declared] : config.schema().keys()) {
    absl::StrAppend(&text, key, "=", FormatConfigValue(config.Value(key)), "\n");
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(text.data(), text.size())));
  return hex;
}

json IdentityJson(const ReportIdentity& identity) {
  json out = {
      {"commit", GetBuildInfo().git_hash}, {"version", GetBuildInfo().version}, {"date", Now()}};
  if (!identity.command.empty()) out["command"] = identity.command;
  if (!identity.sources.empty()) out["sources"] = identity.sources;
  if (!identity.behaviours.empty()) out["behaviours"] = identity.behaviours;
  if (!identity.run_dir.empty()) out["run_dir"] = identity.run_dir;
  if (!identity.suite.empty()) out["suite"] = identity.suite;
  if (!identity.config_digest.empty()) out["config_digest"] = identity.config_digest;
  if (!identity.policies.empty()) {
    json policies = json::array();
    for (const PolicyIdentity& p : identity.policies) {
      policies.push_back({{"name", p.name}, {"version", p.version}});
    }
    out["policies"] = policies;
  }
  return out;
}

json IntervalJson(const analysis::Interval& i) {
  return {{"estimate", i.estimate}, {"low", i.low}, {"high", i.high}};
}

std::string EscapeHtml(const std::string& text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"'", "&#39;"}});
}

HtmlPage::HtmlPage(const std::string& title, const json& identity) {
  body_ = absl::StrCat("<!doctype html><html><head><meta charset='utf-8'><title>",
                       EscapeHtml(title), "</title><style>", kStyle, "</style><script>", kChartJs,
                       "</script></head><body><h1>", EscapeHtml(title), "</h1>",
                       IdentityHtml(identity));
}

void HtmlPage::Add(const std::string& html) { body_ += html; }

void HtmlPage::AddChart(const json& config, int width, int height) {
  absl::StrAppend(&body_, "<div class='tchart' id='chart-", ++charts_, "'><canvas width='", width,
                  "' height='", height, "'></canvas><script type='application/json'>",
                  ScriptJson(config), "</script></div>");
}

void HtmlPage::AddScene(const json& scene) {
  absl::StrAppend(&body_, "<div class='tscene' id='scene-", ++charts_,
                  "'><canvas width='900' height='190'></canvas><input type='range' min='0' "
                  "step='1'><div class='caption'></div><script type='application/json'>",
                  ScriptJson(scene), "</script></div>");
}

std::string HtmlPage::Finish() const {
  return absl::StrCat(body_, "<script>", kRenderScript, "</script></body></html>\n");
}

}  // namespace tarmac::cli
