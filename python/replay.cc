#include "replay.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "numpy_columns.h"
#include "tarmac/buffer/shard_endpoint.h"
#include "tarmac/schemas/transition.h"

namespace py = pybind11;

namespace tarmac::python {
namespace {

[[noreturn]] void Raise(const absl::Status& status) {
  throw py::value_error(std::string(status.message()));
}

// Rows and row width of a 1-d (n) or 2-d (n, width) column; ValueError naming it otherwise.
std::pair<py::ssize_t, py::ssize_t> Rows(const FloatArray& a, const char* name, int ndim) {
  if (a.ndim() != ndim) {
    throw py::value_error(absl::StrCat(name, " must have ", ndim, " dimension",
                                       ndim == 1 ? "" : "s", " (one row per transition), not ",
                                       a.ndim()));
  }
  return {a.shape(0), ndim == 2 ? a.shape(1) : 1};
}

// An optional per-row column (None: `fallback` for every row).
template <class T>
std::vector<T> Optional(const py::object& column, py::ssize_t n, const char* name, T fallback) {
  if (column.is_none()) return std::vector<T>(static_cast<std::size_t>(n), fallback);
  const auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(column);
  if (!a || a.ndim() != 1 || a.shape(0) != n) {
    throw py::value_error(absl::StrCat(name, " must have one value per transition (", n, ")"));
  }
  return std::vector<T>(a.data(), a.data() + n);
}

}  // namespace

Replay::Replay(const std::string& urls) {
  auto shards = buffer::ShardEndpoint::ParseList(urls);
  if (!shards.ok()) Raise(shards.status());
  buffer::ReplayClientOptions options;
  options.shards = *std::move(shards);
  absl::StatusOr<std::unique_ptr<buffer::ReplayClient>> client;
  {
    py::gil_scoped_release release;
    client = buffer::ReplayClient::Connect(std::move(options));
  }
  if (!client.ok()) Raise(client.status());
  client_ = *std::move(client);
}

void Replay::Create(const std::string& table, std::uint64_t capacity, double alpha,
                    const std::string& eviction, double samples_per_insert, std::uint64_t min_size,
                    double tolerance, std::uint32_t max_times_sampled) {
  buffer::TableSpec spec;
  spec.name = table;
  spec.capacity = capacity;
  spec.alpha = alpha;
  spec.eviction = eviction;
  spec.samples_per_insert = samples_per_insert;
  spec.min_size = min_size;
  spec.tolerance = tolerance;
  spec.max_times_sampled = max_times_sampled;
  absl::Status s;
  {
    py::gil_scoped_release release;
    s = client_->CreateTable(spec);
  }
  if (!s.ok()) Raise(s);
}

py::dict Replay::Insert(const std::string& table, const FloatArray& obs, const FloatArray& action,
                        const FloatArray& reward, const FloatArray& discount,
                        const FloatArray& next_obs, const py::object& done, std::uint64_t version,
                        const py::object& priority, const py::object& tags,
                        const py::object& events) {
  const auto [n, obs_dim] = Rows(obs, "obs", 2);
  const auto [action_rows, action_dim] = Rows(action, "action", 2);
  const auto [next_rows, next_dim] = Rows(next_obs, "next_obs", 2);
  const py::ssize_t reward_rows = Rows(reward, "reward", 1).first;
  const py::ssize_t discount_rows = Rows(discount, "discount", 1).first;
  if (action_rows != n || next_rows != n || reward_rows != n || discount_rows != n) {
    throw py::value_error(absl::StrCat(
        "obs, action, reward, discount and next_obs must have the same number of rows (obs has ", n,
        ")"));
  }
  if (next_dim != obs_dim) {
    throw py::value_error(
        absl::StrCat("next_obs must have obs's width (", obs_dim, "), not ", next_dim));
  }
  if (n == 0) throw py::value_error("insert needs at least one transition");
  const std::vector<bool> dones = Optional<bool>(done, n, "done", false);
  // None: every item at the table's running maximum; else one priority each (the module
  // refuses NaN, infinite or negative ones, and then nothing is inserted).
  const std::vector<double> priorities = Optional<double>(priority, n, "priority", 0.0);
  const std::vector<std::uint64_t> tag = Optional<std::uint64_t>(tags, n, "tags", 0);
  const std::vector<std::uint64_t> event = Optional<std::uint64_t>(events, n, "events", 0);
  std::vector<std::string> payloads(static_cast<std::size_t>(n));
  std::vector<buffer::InsertItem> items(static_cast<std::size_t>(n));
  for (py::ssize_t i = 0; i < n; ++i) {
    schemas::Transition t;
    t.obs.assign(obs.data(i, 0), obs.data(i, 0) + obs_dim);
    t.action.assign(action.data(i, 0), action.data(i, 0) + action_dim);
    t.reward = reward.at(i);
    t.discount = discount.at(i);
    t.next_obs.assign(next_obs.data(i, 0), next_obs.data(i, 0) + obs_dim);
    t.done = dones[i];
    t.events = static_cast<schemas::EventMask>(event[i]);
    t.policy_version = version;
    t.actor_id = "python";
    t.step = static_cast<std::uint32_t>(i);
    payloads[i] = schemas::EncodeTransition(t);
    items[i].payload = payloads[i];
    items[i].tags = tag[i];
    if (!priority.is_none()) items[i].priority = priorities[i];
  }
  absl::StatusOr<std::vector<buffer::ItemKey>> keys;
  {
    py::gil_scoped_release release;
    keys = client_->Insert(table, version, items);
  }
  if (!keys.ok()) Raise(keys.status());
  std::vector<std::uint32_t> shards;
  std::vector<std::uint64_t> ids;
  for (const buffer::ItemKey& k : *keys) {
    shards.push_back(k.shard);
    ids.push_back(k.id);
  }
  py::dict out;
  out["shard"] = Column<std::uint32_t>(shards);
  out["id"] = Column<std::uint64_t>(ids);
  return out;
}

py::dict Replay::Sample(const std::string& table, std::size_t n, double beta,
                        const py::object& tags, std::optional<std::uint64_t> seed) {
  if (n == 0) throw py::value_error("sample needs n >= 1");
  buffer::SampleOptions options;
  options.beta = beta;
  options.seed = seed;
  if (py::isinstance<py::int_>(tags)) {
    options.tag_mixture = {{tags.cast<std::uint64_t>(), 1.0}};
  } else if (!tags.is_none()) {
    try {
      options.tag_mixture = tags.cast<std::vector<std::pair<std::uint64_t, double>>>();
    } catch (const py::cast_error&) {
      throw py::value_error("tags must be None, a mask, or a list of (mask, weight) pairs");
    }
  }
  absl::StatusOr<buffer::SampleBatch> batch;
  {
    py::gil_scoped_release release;
    batch = client_->Sample(table, n, options);
  }
  if (!batch.ok()) Raise(batch.status());
  // Decode every payload before building any array (a bad one refuses the whole sample).
  std::vector<schemas::Transition> decoded;
  decoded.reserve(batch->items.size());
  for (const buffer::SampledItem& item : batch->items) {
    auto t = schemas::DecodeTransition(item.payload);
    if (!t.ok()) {
      Raise(absl::InvalidArgumentError(
          absl::StrCat("item ", item.key.id, " on shard ", item.key.shard, " of table ", table,
                       " is not a transition: ", t.status().message())));
    }
    decoded.push_back(*std::move(t));
  }
  const auto rows = static_cast<py::ssize_t>(decoded.size());
  const py::ssize_t obs_dim = rows > 0 ? static_cast<py::ssize_t>(decoded[0].obs.size()) : 0;
  const py::ssize_t action_dim = rows > 0 ? static_cast<py::ssize_t>(decoded[0].action.size()) : 0;
  py::array_t<float> obs({rows, obs_dim}), next_obs({rows, obs_dim}), action({rows, action_dim});
  std::vector<float> reward, discount;
  std::vector<bool> done;
  std::vector<double> weight, probability, priority;
  std::vector<std::uint32_t> shard, times;
  std::vector<std::uint64_t> id, events, version, tag;
  for (py::ssize_t i = 0; i < rows; ++i) {
    const schemas::Transition& t = decoded[i];
    const buffer::SampledItem& item = batch->items[i];
    if (static_cast<py::ssize_t>(t.obs.size()) != obs_dim ||
        static_cast<py::ssize_t>(t.next_obs.size()) != obs_dim ||
        static_cast<py::ssize_t>(t.action.size()) != action_dim) {
      Raise(absl::InvalidArgumentError(absl::StrCat(
          "the items sampled from ", table, " have different observation or action sizes")));
    }
    std::copy(t.obs.begin(), t.obs.end(), obs.mutable_data(i, 0));
    std::copy(t.next_obs.begin(), t.next_obs.end(), next_obs.mutable_data(i, 0));
    std::copy(t.action.begin(), t.action.end(), action.mutable_data(i, 0));
    reward.push_back(t.reward);
    discount.push_back(t.discount);
    done.push_back(t.done);
    events.push_back(t.events);
    weight.push_back(item.weight);
    probability.push_back(item.probability);
    priority.push_back(item.priority);
    shard.push_back(item.key.shard);
    id.push_back(item.key.id);
    version.push_back(item.policy_version);
    tag.push_back(item.tags);
    times.push_back(item.times_sampled);
  }
  py::dict out;
  out["obs"] = obs;
  out["action"] = action;
  out["reward"] = Column<float>(reward);
  out["discount"] = Column<float>(discount);
  out["next_obs"] = next_obs;
  py::array_t<bool> dones(rows);
  std::copy(done.begin(), done.end(), dones.mutable_data());
  out["done"] = dones;
  out["weight"] = Column<double>(weight);
  out["probability"] = Column<double>(probability);
  out["priority"] = Column<double>(priority);
  out["shard"] = Column<std::uint32_t>(shard);
  out["id"] = Column<std::uint64_t>(id);
  out["events"] = Column<std::uint64_t>(events);
  out["policy_version"] = Column<std::uint64_t>(version);
  out["tags"] = Column<std::uint64_t>(tag);
  out["times_sampled"] = Column<std::uint32_t>(times);
  out["table_size"] = batch->table_size;
  return out;
}

py::dict Replay::Update(const std::string& table, const py::array_t<std::uint32_t>& shard,
                        const py::array_t<std::uint64_t>& id, const FloatArray& priority) {
  const py::ssize_t n = id.size();
  if (shard.ndim() != 1 || id.ndim() != 1 || priority.ndim() != 1 || shard.size() != n ||
      priority.size() != n) {
    throw py::value_error("shard, id and priority must be 1-d arrays of the same length");
  }
  std::vector<std::pair<buffer::ItemKey, double>> updates;
  for (py::ssize_t i = 0; i < n; ++i) {
    updates.push_back({{shard.at(i), id.at(i)}, priority.at(i)});
  }
  absl::StatusOr<buffer::UpdateResult> result;
  {
    py::gil_scoped_release release;
    result = client_->Update(table, updates);
  }
  if (!result.ok()) Raise(result.status());
  py::dict out;
  out["applied"] = result->applied;
  out["stale"] = result->stale;
  return out;
}

py::list Replay::Info(const std::string& table) {
  absl::StatusOr<std::vector<std::vector<std::pair<std::string, std::string>>>> info;
  {
    py::gil_scoped_release release;
    info = client_->Info(table);
  }
  if (!info.ok()) Raise(info.status());
  py::list shards;
  for (const auto& fields : *info) {
    py::dict d;
    for (const auto& [key, value] : fields) {
      std::int64_t integer;
      double number;
      if (absl::SimpleAtoi(value, &integer)) {
        d[py::str(key)] = integer;
      } else if (absl::SimpleAtod(value, &number)) {
        d[py::str(key)] = number;
      } else {
        d[py::str(key)] = value;
      }
    }
    shards.append(d);
  }
  return shards;
}

}  // namespace tarmac::python
