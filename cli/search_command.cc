#include "search_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "edge_case_search.h"
#include "evaluation_run.h"
#include "exit_codes.h"
#include "report_charts.h"
#include "report_page.h"
#include "tarmac/cli/env_settings.h"
#include "tarmac/cli/suite.h"
#include "tarmac/envs/evaluation.h"
#include "tarmac/util/atomic_file.h"
#include "tarmac/util/number_text.h"

namespace tarmac::cli {
namespace {

using nlohmann::json;
using util::ShortestText;

// The suite entry that replays `c` exactly: its seed and every searched value pinned.
std::string SuiteEntryText(envs::ScenarioFamily family, const std::vector<SearchDimension>& dims,
                           const SearchCase& c) {
  std::vector<std::string> overrides, shares;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i].name.rfind("population.", 0) == 0) continue;
    overrides.push_back(absl::StrCat(dims[i].name, ": ", ShortestText(c.x[i])));
  }
  for (const envs::PopulationShare& share : c.config.population) {
    shares.push_back(absl::StrCat(share.profile.name, ": ", ShortestText(share.weight)));
  }
  if (!shares.empty()) {
    overrides.push_back(absl::StrCat("population: {", absl::StrJoin(shares, ", "), "}"));
  }
  return absl::StrCat("  - {family: ", envs::FamilyName(family), ", count: 1, seed: ", c.seed,
                      ", overrides: {", absl::StrJoin(overrides, ", "), "}}\n");
}

// The scene of the policy and the reference on one case, for the report.
json CaseScene(envs::Policy& policy, const std::string& name, envs::Policy& reference,
               envs::ScenarioFamily family, const SearchCase& c, const envs::EnvConfig& env,
               int rank) {
  envs::EpisodeRecording a{name, policy.Version(), {}}, b{"reference", 0, {}};
  envs::RunEpisode(policy, family, c.config, c.seed, env, &a);
  envs::RunEpisode(reference, family, c.config, c.seed, env, &b);
  std::size_t start = 0;
  for (std::size_t k = 0; k < a.log.steps.size(); ++k) {
    if (a.log.steps[k].events != 0) {
      start = k > 20 ? k - 20 : 0;
      break;
    }
  }
  return SceneJson(fmt::format("case {}: seed {}, score {:.3f}", rank, c.seed, c.score),
                   {&a.log, &b.log}, {name, "reference"}, {PolicyColour(0), kExpertColour}, start);
}

}  // namespace

CLI::App* SearchCommand::Register(CLI::App& app, FlagBindings& /*flags*/) {
  CLI::App* sub =
      app.add_subcommand("search", "Search a family's scenarios for where a policy does worst");
  sub->add_option("--policy", policy_, "The policy searched (expert, a checkpoint, +delay=S, ...)")
      ->required();
  sub->add_option("--family", family_, "The scenario family searched, e.g. cut_in")->required();
  sub->add_option("--objective", objective_,
                  "score (worst closed-loop score), or behaviour NAME (most and most severe "
                  "occurrences)")
      ->expected(1, 2)
      ->capture_default_str();
  sub->add_option("--behaviours", behaviours_, "A behaviours file (default: the built-in ones)");
  sub->add_option("--reference", reference_,
                  "The policy a case must be drivable by without an at-fault collision")
      ->capture_default_str();
  sub->add_option("--suite", suite_, "Take the family's ranges (the box searched) from this suite");
  sub->add_option("--budget", budget_, "Episodes of the policy")->capture_default_str();
  sub->add_option("--batch", batch_, "Cases per iteration")->capture_default_str();
  sub->add_option("--keep", keep_, "The worst cases written to cases.yaml")->capture_default_str();
  sub->add_flag("--uniform", uniform_, "Sample the box uniformly instead (the baseline)");
  sub->add_flag("--no-population", no_population_,
                "Search the family's parameters only, not the share of aggressive and "
                "distracted drivers");
  sub->add_option("--seed", seed_, "Seed of the search")->capture_default_str();
  sub->add_option("--workers", workers_, "Threads driving cases (0: one per core)")
      ->capture_default_str();
  sub->add_option("--out", out_, "Where to write the report")->capture_default_str();
  return sub;
}

int SearchCommand::Run(const CommandContext& context) {
  const auto usage = [&](absl::string_view message) {
    context.err << "tarmac: " << message << ".\n";
    return kExitUsage;
  };
  absl::StatusOr<envs::ScenarioFamily> family = envs::ParseFamily(family_);
  if (!family.ok()) return usage(family.status().message());
  absl::StatusOr<envs::EnvConfig> env_config = EnvConfigFrom(context.config);
  if (!env_config.ok()) return usage(env_config.status().message());
  SearchOptions options;
  options.family = *family;
  options.ranges = env_config->scenario;
  options.env = *env_config;
  options.budget = budget_;
  options.batch = batch_;
  options.uniform = uniform_;
  options.seed = seed_;
  if (!suite_.empty()) {
    absl::StatusOr<envs::ScenarioConfig> from_suite =
        SuiteFamilyRanges(suite_, *family, env_config->scenario);
    if (!from_suite.ok()) return usage(from_suite.status().message());
    options.ranges = *std::move(from_suite);
  }
  std::vector<analysis::Behaviour> behaviours;
  if (objective_.front() == "behaviour") {
    if (objective_.size() != 2) return usage("--objective behaviour needs a behaviour's name");
    auto loaded = analysis::BehavioursFrom(behaviours_);
    if (!loaded.ok()) return usage(loaded.status().message());
    std::vector<std::string> names;
    for (const analysis::Behaviour& b : *loaded) {
      if (b.name == objective_[1]) behaviours.push_back(b);
      names.push_back(b.name);
    }
    if (behaviours.empty()) {
      return usage(absl::StrCat("unknown behaviour '", objective_[1], "'; the behaviours are ",
                                absl::StrJoin(names, ", ")));
    }
    options.behaviour = &behaviours.front();
  } else if (objective_.front() != "score" || objective_.size() != 1) {
    return usage("--objective must be score, or behaviour NAME");
  }
  if (keep_ < 1 || keep_ > 10000) return usage("--keep must be from 1 to 10000");
  if (no_population_) {
    for (const SearchDimension& d : SearchDimensions(options.family, options.ranges)) {
      if (d.name.rfind("population.", 0) != 0) options.dimensions.push_back(d);
    }
  }
  if (absl::Status s = options.Validate(); !s.ok()) return usage(s.message());
  auto policy = LoadEvaluationPolicy(policy_, context.config, &context.out);
  if (!policy.ok()) return usage(policy.status().message());
  auto reference = LoadEvaluationPolicy(reference_, context.config, &context.out);
  if (!reference.ok()) return usage(absl::StrCat("--reference: ", reference.status().message()));

  const std::vector<SearchDimension> dims = options.dimensions.empty()
                                                ? SearchDimensions(options.family, options.ranges)
                                                : options.dimensions;
  if (workers_ < 0 || workers_ > 256) return usage("--workers must be from 0 to 256");
  options.workers =
      workers_ > 0 ? workers_ : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // Each worker drives policies of its own; they loaded once above, so loading again works.
  const auto factory = [&](const std::string& name) -> PolicyFactory {
    return [&context, name]() -> std::unique_ptr<envs::Policy> {
      return *LoadEvaluationPolicy(name, context.config);
    };
  };
  const SearchResult result =
      SearchEdgeCases(factory(policy_), factory(reference_), options, &context.out);

  // The worst cases the reference handled, worst first.
  std::vector<const SearchCase*> ranked;
  for (const SearchCase& c : result.cases) {
    if (c.reference_ok) ranked.push_back(&c);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const SearchCase* a, const SearchCase* b) {
    return a->badness > b->badness;
  });
  ranked.resize(std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(keep_)));

  std::error_code error;
  std::filesystem::create_directories(out_, error);
  std::string suite_text = absl::StrCat(
      "# The worst cases `tarmac search` found for ", policy_, " on ", family_,
      " (each replays exactly: its seed and every searched value pinned).\nname: search-", family_,
      "\nfamilies:\n");
  for (const SearchCase* c : ranked) suite_text += SuiteEntryText(options.family, dims, *c);
  json cases = json::array();
  for (const SearchCase& c : result.cases) {
    json x = json::object();
    for (std::size_t i = 0; i < dims.size(); ++i) x[dims[i].name] = c.x[i];
    cases.push_back({{"iteration", c.iteration},
                     {"seed", c.seed},
                     {"x", x},
                     {"badness", c.badness},
                     {"score", c.score},
                     {"failure", c.failure},
                     {"reference_ok", c.reference_ok}});
  }
  json curve = json::array();
  std::vector<double> xs, mean, best, rate;
  for (const SearchPoint& p : result.curve) {
    curve.push_back({{"episodes", p.episodes},
                     {"mean_badness", p.mean_badness},
                     {"best_badness", p.best_badness},
                     {"failure_rate", p.failure_rate}});
    xs.push_back(p.episodes);
    mean.push_back(p.mean_badness);
    best.push_back(p.best_badness);
    rate.push_back(p.failure_rate);
  }
  ReportIdentity identity;
  identity.command = absl::StrCat("tarmac search --policy ", policy_, " --family ", family_,
                                  " --objective ", absl::StrJoin(objective_, " "), " --budget ",
                                  budget_, uniform_ ? " --uniform" : "");
  identity.run_dir = std::filesystem::absolute(out_).lexically_normal().string();
  identity.policies = {{policy_, (*policy)->Version()}, {reference_, (*reference)->Version()}};
  identity.suite = suite_;
  identity.config_digest = ConfigDigest(context.config);
  json dimensions = json::array();
  for (const SearchDimension& d : dims) {
    dimensions.push_back({{"name", d.name}, {"lo", d.lo}, {"hi", d.hi}});
  }
  const json report = {{"identity", IdentityJson(identity)},
                       {"family", family_},
                       {"objective", objective_},
                       {"method", uniform_ ? "uniform" : "cross-entropy"},
                       {"dimensions", dimensions},
                       {"failures", result.failures},
                       {"reference_failed", result.reference_failed},
                       {"steps_per_second", result.steps_per_second},
                       {"curve", curve},
                       {"cases", cases}};
  HtmlPage page(absl::StrCat("tarmac search: ", policy_, " on ", family_), report["identity"]);
  page.Add(fmt::format(
      "<p>{} episodes ({}), {} failures the reference avoided, {} cases the reference failed "
      "(not counted); {:.0f} env steps/s on {} threads.</p>",
      result.cases.size(), uniform_ ? "uniform sampling" : "cross-entropy", result.failures,
      result.reference_failed, result.steps_per_second, options.workers));
  page.AddChart(CurveChart("Search curve", "episodes", "badness / failure share", xs,
                           {{"mean badness", mean, PolicyColour(0)},
                            {"worst so far", best, PolicyColour(1)},
                            {"failure share", rate, PolicyColour(2)}},
                           {}, {}),
                800, 320);
  std::string table = "<h2>Worst cases</h2><table><tr><th>#</th><th>seed</th>";
  for (const SearchDimension& d : dims) table += "<th>" + EscapeHtml(d.name) + "</th>";
  table += "<th>score</th><th>failure</th></tr>";
  for (std::size_t r = 0; r < ranked.size(); ++r) {
    table += fmt::format("<tr><td>{}</td><td>{}</td>", r + 1, ranked[r]->seed);
    for (double v : ranked[r]->x) table += fmt::format("<td>{:.3g}</td>", v);
    table += fmt::format("<td>{:.3f}</td><td>{}</td></tr>", ranked[r]->score,
                         ranked[r]->failure ? "yes" : "");
  }
  page.Add(table + "</table>");
  for (std::size_t r = 0; r < std::min<std::size_t>(3, ranked.size()); ++r) {
    page.AddScene(CaseScene(**policy, policy_, **reference, options.family, *ranked[r], options.env,
                            static_cast<int>(r + 1)));
  }
  for (const auto& [file, text] :
       {std::pair{"cases.yaml", suite_text}, std::pair{"search.json", report.dump(2)},
        std::pair{"search.html", page.Finish()}}) {
    if (absl::Status s = util::WriteFileAtomically(out_ + "/" + file, text); !s.ok()) {
      context.err << "tarmac: " << s.message() << ".\n";
      return kExitFailure;
    }
  }
  context.out << fmt::format(
      "search: {} episodes of {} on {} ({}): {} failures the reference avoided ({:.1f} %), {} "
      "unavoidable cases left out, {:.0f} env steps/s on {} threads\nsearch: wrote {}/cases.yaml "
      "({} "
      "cases), "
      "search.json and search.html\n",
      result.cases.size(), policy_, family_, uniform_ ? "uniform" : "cross-entropy",
      result.failures, 100.0 * result.failures / std::max<std::size_t>(result.cases.size(), 1),
      result.reference_failed, result.steps_per_second, options.workers, out_, ranked.size());
  return kExitOk;
}

}  // namespace tarmac::cli
